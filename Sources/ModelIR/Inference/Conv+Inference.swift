extension ConvOp {
    func infer(_ ctx: InferenceContext) throws -> [Operand] {
        let x = try ctx.operand(0)
        let n = spatialRank
        guard let shape = x.shape else { return [Operand(type: ValueType(dtype: x.dtype, shape: nil))] }
        guard shape.count == n + 2 else {
            throw ModelIRError.inputRankMismatch(node: ctx.node.name, expected: n + 2, actual: shape)
        }
        guard x.dtype.isFloatingPoint else { throw ctx.error("convolutions take floating-point inputs, not \(x.dtype)") }
        let channelAxis = layout.channelAxis(rank: n + 2)
        let spatialSizes = layout.spatialAxes(rank: n + 2).map { shape[$0] }
        // Input channels: the input's, else what the kernel says (a model whose input sizes are
        // all dynamic), else unknown — the output still has `filters` channels.
        let c = shape[channelAxis] > 0 ? shape[channelAxis] : (kernelInputChannels(ctx.optional(1)?.shape) ?? -1)
        func output(_ spatial: [Int], channels: Int) -> [Operand] {
            let out = layout == .channelsLast ? [shape[0]] + spatial + [channels] : [shape[0], channels] + spatial
            return [Operand(type: ValueType(dtype: x.dtype, shape: out))]
        }
        switch self {
        case .conv(let a):
            let spatial = try ShapeInference.window(ctx, spatial: spatialSizes, kernel: a.kernelSize, strides: a.strides,
                                                    dilations: a.dilations, padding: a.padding)
            guard a.groups > 0, a.filters > 0, c < 0 || c % a.groups == 0, a.filters % a.groups == 0 else {
                throw ctx.invalid("groups \(a.groups) must divide input channels \(c) and filters \(a.filters)")
            }
            if c > 0 { try ShapeInference.expectShape(ctx, 1, a.kernelShape(inputChannels: c), role: "kernel") }
            try ShapeInference.expectShape(ctx, 2, [a.filters], role: "bias")
            return output(spatial, channels: a.filters)
        case .depthwise(let a):
            let spatial = try ShapeInference.window(ctx, spatial: spatialSizes, kernel: a.kernelSize, strides: a.strides,
                                                    dilations: a.dilations, padding: a.padding)
            let (product, overflow) = c.multipliedReportingOverflow(by: a.depthMultiplier)
            guard a.depthMultiplier > 0, !overflow, product <= ShapeInference.maxExtent else {
                throw ctx.invalid("depth multiplier \(a.depthMultiplier) is out of range")
            }
            let out = c > 0 ? product : -1
            if c > 0 {
                try ShapeInference.expectShape(ctx, 1, a.kernelSize + [c, a.depthMultiplier], role: "depthwise_kernel")
                try ShapeInference.expectShape(ctx, 2, [out], role: "bias")
            }
            return output(spatial, channels: out)
        case .separable(let a):
            let spatial = try ShapeInference.window(ctx, spatial: spatialSizes, kernel: a.kernelSize, strides: a.strides,
                                                    dilations: a.dilations, padding: a.padding)
            let (mid, overflow) = c.multipliedReportingOverflow(by: a.depthMultiplier)
            guard a.depthMultiplier > 0, a.filters > 0, !overflow, mid <= ShapeInference.maxExtent else {
                throw ctx.invalid("depth multiplier \(a.depthMultiplier) is out of range")
            }
            if c > 0 {
                try ShapeInference.expectShape(ctx, 1, a.kernelSize + [c, a.depthMultiplier], role: "depthwise_kernel")
                try ShapeInference.expectShape(ctx, 2, a.kernelSize.map { _ in 1 } + [mid, a.filters], role: "pointwise_kernel")
            }
            try ShapeInference.expectShape(ctx, 3, [a.filters], role: "bias")
            return output(spatial, channels: a.filters)
        case .transposed(let a):
            let maxExtent = ShapeInference.maxExtent
            guard (1...3).contains(n), a.groups > 0, a.filters > 0, c < 0 || c % a.groups == 0, a.filters % a.groups == 0,
                  a.strides.count == n, a.dilations.count == n, a.outputPadding.count == n,
                  (a.kernelSize + a.strides + a.dilations).allSatisfy({ $0 > 0 && $0 <= maxExtent }),
                  a.outputPadding.allSatisfy({ $0 >= 0 && $0 <= maxExtent }),
                  (0..<n).allSatisfy({ ShapeInference.effectiveWindow(kernel: a.kernelSize[$0], dilation: a.dilations[$0]) != nil }) else {
                throw ctx.invalid("bad transposed-convolution attributes (groups \(a.groups), filters \(a.filters), \(n) spatial axes)")
            }
            if case let .explicit(begin, end) = a.padding {
                guard begin.count == n, end.count == n, (begin + end).allSatisfy({ $0 >= 0 && $0 <= maxExtent }) else {
                    throw ctx.invalid("padding must be \(n) begin and \(n) end values in 0…2^60")
                }
            }
            if let target = a.outputShape {
                guard target.count == n, target.allSatisfy({ $0 > 0 && $0 <= maxExtent }) else {
                    throw ctx.invalid("output_shape \(target) must be \(n) sizes in 1…2^60")
                }
            }
            if c > 0 { try ShapeInference.expectShape(ctx, 1, a.kernelShape(inputChannels: c), role: "kernel") }
            try ShapeInference.expectShape(ctx, 2, [a.filters], role: "bias")
            let spatial = try spatialSizes.indices.map { i -> Int in
                let size = spatialSizes[i]
                // The full size bounds the pads `transposedPads` derives, whatever gives the output.
                if size >= 0, Self.transposedFullSize(a, axis: i, size: size) == nil {
                    throw ctx.error("the transposed output of input size \(size) would be over 2^60")
                }
                if let target = a.outputShape { return target[i] }
                if size < 0 { return -1 }
                switch a.padding {
                case .same, .sameLower:
                    let (out, overflow) = size.multipliedReportingOverflow(by: a.strides[i])
                    guard !overflow, out <= maxExtent else { throw ctx.error("the transposed output would be over 2^60") }
                    return out
                default:
                    let p = Self.transposedPads(a, sizes: spatialSizes)
                    let out = (Self.transposedFullSize(a, axis: i, size: size) ?? 0) - p.begin[i] - p.end[i]
                    guard out > 0 else { throw ctx.error("the output would be empty (size \(out))") }
                    return out
                }
            }
            return output(spatial, channels: a.filters)
        }
    }

    /// `stride · (in − 1) + outputPadding + (k − 1) · dilation + 1`: the size of a transposed
    /// convolution's output before padding is taken off (negative for an empty input with a
    /// stride over the window), or nil when it would be over 2⁶⁰.
    static func transposedFullSize(_ a: ConvTransposeAttributes, axis i: Int, size: Int) -> Int? {
        guard i < a.strides.count, i < a.outputPadding.count, i < a.kernelSize.count, i < a.dilations.count, size >= 0,
              let window = ShapeInference.effectiveWindow(kernel: a.kernelSize[i], dilation: a.dilations[i]) else { return nil }
        let (span, overflow) = (size - 1).multipliedReportingOverflow(by: a.strides[i])
        guard !overflow, span <= ShapeInference.maxExtent, a.outputPadding[i] <= ShapeInference.maxExtent else { return nil }
        let full = span + a.outputPadding[i] + window
        return full <= ShapeInference.maxExtent ? full : nil
    }

    /// The input channel count a kernel of `shape` implies, or nil when it is not known.
    func kernelInputChannels(_ shape: [Int]?) -> Int? {
        guard let k = shape, k.count == spatialRank + 2 else { return nil }
        let n = spatialRank
        let value: Int
        switch self {
        case .conv(let a): value = (a.kernelLayout == .spatialFirst ? k[n] : k[1]) * a.groups
        case .depthwise, .separable: value = k[n]
        case .transposed(let a): value = a.kernelLayout == .spatialFirst ? k[n + 1] : k[0]
        }
        return value > 0 ? value : nil
    }

    /// Explicit pads of a transposed convolution for input spatial `sizes`, by the ONNX spec:
    /// explicit pads as written; with `outputShape`, or `same`/`sameLower` (whose target is
    /// `in · stride`), the total `full − target` split in two, the odd cell at the end for `same`
    /// (SAME_UPPER) and at the beginning otherwise (SAME_LOWER, and `output_shape` without
    /// auto-padding: the spec's "else" branch, which onnxruntime follows).
    ///
    /// A negative total (a target larger than the full result: a kernel smaller than the stride
    /// under `same`, an `output_shape` past the end) counts as 0, so the missing cells are zeros
    /// at the end. That is TensorFlow's and Keras's `same`, and the values onnxruntime computes;
    /// the ONNX reference implementation agrees except under SAME_UPPER/LOWER with a kernel
    /// smaller than the stride, where it shifts the result by half the negative padding.
    public static func transposedPads(_ a: ConvTransposeAttributes, sizes: [Int]) -> (begin: [Int], end: [Int]) {
        var begin: [Int] = [], end: [Int] = []
        for i in sizes.indices {
            let target: Int?
            if let shape = a.outputShape, shape.count == sizes.count { target = shape[i] }
            else if a.padding == .same || a.padding == .sameLower { target = sizes[i] &* (i < a.strides.count ? a.strides[i] : 1) }
            else { target = nil }
            if let target {
                let total = max((transposedFullSize(a, axis: i, size: sizes[i]) ?? target) - target, 0)
                if a.padding == .same { begin.append(total / 2); end.append(total - total / 2) }
                else { begin.append(total - total / 2); end.append(total / 2) }
            } else if case let .explicit(b, e) = a.padding, i < b.count, i < e.count {
                begin.append(b[i]); end.append(e[i])
            } else {
                begin.append(0); end.append(0)
            }
        }
        return (begin, end)
    }
}
