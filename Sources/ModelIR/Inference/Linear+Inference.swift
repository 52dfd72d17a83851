extension LinearOp {
    func infer(_ ctx: InferenceContext) throws -> [Operand] {
        let x = try ctx.operand(0)
        switch self {
        case .dense:
            guard x.dtype.isFloatingPoint else { throw ctx.error("Dense takes floating-point inputs, not \(x.dtype)") }
        case .matMul, .gemm, .einsum:
            guard x.dtype.isFloatingPoint || x.dtype.isInteger else { throw ctx.error("\(displayName) takes numbers, not \(x.dtype)") }
            // ONNX's one type T for A, B and C (onnxruntime refuses a model that mixes them): no
            // implicit promotion, so a mixed model is refused where it is read, naming the node.
            for i in 1..<ctx.count {
                if let o = ctx.optional(i), o.dtype != x.dtype {
                    throw ctx.error("\(displayName) operands must share a type: \(x.dtype) and \(o.dtype)")
                }
            }
        }
        switch self {
        case .dense(let a):
            guard let shape = x.shape else { return [Operand(type: ValueType(dtype: x.dtype, shape: nil))] }
            guard shape.count >= 1 else { throw ModelIRError.inputRankMismatch(node: ctx.node.name, expected: 2, actual: shape) }
            let features = try ShapeInference.channels(ctx, shape, axis: shape.count - 1)
            guard a.units > 0 else { throw ctx.invalid("units must be positive") }
            try ShapeInference.expectShape(ctx, 1, [features, a.units], role: "kernel")
            try ShapeInference.expectShape(ctx, 2, [a.units], role: "bias")
            return [Operand(type: ValueType(dtype: x.dtype, shape: Array(shape.dropLast()) + [a.units]))]
        case .einsum(let equation):
            var shapes: [[Int]] = []
            for i in 0..<ctx.count {
                guard let s = try ctx.operand(i).shape else { return [Operand(type: ValueType(dtype: x.dtype, shape: nil))] }
                shapes.append(s)
            }
            do {
                let e = try _Einsum(equation, ranks: shapes.map(\.count))
                return [Operand(type: ValueType(dtype: x.dtype, shape: try e.outputShape(shapes)))]
            } catch let problem as _Einsum.Problem {
                throw ctx.error("equation '\(equation)' \(problem.detail)")
            }
        case .matMul:
            let b = try ctx.operand(1)
            guard let sa = x.shape, let sb = b.shape else { return [Operand(type: ValueType(dtype: x.dtype, shape: nil))] }
            guard let out = Self.matMulShape(sa, sb) else {
                throw ctx.error("cannot multiply \(Shape.kerasString(sa)) by \(Shape.kerasString(sb))")
            }
            return [Operand(type: ValueType(dtype: x.dtype, shape: out))]
        case .gemm(let g):
            let b = try ctx.operand(1)
            guard let sa = x.shape, let sb = b.shape else { return [Operand(type: ValueType(dtype: x.dtype, shape: nil))] }
            guard sa.count == 2, sb.count == 2 else { throw ctx.error("Gemm takes 2-D operands, got \(sa) and \(sb)") }
            let (m, k1) = g.transA ? (sa[1], sa[0]) : (sa[0], sa[1])
            let (k2, n) = g.transB ? (sb[1], sb[0]) : (sb[0], sb[1])
            guard k1 < 0 || k2 < 0 || k1 == k2 else { throw ctx.error("inner dimensions \(k1) and \(k2) differ") }
            // C broadcasts to the result, never the other way (ONNX's unidirectional broadcasting).
            if let c = ctx.optional(2)?.shape {
                let fits = c.count <= 2 && zip(c.reversed(), [n, m]).allSatisfy { d, r in d == 1 || d < 0 || r < 0 || d == r }
                guard fits else { throw ctx.error("c of shape \(c) does not broadcast to \([m, n])") }
            }
            return [Operand(type: ValueType(dtype: x.dtype, shape: [m, n]))]
        }
    }

    /// NumPy `matmul`'s result shape (1-D operands promoted, then the promoted axis dropped).
    public static func matMulShape(_ a: [Int], _ b: [Int]) -> [Int]? {
        guard !a.isEmpty, !b.isEmpty else { return nil }
        let a2 = a.count == 1 ? [1] + a : a
        let b2 = b.count == 1 ? b + [1] : b
        let k1 = a2[a2.count - 1], k2 = b2[b2.count - 2]
        guard k1 < 0 || k2 < 0 || k1 == k2 else { return nil }
        guard let batch = Shape.broadcast([Array(a2.dropLast(2)), Array(b2.dropLast(2))]) else { return nil }
        var out = batch
        if a.count > 1 { out.append(a2[a2.count - 2]) }
        if b.count > 1 { out.append(b2[b2.count - 1]) }
        return out
    }
}
