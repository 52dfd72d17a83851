extension NormalizationOp {
    func infer(_ ctx: InferenceContext) throws -> [Operand] {
        let x = try ctx.operand(0)
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
                if let p = ctx.optional(i)?.shape, Shape.broadcast([p, shape]) == nil {
                    throw ctx.error("\(i == 1 ? "gamma" : "beta") of shape \(p) does not broadcast to \(shape)")
                }
            }
        case .group(let a):
            let axis = try ctx.axis(a.axis, rank: rank)
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
            _ = try a.axes.map { try ctx.axis($0, rank: rank) }
            for i in [1, 2] {
                if let p = ctx.optional(i)?.shape, Shape.broadcast([p, shape]) == nil {
                    throw ctx.error("\(i == 1 ? "mean" : "variance") of shape \(p) does not broadcast to \(shape)")
                }
            }
        case .rescale(let a):
            for v in [a.scale, a.offset] where v.count > 1 && (shape.last ?? -1) >= 0 && v.count != shape.last {
                throw ctx.invalid("\(v.count) per-channel values for \(shape.last ?? 0) channels")
            }
        }
        guard x.dtype.isFloatingPoint else { throw ctx.error("normalization takes floating-point inputs, not \(x.dtype)") }
        return [Operand(type: x.type)]
    }
}
