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
        let c = try ShapeInference.channels(ctx, shape, axis: channelAxis)
        func output(_ spatial: [Int], channels: Int) -> [Operand] {
            let out = layout == .channelsLast ? [shape[0]] + spatial + [channels] : [shape[0], channels] + spatial
            return [Operand(type: ValueType(dtype: x.dtype, shape: out))]
        }
        switch self {
        case .conv(let a):
            let spatial = try ShapeInference.window(ctx, spatial: spatialSizes, kernel: a.kernelSize, strides: a.strides,
                                                    dilations: a.dilations, padding: a.padding)
            guard a.groups > 0, a.filters > 0, c % a.groups == 0, a.filters % a.groups == 0 else {
                throw ctx.invalid("groups \(a.groups) must divide input channels \(c) and filters \(a.filters)")
            }
            try ShapeInference.expectShape(ctx, 1, a.kernelShape(inputChannels: c), role: "kernel")
            try ShapeInference.expectShape(ctx, 2, [a.filters], role: "bias")
            return output(spatial, channels: a.filters)
        case .depthwise(let a):
            let spatial = try ShapeInference.window(ctx, spatial: spatialSizes, kernel: a.kernelSize, strides: a.strides,
                                                    dilations: a.dilations, padding: a.padding)
            let (out, overflow) = c.multipliedReportingOverflow(by: a.depthMultiplier)
            guard a.depthMultiplier > 0, !overflow, out <= ShapeInference.maxExtent else {
                throw ctx.invalid("depth multiplier \(a.depthMultiplier) is out of range")
            }
            try ShapeInference.expectShape(ctx, 1, a.kernelSize + [c, a.depthMultiplier], role: "depthwise_kernel")
            try ShapeInference.expectShape(ctx, 2, [out], role: "bias")
            return output(spatial, channels: out)
        case .separable(let a):
            let spatial = try ShapeInference.window(ctx, spatial: spatialSizes, kernel: a.kernelSize, strides: a.strides,
                                                    dilations: a.dilations, padding: a.padding)
            let (mid, overflow) = c.multipliedReportingOverflow(by: a.depthMultiplier)
            guard a.depthMultiplier > 0, a.filters > 0, !overflow, mid <= ShapeInference.maxExtent else {
                throw ctx.invalid("depth multiplier \(a.depthMultiplier) is out of range")
            }
            try ShapeInference.expectShape(ctx, 1, a.kernelSize + [c, a.depthMultiplier], role: "depthwise_kernel")
            try ShapeInference.expectShape(ctx, 2, a.kernelSize.map { _ in 1 } + [mid, a.filters], role: "pointwise_kernel")
            try ShapeInference.expectShape(ctx, 3, [a.filters], role: "bias")
            return output(spatial, channels: a.filters)
        case .transposed(let a):
            guard a.groups > 0, a.filters > 0, c % a.groups == 0, a.filters % a.groups == 0,
                  a.strides.count == n, a.dilations.count == n, a.outputPadding.count == n,
                  (a.kernelSize + a.strides + a.dilations).allSatisfy({ $0 > 0 && $0 <= ShapeInference.maxExtent }),
                  a.outputPadding.allSatisfy({ $0 >= 0 && $0 <= ShapeInference.maxExtent }) else {
                throw ctx.invalid("bad transposed-convolution attributes (groups \(a.groups), filters \(a.filters), \(n) spatial axes)")
            }
            try ShapeInference.expectShape(ctx, 1, a.kernelShape(inputChannels: c), role: "kernel")
            try ShapeInference.expectShape(ctx, 2, [a.filters], role: "bias")
            let spatial = try spatialSizes.indices.map { i -> Int in
                if let target = a.outputShape, target.count == n { return target[i] }
                let size = spatialSizes[i]
                if size < 0 { return -1 }
                switch a.padding {
                case .same, .sameLower: return size * a.strides[i]
                default:
                    let p = a.padding.resolve(sizes: spatialSizes, kernel: a.kernelSize, strides: a.strides, dilations: a.dilations)
                    let out = a.strides[i] * (size - 1) + a.outputPadding[i] + (a.kernelSize[i] - 1) * a.dilations[i] + 1
                        - p.begin[i] - p.end[i]
                    guard out > 0 else { throw ctx.error("the output would be empty (size \(out))") }
                    return out
                }
            }
            return output(spatial, channels: a.filters)
        }
    }

    /// Explicit pads of a transposed convolution for input spatial `sizes` (ONNX's rules:
    /// `output_shape` or `same` split the total padding, upper puts the odd one at the end).
    public static func transposedPads(_ a: ConvTransposeAttributes, sizes: [Int]) -> (begin: [Int], end: [Int]) {
        var begin: [Int] = [], end: [Int] = []
        for i in sizes.indices {
            let full = a.strides[i] * (sizes[i] - 1) + a.outputPadding[i] + (a.kernelSize[i] - 1) * a.dilations[i] + 1
            let target: Int?
            if let shape = a.outputShape, shape.count == sizes.count { target = shape[i] }
            else if a.padding == .same || a.padding == .sameLower { target = sizes[i] * a.strides[i] }
            else { target = nil }
            if let target {
                let total = max(full - target, 0)
                if a.padding == .sameLower { begin.append(total - total / 2); end.append(total / 2) }
                else { begin.append(total / 2); end.append(total - total / 2) }
            } else if case let .explicit(b, e) = a.padding {
                begin.append(b[i]); end.append(e[i])
            } else {
                begin.append(0); end.append(0)
            }
        }
        return (begin, end)
    }
}
