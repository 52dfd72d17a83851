import Foundation
import ModelIR

/// Marks tensors that view the arena: a result that still points into it is copied before the
/// arena is reused.
private final class _ArenaOwner: @unchecked Sendable {}

extension Executor {
    /// The body of `run`, with `lock` held; records each step's seconds when `timings` is non-nil.
    func execute(inputs: [String: Tensor], outputs: [String], timings: inout [Double]?) throws -> [String: Tensor] {
        for (name, t) in inputs {
            guard let info = graph.inputs.first(where: { $0.name == name }) else { throw RuntimeError.unknownInput(name) }
            try Self.check(shape: t.shape, dataCount: t.data.count, dtype: t.dtype, against: info, tensorType: t.dtype)
        }
        let (prog, _, plan) = try preparePlan(inputs: inputs, outputs: outputs)
        let needed = (plan.arenaCount + plan.scratchCount) * MemoryLayout<Float>.stride
        let physical = Int(clamping: ProcessInfo.processInfo.physicalMemory)
        guard needed <= physical else { throw RuntimeError.insufficientMemory(neededBytes: needed, physicalBytes: physical) }
        for (buffer, count) in [(\Executor.arenaBuffer, plan.arenaCount), (\Executor.scratchBuffer, plan.scratchCount)]
            where self[keyPath: buffer].count < count {
            self[keyPath: buffer] = _FloatBuffer(count: 0)  // the old one goes first
            guard let fresh = _FloatBuffer(failableCount: count) else {
                throw RuntimeError.insufficientMemory(neededBytes: needed, physicalBytes: physical)
            }
            self[keyPath: buffer] = fresh
        }
        let base = arenaBuffer.pointer
        let arenaOwner = _ArenaOwner()
        let arenaBytes = plan.arenaCount * MemoryLayout<Float>.stride

        var owned = [Tensor?](repeating: nil, count: prog.valueNames.count)
        func pointer(_ v: Int) -> UnsafeMutablePointer<Float>? {
            switch plan.storage[v] {
            case .arena(let offset)?: return base + offset
            default:
                guard let t = owned[v], let p = t.data.bytes.baseAddress else { return nil }
                return UnsafeMutableRawPointer(mutating: p).assumingMemoryBound(to: Float.self)
            }
        }
        func shape(_ v: Int) -> [Int]? { plan.shapes[v] ?? owned[v]?.shape }
        func tensor(_ v: Int) -> Tensor? {
            if case .arena(let offset)? = plan.storage[v], let s = shape(v), let n = Shape.elementCount(s) {
                let bytes = UnsafeRawBufferPointer(start: base + offset, count: n * MemoryLayout<Float>.stride)
                return Tensor(dtype: .float32, shape: s, data: TensorData(view: bytes, owner: arenaOwner))
            }
            return owned[v]
        }
        /// A result the evaluator gave back that still points into the arena is copied out.
        func detached(_ t: Tensor) -> Tensor {
            guard t.data.owner === arenaOwner else { return t }
            return Tensor(dtype: t.dtype, shape: t.shape, data: TensorData(copying: t.data.bytes))
        }
        _ = arenaBytes

        for v in prog.graphInputs {
            guard let t = inputs[prog.valueNames[v]] else { continue }
            if case .arena(let offset)? = plan.storage[v] {
                t.withFloats { src in if let s = src.baseAddress { (base + offset).update(from: s, count: src.count) } }
            } else {
                owned[v] = t
            }
        }
        let views = plan.views
        for (position, i) in plan.steps.enumerated() {
            let step = prog.steps[i]
            let start = timings != nil ? DispatchTime.now().uptimeNanoseconds : 0
            switch step.work {
            case .kernel(let kernel):
                let out = step.outputs[0]
                if views.contains(i) {
                    if plan.storage[out] == .owned, let input = step.inputs.first, let t = owned[input], let s = plan.shapes[out] {
                        owned[out] = t.reshaped(s)
                    }
                    break
                }
                var inputShapes: [[Int]] = []
                var inputPointers: [UnsafePointer<Float>] = []
                for v in step.inputs {
                    guard let s = shape(v), let p = pointer(v) else { throw RuntimeError.unknownValue(prog.valueNames[v]) }
                    inputShapes.append(s)
                    inputPointers.append(UnsafePointer(p))
                }
                let outShape: [Int]
                if let s = plan.shapes[out] {
                    outShape = s
                } else {
                    outShape = try Self.runtimeShape(step, program: prog, shapes: inputShapes)
                }
                guard (Shape.elementCount(outShape) ?? 0) > 0 else {
                    if plan.storage[out] == .owned { owned[out] = Tensor(zeros: .float32, shape: outShape) }
                    break
                }
                let outPointer: UnsafeMutablePointer<Float>
                if case .arena(let offset)? = plan.storage[out] {
                    outPointer = base + offset
                } else {
                    let t = Tensor(zeros: .float32, shape: outShape)
                    owned[out] = t
                    outPointer = UnsafeMutableRawPointer(mutating: t.data.bytes.baseAddress!).assumingMemoryBound(to: Float.self)
                }
                if case .view = kernel.bufferUse(inputShapes: inputShapes), let input = step.inputs.first, let src = pointer(input) {
                    // A view whose input has no arena storage this time: copy.
                    outPointer.update(from: src, count: Shape.elementCount(outShape) ?? 0)
                    break
                }
                kernel.run(_KernelArguments(inputs: inputPointers, inputShapes: inputShapes, output: outPointer, outputShape: outShape,
                                            scratch: scratchBuffer.pointer, parallel: parallel))
            case .evaluate:
                let operands: [Tensor?] = try step.operands.map { operand in
                    switch operand {
                    case .absent: return nil
                    case .constant(let t): return t
                    case .value(let v):
                        guard let t = tensor(v) else { throw RuntimeError.unknownValue(prog.valueNames[v]) }
                        return t
                    }
                }
                let results: [Tensor]
                do {
                    results = try Evaluator.evaluate(step.node, operands)
                } catch let e as ModelIRError {
                    throw RuntimeError.shapeMismatch(e)
                }
                for (out, result) in zip(step.outputs, results) where out >= 0 {
                    if case .arena(let offset)? = plan.storage[out] {
                        result.withFloats { src in if let s = src.baseAddress { (base + offset).update(from: s, count: src.count) } }
                    } else {
                        owned[out] = detached(result)
                    }
                }
            }
            if timings != nil { timings?[i] = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9 }
            // Owned values nothing reads any more are released now, not at the end.
            for case .value(let v) in step.operands where plan.lastUse[v] == position { owned[v] = nil }
        }

        var result: [String: Tensor] = [:]
        for name in outputs {
            guard let v = prog.valueIDs[name] else {
                // A graph output that is a constant (an ONNX Constant node's value).
                guard let w = prog.graph.weights[name] else { throw RuntimeError.unknownValue(name) }
                result[name] = w.tensor
                continue
            }
            if case .arena(let offset)? = plan.storage[v], let s = shape(v) {
                let n = Shape.elementCount(s) ?? 0
                result[name] = Tensor(dtype: .float32, shape: s, data: TensorData(copying: UnsafeRawBufferPointer(start: base + offset, count: n * 4)))
            } else if let t = owned[v] {
                result[name] = detached(t)
            } else if let w = prog.graph.weights[name] {
                result[name] = w.tensor
            } else {
                throw RuntimeError.unknownValue(name)
            }
        }
        return result
    }

    /// The output shape of a fast kernel whose shape was not known before running.
    private static func runtimeShape(_ step: _Program.Step, program: _Program, shapes: [[Int]]) throws -> [Int] {
        var next = shapes.makeIterator()
        let dataIDs = Set(step.inputs)
        func operands(_ list: [_Program.Operand]) -> [Operand_?] {
            list.map { operand in
                switch operand {
                case .absent: return nil
                case .constant(let t): return Operand_(t)
                case .value(let v): return Operand_(type: ValueType(dtype: program.valueTypes[v], shape: dataIDs.contains(v) ? next.next() : nil))
                }
            }
        }
        func output(_ node: Node, _ operands: [Operand_?]) throws -> [Int] {
            guard let shape = try ShapeInference.outputs(of: node, operands: operands).first?.type.concreteShape else {
                throw RuntimeError.shapeMismatch(.shapeMismatch(node: node.name, detail: "the output shape is not known"))
            }
            return shape
        }
        do {
            var own = operands(step.operands)
            if let absorbed = step.absorbed {
                // The step's first operand is the absorbed node's input; the node reads its output.
                let inner = try output(absorbed.node, [own[0]] + operands(Array(absorbed.operands.dropFirst())))
                own[0] = Operand_(type: ValueType(dtype: .float32, shape: inner))
            }
            return try output(step.node, own)
        } catch let e as ModelIRError {
            throw RuntimeError.shapeMismatch(e)
        }
    }

    /// The program and plan for these inputs and outputs (cached per input shapes and values of
    /// small integer inputs).
    func preparePlan(inputs: [String: Tensor], outputs: [String]) throws
        -> (program: _Program, known: [String: Operand_], plan: _MemoryPlan) {
        var useReference = false
        for name in outputs where program.valueIDs[name] == nil && program.graph.weights[name] == nil {
            guard program.eliminated[name] != nil || graph.nodes.contains(where: { $0.outputs.contains(name) }) else {
                throw RuntimeError.unknownValue(name)
            }
            useReference = true
        }
        let prog: _Program
        if useReference {
            if let r = referenceProgram {
                prog = r
            } else {
                prog = try _Program(graph: graph, eliminated: [:], lowering: _Program.Lowering(options, parallel: parallel))
                referenceProgram = prog
            }
        } else {
            prog = program
        }
        var outputIDs: [Int] = []
        for name in outputs {
            if let v = prog.valueIDs[name] { outputIDs.append(v) } else if prog.graph.weights[name] == nil { throw RuntimeError.unknownValue(name) }
        }
        var shapes: [[Int]] = [], values: [[Int64]] = []
        var inputShapes: [String: [Int]] = [:], inputValues: [String: Tensor] = [:]
        for info in graph.inputs {
            guard let t = inputs[info.name] else { shapes.append([]); values.append([]); continue }
            shapes.append(t.shape)
            inputShapes[info.name] = t.shape
            if t.dtype.isInteger, let n = t.elementCount, n <= Self.shapeInputLimit {
                values.append(t.integers)
                inputValues[info.name] = t
            } else {
                values.append([])
            }
        }
        let key = PlanKey(reference: useReference, inputShapes: shapes, inputValues: values, outputs: outputIDs.sorted())
        if let cached = plans[key] { return (prog, cached.known, cached.plan) }
        let known: [String: Operand_]
        do {
            known = try prog.graph.inferTypes(inputShapes: inputShapes, inputValues: inputValues, foldLimit: 4096)
        } catch let e as ModelIRError {
            throw RuntimeError.shapeMismatch(e)
        }
        let given = Set(prog.graphInputs.filter { inputs[prog.valueNames[$0]] != nil })
        let plan = try _MemoryPlan(program: prog, known: known, givenInputs: given, outputs: outputIDs)
        if plans.count >= 16 { plans.removeAll() }
        plans[key] = (known, plan)
        return (prog, known, plan)
    }

    /// An input's dtype, rank, known dimensions and element count against the graph's declaration.
    static func check(shape: [Int], dataCount: Int?, dtype: DType, against info: TensorInfo, tensorType: DType? = nil) throws {
        func bad(_ reason: String) -> RuntimeError {
            .badInputTensor(name: info.name, shape: shape, elementCount: (dataCount ?? 0) / max(dtype.byteSize, 1), reason: reason)
        }
        guard dtype == info.dtype else { throw bad("the graph input is \(info.dtype.numpyName), not \(dtype.numpyName)") }
        guard let count = Shape.elementCount(shape) else { throw bad("dimensions must be non-negative and their product representable") }
        if let dataCount, count.multipliedReportingOverflow(by: dtype.byteSize).partialValue != dataCount {
            throw bad("the shape needs \(count) elements")
        }
        guard shape.count == info.shape.count else {
            throw bad("the graph input is rank \(info.shape.count) (\(Shape.kerasString(info.shape)))")
        }
        for (i, (given, declared)) in zip(shape, info.shape).enumerated() where declared >= 0 && given != declared {
            // A conv base runs at any image size: spatial sizes may differ from the declaration,
            // the channel axis may not.
            let channelAxis = info.layout == .nchw ? 1 : shape.count - 1
            if shape.count == 4, i != channelAxis, i != 0 { continue }
            if shape.count == 4, i == channelAxis {
                throw bad("the graph input has \(declared) channels (\(Shape.kerasString(info.shape)))")
            }
            throw bad("axis \(i) must be \(declared) (the graph input is \(Shape.kerasString(info.shape)))")
        }
    }
}
