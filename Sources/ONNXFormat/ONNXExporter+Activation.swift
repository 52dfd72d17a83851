import ModelIR
import ONNXProto

/// IR activations (standalone, and those fused into Keras Conv/Dense) → ONNX's unary ops, the
/// opset permitting; otherwise their definition in primitive ops (HardSwish before 14, Mish
/// before 18, Gelu before 20, Swish).
extension ONNXExporter {
    func exportActivationNode(_ node: Node, _ activation: Activation) throws {
        let v = node.inputs[0]
        // Element-wise functions do not care about layout: stay channels first when the input is.
        let form: Form = activation.isElementwise && isChannelsFirstOnly(v) ? .channelsFirst : .native
        let x = try ref(v, form)
        try emitActivation(activation, node: node, name: node.name, input: x, output: produce(node.outputs[0], form))
    }

    /// Where a layer with a fused activation writes: its output, or a temporary the activation reads.
    func activationTarget(_ node: Node, _ activation: Activation, form: Form) throws -> String {
        activation == .linear ? produce(node.outputs[0], form) : temporary("\(node.outputs[0])__preact")
    }

    /// Appends the fused activation reading `target` (a value in `form`).
    func finishActivation(_ node: Node, _ activation: Activation, from target: String, form: Form) throws {
        guard activation != .linear else { return }
        var input = target
        var outForm = form
        if !activation.isElementwise, form == .channelsFirst {
            // Softmax's axis is the IR's: back to the IR's layout first.
            guard let r = rank(node.outputs[0]) else { throw fail(node, "the output's rank is unknown") }
            input = temporary("\(node.outputs[0])__preact_nhwc")
            append("Transpose", name: "\(node.name)/to_nhwc", inputs: [target], outputs: [input],
                   attributes: [attribute("perm", ints: Self.toChannelsLast(rank: r))])
            outForm = .native
        }
        try emitActivation(activation, node: node, name: "\(node.name)/activation", input: input, output: produce(node.outputs[0], outForm))
    }

    func emitActivation(_ activation: Activation, node: Node, name: String, input: String, output: String) throws {
        func unary(_ op: String, _ attrs: [Onnx_AttributeProto] = []) {
            append(op, name: name, inputs: [input], outputs: [output], attributes: attrs)
        }
        func chain(_ steps: [(String, [String], [Onnx_AttributeProto])]) {
            // Each step reads the previous result ("$") and the input ("x"); the last writes the output.
            var previous = input
            for (i, step) in steps.enumerated() {
                let last = i == steps.count - 1
                let out = last ? output : temporary("\(output)__\(step.0.lowercased())")
                let ins = step.1.map { $0 == "$" ? previous : $0 == "x" ? input : $0 }
                append(step.0, name: last ? name : "\(name)/\(step.0.lowercased())", inputs: ins, outputs: [out], attributes: step.2)
                previous = out
            }
        }
        let dtype = self.dtype(node.outputs[0])
        func scalar(_ value: Double) -> String { scalarInitializer("\(name)/const", value, dtype: dtype) }
        switch activation {
        case .linear: unary("Identity")
        case .relu: unary("Relu")
        case let .clippedReLU(maxValue, slope, threshold):
            switch (maxValue, slope, threshold) {
            case (nil, 0, 0): unary("Relu")
            case (nil, let s, 0): unary("LeakyRelu", [attribute("alpha", float: s)])
            case (nil, 0, let t) where t > 0: unary("ThresholdedRelu", [attribute("alpha", float: t)])
            case (let m?, 0, 0): append("Clip", name: name, inputs: [input, scalar(0), scalar(Double(m))], outputs: [output])
            default:
                throw fail(node, "ReLU(max_value: \(maxValue.map { "\($0)" } ?? "nil"), negative_slope: \(slope), threshold: \(threshold)) has no ONNX counterpart here")
            }
        case .leakyReLU(let alpha): unary("LeakyRelu", [attribute("alpha", float: alpha)])
        case .sigmoid: unary("Sigmoid")
        case let .hardSigmoid(alpha, beta): unary("HardSigmoid", [attribute("alpha", float: alpha), attribute("beta", float: beta)])
        case .hardSwish:
            if opset >= 14 { unary("HardSwish") } else {
                chain([("HardSigmoid", ["x"], [attribute("alpha", float: 1.0 / 6.0), attribute("beta", float: 0.5)]), ("Mul", ["x", "$"], [])])
            }
        case .tanh: unary("Tanh")
        case .softmax(let axis): unary("Softmax", [attribute("axis", int: axis)])
        case .logSoftmax(let axis): unary("LogSoftmax", [attribute("axis", int: axis)])
        case .swish: chain([("Sigmoid", ["x"], []), ("Mul", ["x", "$"], [])])
        case .elu(let alpha): unary("Elu", [attribute("alpha", float: alpha)])
        case let .selu(alpha, gamma): unary("Selu", [attribute("alpha", float: alpha), attribute("gamma", float: gamma)])
        case .celu(let alpha): unary("Celu", [attribute("alpha", float: alpha)])
        case .softplus: unary("Softplus")
        case .softsign: unary("Softsign")
        case .gelu(let approximate):
            if opset >= 20 {
                unary("Gelu", approximate ? [attribute("approximate", string: "tanh")] : [])
            } else if approximate {
                // 0.5·x·(1 + tanh(√(2/π)·(x + 0.044715·x³)))
                chain([("Mul", ["x", "x"], []), ("Mul", ["$", "x"], []), ("Mul", ["$", scalar(0.044715)], []), ("Add", ["$", "x"], []),
                       ("Mul", ["$", scalar(0.7978845608028654)], []), ("Tanh", ["$"], []), ("Add", ["$", scalar(1)], []),
                       ("Mul", ["$", "x"], []), ("Mul", ["$", scalar(0.5)], [])])
            } else {
                // 0.5·x·(1 + erf(x/√2))
                chain([("Div", ["x", scalar(1.4142135623730951)], []), ("Erf", ["$"], []), ("Add", ["$", scalar(1)], []),
                       ("Mul", ["$", "x"], []), ("Mul", ["$", scalar(0.5)], [])])
            }
        case .mish:
            if opset >= 18 { unary("Mish") } else { chain([("Softplus", ["x"], []), ("Tanh", ["$"], []), ("Mul", ["x", "$"], [])]) }
        case .exponential: unary("Exp")
        case .thresholdedReLU(let alpha): unary("ThresholdedRelu", [attribute("alpha", float: alpha)])
        }
    }
}
