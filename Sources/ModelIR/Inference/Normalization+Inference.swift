extension NormalizationOp {
    func infer(_ ctx: InferenceContext) throws -> [Operand] {
        let x = try ctx.operand(0)
        if case .rescale = self, !x.dtype.isFloatingPoint, x.shape == nil { return [Operand(type: ValueType(dtype: .float32, shape: nil))] }
        guard let shape = x.shape else { return [Operand(type: x.type)] }
        let rank = shape.count
        switch self {
        case .batch(let a):
            guard rank >= 1 else { throw ModelIRError.inputRankMismatch(node: ctx.node.name, expected: 2, actual: shape) }
            let axis = try ctx.axis(a.axis, rank: rank)
            let c = shape[axis]
            for i in 1..<max(ctx.count, 1) where ctx.optional(i) != nil {
                try ShapeInference.expectShape(ctx, i, [c], role: ctx.node.op.inputRoles[min(i, 4)].replacingOccurrences(of: "?", with: ""))
            }
        case .instance(let a):
            guard rank >= 3 else { throw ModelIRError.inputRankMismatch(node: ctx.node.name, expected: 4, actual: shape) }
            let c = shape[a.layout.channelAxis(rank: rank)]
            try ShapeInference.expectShape(ctx, 1, [c], role: "scale")
            try ShapeInference.expectShape(ctx, 2, [c], role: "bias")
        case .layer(let a):
            let axes = try a.axes.map { try ctx.axis($0, rank: rank) }
            guard Set(axes).count == axes.count, !axes.isEmpty else { throw ctx.invalid("bad axes \(a.axes)") }
            for i in [1, 2] {
                if let p = ctx.optional(i)?.shape, !Self.parameterFits(p, along: axes, of: shape) {
                    throw ctx.error("\(i == 1 ? "gamma" : "beta") of shape \(p) fits neither the normalized axes nor \(shape)")
                }
            }
        case .group(let a):
            let axis = try ctx.axis(a.axis, rank: rank)
            guard axis > 0 else { throw ctx.invalid("the channel axis of a group normalization cannot be the batch axis") }
            let c = shape[axis]
            guard a.groups > 0, c < 0 || c % a.groups == 0 else { throw ctx.invalid("groups \(a.groups) must divide channels \(c)") }
            try ShapeInference.expectShape(ctx, 1, [c], role: "gamma")
            try ShapeInference.expectShape(ctx, 2, [c], role: "beta")
        case .lp(let a):
            _ = try ctx.axis(a.axis, rank: rank)
            guard a.p == 1 || a.p == 2 else { throw ctx.invalid("p must be 1 or 2, not \(a.p)") }
        case .localResponse(let a):
            guard rank >= 3, a.size > 0 else { throw ctx.invalid("LRN needs rank ≥ 3 and size > 0") }
        case .standardize(let a):
            let axes = try a.axes.map { try ctx.axis($0, rank: rank) }
            for i in [1, 2] {
                if let p = ctx.optional(i)?.shape, !Self.parameterFits(p, along: axes, of: shape) {
                    throw ctx.error("\(i == 1 ? "mean" : "variance") of shape \(p) fits neither the kept axes nor \(shape)")
                }
            }
            if ctx.optional(1) == nil || ctx.optional(2) == nil {
                guard let dims = a.statisticsShape, let mean = a.mean, let variance = a.variance,
                      mean.count == Shape.elementCount(dims), variance.count == mean.count, dims.count <= axes.count else {
                    throw ctx.error("needs its mean and variance, as operands or from the config")
                }
            }
        case .rescale(let a):
            for v in [a.scale, a.offset] where v.isEmpty || (v.count > 1 && (shape.last ?? -1) >= 0 && v.count != shape.last) {
                throw ctx.invalid("\(v.count) per-channel values for \(shape.last ?? 0) channels")
            }
            // Keras Rescaling casts to its compute type: integer images come out as float32.
            if x.dtype.isInteger || x.dtype == .bool { return [Operand(type: ValueType(dtype: .float32, shape: shape))] }
        }
        guard x.dtype.isFloatingPoint else { throw ctx.error("normalization takes floating-point inputs, not \(x.dtype)") }
        return [Operand(type: x.type)]
    }

    /// Whether a parameter of shape `p` lines up with an input of `shape`: shaped like `axes`
    /// (Keras's γ, β, mean and variance, laid over those axes), or broadcasting to the input
    /// from the end without changing it (ONNX's). Unknown dimensions fit anything.
    static func parameterFits(_ p: [Int], along axes: [Int], of shape: [Int]) -> Bool {
        func same(_ a: Int, _ b: Int) -> Bool { a < 0 || b < 0 || a == b }
        let sorted = axes.sorted()
        if p.count == sorted.count, zip(p, sorted.map { shape[$0] }).allSatisfy(same) { return true }
        return p.count <= shape.count && zip(p.reversed(), shape.reversed()).allSatisfy { $0 == 1 || same($0, $1) }
    }
}
