extension PoolOp {
    func infer(_ ctx: InferenceContext) throws -> [Operand] {
        let x = try ctx.operand(0)
        guard let shape = x.shape else { return [Operand(type: ValueType(dtype: x.dtype, shape: nil))] }
        let rank = shape.count
        switch self {
        case .max: guard x.dtype.isFloatingPoint || x.dtype.isInteger else { throw ctx.error("max pooling takes numbers, not \(x.dtype)") }
        default: guard x.dtype.isFloatingPoint else { throw ctx.error("\(displayName) takes floating-point inputs, not \(x.dtype)") }
        }
        switch self {
        case .lp(let a) where a.p < 1: throw ctx.invalid("the Lp pooling exponent must be at least 1, not \(a.p)")
        case .globalLp(let a) where a.p < 1: throw ctx.invalid("the Lp pooling exponent must be at least 1, not \(a.p)")
        default: break
        }
        switch self {
        case .max(let a), .average(let a), .lp(let a):
            let n = a.poolSize.count
            guard rank == n + 2 else { throw ModelIRError.inputRankMismatch(node: ctx.node.name, expected: n + 2, actual: shape) }
            let axes = a.layout.spatialAxes(rank: rank)
            let spatial = try ShapeInference.window(ctx, spatial: axes.map { shape[$0] }, kernel: a.poolSize, strides: a.strides,
                                                    dilations: a.dilations, padding: a.padding, ceilMode: a.ceilMode)
            var out = shape
            for (axis, size) in zip(axes, spatial) { out[axis] = size }
            return [Operand(type: ValueType(dtype: x.dtype, shape: out))]
        case .globalMax(let a), .globalAverage(let a), .globalLp(let a):
            guard rank >= 3 else { throw ModelIRError.inputRankMismatch(node: ctx.node.name, expected: 4, actual: shape) }
            let axes = Set(a.layout.spatialAxes(rank: rank))
            let out = a.keepDims ? shape.enumerated().map { axes.contains($0.offset) ? 1 : $0.element }
                                 : shape.enumerated().filter { !axes.contains($0.offset) }.map(\.element)
            return [Operand(type: ValueType(dtype: x.dtype, shape: out))]
        }
    }
}
