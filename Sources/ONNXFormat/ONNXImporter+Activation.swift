import ModelIR
import ONNXProto

/// ONNX's unary activation ops → IR `activation`, with ONNX's defaults (LeakyRelu 0.01,
/// HardSigmoid 0.2/0.5, Selu's constants, …). Softmax and LogSoftmax before opset 13 coerce the
/// input to 2-D at `axis`; unless that axis is the last one, that is written out as
/// Flatten → Softmax(-1) → Reshape back.
extension ONNXImporter {
    static let activationOps: Set<String> = [
        "Relu", "LeakyRelu", "Elu", "Selu", "Celu", "Sigmoid", "HardSigmoid", "HardSwish", "Tanh", "Softplus", "Softsign", "Gelu",
        "Mish", "ThresholdedRelu", "Swish",
    ]

    func importActivation(_ ctx: _NodeContext) throws -> Node {
        let a = ctx.attributes
        try ctx.arity(1...1)
        func allow(_ names: Set<String>) throws { try a.allow(names.union(["consumed_inputs"])) }
        let activation: Activation
        switch ctx.op {
        case "Relu": try allow([]); activation = .relu
        case "LeakyRelu": try allow(["alpha"]); activation = .leakyReLU(alpha: try a.float("alpha", default: 0.01))
        case "Elu": try allow(["alpha"]); activation = .elu(alpha: try a.float("alpha", default: 1))
        case "Selu":
            try allow(["alpha", "gamma"])
            activation = .selu(alpha: try a.float("alpha", default: 1.67326319217681884765625),
                               gamma: try a.float("gamma", default: 1.05070102214813232421875))
        case "Celu": try allow(["alpha"]); activation = .celu(alpha: try a.float("alpha", default: 1))
        case "Sigmoid": try allow([]); activation = .sigmoid
        case "HardSigmoid":
            try allow(["alpha", "beta"])
            activation = .hardSigmoid(alpha: try a.float("alpha", default: 0.2), beta: try a.float("beta", default: 0.5))
        case "HardSwish": try allow([]); activation = .hardSwish
        case "Tanh": try allow([]); activation = .tanh
        case "Softplus": try allow([]); activation = .softplus
        case "Softsign": try allow([]); activation = .softsign
        case "Gelu":
            try allow(["approximate"])
            activation = .gelu(approximate: try a.choice("approximate", ["none", "tanh"], default: "none") == "tanh")
        case "Mish": try allow([]); activation = .mish
        case "ThresholdedRelu": try allow(["alpha"]); activation = .thresholdedReLU(alpha: try a.float("alpha", default: 1))
        default:  // Swish (opset 24): x · sigmoid(alpha · x)
            try allow(["alpha"])
            guard try a.float("alpha", default: 1) == 1 else { throw _Carry("Swish with alpha ≠ 1 is not interpreted") }
            activation = .swish
        }
        return ctx.node(.activation(activation), [ctx.input(0)])
    }

    func importSoftmax(_ ctx: _NodeContext) throws -> [Node] {
        let a = ctx.attributes
        try ctx.arity(1...1)
        try a.allow(["axis"])
        let log = ctx.op == "LogSoftmax"
        func op(_ axis: Int) -> Op { .activation(log ? .logSoftmax(axis: axis) : .softmax(axis: axis)) }
        let axis = try a.int("axis", default: ctx.opset >= 13 ? -1 : 1)
        if ctx.opset >= 13 { return [ctx.node(op(axis), [ctx.input(0)])] }
        guard let shape = ctx.shape(0) else { throw _Carry("the input's rank is not known at import (Softmax before opset 13)") }
        let rank = shape.count
        guard let ax = Shape.normalizedAxis(axis, rank: rank) else { throw ctx.error("axis \(axis) is out of range for rank \(rank)") }
        if ax == rank - 1 { return [ctx.node(op(-1), [ctx.input(0)])] }
        let x = ctx.input(0), output = ctx.outputs[0]
        let flat = uniqueValueName("\(output)::flat"), soft = uniqueValueName("\(output)::softmax")
        var nodes = [
            Node(name: uniqueNodeName("\(ctx.name)/flatten"), op: .tensor(.flatten(axis: ax)), inputs: [x], outputs: [flat]),
            Node(name: ctx.name, op: op(-1), inputs: [flat], outputs: [soft]),
        ]
        let reshape = uniqueNodeName("\(ctx.name)/reshape")
        if shape.allSatisfy({ $0 >= 0 }) {
            nodes.append(Node(name: reshape, op: .tensor(.reshape(ReshapeAttributes(shape: shape))), inputs: [soft], outputs: [output]))
        } else {
            let dims = uniqueValueName("\(output)::shape")
            nodes.append(Node(name: uniqueNodeName("\(ctx.name)/shape"), op: .tensor(.shape(start: 0, end: nil)), inputs: [x], outputs: [dims]))
            nodes.append(Node(name: reshape, op: .tensor(.reshape(ReshapeAttributes(shape: nil))), inputs: [soft, dims], outputs: [output]))
        }
        return nodes
    }
}
