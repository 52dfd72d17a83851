import Foundation
import ModelIR

/// Runs a ``ModelIR/Graph`` on the CPU: NHWC float32 activations, batch-major, any batch size and any
/// spatial size the graph allows (a conv base built for 150×150 runs at 224×224 too).
///
/// Preparation happens once, in `init`: the graph is validated; inference-mode BatchNormalization
/// and standalone activations after a convolution or dense layer become part of that layer's
/// epilogue (see ``ExecutorOptions``); every weight becomes float32 — an aligned f32 weight is used
/// in place, zero-copy (often a view of a mapped `.swm` file), other dtypes are converted once.
/// Convolution kernels stay in their HWIO layout, which is already the GEMM's right-hand matrix.
///
/// Buffers are planned per set of input shapes (liveness-based reuse, so memory is about the two
/// largest activations, not their sum) and kept for the next call with the same shapes. GEMMs use
/// OpenBLAS's threads; the other kernels split their loops with `DispatchQueue.concurrentPerform`;
/// the two never nest.
///
/// Calls to `run` are serialised by an internal lock, so one executor may be shared between
/// threads; it is not faster to do so.
///
/// ```swift
/// let executor = try Executor(graph: graph)
/// let features = try executor.run(input: Tensor(shape: [20, 150, 150, 3], data: pixels))
/// ```
public final class Executor: @unchecked Sendable {
    /// The graph as given (before folding and fusion).
    public let graph: Graph
    public let options: ExecutorOptions

    /// The rewritten, lowered graph (internal for tests).
    let program: _Program
    private let parallel: _Parallel
    private let lock = NSLock()
    // Guarded by `lock`:
    private var referenceProgram: _Program?
    private var plans: [PlanKey: _MemoryPlan] = [:]
    private var arena = _FloatBuffer(count: 0)
    private var scratch = _FloatBuffer(count: 0)

    private struct PlanKey: Hashable {
        var reference: Bool
        var inputShapes: [[Int]]
        var outputs: [Int]
    }

    /// Prepares `graph` for execution.
    /// - Parameters:
    ///   - graph: a graph in the IR's canonical layouts (NHWC activations, HWIO kernels).
    ///   - options: folding, fusion, threads and scratch size.
    /// - Throws: `RuntimeError.invalidGraph` when the graph fails validation (naming the node),
    ///   `.unsupported` for a node the runtime cannot execute, `.unsupportedWeightType` for a
    ///   non-floating-point weight.
    public init(graph: Graph, options: ExecutorOptions = ExecutorOptions()) throws {
        self.graph = graph
        self.options = options
        do { try graph.validate() } catch let e as ModelIRError { throw RuntimeError.invalidGraph(e) }

        var rewriter = _GraphRewriter(graph)
        switch options.batchNormalization {
        case .separate: break
        case .epilogue: try rewriter.fuseBatchNormalization(intoWeights: false)
        case .weights: try rewriter.fuseBatchNormalization(intoWeights: true)
        }
        if options.fuseActivations {
            rewriter.fuseActivations()
            rewriter.foldZeroPadding()
            rewriter.fuseDepthwisePointwise()
        }
        _ = try _BLAS.require()
        let threads = max(options.threads ?? ProcessInfo.processInfo.activeProcessorCount, 1)
        let parallel = _Parallel(workers: threads, minimumWork: max(options.minimumParallelWork, 1))
        self.parallel = parallel
        self.program = try _Program(graph: rewriter.graph, eliminated: rewriter.eliminated,
                                    batchNormEpilogues: rewriter.batchNormEpilogues,
                                    elementwiseActivations: rewriter.elementwiseActivations,
                                    depthwiseStages: rewriter.depthwiseStages,
                                    lowering: _Program.Lowering(options, parallel: parallel))
    }

    /// OpenBLAS's kernel family in use (`SkylakeX`, `Haswell`, …), for benchmark reports: the one
    /// the CPU's feature flags allow, unless `OPENBLAS_CORETYPE` says otherwise; "unavailable"
    /// when OpenBLAS cannot be loaded.
    public static var blasCore: String { (try? _BLAS.require().core) ?? "unavailable" }

    /// Names of the graph inputs, in order.
    public var inputNames: [String] { graph.inputs.map(\.name) }
    /// Names of the graph outputs, in order.
    public var outputNames: [String] { graph.outputs }

    /// Values of the source graph that preparation removed (a convolution's output before a folded
    /// BatchNormalization, before a fused activation), with the reason. `run(inputs:outputs:)`
    /// still returns them, computed by an unfused copy of the graph.
    public var rewrittenValues: [String: String] { program.eliminated }

    /// Runs a graph with one input and one output.
    /// - Parameter input: NHWC (or whatever the graph input's rank is) float32, batch first.
    /// - Returns: the graph output.
    /// - Throws: `RuntimeError.notSingleInputOutput`, or the errors of `run(inputs:outputs:)`.
    public func run(input: Tensor) throws -> Tensor {
        guard graph.inputs.count == 1, graph.outputs.count == 1 else {
            throw RuntimeError.notSingleInputOutput(inputs: graph.inputs.count, outputs: graph.outputs.count)
        }
        let name = graph.outputs[0]
        guard let out = try run(inputs: [graph.inputs[0].name: input], outputs: [name])[name] else {
            throw RuntimeError.unknownValue(name)
        }
        return out
    }

    /// Runs the graph and returns any values by name: graph outputs or intermediate values, for
    /// example every layer's output to find the first one that diverges from Keras.
    ///
    /// Only the nodes the requested values depend on run, so inputs they do not need may be left
    /// out. A value removed by folding or fusion is computed by an unfused copy of the graph
    /// (prepared on first need, sharing the weights).
    /// - Parameters:
    ///   - inputs: tensors by graph-input name.
    ///   - outputs: names of values to return (node outputs or graph inputs).
    /// - Throws: `RuntimeError.unknownInput`, `.missingInput`, `.unknownValue`, `.badInputTensor`
    ///   when a tensor's data does not match its shape or rank, `.shapeMismatch` when the shapes do
    ///   not propagate through the graph.
    public func run(inputs: [String: Tensor], outputs: [String]) throws -> [String: Tensor] {
        lock.lock()
        defer { lock.unlock() }
        var timings: [Double]? = nil
        return try execute(inputs: inputs, outputs: outputs, timings: &timings)
    }

    /// Time spent in one node of the prepared program.
    public struct NodeTiming: Sendable, Equatable {
        /// The node's name (for a fused node, the convolution's or dense layer's).
        public var node: String
        /// Its Keras class name.
        public var op: String
        /// Median seconds per run.
        public var seconds: Double
    }

    /// Runs the graph `runs` times (after one warm-up) and returns each executed node's median
    /// time, in execution order: where a model spends its time.
    public func profile(inputs: [String: Tensor], runs: Int = 5) throws -> [NodeTiming] {
        lock.lock()
        defer { lock.unlock() }
        var samples: [[Double]] = []
        for i in 0...max(runs, 1) {
            var timings: [Double]? = [Double](repeating: -1, count: program.steps.count)
            _ = try execute(inputs: inputs, outputs: graph.outputs, timings: &timings)
            if i > 0, let timings { samples.append(timings) }
        }
        return program.steps.indices.compactMap { s in
            let values = samples.map { $0[s] }.sorted()
            guard let mid = values.dropFirst(values.count / 2).first, mid >= 0 else { return nil }
            return NodeTiming(node: program.steps[s].node.name, op: program.steps[s].node.op.kerasClassName, seconds: mid)
        }
    }

    /// The body of `run`, with `lock` held; records each step's seconds when `timings` is non-nil.
    private func execute(inputs: [String: Tensor], outputs: [String], timings: inout [Double]?) throws -> [String: Tensor] {
        for name in inputs.keys where !graph.inputs.contains(where: { $0.name == name }) {
            throw RuntimeError.unknownInput(name)
        }
        for info in graph.inputs {
            guard let t = inputs[info.name] else { continue }
            try Self.check(t, against: info)
        }
        let (prog, plan) = try preparePlan(inputShapes: inputs.mapValues(\.shape), outputs: outputs)
        let needed = (plan.arenaCount + plan.scratchCount) * MemoryLayout<Float>.stride
        let physical = Int(clamping: ProcessInfo.processInfo.physicalMemory)
        guard needed <= physical else { throw RuntimeError.insufficientMemory(neededBytes: needed, physicalBytes: physical) }
        if arena.count < plan.arenaCount { arena = _FloatBuffer(count: plan.arenaCount) }
        if scratch.count < plan.scratchCount { scratch = _FloatBuffer(count: plan.scratchCount) }
        let base = arena.pointer

        for v in prog.graphInputs where plan.offsets[v] >= 0 {
            guard let t = inputs[prog.valueNames[v]] else { continue }
            t.data.withUnsafeBufferPointer { src in
                if let s = src.baseAddress { (base + plan.offsets[v]).update(from: s, count: src.count) }
            }
        }
        for i in plan.steps {
            let step = prog.steps[i]
            guard let outShape = plan.shapes[step.output], step.kernel.bufferUse != .view,
                  (Shape.elementCount(outShape) ?? 0) > 0 else { continue }
            let args = _KernelArguments(
                inputs: step.inputs.map { UnsafePointer(base + plan.offsets[$0]) },
                inputShapes: step.inputs.map { plan.shapes[$0] ?? [] },
                output: base + plan.offsets[step.output], outputShape: outShape,
                scratch: scratch.pointer, parallel: parallel)
            if timings != nil {
                let start = DispatchTime.now().uptimeNanoseconds
                step.kernel.run(args)
                timings?[i] = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
            } else {
                step.kernel.run(args)
            }
        }

        var result: [String: Tensor] = [:]
        for name in outputs {
            guard let v = prog.valueIDs[name], let shape = plan.shapes[v] else { throw RuntimeError.unknownValue(name) }
            let count = Shape.elementCount(shape) ?? 0
            result[name] = Tensor(shape: shape, data: Array(UnsafeBufferPointer(start: base + plan.offsets[v], count: count)))
        }
        return result
    }

    /// The memory `run` would plan for these input shapes, without running anything.
    /// - Parameters:
    ///   - inputShapes: shapes by graph-input name.
    ///   - outputs: values to keep; the graph outputs when nil.
    public func memoryPlan(inputShapes: [String: [Int]], outputs: [String]? = nil) throws -> MemoryPlanSummary {
        lock.lock()
        defer { lock.unlock() }
        for (name, shape) in inputShapes {
            guard let info = graph.inputs.first(where: { $0.name == name }) else { throw RuntimeError.unknownInput(name) }
            try Self.check(Tensor(shape: shape, data: []), against: info, checkCount: false)
        }
        let plan = try preparePlan(inputShapes: inputShapes, outputs: outputs ?? graph.outputs).plan
        let f = MemoryLayout<Float>.stride
        return MemoryPlanSummary(arenaBytes: plan.arenaCount * f, scratchBytes: plan.scratchCount * f,
                                 unsharedBytes: plan.unsharedCount * f, steps: plan.steps.count)
    }

    /// Frees the activation arena, the scratch buffer and the cached plans; the next `run`
    /// plans and allocates again.
    public func releaseBuffers() {
        lock.lock()
        defer { lock.unlock() }
        plans.removeAll()
        arena = _FloatBuffer(count: 0)
        scratch = _FloatBuffer(count: 0)
    }

    // MARK: - Internals (called with `lock` held)

    private func preparePlan(inputShapes: [String: [Int]], outputs: [String]) throws -> (program: _Program, plan: _MemoryPlan) {
        var useReference = false
        for name in outputs {
            if program.valueIDs[name] != nil { continue }
            if program.eliminated[name] != nil { useReference = true; continue }
            throw RuntimeError.unknownValue(name)
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
            guard let v = prog.valueIDs[name] else { throw RuntimeError.unknownValue(name) }
            outputIDs.append(v)
        }
        let key = PlanKey(reference: useReference, inputShapes: prog.graphInputs.map { inputShapes[prog.valueNames[$0]] ?? [] },
                          outputs: outputIDs.sorted())
        if let plan = plans[key] { return (prog, plan) }
        var byID: [Int: [Int]] = [:]
        for v in prog.graphInputs { if let s = inputShapes[prog.valueNames[v]] { byID[v] = s } }
        let plan = try _MemoryPlan(program: prog, inputShapes: byID, outputs: outputIDs)
        if plans.count >= 16 { plans.removeAll() }
        plans[key] = plan
        return (prog, plan)
    }

    /// Rank, channel count and element count of an input tensor against the graph's declaration.
    private static func check(_ t: Tensor, against info: TensorInfo, checkCount: Bool = true) throws {
        func bad(_ reason: String) -> RuntimeError {
            .badInputTensor(name: info.name, shape: t.shape, elementCount: t.data.count, reason: reason)
        }
        guard let count = Shape.elementCount(t.shape) else { throw bad("dimensions must be non-negative and their product representable") }
        if checkCount, count != t.data.count { throw bad("the shape needs \(count) elements") }
        guard t.shape.count == info.shape.count else {
            throw bad("the graph input is rank \(info.shape.count) (\(Shape.kerasString(info.shape)))")
        }
        if let declared = info.shape.last, declared >= 0, t.shape.count > 1, t.shape.last != declared {
            throw bad("the graph input has \(declared) channels (\(Shape.kerasString(info.shape)))")
        }
    }
}

/// Owned, 64-byte aligned float memory for the arena and the scratch.
final class _FloatBuffer {
    let pointer: UnsafeMutablePointer<Float>
    let count: Int

    init(count: Int) {
        self.count = count
        pointer = UnsafeMutableRawPointer.allocate(byteCount: max(count, 1) * MemoryLayout<Float>.stride, alignment: 64)
            .bindMemory(to: Float.self, capacity: max(count, 1))
    }

    deinit { pointer.deallocate() }
}
