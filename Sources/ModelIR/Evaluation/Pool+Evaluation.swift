/// Pooling in either layout. Windows follow ONNX (and PyTorch): a window starts at
/// `o · stride − padBegin` and takes `poolSize` taps `dilation` apart; taps in the padding are
/// skipped, and with `ceilMode` a last window may reach past the end padding, whose taps are not
/// cells at all (never counted). Average pooling divides by the taps on real cells, or with
/// `countIncludePad` by the taps inside the padded extent `[−padBegin, size + padEnd)` (ONNX's
/// reference and onnxruntime). Max pooling propagates NaN and gives the lowest finite value for a
/// window entirely in the padding (onnxruntime's). Sums accumulate in Double and round once.
extension PoolOp {
    func evaluate(_ ctx: EvaluationContext) throws -> [Tensor] {
        let x = try ctx.operand(0)
        let shape = try ctx.outputShape()
        let dtype = ctx.outputType()
        let count = try _Floating.resultCount(ctx, shape, dtype)
        let result: Tensor
        switch self {
        case .max(let a) where x.dtype.isInteger:
            result = windowedIntegers(a, x, shape: shape, count: count)
        case .max(let a), .average(let a), .lp(let a):
            let kind: _PoolKind
            switch self {
            case .max: kind = .max
            case .average: kind = .average(countIncludePad: a.countIncludePad)
            default: kind = .lp(p: a.p)
            }
            result = try _Floating.dispatch(x.dtype, ctx, displayName) {
                try windowed(Float.self, a, kind, x, shape: shape, dtype: dtype, count: count)
            } double: {
                try windowed(Double.self, a, kind, x, shape: shape, dtype: dtype, count: count)
            }
        case .globalMax(let a), .globalAverage(let a), .globalLp(let a):
            let kind: _PoolKind
            switch self {
            case .globalMax: kind = .max
            case .globalAverage: kind = .average(countIncludePad: true)
            default: kind = .lp(p: a.p)
            }
            result = try _Floating.dispatch(x.dtype, ctx, displayName) {
                try global(Float.self, a, kind, x, shape: shape, dtype: dtype, count: count)
            } double: {
                try global(Double.self, a, kind, x, shape: shape, dtype: dtype, count: count)
            }
        }
        return [result]
    }

    /// The taps of every output position along one axis.
    private struct AxisWindows {
        /// First input index of each window (may be negative, in the padding).
        var start: [Int] = []
        /// Tap numbers `k` whose input `start + k · dilation` is a real cell.
        var taps: [Range<Int>] = []
        /// Taps inside the padded extent (the divisor with `countIncludePad`).
        var padded: [Int] = []

        init(size: Int, outputs: Int, window: Int, stride: Int, dilation: Int, padBegin: Int, padEnd: Int) {
            for o in 0..<outputs {
                let s = o * stride - padBegin
                start.append(s)
                taps.append(_WindowGeometry.validRange(start: s, step: dilation, count: window, size: size))
                padded.append(_WindowGeometry.validRange(start: s + padBegin, step: dilation, count: window,
                                                         size: size + padBegin + padEnd).count)
            }
        }
    }

    private func windowed<T: _EvaluationFloat>(_: T.Type, _ a: PoolAttributes, _ kind: _PoolKind, _ x: Tensor,
                                               shape: [Int], dtype: DType, count: Int) throws -> Tensor {
        let rank = x.shape.count
        let channelAxis = a.layout.channelAxis(rank: rank), spatialAxes = a.layout.spatialAxes(rank: rank)
        let batch = x.shape[0], channels = x.shape[channelAxis]
        let inSizes = spatialAxes.map { x.shape[$0] }, outSizes = spatialAxes.map { shape[$0] }
        let pads = a.padding.resolve(sizes: inSizes, kernel: a.poolSize, strides: a.strides, dilations: a.dilations)
        let g = _WindowGeometry(input: inSizes, output: outSizes, kernel: a.poolSize, strides: a.strides,
                                dilations: a.dilations, padBegin: pads.begin)
        let padEnd = [Int](repeating: 0, count: 3 - inSizes.count) + pads.end
        let axes = (0..<3).map { i in
            AxisWindows(size: g.input[i], outputs: g.output[i], window: g.kernel[i], stride: g.strides[i],
                        dilation: g.dilations[i], padBegin: g.padBegin[i], padEnd: padEnd[i])
        }
        let planes = batch * channels, inCount = g.inputCount, outCount = g.outputCount
        let input: [T] = T.withElements(of: x) { src in
            if a.layout == .channelsFirst { return Array(src) }
            var out = [T](repeating: 0, count: src.count)
            out.withUnsafeMutableBufferPointer { _Floating.channelsFirst(src, outer: batch, inner: inCount, channels: channels, into: $0) }
            return out
        }
        let (inH, inW) = (g.input[1], g.input[2])
        let (dD, dH, dW) = (g.dilations[0], g.dilations[1], g.dilations[2])
        return T.store(dtype, shape: shape, count: count) { out in
            var scratch = a.layout == .channelsFirst ? [] : [T](repeating: 0, count: count)
            scratch.withUnsafeMutableBufferPointer { scratch in
                let y = a.layout == .channelsFirst ? out : scratch
                input.withUnsafeBufferPointer { xs in
                    for plane in 0..<planes {
                        let src = plane * inCount
                        var o = plane * outCount
                        for od in 0..<g.output[0] {
                            let sd = axes[0].start[od], kds = axes[0].taps[od]
                            for oh in 0..<g.output[1] {
                                let sh = axes[1].start[oh], khs = axes[1].taps[oh]
                                for ow in 0..<g.output[2] {
                                    let sw = axes[2].start[ow], kws = axes[2].taps[ow]
                                    var maximum = -T.greatestFiniteMagnitude, sawNaN = false, sum = 0.0
                                    for kd in kds {
                                        let id = sd + kd * dD
                                        for kh in khs {
                                            let row = src + (id * inH + sh + kh * dH) * inW + sw
                                            for kw in kws {
                                                let v = xs[row + kw * dW]
                                                switch kind {
                                                case .max:
                                                    if v > maximum { maximum = v } else if v.isNaN { sawNaN = true }
                                                case .average: sum += Double(v)
                                                case .lp(let p): sum += Self.power(Double(Swift.abs(v)), p)
                                                }
                                            }
                                        }
                                    }
                                    switch kind {
                                    case .max:
                                        y[o] = sawNaN ? .nan : maximum
                                    case .average(let includePad):
                                        let divisor = includePad
                                            ? axes[0].padded[od] * axes[1].padded[oh] * axes[2].padded[ow]
                                            : kds.count * khs.count * kws.count
                                        y[o] = T(sum / Double(divisor))
                                    case .lp(let p):
                                        y[o] = T(Self.root(sum, p))
                                    }
                                    o += 1
                                }
                            }
                        }
                    }
                }
                if a.layout == .channelsLast {
                    _Floating.channelsLast(UnsafeBufferPointer(scratch), outer: batch, inner: outCount, channels: channels, into: out)
                }
            }
        }
    }

    /// Max pooling of integers (ONNX MaxPool on int8/uint8 and wider), exact.
    private func windowedIntegers(_ a: PoolAttributes, _ x: Tensor, shape: [Int], count: Int) -> Tensor {
        // Order-preserving signed keys: unsigned values have their top bit flipped.
        let flip: Int64 = x.dtype.isUnsigned ? .min : 0
        var keys = x.integers.map { $0 ^ flip }
        // The type's minimum (as a key), the result of a window entirely in the padding.
        let lowest: Int64 = x.dtype.isUnsigned ? .min : Int64.min >> (64 - x.dtype.byteSize * 8)
        let rank = x.shape.count
        let spatialAxes = a.layout.spatialAxes(rank: rank)
        let batch = x.shape[0], channels = x.shape[a.layout.channelAxis(rank: rank)]
        let inSizes = spatialAxes.map { x.shape[$0] }, outSizes = spatialAxes.map { shape[$0] }
        let pads = a.padding.resolve(sizes: inSizes, kernel: a.poolSize, strides: a.strides, dilations: a.dilations)
        let g = _WindowGeometry(input: inSizes, output: outSizes, kernel: a.poolSize, strides: a.strides,
                                dilations: a.dilations, padBegin: pads.begin)
        let axes = (0..<3).map { i in
            AxisWindows(size: g.input[i], outputs: g.output[i], window: g.kernel[i], stride: g.strides[i],
                        dilation: g.dilations[i], padBegin: g.padBegin[i], padEnd: 0)
        }
        let inCount = g.inputCount, outCount = g.outputCount
        if a.layout == .channelsLast {
            var moved = keys
            keys.withUnsafeBufferPointer { src in
                moved.withUnsafeMutableBufferPointer { _Floating.channelsFirst(src, outer: batch, inner: inCount, channels: channels, into: $0) }
            }
            keys = moved
        }
        var result = [Int64](repeating: lowest, count: count)
        let (inH, inW) = (g.input[1], g.input[2])
        let (dD, dH, dW) = (g.dilations[0], g.dilations[1], g.dilations[2])
        var o = 0
        for plane in 0..<(batch * channels) {
            for od in 0..<g.output[0] {
                for oh in 0..<g.output[1] {
                    for ow in 0..<g.output[2] {
                        var maximum = lowest
                        let sd = axes[0].start[od], sh = axes[1].start[oh], sw = axes[2].start[ow]
                        for kd in axes[0].taps[od] {
                            let id = sd + kd * dD
                            for kh in axes[1].taps[oh] {
                                let row: Int = plane * inCount + (id * inH + sh + kh * dH) * inW + sw
                                for kw in axes[2].taps[ow] { maximum = Swift.max(maximum, keys[row + kw * dW]) }
                            }
                        }
                        result[o] = maximum
                        o += 1
                    }
                }
            }
        }
        if a.layout == .channelsLast {
            var moved = result
            result.withUnsafeBufferPointer { src in
                moved.withUnsafeMutableBufferPointer { _Floating.channelsLast(src, outer: batch, inner: outCount, channels: channels, into: $0) }
            }
            result = moved
        }
        return Tensor(shape: shape, integers: result.map { $0 ^ flip }, dtype: x.dtype)
    }

    /// Pooling over all spatial axes: one value per sample and channel, in either layout.
    private func global<T: _EvaluationFloat>(_: T.Type, _ a: GlobalPoolAttributes, _ kind: _PoolKind, _ x: Tensor,
                                             shape: [Int], dtype: DType, count: Int) throws -> Tensor {
        let rank = x.shape.count
        let batch = x.shape[0], channels = x.shape[a.layout.channelAxis(rank: rank)]
        let plane = a.layout.spatialAxes(rank: rank).reduce(1) { $0 * x.shape[$1] }
        // Channels first reads each plane contiguously; channels last steps by the channel count.
        let (planeStride, tapStride) = a.layout == .channelsFirst ? (plane, 1) : (1, channels)
        return T.withElements(of: x) { xs in
            T.store(dtype, shape: shape, count: count) { out in
                for n in 0..<batch {
                    for c in 0..<channels {
                        let base = a.layout == .channelsFirst ? (n * channels + c) * planeStride : n * plane * channels + c
                        var maximum = -T.greatestFiniteMagnitude, sawNaN = false, sum = 0.0
                        for s in 0..<plane {
                            let v = xs[base + s * tapStride]
                            switch kind {
                            case .max: if v > maximum { maximum = v } else if v.isNaN { sawNaN = true }
                            case .average: sum += Double(v)
                            case .lp(let p): sum += Self.power(Double(Swift.abs(v)), p)
                            }
                        }
                        switch kind {
                        case .max: out[n * channels + c] = sawNaN ? .nan : maximum
                        case .average: out[n * channels + c] = T(sum / Double(plane))
                        case .lp(let p): out[n * channels + c] = T(Self.root(sum, p))
                        }
                    }
                }
            }
        }
    }

    /// `v^p` for the integer exponents of Lp pooling (exact products for 1 and 2).
    private static func power(_ v: Double, _ p: Int) -> Double {
        switch p {
        case 1: v
        case 2: v * v
        default: Double.power(v, Double(p))
        }
    }

    private static func root(_ sum: Double, _ p: Int) -> Double {
        switch p {
        case 1: sum
        case 2: sum.squareRoot()
        default: Double.power(sum, 1 / Double(p))
        }
    }
}

/// What a pooling window computes.
enum _PoolKind {
    case max
    case average(countIncludePad: Bool)
    case lp(p: Int)
}
