import ModelIR
import XCTest

/// Dense, MatMul and Gemm against direct loops.
final class LinearEvaluationTests: XCTestCase {
    /// NumPy `matmul` written out: promote 1-D operands, broadcast batch axes, sum over k.
    static func naiveMatMul(_ a: [Double], _ sa: [Int], _ b: [Double], _ sb: [Int]) -> (values: [Double], shape: [Int]) {
        let a2 = sa.count == 1 ? [1] + sa : sa, b2 = sb.count == 1 ? sb + [1] : sb
        let m = a2[a2.count - 2], k = a2[a2.count - 1], n = b2[b2.count - 1]
        let ba = Array(a2.dropLast(2)), bb = Array(b2.dropLast(2))
        let rank = max(ba.count, bb.count)
        let pa = [Int](repeating: 1, count: rank - ba.count) + ba, pb = [Int](repeating: 1, count: rank - bb.count) + bb
        let batch = zip(pa, pb).map { max($0, $1) }
        var values: [Double] = []
        for index in Eval.indices(batch) {
            let ia = zip(index, pa).map { $1 == 1 ? 0 : $0 }, ib = zip(index, pb).map { $1 == 1 ? 0 : $0 }
            let baseA = Eval.flat(ia, pa) * m * k, baseB = Eval.flat(ib, pb) * k * n
            for i in 0..<m {
                for j in 0..<n {
                    var sum = 0.0
                    for r in 0..<k { sum += a[baseA + i * k + r] * b[baseB + r * n + j] }
                    values.append(sum)
                }
            }
        }
        var shape = batch
        if sa.count > 1 { shape.append(m) }
        if sb.count > 1 { shape.append(n) }
        return (values, shape)
    }

    func testDenseMatchesDirectLoops() throws {
        var random = SweepRandom(seed: 3)
        for rank in 1...4 {
            for trial in 0..<6 {
                let shape = (0..<rank).map { _ in random.int(1...4) }
                let features = shape.last!, units = random.int(1...9)
                let x = Eval.random(shape, seed: random.next()), w = Eval.random([features, units], seed: random.next())
                let b = Eval.random([units], seed: random.next())
                let activation: Activation = [.linear, .relu, .softmax(axis: -1), .tanh][trial % 4]
                let xs = x.doubles, ws = w.doubles, bs = b.doubles
                var expected: [Double] = []
                for row in 0..<(x.doubles.count / features) {
                    var line = (0..<units).map { u in (0..<features).reduce(bs[u]) { $0 + xs[row * features + $1] * ws[$1 * units + u] } }
                    switch activation {
                    case .relu: line = line.map { max($0, 0) }
                    case .tanh: line = line.map { Foundation.tanh($0) }
                    case .softmax:
                        let top = line.max()!, e = line.map { Foundation.exp($0 - top) }, s = e.reduce(0, +)
                        line = e.map { $0 / s }
                    default: break
                    }
                    expected += line
                }
                let attrs = DenseAttributes(units: units, activation: activation)
                Eval.assertClose(try Eval.run(.linear(.dense(attrs)), [x, w, b]), expected, shape: shape.dropLast() + [units],
                                 "\(activation) \(shape)")
            }
        }
        // No bias; float64 and float16.
        let x = Eval.random([3, 5], seed: 1), w = Eval.random([5, 2], seed: 2)
        let exact = try Eval.run(.linear(.dense(DenseAttributes(units: 2))), [x.converted(to: .float64), w.converted(to: .float64)])
        XCTAssertEqual(exact.dtype, .float64)
        Eval.assertClose(exact, Self.naiveMatMul(x.doubles, [3, 5], w.doubles, [5, 2]).values, shape: [3, 2], atol: 1e-12, rtol: 1e-12)
        let half = try Eval.run(.linear(.dense(DenseAttributes(units: 2))), [x.converted(to: .float16), w.converted(to: .float16)])
        XCTAssertEqual(half.dtype, .float16)
        let h = Self.naiveMatMul(x.converted(to: .float16).doubles, [3, 5], w.converted(to: .float16).doubles, [5, 2]).values
        Eval.assertClose(half, h, shape: [3, 2], atol: 1e-3, rtol: 1e-3)
    }

    func testMatMulBroadcastingAndPromotion() throws {
        let shapes: [([Int], [Int])] = [
            ([4], [4]), ([3], [3, 5]), ([2, 3], [3]), ([2, 3], [3, 4]), ([2, 1, 3, 4], [5, 4, 2]),
            ([4], [2, 4, 3]), ([2, 2, 3], [3]), ([1, 3, 9], [4, 9, 17]), ([6, 1, 2], [1, 2, 6]), ([3, 0, 2], [2, 4]),
            ([2, 13, 11], [11, 21]),
        ]
        for (i, (sa, sb)) in shapes.enumerated() {
            let a = Eval.random(sa, seed: UInt64(i)), b = Eval.random(sb, seed: UInt64(i + 100))
            let expected = Self.naiveMatMul(a.doubles, sa, b.doubles, sb)
            Eval.assertClose(try Eval.run(.linear(.matMul), [a, b]), expected.values, shape: expected.shape, "\(sa) · \(sb)")
            let wide = try Eval.run(.linear(.matMul), [a.converted(to: .float64), b.converted(to: .float64)])
            Eval.assertClose(wide, expected.values, shape: expected.shape, atol: 1e-12, rtol: 1e-12)
        }
    }

    func testIntegerMatMulWrapsLikeNumPy() throws {
        // int32: 65536 · 65536 wraps to 0; 46341² = 2147488281 wraps to −2147479015.
        let a = Tensor(shape: [2, 2], integers: [65536, 0, 46341, 1], dtype: .int32)
        let b = Tensor(shape: [2, 1], integers: [65536, 46341], dtype: .int32)
        let y = try Eval.run(.linear(.matMul), [a, b])
        XCTAssertEqual(y.dtype, .int32)
        XCTAssertEqual(y.integers, [0, Int64(Int32(truncatingIfNeeded: Int64(46341) * 65536 + 46341))])
        let big = Tensor(shape: [1, 2], integers: [Int64(bitPattern: UInt64.max), 2], dtype: .uint64)
        let ones = Tensor(shape: [2], integers: [1, 1], dtype: .uint64)
        XCTAssertEqual(try Eval.run(.linear(.matMul), [big, ones]).integers, [1])     // 2^64 − 1 + 2 wraps to 1
        let xs = (0..<24).map { Int64($0 % 7 - 3) }, ws = (0..<12).map { Int64($0 % 5 - 2) }
        let expected = Self.naiveMatMul(xs.map(Double.init), [2, 3, 4], ws.map(Double.init), [4, 3])
        let r = try Eval.run(.linear(.matMul), [Tensor(shape: [2, 3, 4], integers: xs), Tensor(shape: [4, 3], integers: ws)])
        XCTAssertEqual(r.shape, expected.shape)
        XCTAssertEqual(r.integers, expected.values.map { Int64($0) })
    }

    func testGemmMatchesTheOnnxDefinition() throws {
        var random = SweepRandom(seed: 17)
        let (m, k, n) = (3, 5, 4)
        for transA in [false, true] {
            for transB in [false, true] {
                for cShape in [nil, [], [n], [1, n], [m, 1], [m, n]] as [[Int]?] {
                    let alpha = Float(random.pick([1, 0.5, -2])), beta = Float(random.pick([1, 0, 0.25]))
                    let a = Eval.random(transA ? [k, m] : [m, k], seed: random.next())
                    let b = Eval.random(transB ? [n, k] : [k, n], seed: random.next())
                    let c = cShape.map { Eval.random($0, seed: random.next()) }
                    let av = a.doubles, bv = b.doubles, cv = c?.doubles
                    var expected: [Double] = []
                    for i in 0..<m {
                        for j in 0..<n {
                            var sum = 0.0
                            for r in 0..<k { sum += (transA ? av[r * m + i] : av[i * k + r]) * (transB ? bv[j * k + r] : bv[r * n + j]) }
                            var y = Double(alpha) * sum
                            if let cShape, let cv, beta != 0 {
                                let ci = cShape.count == 2 ? (cShape[0] == 1 ? 0 : i) * cShape[1] + (cShape[1] == 1 ? 0 : j)
                                                           : (cShape.isEmpty ? 0 : j)
                                y += Double(beta) * cv[ci]
                            }
                            expected.append(y)
                        }
                    }
                    let g = GemmAttributes(alpha: alpha, beta: beta, transA: transA, transB: transB)
                    Eval.assertClose(try Eval.run(.linear(.gemm(g)), [a, b, c]), expected, shape: [m, n], "\(g) c \(String(describing: cShape))")
                }
            }
        }
        // beta = 0 ignores C entirely, NaNs included (the ONNX reference skips it).
        let g = GemmAttributes(beta: 0)
        let y = try Eval.run(.linear(.gemm(g)), [Tensor(shape: [1, 1], floats: [2]), Tensor(shape: [1, 1], floats: [3]),
                                                 Tensor(shape: [1, 1], floats: [.nan])])
        XCTAssertEqual(y.floats, [6])
        // Integers: exact; alpha 0.5 truncates toward zero.
        let ia = Tensor(shape: [2, 2], integers: [1, 2, 3, 4], dtype: .int32), ib = Tensor(shape: [2, 2], integers: [5, 6, 7, 8], dtype: .int32)
        let ic = Tensor(shape: [2], integers: [10, -10], dtype: .int32)
        XCTAssertEqual(try Eval.run(.linear(.gemm(GemmAttributes())), [ia, ib, ic]).integers, [29, 12, 53, 40])
        XCTAssertEqual(try Eval.run(.linear(.gemm(GemmAttributes(alpha: 0.5, transB: true))), [ia, ib, nil]).integers, [8, 11, 19, 26])
    }

    /// Einsum against the ops it names and against direct loops: matrix and batched products
    /// (explicit, implicit, with broadcast `...`), transpose, trace and diagonal, row sums, an
    /// outer product, a chain of three operands, integers.
    func testEinsumMatchesItsDefinition() throws {
        func einsum(_ equation: String, _ operands: [Tensor]) throws -> Tensor { try Eval.run(.linear(.einsum(equation: equation)), operands) }
        let a = Eval.random([3, 4], seed: 1), b = Eval.random([4, 5], seed: 2), c = Eval.random([5, 2], seed: 3)
        let product = Self.naiveMatMul(a.doubles, a.shape, b.doubles, b.shape)
        for equation in ["ij,jk->ik", "ij,jk", "ab , bc -> ac", "...j,jk->...k"] {
            Eval.assertClose(try einsum(equation, [a, b]), product.values, shape: product.shape)
        }
        let x = Eval.random([2, 3, 4], seed: 4), y = Eval.random([2, 4, 5], seed: 5), z = Eval.random([1, 4, 5], seed: 6)
        let batched = Self.naiveMatMul(x.doubles, x.shape, y.doubles, y.shape)
        Eval.assertClose(try einsum("bij,bjk->bik", [x, y]), batched.values, shape: batched.shape)
        let broadcast = Self.naiveMatMul(x.doubles, x.shape, z.doubles, z.shape)
        Eval.assertClose(try einsum("...ij,...jk->...ik", [x, z]), broadcast.values, shape: broadcast.shape)
        // Transpose, row sums, total, outer product.
        let av = a.doubles
        Eval.assertClose(try einsum("ij->ji", [a]), (0..<4).flatMap { j in (0..<3).map { i in av[i * 4 + j] } }, shape: [4, 3])
        Eval.assertClose(try einsum("ij->i", [a]), (0..<3).map { i in (0..<4).reduce(0) { $0 + av[i * 4 + $1] } }, shape: [3])
        Eval.assertClose(try einsum("ij->", [a]), [av.reduce(0, +)], shape: [])
        let u = Eval.random([3], seed: 7), v = Eval.random([2], seed: 8)
        Eval.assertClose(try einsum("i,j->ij", [u, v]), u.doubles.flatMap { p in v.doubles.map { p * $0 } }, shape: [3, 2])
        // A repeated label: trace and diagonal.
        let sq = Eval.random([3, 3], seed: 9), sv = sq.doubles
        Eval.assertClose(try einsum("ii->i", [sq]), [sv[0], sv[4], sv[8]], shape: [3])
        Eval.assertClose(try einsum("ii", [sq]), [sv[0] + sv[4] + sv[8]], shape: [])
        // Three operands: (a·b)·c.
        let ab = Tensor(shape: product.shape, doubles: product.values, dtype: .float64)
        let abc = Self.naiveMatMul(ab.doubles, ab.shape, c.doubles, c.shape)
        Eval.assertClose(try einsum("ij,jk,kl->il", [a, b, c]), abc.values, shape: abc.shape)
        // Integers multiply exactly.
        let ia = Tensor(shape: [2, 2], integers: [1, 2, 3, 4], dtype: .int32), ib = Tensor(shape: [2, 2], integers: [5, 6, 7, 8], dtype: .int32)
        let integers = try einsum("ij,jk->ik", [ia, ib])
        XCTAssertEqual(integers.dtype, .int32)
        XCTAssertEqual(integers.integers, try Eval.run(.linear(.matMul), [ia, ib]).integers)
        // Malformed equations and mismatched sizes are errors naming the equation.
        Eval.assertThrows(.linear(.einsum(equation: "ij,jk->ik")), [a, c], "inner sizes differ")
        Eval.assertThrows(.linear(.einsum(equation: "ij->ik")), [a], "output label in no operand")
        Eval.assertThrows(.linear(.einsum(equation: "ijk->i")), [a], "rank")
        Eval.assertThrows(.linear(.einsum(equation: "ij,jk->ik")), [a], "operand count")
        Eval.assertThrows(.linear(.einsum(equation: "i1->i")), [u], "not a letter")
    }

    func testBadLinearOperandsThrow() {
        let x = Eval.random([2, 3], seed: 1)
        Eval.assertThrows(.linear(.dense(DenseAttributes(units: 4))), [x, Eval.random([4, 3], seed: 2)], "kernel shape")
        Eval.assertThrows(.linear(.dense(DenseAttributes(units: 4))), [x, Eval.random([3, 4], seed: 2), Eval.random([3], seed: 3)], "bias")
        Eval.assertThrows(.linear(.dense(DenseAttributes(units: 4))), [Tensor(shape: [2, 3], integers: [1, 2, 3, 4, 5, 6]),
                                                                      Eval.random([3, 4], seed: 2)], "integer dense")
        Eval.assertThrows(.linear(.matMul), [x, Eval.random([4, 2], seed: 2)], "inner size")
        Eval.assertThrows(.linear(.matMul), [Eval.random([2, 2, 3], seed: 1), Eval.random([3, 3, 2], seed: 2)], "batch broadcast")
        Eval.assertThrows(.linear(.matMul), [x, Eval.random([3, 2], seed: 2, dtype: .float16)], "mixed types")
        Eval.assertThrows(.linear(.matMul), [Tensor(shape: [], floats: [1]), x], "scalar operand")
        Eval.assertThrows(.linear(.gemm(GemmAttributes())), [x, Eval.random([3, 4], seed: 2), Eval.random([3, 4], seed: 3)], "c rows")
        Eval.assertThrows(.linear(.gemm(GemmAttributes())), [Eval.random([1, 3], seed: 1), Eval.random([3, 4], seed: 2),
                                                             Eval.random([5, 4], seed: 3)], "c broadcasts the result")
        Eval.assertThrows(.linear(.gemm(GemmAttributes(transA: true))), [x, Eval.random([3, 4], seed: 2)], "transposed inner size")
        Eval.assertThrows(.linear(.gemm(GemmAttributes())), [Eval.random([2, 3, 1], seed: 1), Eval.random([3, 4], seed: 2)], "rank")
    }
}
