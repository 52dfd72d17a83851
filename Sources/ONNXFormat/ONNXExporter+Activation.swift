import ModelIR
import ONNXProto

/// IR activations → ONNX unary ops (the counterparts `ONNXImporter+Activation` reads back).
extension ONNXExporter {
    static func activationName(_ a: Activation) -> String {
        switch a {
        case .linear: "Identity"
        case .relu: "Relu"
        case .clippedReLU(nil, let slope, 0) where slope != 0: "LeakyRelu"
        case .clippedReLU(nil, _, _): "Relu"
        case .clippedReLU: "Clip"
        case .leakyReLU: "LeakyRelu"
        case .sigmoid: "Sigmoid"
        case .hardSigmoid: "HardSigmoid"
        case .tanh: "Tanh"
        case .softmax: "Softmax"
        case .swish: "Swish"
        case .elu: "Elu"
        case .selu: "Selu"
        case .softplus: "Softplus"
        case .gelu: "Gelu"
        }
    }

    /// Appends the node(s) computing `activation(input)` into `output`.
    /// - Parameters:
    ///   - layout: the layout of `input` (Softmax's axis is mapped through it).
    ///   - rank: the IR rank of the value.
    func emitActivation(_ activation: Activation, name: String, input: String, output: String, layout: Layout, rank: Int,
                        node: Node) throws {
        func unary(_ op: String, _ attrs: [Onnx_AttributeProto] = []) {
            append(makeNode(op, name: name, inputs: [input], outputs: [output], attributes: attrs))
        }
        switch activation {
        case .linear: unary("Identity")
        case .relu: unary("Relu")
        case let .clippedReLU(maxValue, slope, threshold):
            guard threshold == 0 else {
                throw ONNXError.cannotExport(node: node.name, detail: "ReLU with threshold \(threshold) has no ONNX counterpart here")
            }
            switch (maxValue, slope) {
            case (nil, 0): unary("Relu")
            case (nil, let s): unary("LeakyRelu", [attribute("alpha", float: s)])
            case (let m?, 0):
                let low = scalarInitializer("clip_min_0", 0)
                let high = scalarInitializer("clip_max_\(m)", m)
                append(makeNode("Clip", name: name, inputs: [input, low, high], outputs: [output]))
            default:
                throw ONNXError.cannotExport(node: node.name, detail: "ReLU with both max_value and negative_slope has no ONNX counterpart here")
            }
        case .leakyReLU(let alpha): unary("LeakyRelu", [attribute("alpha", float: alpha)])
        case .sigmoid: unary("Sigmoid")
        case .hardSigmoid: unary("HardSigmoid", [attribute("alpha", float: 1 / 6), attribute("beta", float: 0.5)])
        case .tanh: unary("Tanh")
        case .elu(let alpha): unary("Elu", [attribute("alpha", float: alpha)])
        case .selu:
            unary("Selu", [attribute("alpha", float: ONNXImporter.seluAlpha), attribute("gamma", float: ONNXImporter.seluGamma)])
        case .softplus: unary("Softplus")
        case .gelu:
            guard opset >= 20 else {
                throw ONNXError.cannotExport(node: node.name, detail: "GELU needs opset 20 or later (--opset 20)")
            }
            unary("Gelu")
        case .swish:
            let s = temporary("\(output)__sigmoid")
            append(makeNode("Sigmoid", name: "\(name)/sigmoid", inputs: [input], outputs: [s]))
            append(makeNode("Mul", name: name, inputs: [input, s], outputs: [output]))
        case .softmax(let axis):
            let ax = axis < 0 ? axis + rank : axis
            guard ax >= 0, ax < rank else { throw ONNXError.cannotExport(node: node.name, detail: "softmax axis \(axis) out of range") }
            let onnxAxis = layout == .nchw ? _ValueState.nhwcToNCHWAxis[ax] : ax
            unary("Softmax", [attribute("axis", int: onnxAxis == rank - 1 ? -1 : onnxAxis)])
        }
    }
}
