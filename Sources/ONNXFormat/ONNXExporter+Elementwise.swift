import ModelIR
import ONNXProto

/// IR `elementwise` → ONNX's element-wise ops (n-ary Add as Sum, n-ary Mul as a chain of Mul),
/// and IR `reduction` → Reduce* (axes as an attribute or an input by opset), ArgMax/ArgMin.
extension ONNXExporter {
    static let unaryNames: [UnaryFunction: String] = Dictionary(uniqueKeysWithValues: ONNXImporter.unaryFunctions.map { ($1, $0) })
    static let binaryNames: [BinaryFunction: String] = Dictionary(uniqueKeysWithValues: ONNXImporter.binaryFunctions.map { ($1, $0) })

    func exportElementwise(_ node: Node, _ op: ElementwiseOp) throws {
        // Layout-free: channels first when every operand is a channels-first-only value of one rank.
        let present = node.inputs.filter { !$0.isEmpty }
        let ranks = Set(present.map { rank($0) ?? -1 })
        let form: Form = ranks.count == 1 && present.allSatisfy({ graph.weights[$0] == nil })
            && present.contains(where: isChannelsFirstOnly) && present.allSatisfy({ names[$0]?[.channelsFirst] != nil || isChannelsFirstOnly($0) })
            && (ranks.first ?? 0) >= 3 ? .channelsFirst : .native
        let xs = try node.inputs.map { try ref($0, $0.isEmpty ? .native : form) }
        let out = produce(node.outputs[0], form)
        func emit(_ type: String, _ attributes: [Onnx_AttributeProto] = []) {
            append(type, name: node.name, inputs: xs, outputs: [out], attributes: attributes)
        }
        switch op {
        case .unary(let f):
            switch f {
            case .isInf: emit("IsInf")
            case .isPosInf: emit("IsInf", [attribute("detect_negative", int: 0)])
            case .isNegInf: emit("IsInf", [attribute("detect_positive", int: 0)])
            case .bitwiseNot:
                try require(node, opset: 18, for: "BitwiseNot")
                emit("BitwiseNot")
            default:
                guard let type = Self.unaryNames[f] else { throw fail(node, "\(f.displayName) has no ONNX counterpart") }
                emit(type)
            }
        case .binary(let f):
            switch f {
            case .mod:
                if dtype(node.inputs[0]).isFloatingPoint { try require(node, opset: 28, for: "Mod with fmod=0 of floating-point values") }
                emit("Mod")
            case .fmod: emit("Mod", [attribute("fmod", int: 1)])
            case .shiftLeft, .shiftRight:
                if !dtype(node.inputs[0]).isUnsigned { try require(node, opset: 28, for: "BitShift of signed integers") }
                emit("BitShift", [attribute("direction", string: f == .shiftLeft ? "LEFT" : "RIGHT")])
            case .bitwiseAnd, .bitwiseOr, .bitwiseXor:
                try require(node, opset: 18, for: f.displayName)
                emit(Self.binaryNames[f] ?? "")
            default:
                guard let type = Self.binaryNames[f] else { throw fail(node, "\(f.displayName) has no ONNX counterpart") }
                emit(type)
            }
        case .variadic(let f):
            switch f {
            case .add: emit(xs.count == 2 ? "Add" : "Sum")
            case .max: emit("Max")
            case .min: emit("Min")
            case .mean: emit("Mean")
            case .mul:
                guard xs.count > 2 else { emit(xs.count == 2 ? "Mul" : "Identity"); return }
                var accumulated = xs[0]
                for (i, x) in xs.dropFirst().enumerated() {
                    let last = i == xs.count - 2
                    let partial = last ? out : temporary("\(node.outputs[0])__partial\(i)")
                    append("Mul", name: last ? node.name : "\(node.name)/\(i)", inputs: [accumulated, x], outputs: [partial])
                    accumulated = partial
                }
            }
        case .select: emit("Where")
        case .prelu: emit("PRelu")
        case .scale: emit("Mul")
        case .scalar(let s):
            let c = scalarInitializer("\(node.name)/constant", s.value, dtype: dtype(node.inputs[0]))
            let types: [ScalarArithmetic: String] = [.add: "Add", .sub: "Sub", .mul: "Mul", .div: "Div", .pow: "Pow", .max: "Max", .min: "Min"]
            append(types[s.function] ?? "", name: node.name, inputs: s.constantFirst ? [c, xs[0]] : [xs[0], c], outputs: [out])
        case .scaledAdd(let scale):
            let c = scalarInitializer("\(node.name)/scale", scale, dtype: dtype(node.inputs[0]))
            let scaled = temporary("\(node.outputs[0])__scaled")
            append("Mul", name: "\(node.name)/scale", inputs: [xs[1], c], outputs: [scaled])
            append("Add", name: node.name, inputs: [xs[0], scaled], outputs: [out])
        case .clip(let a):
            let dtype = self.dtype(node.inputs[0])
            var ins = xs + Array(repeating: "", count: max(0, 3 - xs.count))
            if let low = a.min { ins[1] = scalarInitializer("\(node.name)/min", low, dtype: dtype) }
            if let high = a.max { ins[2] = scalarInitializer("\(node.name)/max", high, dtype: dtype) }
            append("Clip", name: node.name, inputs: ins, outputs: [out])
        }
    }

    func exportReduction(_ node: Node, _ op: ReductionOp) throws {
        let x = try ref(node.inputs[0])
        let out = produce(node.outputs[0], .native)
        switch op {
        case .reduce(let a):
            let type = a.function.displayName
            var attributes = [attribute("keepdims", int: a.keepDims ? 1 : 0)]
            var inputs = [x]
            let axesAsInput = a.function == .sum ? opset >= 13 : opset >= 18
            if axesAsInput {
                if a.noopWithEmptyAxes { attributes.append(attribute("noop_with_empty_axes", int: 1)) }
                if let axes = a.axes {
                    if !axes.isEmpty || a.noopWithEmptyAxes { inputs.append(int64Initializer("\(node.name)/axes", axes)) }
                } else {
                    inputs.append(try ref(input(node, 1)))
                }
            } else {
                guard a.axes != nil || input(node, 1).isEmpty else {
                    throw fail(node, "axes given at run time need opset \(a.function == .sum ? 13 : 18) or later")
                }
                if a.noopWithEmptyAxes, a.axes?.isEmpty != false { throw fail(node, "noop_with_empty_axes needs opset 18 or later") }
                if let axes = a.axes, !axes.isEmpty { attributes.append(attribute("axes", ints: axes)) }
            }
            append(type, name: node.name, inputs: inputs, outputs: [out], attributes: attributes)
        case .argMax(let a), .argMin(let a):
            var attributes = [attribute("axis", int: a.axis), attribute("keepdims", int: a.keepDims ? 1 : 0)]
            if a.selectLastIndex { attributes.append(attribute("select_last_index", int: 1)) }
            let type: String
            if case .argMax = op { type = "ArgMax" } else { type = "ArgMin" }
            append(type, name: node.name, inputs: [x], outputs: [out], attributes: attributes)
        }
    }
}
