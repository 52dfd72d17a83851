/// Convolutions in either data layout (NCHW for ONNX, NHWC for Keras) and either kernel layout:
/// the input is moved to channels first and the kernel to `[filters, channels per group,
/// spatial…]` (OIHW), `_ConvKernels` computes, and the result goes back to the node's layout
/// before the bias and the fused activation.
extension ConvOp {
    func evaluate(_ ctx: EvaluationContext) throws -> [Tensor] {
        let x = try ctx.operand(0)
        let shape = try ctx.outputShape()
        let dtype = ctx.outputType()
        let count = try _Floating.resultCount(ctx, shape, dtype)
        try _Floating.checkActivation(activation, rank: shape.count, ctx)
        let result = try _Floating.dispatch(x.dtype, ctx, displayName) {
            try evaluate(Float.self, x, ctx, shape: shape, dtype: dtype, count: count)
        } double: {
            try evaluate(Double.self, x, ctx, shape: shape, dtype: dtype, count: count)
        }
        return [result]
    }

    private func evaluate<T: _EvaluationFloat>(_: T.Type, _ x: Tensor, _ ctx: EvaluationContext,
                                               shape: [Int], dtype: DType, count: Int) throws -> Tensor {
        let rank = spatialRank + 2
        guard x.shape.count == rank, shape.count == rank else {
            throw ctx.error("a \(spatialRank)-D convolution takes rank-\(rank) tensors, got \(x.shape)")
        }
        let channelAxis = layout.channelAxis(rank: rank)
        let spatialAxes = layout.spatialAxes(rank: rank)
        let batch = x.shape[0], channels = x.shape[channelAxis], filters = shape[channelAxis]
        let inSizes = spatialAxes.map { x.shape[$0] }, outSizes = spatialAxes.map { shape[$0] }
        let inPlane = inSizes.reduce(1, *), outPlane = outSizes.reduce(1, *)
        let input = Self.channelsFirst(T.self, x, layout: layout, batch: batch, plane: inPlane, channels: channels)
        let bias: [T]? = try biasOperand(ctx).map { b in T.withElements(of: b) { Array($0) } }
        if let bias, bias.count != filters { throw ctx.error("the bias has \(bias.count) values for \(filters) filters") }

        return try T.store(dtype, shape: shape, count: count) { out in
            var result = layout == .channelsFirst ? [] : [T](repeating: 0, count: count)
            try result.withUnsafeMutableBufferPointer { scratch in
                let y = layout == .channelsFirst ? out : scratch
                try input.withUnsafeBufferPointer { xs in
                    try compute(xs, ctx, batch: batch, channels: channels, filters: filters,
                                inSizes: inSizes, outSizes: outSizes, into: y)
                }
                if let bias {
                    for n in 0..<batch {
                        for f in 0..<filters {
                            let row = (n * filters + f) * outPlane, b = bias[f]
                            for p in 0..<outPlane { y[row + p] += b }
                        }
                    }
                }
                if layout == .channelsLast {
                    _Floating.channelsLast(UnsafeBufferPointer(scratch), outer: batch, inner: outPlane, channels: filters, into: out)
                }
            }
            T.activate(activation, out, shape: shape)
        }
    }

    /// The bias operand, where the op has one.
    private func biasOperand(_ ctx: EvaluationContext) throws -> Tensor? {
        switch self {
        case .conv, .depthwise, .transposed: ctx.optional(2)
        case .separable: ctx.optional(3)
        }
    }

    /// The convolution without bias or activation, channels first.
    private func compute<T: _EvaluationFloat>(_ x: UnsafeBufferPointer<T>, _ ctx: EvaluationContext, batch: Int,
                                              channels: Int, filters: Int, inSizes: [Int], outSizes: [Int],
                                              into y: UnsafeMutableBufferPointer<T>) throws {
        func kernel(_ i: Int, _ expected: [Int], _ role: String) throws -> Tensor {
            let k = try ctx.operand(i)
            guard k.shape == expected else {
                throw ModelIRError.weightShapeMismatch(node: ctx.node.name, weight: role, expected: expected, actual: k.shape)
            }
            return k
        }
        switch self {
        case .conv(let a):
            let w = try kernel(1, a.kernelShape(inputChannels: channels), "kernel")
            let weights = Self.filtersFirst(T.self, w, spatialFirst: a.kernelLayout == .spatialFirst,
                                            spatial: a.kernelSize.reduce(1, *), inner: channels / a.groups, outer: a.filters)
            let pads = a.padding.resolve(sizes: inSizes, kernel: a.kernelSize, strides: a.strides, dilations: a.dilations)
            let g = _WindowGeometry(input: inSizes, output: outSizes, kernel: a.kernelSize, strides: a.strides,
                                    dilations: a.dilations, padBegin: pads.begin)
            weights.withUnsafeBufferPointer { ws in
                _ConvKernels.convolve(x, batch: batch, channels: channels, ws, filters: filters, groups: a.groups, g, into: y)
            }
        case .depthwise(let a):
            let w = try kernel(1, a.kernelSize + [channels, a.depthMultiplier], "depthwise_kernel")
            // [spatial…, C, M] is [spatial…, C·M] read as one filter per output channel c·M + m.
            let weights = Self.filtersFirst(T.self, w, spatialFirst: true, spatial: a.kernelSize.reduce(1, *),
                                            inner: 1, outer: channels * a.depthMultiplier)
            let pads = a.padding.resolve(sizes: inSizes, kernel: a.kernelSize, strides: a.strides, dilations: a.dilations)
            let g = _WindowGeometry(input: inSizes, output: outSizes, kernel: a.kernelSize, strides: a.strides,
                                    dilations: a.dilations, padBegin: pads.begin)
            weights.withUnsafeBufferPointer { ws in
                _ConvKernels.convolve(x, batch: batch, channels: channels, ws, filters: filters, groups: channels, g, into: y)
            }
        case .separable(let a):
            let middle = channels * a.depthMultiplier
            let dw = try kernel(1, a.kernelSize + [channels, a.depthMultiplier], "depthwise_kernel")
            let pw = try kernel(2, a.kernelSize.map { _ in 1 } + [middle, a.filters], "pointwise_kernel")
            let depthwise = Self.filtersFirst(T.self, dw, spatialFirst: true, spatial: a.kernelSize.reduce(1, *),
                                              inner: 1, outer: middle)
            let pointwise = Self.filtersFirst(T.self, pw, spatialFirst: true, spatial: 1, inner: middle, outer: a.filters)
            let pads = a.padding.resolve(sizes: inSizes, kernel: a.kernelSize, strides: a.strides, dilations: a.dilations)
            let g = _WindowGeometry(input: inSizes, output: outSizes, kernel: a.kernelSize, strides: a.strides,
                                    dilations: a.dilations, padBegin: pads.begin)
            let outPlane = outSizes.reduce(1, *)
            var mid = [T](repeating: 0, count: batch * middle * outPlane)
            mid.withUnsafeMutableBufferPointer { m in
                depthwise.withUnsafeBufferPointer { ws in
                    _ConvKernels.convolve(x, batch: batch, channels: channels, ws, filters: middle, groups: channels, g, into: m)
                }
            }
            let one = _WindowGeometry(input: outSizes, output: outSizes, kernel: outSizes.map { _ in 1 },
                                      strides: outSizes.map { _ in 1 }, dilations: outSizes.map { _ in 1 },
                                      padBegin: outSizes.map { _ in 0 })
            mid.withUnsafeBufferPointer { m in
                pointwise.withUnsafeBufferPointer { ws in
                    _ConvKernels.convolve(m, batch: batch, channels: middle, ws, filters: filters, groups: 1, one, into: y)
                }
            }
        case .transposed(let a):
            let w = try kernel(1, a.kernelShape(inputChannels: channels), "kernel")
            let cg = channels / a.groups, fg = a.filters / a.groups, k = a.kernelSize.reduce(1, *)
            let weights = Self.transposedWeights(T.self, w, spatialFirst: a.kernelLayout == .spatialFirst,
                                                 groups: a.groups, channelsPerGroup: cg, filtersPerGroup: fg, spatial: k)
            let pads = Self.transposedPads(a, sizes: inSizes)
            let g = _WindowGeometry(input: inSizes, output: outSizes, kernel: a.kernelSize, strides: a.strides,
                                    dilations: a.dilations, padBegin: pads.begin)
            weights.withUnsafeBufferPointer { ws in
                _ConvKernels.convolveTransposed(x, batch: batch, channels: channels, ws, filters: filters,
                                                groups: a.groups, g, into: y)
            }
        }
    }

    /// The elements of `x` as `[batch, channels, plane]`.
    private static func channelsFirst<T: _EvaluationFloat>(_: T.Type, _ x: Tensor, layout: DataLayout, batch: Int,
                                                           plane: Int, channels: Int) -> [T] {
        T.withElements(of: x) { src in
            if layout == .channelsFirst { return Array(src) }
            var out = [T](repeating: 0, count: src.count)
            out.withUnsafeMutableBufferPointer { _Floating.channelsFirst(src, outer: batch, inner: plane, channels: channels, into: $0) }
            return out
        }
    }

    /// A kernel as `[outer, inner, spatial]`, from that layout or from `[spatial, inner, outer]`
    /// (Keras's HWIO; HWCM read with inner 1 and outer C·M).
    private static func filtersFirst<T: _EvaluationFloat>(_: T.Type, _ w: Tensor, spatialFirst: Bool, spatial: Int,
                                                          inner: Int, outer: Int) -> [T] {
        T.withElements(of: w) { src in
            if !spatialFirst { return Array(src) }
            var out = [T](repeating: 0, count: src.count)
            for k in 0..<spatial {
                for i in 0..<inner {
                    for o in 0..<outer { out[(o * inner + i) * spatial + k] = src[(k * inner + i) * outer + o] }
                }
            }
            return out
        }
    }

    /// A transposed convolution's kernel as `[groups, filters per group · spatial, channels per
    /// group]`, from ONNX's `[C, F/groups, spatial…]` or Keras's `[spatial…, F/groups, C]`.
    private static func transposedWeights<T: _EvaluationFloat>(_: T.Type, _ w: Tensor, spatialFirst: Bool, groups: Int,
                                                               channelsPerGroup cg: Int, filtersPerGroup fg: Int,
                                                               spatial: Int) -> [T] {
        T.withElements(of: w) { src in
            var out = [T](repeating: 0, count: src.count)
            let channels = groups * cg
            for g in 0..<groups {
                for f in 0..<fg {
                    for k in 0..<spatial {
                        let row = (g * fg * spatial + f * spatial + k) * cg
                        for c in 0..<cg {
                            let channel = g * cg + c
                            out[row + c] = spatialFirst ? src[(k * fg + f) * channels + channel]
                                                        : src[(channel * fg + f) * spatial + k]
                        }
                    }
                }
            }
            return out
        }
    }
}
