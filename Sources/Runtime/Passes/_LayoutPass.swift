import ModelIR

/// Gives the layout-sensitive ops the layout the fast kernels want (NHWC activations, HWIO/HWCM
/// kernels), without changing what the graph computes: a channels-first convolution, pooling or
/// batch normalization gets a Transpose to channels-last before it and one back after it, and its
/// kernel is transposed once here. `_TransposePass` then pushes those Transposes through
/// layout-agnostic ops until pairs cancel, so a chain of NCHW convolutions runs NHWC throughout
/// and a model without convolutions never gets one (onnxruntime's transpose optimizer, TVM's
/// ConvertLayout).
///
/// Also rewrites grouped convolutions with one input channel per group (ONNX's depthwise form) as
/// depthwise ones, and leaves alone what it cannot improve (a kernel known only at run time,
/// 3-D windows): those run on the reference evaluator in their own layout.
enum _LayoutPass {
    static func run(_ editor: inout _GraphEditor, shapes: [String: [Int]]) {
        var transposed: [String: String] = [:]   // channels-first value → its channels-last copy
        var index = 0
        while index < editor.graph.nodes.count {
            let node = editor.graph.nodes[index]
            guard let rewrite = rewrite(node, editor: &editor, shapes: shapes) else { index += 1; continue }
            // Input: a channels-last copy of the data operand (shared by every reader).
            let x = node.inputs[0]
            let rank = shapes[x]?.count ?? 4
            let before: [Node]
            let input: String
            if let copy = transposed[x] {
                (before, input) = ([], copy)
            } else {
                let name = editor.fresh("\(x)#nhwc")
                before = [Node(name: editor.fresh("\(node.name)#to_nhwc"), op: .tensor(.transpose(perm: _Perm.toChannelsLast(rank))),
                               inputs: [x], outputs: [name])]
                transposed[x] = name
                input = name
            }
            var converted = rewrite.node
            converted.inputs[0] = input
            let out = node.outputs[0]
            let nhwcOut = editor.fresh("\(out)#nhwc")
            converted.outputs = [nhwcOut]
            var after: [Node] = []
            if rewrite.outputRank >= 3 {
                after = [Node(name: editor.fresh("\(node.name)#to_nchw"), op: .tensor(.transpose(perm: _Perm.toChannelsFirst(rewrite.outputRank))),
                              inputs: [nhwcOut], outputs: [out])]
                transposed[out] = nhwcOut
            } else {
                converted.outputs = [out]
            }
            editor.graph.nodes.replaceSubrange(index...index, with: before + [converted] + after)
            index += before.count + 1 + after.count
        }
        editor.dropUnusedConstants()
    }

    private struct Rewrite {
        var node: Node
        var outputRank: Int
    }

    /// The channels-last form of `node`, or nil when it stays as it is.
    private static func rewrite(_ node: Node, editor: inout _GraphEditor, shapes: [String: [Int]]) -> Rewrite? {
        guard node.outputs.count == 1, let x = node.inputs.first, let shape = shapes[x], shape.count == 4 else { return nil }
        var out = node
        switch node.op {
        case .conv(.conv(var a)) where a.layout == .channelsFirst && a.kernelSize.count == 2:
            guard node.inputs.count >= 2, let kernel = editor.constant(node.inputs[1]), kernel.dtype.isFloatingPoint,
                  shape[1] > 0 else { return nil }
            let channels = shape[1]
            // OIHW → HWIO: [2, 3, 1, 0]. Keras's channels_first keeps HWIO already.
            let hwio = a.kernelLayout == .spatialLast ? transpose(kernel, [2, 3, 1, 0]) : kernel
            a.layout = .channelsLast
            a.kernelLayout = .spatialFirst
            if a.groups > 1, a.groups == channels, a.filters % a.groups == 0 {
                // One input channel per group: a depthwise convolution. HWIO [kh, kw, 1, C·M] has
                // the bytes of HWCM [kh, kw, C, M] (output channel c·M + m belongs to group c).
                let m = a.filters / a.groups
                let hwcm = hwio.reshaped(a.kernelSize + [channels, m])
                out.op = .conv(.depthwise(DepthwiseConvAttributes(depthMultiplier: m, kernelSize: a.kernelSize, strides: a.strides,
                                                                  dilations: a.dilations, padding: a.padding, activation: a.activation)))
                out.inputs[1] = editor.addConstant("\(node.inputs[1])#hwcm", hwcm, layout: .hwcm, source: "transposed \(node.inputs[1])")
            } else {
                out.op = .conv(.conv(a))
                out.inputs[1] = a.kernelLayout == .spatialFirst && hwio.data.bytes.baseAddress == kernel.data.bytes.baseAddress
                    ? node.inputs[1]
                    : editor.addConstant("\(node.inputs[1])#hwio", hwio, layout: .hwio, source: "transposed \(node.inputs[1])")
            }
            return Rewrite(node: out, outputRank: 4)
        case .conv(.depthwise(var a)) where a.layout == .channelsFirst && a.kernelSize.count == 2:
            a.layout = .channelsLast
            out.op = .conv(.depthwise(a))
            return Rewrite(node: out, outputRank: 4)
        case .conv(.separable(var a)) where a.layout == .channelsFirst && a.kernelSize.count == 2:
            a.layout = .channelsLast
            out.op = .conv(.separable(a))
            return Rewrite(node: out, outputRank: 4)
        case .pool(.max(var a)) where a.layout == .channelsFirst && a.poolSize.count == 2:
            a.layout = .channelsLast
            out.op = .pool(.max(a))
            return Rewrite(node: out, outputRank: 4)
        case .pool(.average(var a)) where a.layout == .channelsFirst && a.poolSize.count == 2:
            a.layout = .channelsLast
            out.op = .pool(.average(a))
            return Rewrite(node: out, outputRank: 4)
        case .pool(.globalAverage(var a)) where a.layout == .channelsFirst:
            a.layout = .channelsLast
            out.op = .pool(.globalAverage(a))
            return Rewrite(node: out, outputRank: a.keepDims ? 4 : 2)
        case .pool(.globalMax(var a)) where a.layout == .channelsFirst:
            a.layout = .channelsLast
            out.op = .pool(.globalMax(a))
            return Rewrite(node: out, outputRank: a.keepDims ? 4 : 2)
        case .normalization(.batch(var a)) where a.axis == 1 || a.axis == -3:
            a.axis = -1
            out.op = .normalization(.batch(a))
            return Rewrite(node: out, outputRank: 4)
        default:
            return nil
        }
    }

    /// A constant transposed by `perm` (any dtype); the permutations used here are valid.
    static func transpose(_ t: Tensor, _ perm: [Int]) -> Tensor {
        (try? t.transposed(perm)) ?? t
    }
}
