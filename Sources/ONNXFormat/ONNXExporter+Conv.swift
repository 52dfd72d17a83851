import ModelIR
import ONNXProto

/// IR `conv2D`, `depthwiseConv2D`, `separableConv2D` → ONNX `Conv` in NCHW, with the fused
/// activation as its own node after it.
extension ONNXExporter {
    func export(_ node: Node) throws {
        switch node.op {
        case .conv2D(let a):
            let w = try weightInitializer(node.weights[0], node: node, perm: [3, 2, 0, 1])
            try conv(node, input: node.inputs[0], weight: w, bias: a.useBias ? node.weights[1] : nil, kernel: a.kernelSize,
                     strides: a.strides, dilations: a.dilations, padding: a.padding, groups: a.groups, activation: a.activation)
        case .depthwiseConv2D(let a):
            let c = try channels(node)
            let w = try depthwiseInitializer(node.weights[0], node: node, a.kernelSize, c, a.depthMultiplier)
            try conv(node, input: node.inputs[0], weight: w, bias: a.useBias ? node.weights[1] : nil, kernel: a.kernelSize,
                     strides: a.strides, dilations: a.dilations, padding: a.padding, groups: c, activation: a.activation)
        case .separableConv2D(let a):
            let c = try channels(node)
            let dw = try depthwiseInitializer(node.weights[0], node: node, a.kernelSize, c, a.depthMultiplier)
            let x = try value(node.inputs[0], as: .nchw, node: node.name)
            let mid = temporary("\(node.outputs[0])__depthwise")
            try appendConv(name: "\(node.name)/depthwise", inputs: [x, dw], output: mid, inputShape: shapes[node.inputs[0]] ?? [],
                           kernel: a.kernelSize, strides: a.strides, dilations: a.dilations, padding: a.padding, groups: c, node: node)
            let pw = try weightInitializer(node.weights[1], node: node, perm: [3, 2, 0, 1])
            let bias = a.useBias ? [try weightInitializer(node.weights[2], node: node)] : []
            let out = try activationTarget(node, a.activation, layout: .nchw)
            try appendConv(name: node.name, inputs: [mid, pw] + bias, output: out.convOutput, inputShape: [],
                           kernel: [1, 1], strides: [1, 1], dilations: [1, 1], padding: .valid, groups: 1, node: node)
            try finishActivation(node, a.activation, out, layout: .nchw)
        case .dense(let a):
            try dense(node, a)
        case .maxPool2D, .averagePool2D, .globalAveragePool2D, .globalMaxPool2D:
            try pool(node)
        case .batchNormalization(let a):
            try batchNormalization(node, a)
        case .zeroPadding2D, .flatten, .reshape, .dropout:
            try shapeOp(node)
        case .activation(let activation):
            let layout = nativeLayout(node.inputs[0])
            let x = try value(node.inputs[0], as: layout, node: node.name)
            try emitActivation(activation, name: node.name, input: x, output: output(node.outputs[0], layout: layout),
                               layout: layout, rank: rank(node.inputs[0]), node: node)
        case .add, .multiply, .concatenate:
            try elementwise(node)
        }
    }

    private func channels(_ node: Node) throws -> Int {
        guard let c = shapes[node.inputs[0]]?.last, c > 0 else {
            throw ONNXError.cannotExport(node: node.name, detail: "the input's channel count is unknown")
        }
        return c
    }

    /// HWCM `[kh, kw, C, M]` → `[C·M, 1, kh, kw]` (group = C).
    private func depthwiseInitializer(_ weight: String, node: Node, _ kernel: [Int], _ c: Int, _ m: Int) throws -> String {
        let kernelName = try weightInitializer(weight, node: node, perm: [2, 3, 0, 1], dims: [c * m, 1, kernel[0], kernel[1]])
        return kernelName
    }

    private func conv(_ node: Node, input: String, weight: String, bias: String?, kernel: [Int], strides: [Int], dilations: [Int],
                      padding: Padding2D, groups: Int, activation: Activation) throws {
        let x = try value(input, as: .nchw, node: node.name)
        let b = try bias.map { try weightInitializer($0, node: node) }
        let out = try activationTarget(node, activation, layout: .nchw)
        try appendConv(name: node.name, inputs: [x, weight] + (b.map { [$0] } ?? []), output: out.convOutput,
                       inputShape: shapes[input] ?? [], kernel: kernel, strides: strides, dilations: dilations, padding: padding,
                       groups: groups, node: node)
        try finishActivation(node, activation, out, layout: .nchw)
    }

    private func appendConv(name: String, inputs: [String], output: String, inputShape: [Int], kernel: [Int], strides: [Int],
                            dilations: [Int], padding: Padding2D, groups: Int, node: Node) throws {
        var attrs = [attribute("kernel_shape", ints: kernel), attribute("strides", ints: strides),
                     attribute("dilations", ints: dilations), attribute("group", int: groups)]
        attrs += padAttributes(padding, inputShape: inputShape, kernel: kernel, strides: strides, dilations: dilations)
        append(makeNode("Conv", name: name, inputs: inputs, outputs: [output], attributes: attrs))
    }

    /// Explicit `pads` when they are known (tf2onnx's form), `auto_pad SAME_UPPER` for a strided
    /// SAME on an input of unknown size (TensorFlow's SAME is ONNX's SAME_UPPER).
    func padAttributes(_ padding: Padding2D, inputShape: [Int], kernel: [Int], strides: [Int], dilations: [Int]) -> [Onnx_AttributeProto] {
        let h = inputShape.count == 4 ? inputShape[1] : -1, w = inputShape.count == 4 ? inputShape[2] : -1
        // At stride 1, SAME pads do not depend on the input size.
        if case .same = padding, h <= 0 || w <= 0, strides != [1, 1] {
            return [attribute("auto_pad", string: "SAME_UPPER")]
        }
        let p = padding.resolve(height: max(h, 1), width: max(w, 1), kernel: (kernel[0], kernel[1]), stride: (strides[0], strides[1]),
                                dilation: (dilations[0], dilations[1]))
        return [attribute("pads", ints: [p.top, p.left, p.bottom, p.right])]
    }

    /// Where the main op writes: straight to the output, or to a temporary that the activation reads.
    func activationTarget(_ node: Node, _ activation: Activation, layout: Layout) throws -> (convOutput: String, final: String?) {
        if activation == .linear { return (output(node.outputs[0], layout: layout), nil) }
        return (temporary("\(node.outputs[0])__preact"), node.outputs[0])
    }

    func finishActivation(_ node: Node, _ activation: Activation, _ target: (convOutput: String, final: String?), layout: Layout) throws {
        guard let final = target.final else { return }
        try emitActivation(activation, name: "\(node.name)/\(Self.activationName(activation))", input: target.convOutput,
                           output: output(final, layout: layout), layout: layout, rank: rank(final), node: node)
    }
}
