import ModelIR
import ONNXProto

/// IR `conv` and `pool` → ONNX Conv, ConvTranspose, the pools. Channels-first ops are written as
/// they are; channels-last ones (Keras) read and write the channels-first form of their values
/// and get their kernels transposed: HWIO → OIHW, depthwise `[k…, C, M]` → `[C·M, 1, k…]`
/// (group C), Keras's transposed `[k…, out, in]` → `[in, out, k…]`. A separable convolution is a
/// depthwise Conv then a 1×1 Conv.
extension ONNXExporter {
    func exportConv(_ node: Node, _ op: ConvOp) throws {
        let n = op.spatialRank
        let channelsLast = op.layout == .channelsLast
        let form: Form = channelsLast ? .channelsFirst : .native
        let x = try ref(node.inputs[0], form)
        let spatialFirstToOIHW = [n + 1, n] + Array(0..<n)
        let target = try activationTarget(node, op.activation, form: form)
        switch op {
        case .conv(let a):
            let w = try kernel(node, 1, perm: a.kernelLayout == .spatialFirst ? spatialFirstToOIHW : nil)
            append("Conv", name: node.name, inputs: [x, w, try ref(input(node, 2))], outputs: [target],
                   attributes: windowAttributes(a.kernelSize, a.strides, a.dilations, a.padding, input: (node.inputs[0], op.layout))
                       + [attribute("group", int: a.groups)])
        case .depthwise(let a):
            let c = try channels(node, op.layout)
            let w = try kernel(node, 1, perm: [n, n + 1] + Array(0..<n), reshape: [c * a.depthMultiplier, 1] + a.kernelSize)
            append("Conv", name: node.name, inputs: [x, w, try ref(input(node, 2))], outputs: [target],
                   attributes: windowAttributes(a.kernelSize, a.strides, a.dilations, a.padding, input: (node.inputs[0], op.layout))
                       + [attribute("group", int: c)])
        case .separable(let a):
            let c = try channels(node, op.layout)
            let dw = try kernel(node, 1, perm: [n, n + 1] + Array(0..<n), reshape: [c * a.depthMultiplier, 1] + a.kernelSize)
            let mid = temporary("\(node.outputs[0])__depthwise")
            append("Conv", name: "\(node.name)/depthwise", inputs: [x, dw], outputs: [mid],
                   attributes: windowAttributes(a.kernelSize, a.strides, a.dilations, a.padding, input: (node.inputs[0], op.layout))
                       + [attribute("group", int: c)])
            let pw = try kernel(node, 2, perm: spatialFirstToOIHW)
            let ones = a.kernelSize.map { _ in 1 }
            append("Conv", name: node.name, inputs: [mid, pw, try ref(input(node, 3))], outputs: [target],
                   attributes: windowAttributes(ones, ones, ones, .valid) + [attribute("group", int: 1)])
        case .transposed(let a):
            let w = try kernel(node, 1, perm: a.kernelLayout == .spatialFirst ? spatialFirstToOIHW : nil)
            var attributes = [attribute("kernel_shape", ints: a.kernelSize), attribute("strides", ints: a.strides),
                              attribute("dilations", ints: a.dilations), attribute("group", int: a.groups)]
            if a.outputPadding.contains(where: { $0 != 0 }) { attributes.append(attribute("output_padding", ints: a.outputPadding)) }
            if let shape = a.outputShape {
                // With output_shape, NOTSET puts the odd padding first (the IR's sameLower).
                attributes.append(attribute("output_shape", ints: shape))
                if a.padding != .sameLower { attributes.append(attribute("auto_pad", string: "SAME_UPPER")) }
            } else {
                attributes += padAttributes(a.padding, n: n)
            }
            append("ConvTranspose", name: node.name, inputs: [x, w, try ref(input(node, 2))], outputs: [target], attributes: attributes)
        }
        try finishActivation(node, op.activation, from: target, form: form)
    }

    func exportPool(_ node: Node, _ op: PoolOp) throws {
        let form: Form = op.layout == .channelsLast ? .channelsFirst : .native
        let x = try ref(node.inputs[0], form)
        switch op {
        case .max(let a), .average(let a), .lp(let a):
            var attributes = [attribute("kernel_shape", ints: a.poolSize), attribute("strides", ints: a.strides)]
            attributes += padAttributes(a.padding, n: a.poolSize.count)
            if a.ceilMode { attributes.append(attribute("ceil_mode", int: 1)) }
            if a.dilations.contains(where: { $0 != 1 }) {
                if case .average = op { try require(node, opset: 19, for: "a dilated average pool") }
                if case .lp = op { try require(node, opset: 18, for: "a dilated Lp pool") }
                attributes.append(attribute("dilations", ints: a.dilations))
            }
            let type: String
            switch op {
            case .max: type = "MaxPool"
            case .average:
                type = "AveragePool"
                if a.countIncludePad { attributes.append(attribute("count_include_pad", int: 1)) }
            default:
                type = "LpPool"
                attributes.append(attribute("p", int: a.p))
            }
            append(type, name: node.name, inputs: [x], outputs: [produce(node.outputs[0], form)], attributes: attributes)
        case .globalMax(let a), .globalAverage(let a), .globalLp(let a):
            let type: String
            var attributes: [Onnx_AttributeProto] = []
            switch op {
            case .globalMax: type = "GlobalMaxPool"
            case .globalAverage: type = "GlobalAveragePool"
            default:
                type = "GlobalLpPool"
                attributes.append(attribute("p", int: a.p))
            }
            if a.keepDims {
                append(type, name: node.name, inputs: [x], outputs: [produce(node.outputs[0], form)], attributes: attributes)
            } else {
                // [N, C, 1…] → [N, C]: the same in either layout.
                guard let r = rank(node.inputs[0]) else { throw fail(node, "the input's rank is unknown") }
                let pooled = temporary("\(node.outputs[0])__pooled")
                append(type, name: node.name, inputs: [x], outputs: [pooled], attributes: attributes)
                let axes = int64Initializer("\(node.name)/squeeze_axes", Array(2..<r))
                append("Squeeze", name: "\(node.name)/squeeze", inputs: [pooled, axes], outputs: [produce(node.outputs[0], .native)])
            }
        }
    }

    // MARK: - Helpers

    /// Operand `i`, or "" when absent.
    func input(_ node: Node, _ i: Int) -> String { i < node.inputs.count ? node.inputs[i] : "" }

    /// The channel count of the node's input.
    private func channels(_ node: Node, _ layout: DataLayout) throws -> Int {
        guard let s = shape(node.inputs[0]), s.count >= 3 else { throw fail(node, "the input's rank is unknown") }
        let c = s[layout.channelAxis(rank: s.count)]
        guard c > 0 else { throw fail(node, "the input's channel count is unknown") }
        return c
    }

    /// A kernel operand, transposed by `perm` (and reshaped) when its layout differs from ONNX's:
    /// a transformed initializer for a constant, Transpose (and Reshape) nodes otherwise.
    func kernel(_ node: Node, _ i: Int, perm: [Int]?, reshape: [Int]? = nil) throws -> String {
        let v = input(node, i)
        guard let perm else { return try ref(v) }
        if let w = graph.weights[v] {
            var t = _Transpose.apply(w.tensor, perm: perm)
            if let reshape { t = t.reshaped(reshape) }
            return initializer(v, t, key: "kernel\u{0}\(v)\u{0}\(perm)\u{0}\(reshape ?? [])", preferExact: true)
        }
        let transposed = temporary("\(v)__oihw")
        append("Transpose", name: "\(node.name)/kernel_transpose", inputs: [try ref(v)], outputs: [transposed],
               attributes: [attribute("perm", ints: perm)])
        guard let reshape else { return transposed }
        let reshaped = temporary("\(v)__grouped")
        append("Reshape", name: "\(node.name)/kernel_reshape", inputs: [transposed, int64Initializer("\(node.name)/kernel_shape", reshape)],
               outputs: [reshaped])
        return reshaped
    }

    /// - Parameter input: the op's data input with its layout, for a dilated `same` window:
    ///   onnxruntime refuses `auto_pad` with dilations, so those get explicit `pads` when the input's
    ///   spatial sizes are known.
    func windowAttributes(_ kernel: [Int], _ strides: [Int], _ dilations: [Int], _ padding: Padding,
                          input: (value: String, layout: DataLayout)? = nil) -> [Onnx_AttributeProto] {
        var padding = padding
        if padding == .same || padding == .sameLower, dilations.contains(where: { $0 > 1 }), let input, let shape = shape(input.value),
           shape.count == kernel.count + 2 {
            let sizes = input.layout == .channelsLast ? Array(shape[1...kernel.count]) : Array(shape[2...])
            if sizes.allSatisfy({ $0 > 0 }) {
                let pads = padding.resolve(sizes: sizes, kernel: kernel, strides: strides, dilations: dilations)
                padding = .explicit(begin: pads.begin, end: pads.end)
            }
        }
        return [attribute("kernel_shape", ints: kernel), attribute("strides", ints: strides), attribute("dilations", ints: dilations)]
            + padAttributes(padding, n: kernel.count)
    }

    /// `auto_pad` for the symbolic paddings (exact for any input size), `pads` for explicit ones.
    func padAttributes(_ padding: Padding, n: Int) -> [Onnx_AttributeProto] {
        switch padding {
        case .valid: []
        case .same: [attribute("auto_pad", string: "SAME_UPPER")]
        case .sameLower: [attribute("auto_pad", string: "SAME_LOWER")]
        case let .explicit(begin, end): [attribute("pads", ints: begin + end)]
        }
    }
}
