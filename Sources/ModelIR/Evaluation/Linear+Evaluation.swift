/// Matrix products. Floating types go through `_ConvKernels.multiply` (float32 sums in float32,
/// as frameworks' GEMMs; float16/bfloat16 via float32; float64 in double); integers multiply
/// exactly with wrapping 64-bit sums, stored with the type's wrap-around (NumPy's).
extension LinearOp {
    func evaluate(_ ctx: EvaluationContext) throws -> [Tensor] {
        let a = try ctx.operand(0)
        let shape = try ctx.outputShape()
        let dtype = ctx.outputType()
        let count = try _Floating.resultCount(ctx, shape, dtype)
        let result: Tensor
        switch self {
        case .dense(let d):
            let b = try ctx.operand(1)
            try _Floating.checkActivation(d.activation, rank: shape.count, ctx)
            result = try _Floating.dispatch(a.dtype, ctx, displayName) {
                dense(Float.self, d, a, b, ctx.optional(2), shape: shape, dtype: dtype, count: count)
            } double: {
                dense(Double.self, d, a, b, ctx.optional(2), shape: shape, dtype: dtype, count: count)
            }
        case .matMul:
            let b = try ctx.operand(1)
            if a.dtype.isInteger {
                result = Self.matMulIntegers(a, b, shape: shape, dtype: dtype, count: count)
            } else {
                result = try _Floating.dispatch(a.dtype, ctx, displayName) {
                    Self.matMul(Float.self, a, b, shape: shape, dtype: dtype, count: count)
                } double: {
                    Self.matMul(Double.self, a, b, shape: shape, dtype: dtype, count: count)
                }
            }
        case .einsum(let equation):
            result = try Self.einsum(equation, ctx)
        case .gemm(let g):
            let b = try ctx.operand(1)
            if a.dtype.isInteger {
                result = Self.gemmIntegers(g, a, b, ctx.optional(2), shape: shape, dtype: dtype, count: count)
            } else {
                result = try _Floating.dispatch(a.dtype, ctx, displayName) {
                    Self.gemm(Float.self, g, a, b, ctx.optional(2), shape: shape, dtype: dtype, count: count)
                } double: {
                    Self.gemm(Double.self, g, a, b, ctx.optional(2), shape: shape, dtype: dtype, count: count)
                }
            }
        }
        return [result]
    }

    /// Keras Dense: `x[…, in] · kernel[in, units] + bias`, then the activation.
    private func dense<T: _EvaluationFloat>(_: T.Type, _ d: DenseAttributes, _ x: Tensor, _ kernel: Tensor, _ bias: Tensor?,
                                            shape: [Int], dtype: DType, count: Int) -> Tensor {
        let features = x.shape.last ?? 1, units = d.units
        let rows = x.shape.dropLast().reduce(1, *)
        let b: [T]? = bias.map { t in T.withElements(of: t) { Array($0) } }
        return T.withElements(of: x) { xs in
            T.withElements(of: kernel) { ks in
                T.store(dtype, shape: shape, count: count) { out in
                    if let xp = xs.baseAddress, let kp = ks.baseAddress, let op = out.baseAddress {
                        _ConvKernels.multiply(m: rows, n: units, k: features, xp, lda: features, kp, ldb: units, into: op, ldc: units)
                    }
                    if let b {
                        for r in 0..<rows {
                            for u in 0..<units { out[r * units + u] += b[u] }
                        }
                    }
                    T.activate(d.activation, out, shape: shape)
                }
            }
        }
    }

    /// NumPy `matmul`'s operands as batches of matrices: 1-D operands promoted, batch axes
    /// broadcast. Calls `body(aOffset, bOffset, outOffset)` per matrix, in output order.
    private static func forEachMatrix(_ sa: [Int], _ sb: [Int], shape: [Int],
                                      _ body: (_ m: Int, _ k: Int, _ n: Int, _ a: Int, _ b: Int, _ out: Int) -> Void) {
        let a2 = sa.count == 1 ? [1] + sa : sa
        let b2 = sb.count == 1 ? sb + [1] : sb
        let m = a2[a2.count - 2], k = a2[a2.count - 1], n = b2[b2.count - 1]
        let batch = Array(shape.dropLast((sa.count > 1 ? 1 : 0) + (sb.count > 1 ? 1 : 0)))
        // Element strides of each operand's matrices along the output's batch axes (0 where broadcast).
        func strides(_ dims: [Int], matrix: Int) -> [Int] {
            let aligned = [Int](repeating: 1, count: batch.count - dims.count) + dims
            var out = [Int](repeating: 0, count: batch.count), step = matrix
            for i in stride(from: batch.count - 1, through: 0, by: -1) {
                out[i] = aligned[i] == 1 ? 0 : step
                step *= aligned[i]
            }
            return out
        }
        let sA = strides(Array(a2.dropLast(2)), matrix: m * k), sB = strides(Array(b2.dropLast(2)), matrix: k * n)
        let total = batch.reduce(1, *)
        var index = [Int](repeating: 0, count: batch.count)
        var offA = 0, offB = 0
        for matrix in 0..<total {
            body(m, k, n, offA, offB, matrix * m * n)
            var axis = batch.count - 1
            while axis >= 0 {
                index[axis] += 1
                offA += sA[axis]; offB += sB[axis]
                if index[axis] < batch[axis] { break }
                offA -= sA[axis] * index[axis]; offB -= sB[axis] * index[axis]
                index[axis] = 0
                axis -= 1
            }
        }
    }

    private static func matMul<T: _EvaluationFloat>(_: T.Type, _ a: Tensor, _ b: Tensor, shape: [Int], dtype: DType,
                                                    count: Int) -> Tensor {
        T.withElements(of: a) { pa in
            T.withElements(of: b) { pb in
                T.store(dtype, shape: shape, count: count) { out in
                    guard let ap = pa.baseAddress, let bp = pb.baseAddress, let op = out.baseAddress else { return }
                    forEachMatrix(a.shape, b.shape, shape: shape) { m, k, n, oa, ob, oo in
                        _ConvKernels.multiply(m: m, n: n, k: k, ap + oa, lda: k, bp + ob, ldb: n, into: op + oo, ldc: n)
                    }
                }
            }
        }
    }

    private static func matMulIntegers(_ a: Tensor, _ b: Tensor, shape: [Int], dtype: DType, count: Int) -> Tensor {
        let xa = a.integers, xb = b.integers
        var out = [Int64](repeating: 0, count: count)
        forEachMatrix(a.shape, b.shape, shape: shape) { m, k, n, oa, ob, oo in
            for i in 0..<m {
                for r in 0..<k {
                    let v = xa[oa + i * k + r]
                    for j in 0..<n { out[oo + i * n + j] &+= v &* xb[ob + r * n + j] }
                }
            }
        }
        return Tensor(shape: shape, integers: out, dtype: dtype)
    }

    /// `a'` (m × k) and `b'` (k × n) of Gemm, transposed copies where `transA`/`transB` ask.
    private static func gemmOperands<E>(_ g: GemmAttributes, _ a: [E], _ sa: [Int], _ b: [E], _ sb: [Int])
        -> (a: [E], b: [E], m: Int, k: Int, n: Int) {
        func transposed(_ v: [E], rows: Int, columns: Int) -> [E] {
            guard let first = v.first else { return v }
            var out = [E](repeating: first, count: v.count)
            for r in 0..<rows { for c in 0..<columns { out[c * rows + r] = v[r * columns + c] } }
            return out
        }
        let (m, k) = g.transA ? (sa[1], sa[0]) : (sa[0], sa[1])
        let n = g.transB ? sb[0] : sb[1]
        return (g.transA ? transposed(a, rows: sa[0], columns: sa[1]) : a,
                g.transB ? transposed(b, rows: sb[0], columns: sb[1]) : b, m, k, n)
    }

    /// Offsets of `c` broadcast to `[m, n]` (unidirectionally: a scalar, `[n]`, `[1, n]`, `[m, 1]`, `[m, n]`).
    private static func gemmBias(_ c: [Int], m: Int, n: Int) -> (row: Int, column: Int) {
        let rows = c.count == 2 ? c[0] : 1, columns = c.last ?? 1
        return (rows == 1 ? 0 : columns, columns == 1 ? 0 : 1)
    }

    /// ONNX Gemm: `alpha · a' · b' + beta · c`, computed as the ONNX reference does (`c` skipped
    /// when `beta` is 0, so its NaNs do not leak in).
    private static func gemm<T: _EvaluationFloat>(_: T.Type, _ g: GemmAttributes, _ a: Tensor, _ b: Tensor, _ c: Tensor?,
                                                  shape: [Int], dtype: DType, count: Int) -> Tensor {
        let (av, bv, m, k, n) = gemmOperands(g, T.withElements(of: a) { Array($0) }, a.shape,
                                             T.withElements(of: b) { Array($0) }, b.shape)
        let cv: [T]? = g.beta == 0 ? nil : c.map { t in T.withElements(of: t) { Array($0) } }
        let steps = gemmBias(c?.shape ?? [], m: m, n: n)
        let alpha = T(g.alpha), beta = T(g.beta)
        return av.withUnsafeBufferPointer { pa in
            bv.withUnsafeBufferPointer { pb in
                T.store(dtype, shape: shape, count: count) { out in
                    if let ap = pa.baseAddress, let bp = pb.baseAddress, let op = out.baseAddress {
                        _ConvKernels.multiply(m: m, n: n, k: k, ap, lda: k, bp, ldb: n, into: op, ldc: n)
                    }
                    if alpha != 1 { for i in out.indices { out[i] *= alpha } }
                    if let cv {
                        for i in 0..<m {
                            for j in 0..<n { out[i * n + j] += beta * cv[i * steps.row + j * steps.column] }
                        }
                    }
                }
            }
        }
    }

    private static func gemmIntegers(_ g: GemmAttributes, _ a: Tensor, _ b: Tensor, _ c: Tensor?, shape: [Int], dtype: DType,
                                     count: Int) -> Tensor {
        let (av, bv, m, k, n) = gemmOperands(g, a.integers, a.shape, b.integers, b.shape)
        var product = [Int64](repeating: 0, count: count)
        for i in 0..<m {
            for r in 0..<k {
                let v = av[i * k + r]
                for j in 0..<n { product[i * n + j] &+= v &* bv[r * n + j] }
            }
        }
        let cv = g.beta == 0 ? nil : c?.integers
        let steps = gemmBias(c?.shape ?? [], m: m, n: n)
        if g.alpha == 1, g.beta == 1 || cv == nil {
            if let cv { for i in 0..<m { for j in 0..<n { product[i * n + j] &+= cv[i * steps.row + j * steps.column] } } }
            return Tensor(shape: shape, integers: product, dtype: dtype)
        }
        // Non-unit scales make the result real, as NumPy computes it; stored truncated toward zero.
        var real = product.map { Double($0) * Double(g.alpha) }
        if let cv { for i in 0..<m { for j in 0..<n { real[i * n + j] += Double(g.beta) * Double(cv[i * steps.row + j * steps.column]) } } }
        return Tensor(shape: shape, doubles: real, dtype: dtype)
    }
}

extension LinearOp {
    /// Einsum by its definition (every combination of the labels; `_Einsum`), with the visits
    /// bounded like any buffer: a contraction too large to evaluate is an error, not a hang.
    static func einsum(_ equation: String, _ ctx: EvaluationContext) throws -> Tensor {
        let tensors = try (0..<ctx.operands.count).map { try ctx.operand($0) }
        let dtype = ctx.outputType()
        guard dtype.isFloatingPoint || dtype.isInteger else { throw ctx.error("Einsum takes numbers, not \(dtype)") }
        do {
            let e = try _Einsum(equation, ranks: tensors.map(\.shape.count))
            let sizes = try e.sizes(tensors.map(\.shape))
            let visits = sizes.values.reduce(1) { $0.multipliedReportingOverflow(by: max($1, 1)).overflow ? Int.max : $0 * max($1, 1) }
            _ = try ctx.checkedCount([visits], elementBytes: 1, what: "the einsum's \(visits) products")
            return try e.evaluate(tensors, dtype: dtype)
        } catch let problem as _Einsum.Problem {
            throw ctx.error("equation '\(equation)' \(problem.detail)")
        }
    }
}
