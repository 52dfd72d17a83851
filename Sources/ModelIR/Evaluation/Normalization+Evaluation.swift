/// Normalizations, in the arithmetic of Keras and TensorFlow: `inv = rsqrt(var + ε) · γ`,
/// `y = x · inv + (β − mean · inv)` in the input's compute type (float32 for float32, float16 and
/// bfloat16; double for float64). Statistics (mean, variance, norms) sum in Double and round once
/// to the compute type, like TensorFlow's `moments`: mean first, then the mean of the squared
/// differences from the rounded mean. ONNX's formulas (`(x − mean) / sqrt(var + ε) · γ + β`)
/// differ only in rounding.
///
/// Parameters that vary per position (γ, β, statistics) line up with the input in one of two
/// ways: shaped like the axes they belong to (Keras: a LayerNormalization over axes 1 and 2 has a
/// γ of shape `(H, W)`, laid over those axes), or NumPy-broadcast from the end (ONNX).
extension NormalizationOp {
    func evaluate(_ ctx: EvaluationContext) throws -> [Tensor] {
        let x = try ctx.operand(0)
        let shape = try ctx.outputShape()
        let dtype = ctx.outputType()
        let count = try _Floating.resultCount(ctx, shape, dtype)
        let result = try _Floating.dispatch(dtype, ctx, displayName) {
            try evaluate(Float.self, x, ctx, shape: shape, dtype: dtype, count: count)
        } double: {
            try evaluate(Double.self, x, ctx, shape: shape, dtype: dtype, count: count)
        }
        return [result]
    }

    private func evaluate<T: _EvaluationFloat>(_: T.Type, _ x: Tensor, _ ctx: EvaluationContext,
                                               shape: [Int], dtype: DType, count: Int) throws -> Tensor {
        let xs: [T] = T.withElements(of: x) { Array($0) }
        let rank = shape.count
        func axis(_ a: Int) throws -> Int {
            guard let n = Shape.normalizedAxis(a, rank: rank) else { throw _Floating.invalid(ctx, "axis \(a) is out of range for rank \(rank)") }
            return n
        }
        /// Operand `i` laid over `axes` of `target` (or broadcast from the end), as values and the
        /// broadcast shape they take; nil when absent.
        func parameter(_ i: Int, _ role: String, along axes: [Int], of target: [Int]) throws -> _Parameter<T>? {
            guard let t = ctx.optional(i) else { return nil }
            let sorted = axes.sorted()
            var placed = t.shape
            if t.shape == sorted.map({ target[$0] }) {
                placed = target.indices.map { sorted.contains($0) ? target[$0] : 1 }
            }
            let aligned = [Int](repeating: 1, count: max(target.count - placed.count, 0)) + placed
            guard placed.count <= target.count, zip(aligned, target).allSatisfy({ $0 == 1 || $0 == $1 }) else {
                throw ModelIRError.weightShapeMismatch(node: ctx.node.name, weight: role, expected: sorted.map { target[$0] }, actual: t.shape)
            }
            return _Parameter(values: T.withElements(of: t) { Array($0) }, shape: aligned)
        }
        /// The shape of per-group statistics: `target` with the `reduced` axes set to 1.
        func statsShape(_ target: [Int], reduced: Set<Int>) -> [Int] {
            target.indices.map { reduced.contains($0) ? 1 : target[$0] }
        }

        return try T.store(dtype, shape: shape, count: count) { out in
            switch self {
            case .batch(let a):
                let c = try axis(a.axis)
                let along = [c]
                let stats = statsShape(shape, reduced: Set(0..<rank).subtracting(along))
                guard let mean = try parameter(3, "moving_mean", along: along, of: shape),
                      let variance = try parameter(4, "moving_variance", along: along, of: shape),
                      mean.shape == stats, variance.shape == stats else {
                    throw ctx.error("batch normalization needs moving_mean and moving_variance of \(shape[c]) values")
                }
                Self.normalize(xs, shape: shape, stats: stats, mean: mean.values, variance: variance.values,
                               epsilon: T(a.epsilon), gamma: try parameter(1, "gamma", along: along, of: shape),
                               beta: try parameter(2, "beta", along: along, of: shape), into: out)
            case .instance(let a):
                let c = a.layout.channelAxis(rank: rank)
                let stats = statsShape(shape, reduced: Set(a.layout.spatialAxes(rank: rank)))
                let (mean, variance) = Self.moments(xs, shape: shape, stats: stats)
                guard let scale = try parameter(1, "scale", along: [c], of: shape), let bias = try parameter(2, "bias", along: [c], of: shape) else {
                    throw ctx.error("instance normalization needs its scale and bias")
                }
                Self.normalize(xs, shape: shape, stats: stats, mean: mean, variance: variance, epsilon: T(a.epsilon),
                               gamma: scale, beta: bias, into: out)
            case .layer(let a):
                let axes = try a.axes.map(axis)
                let stats = statsShape(shape, reduced: Set(axes))
                let (mean, variance) = Self.moments(xs, shape: shape, stats: stats)
                let gamma = try parameter(1, "gamma", along: axes, of: shape)
                if a.rmsScaling {
                    // Keras's (deprecated) rms_scaling: x · rsqrt(var + ε) · γ, the variance still centred, no β.
                    let g = gamma ?? _Parameter(values: [1], shape: [])
                    let inverse = variance.map { 1 / ($0 + T(a.epsilon)).squareRoot() }
                    BroadcastRuns(outputShape: shape, operandShapes: [stats, g.shape]).forEach { o, n, offsets, steps in
                        for j in 0..<n { out[o + j] = xs[o + j] * inverse[offsets[0] + j * steps[0]] * g.values[offsets[1] + j * steps[1]] }
                    }
                } else {
                    Self.normalize(xs, shape: shape, stats: stats, mean: mean, variance: variance, epsilon: T(a.epsilon),
                                   gamma: gamma, beta: try parameter(2, "beta", along: axes, of: shape), into: out)
                }
            case .group(let a):
                // Keras GroupNormalization: the channel axis split into [groups, channels per group],
                // statistics per sample and group over everything else.
                let c = try axis(a.axis)
                guard c > 0, a.groups > 0, shape[c] % a.groups == 0 else {
                    throw _Floating.invalid(ctx, "group normalization needs a channel axis after the batch axis that \(a.groups) groups divide")
                }
                let split = Array(shape[..<c]) + [a.groups, shape[c] / a.groups] + Array(shape[(c + 1)...])
                let stats = split.indices.map { $0 == 0 ? split[0] : ($0 == c ? a.groups : 1) }
                let (mean, variance) = Self.moments(xs, shape: split, stats: stats)
                func channelParameter(_ i: Int, _ role: String) throws -> _Parameter<T>? {
                    try parameter(i, role, along: [c], of: shape).map { p in
                        _Parameter(values: p.values, shape: split.indices.map { $0 == c || $0 == c + 1 ? (p.shape[c] == 1 ? 1 : split[$0]) : 1 })
                    }
                }
                Self.normalize(xs, shape: split, stats: stats, mean: mean, variance: variance, epsilon: T(a.epsilon),
                               gamma: try channelParameter(1, "gamma"), beta: try channelParameter(2, "beta"), into: out)
            case .lp(let a):
                let along = try axis(a.axis)
                let stats = statsShape(shape, reduced: [along])
                var norms = [Double](repeating: 0, count: stats.reduce(1, *))
                let runs = BroadcastRuns(outputShape: shape, operandShapes: [stats])
                runs.forEach { o, n, offsets, steps in
                    for j in 0..<n {
                        let v = Double(xs[o + j])
                        norms[offsets[0] + j * steps[0]] += a.p == 1 ? Swift.abs(v) : v * v
                    }
                }
                let divisors = norms.map { T(a.p == 1 ? $0 : $0.squareRoot()) }
                // A zero norm gives 0, not NaN (ONNX's reference).
                runs.forEach { o, n, offsets, steps in
                    for j in 0..<n {
                        let d = divisors[offsets[0] + j * steps[0]]
                        out[o + j] = d == 0 ? 0 : xs[o + j] / d
                    }
                }
            case .localResponse(let a):
                // ONNX LRN: channels c − ⌊(size−1)/2⌋ … c + ⌈(size−1)/2⌉ of the same position.
                let c = a.layout.channelAxis(rank: rank)
                let channels = shape[c], inner = shape[(c + 1)...].reduce(1, *), outer = shape[..<c].reduce(1, *)
                let below = (a.size - 1) / 2, above = a.size - 1 - below
                let scale = T(a.alpha) / T(a.size), bias = T(a.bias), beta = T(a.beta)
                for o in 0..<outer {
                    for ch in 0..<channels {
                        let first = Swift.max(0, ch - below), last = Swift.min(channels - 1, ch + above)
                        for i in 0..<inner {
                            var sum = 0.0
                            if first <= last {
                                for k in first...last {
                                    let v = Double(xs[(o * channels + k) * inner + i])
                                    sum += v * v
                                }
                            }
                            let at = (o * channels + ch) * inner + i
                            out[at] = xs[at] / T.power(bias + scale * T(sum), beta)
                        }
                    }
                }
            case .standardize(let a):
                // Keras Normalization: (x − mean) / max(sqrt(variance), ε), ε = 1e-7 (Keras's epsilon).
                let kept = try a.axes.map(axis)
                /// Config statistics: the last of their dimensions over the last kept axis, and so on.
                func configured(_ values: [Double]?) throws -> _Parameter<T>? {
                    guard let values, let dims = a.statisticsShape, values.count == Shape.elementCount(dims) else { return nil }
                    let keep = kept.sorted()
                    guard dims.count <= keep.count else { throw _Floating.invalid(ctx, "statistics of shape \(dims) for \(keep.count) kept axes") }
                    var placed = [Int](repeating: 1, count: rank)
                    for i in stride(from: 1, through: dims.count, by: 1) { placed[keep[keep.count - i]] = dims[dims.count - i] }
                    guard zip(placed, shape).allSatisfy({ $0 == 1 || $0 == $1 }) else {
                        throw _Floating.invalid(ctx, "statistics of shape \(dims) do not fit \(shape)")
                    }
                    return _Parameter(values: values.map { T($0) }, shape: placed)
                }
                guard let mean = try parameter(1, "mean", along: kept, of: shape) ?? configured(a.mean),
                      let variance = try parameter(2, "variance", along: kept, of: shape) ?? configured(a.variance) else {
                    throw ctx.error("standardization needs its mean and variance")
                }
                let epsilon: T = 1e-7
                let deviations = variance.values.map { Swift.max($0.squareRoot(), epsilon) }
                BroadcastRuns(outputShape: shape, operandShapes: [mean.shape, variance.shape]).forEach { o, n, offsets, steps in
                    for j in 0..<n {
                        let m = mean.values[offsets[0] + j * steps[0]], d = deviations[offsets[1] + j * steps[1]]
                        out[o + j] = a.invert ? m + xs[o + j] * d : (xs[o + j] - m) / d
                    }
                }
            case .rescale(let a):
                // Keras Rescaling: x · scale + offset, per channel on the last axis when lists.
                let channels = shape.last ?? 1
                let scale = a.scale.map { T($0) }, offset = a.offset.map { T($0) }
                guard !scale.isEmpty, !offset.isEmpty,
                      scale.count == 1 || scale.count == channels, offset.count == 1 || offset.count == channels else {
                    throw _Floating.invalid(ctx, "\(a.scale.count) scales and \(a.offset.count) offsets for \(channels) channels")
                }
                for i in 0..<count {
                    let ch = channels > 0 ? i % channels : 0
                    out[i] = xs[i] * scale[scale.count == 1 ? 0 : ch] + offset[offset.count == 1 ? 0 : ch]
                }
            }
        }
    }

    /// Mean and variance of `x` (of `shape`) per group, groups being the positions of `stats`
    /// (`shape` with the reduced axes set to 1).
    private static func moments<T: _EvaluationFloat>(_ x: [T], shape: [Int], stats: [Int]) -> (mean: [T], variance: [T]) {
        let groups = stats.reduce(1, *)
        let size = groups > 0 ? Double(x.count / groups) : 1
        var sums = [Double](repeating: 0, count: groups)
        let runs = BroadcastRuns(outputShape: shape, operandShapes: [stats])
        runs.forEach { o, n, offsets, steps in
            for j in 0..<n { sums[offsets[0] + j * steps[0]] += Double(x[o + j]) }
        }
        let mean = sums.map { T($0 / size) }
        var squares = [Double](repeating: 0, count: groups)
        runs.forEach { o, n, offsets, steps in
            for j in 0..<n {
                let g = offsets[0] + j * steps[0]
                let d = x[o + j] - mean[g]
                squares[g] += Double(d * d)
            }
        }
        return (mean, squares.map { T($0 / size) })
    }

    /// `y = x · inv + (β − mean · inv)`, `inv = rsqrt(variance + ε) · γ`, per element; γ and β
    /// default to 1 and 0 (Keras's `scale=False`, `center=False`).
    private static func normalize<T: _EvaluationFloat>(_ x: [T], shape: [Int], stats: [Int], mean: [T], variance: [T],
                                                       epsilon: T, gamma: _Parameter<T>?, beta: _Parameter<T>?,
                                                       into out: UnsafeMutableBufferPointer<T>) {
        let rsqrt = variance.map { 1 / ($0 + epsilon).squareRoot() }
        let g = gamma ?? _Parameter(values: [1], shape: []), b = beta ?? _Parameter(values: [0], shape: [])
        BroadcastRuns(outputShape: shape, operandShapes: [stats, g.shape, b.shape]).forEach { o, n, offsets, steps in
            for j in 0..<n {
                let s = offsets[0] + j * steps[0]
                let inv = rsqrt[s] * g.values[offsets[1] + j * steps[1]]
                out[o + j] = x[o + j] * inv + (b.values[offsets[2] + j * steps[2]] - mean[s] * inv)
            }
        }
    }
}

/// A per-position parameter with the shape it broadcasts from.
struct _Parameter<T> {
    var values: [T]
    var shape: [Int]
}
