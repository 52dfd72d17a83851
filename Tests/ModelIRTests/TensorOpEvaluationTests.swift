import Foundation
import ModelIR
import XCTest

/// The raw bits of every element (data movement must move them untouched, whatever the dtype).
private func raw(_ t: Tensor) -> [UInt64] {
    let size = t.dtype.byteSize
    return (0..<(t.data.count / size)).map { i in
        (0..<size).reduce(UInt64(0)) { $0 | UInt64(t.data.bytes[i * size + $1]) << (8 * UInt64($1)) }
    }
}

/// Dtypes the data-movement sweeps cover: every element width, floats, signed, unsigned, bool.
private let movementTypes: [DType] = [.float32, .int64, .uint8, .float16, .bool, .int16, .float64, .bfloat16, .uint32]

private func sample(_ shape: [Int], _ dtype: DType, seed: UInt64) -> Tensor {
    tensor(seededValues(shape.reduce(1, *), seed: seed), shape, dtype)
}

final class TensorOpEvaluationTests: XCTestCase {
    // MARK: - Views

    func testReshapeCopiesZerosAndInfersMinusOne() throws {
        let x = sample([2, 3, 4], .float32, seed: 1)
        XCTAssertEqual(try evaluate(.reshape(ReshapeAttributes(shape: [0, -1])), [x])[0].shape, [2, 12])
        XCTAssertEqual(try evaluate(.reshape(ReshapeAttributes(shape: nil)), [x, ints([4, 0, -1])])[0].shape, [4, 3, 2])
        let y = try evaluate(.reshape(ReshapeAttributes(shape: [-1])), [x])[0]
        XCTAssertEqual(y.shape, [24])
        XCTAssertEqual(y.floats, x.floats)
        // allowZero: a 0 is a real zero-length axis.
        let empty = sample([0, 3], .int64, seed: 2)
        XCTAssertEqual(try evaluate(.reshape(ReshapeAttributes(shape: [3, 0], allowZero: true)), [empty])[0].shape, [3, 0])
        assertEvaluationThrows(.tensor(.reshape(ReshapeAttributes(shape: [5, -1]))), [x], "24 is not a multiple of 5")
        assertEvaluationThrows(.tensor(.reshape(ReshapeAttributes(shape: [-1, -1]))), [x], "two -1")
        assertEvaluationThrows(.tensor(.reshape(ReshapeAttributes(shape: [0, -1], allowZero: true))), [x], "0 and -1 with allowZero")
    }

    /// Shape inference of `Reshape([0, 6, -1])` on `(None, 42)` (Keras's Reshape((6, -1)) after a
    /// Flatten): the unknown batch axis is copied in place, so the -1 is still 7.
    func testReshapeInfersMinusOneBesideAnUnknownCopiedAxis() throws {
        let graph = Graph(name: "g", inputs: [TensorInfo(name: "x", shape: [-1, 42])], outputs: ["r", "s"], nodes: [
            Node(name: "r", op: .tensor(.reshape(ReshapeAttributes(shape: [0, 6, -1]))), inputs: ["x"]),
            Node(name: "s", op: .tensor(.reshape(ReshapeAttributes(shape: [0, -1, 3, 2]))), inputs: ["x"]),
        ])
        let shapes = try graph.inferShapes()
        XCTAssertEqual(shapes["r"], [-1, 6, 7])
        XCTAssertEqual(shapes["s"], [-1, 7, 3, 2])
        let unknown = Graph(name: "g", inputs: [TensorInfo(name: "x", shape: [-1, -1])], outputs: ["r"], nodes: [
            Node(name: "r", op: .tensor(.reshape(ReshapeAttributes(shape: [0, 6, -1]))), inputs: ["x"]),
        ])
        XCTAssertEqual(try unknown.inferShapes()["r"], [-1, 6, -1], "an unknown axis that is not copied leaves the -1 unknown")
    }

    /// `reversed(axes:)` against naive indexing, on every subset of the axes of a 4-D tensor.
    func testReversedAxesMatchesNaiveIndexing() throws {
        let shape = [2, 3, 4, 5]
        for dtype in [DType.float32, .int64, .uint8] {
            let x = sample(shape, dtype, seed: 7)
            let values = raw(x)
            for mask in 0..<16 {
                let axes = Set((0..<4).filter { mask & (1 << $0) != 0 })
                let y = raw(x.reversed(axes: axes))
                var expected: [UInt64] = []
                for a in 0..<2 { for b in 0..<3 { for c in 0..<4 { for d in 0..<5 {
                    let i = [a, b, c, d].enumerated().map { axes.contains($0.offset) ? shape[$0.offset] - 1 - $0.element : $0.element }
                    expected.append(values[((i[0] * 3 + i[1]) * 4 + i[2]) * 5 + i[3]])
                } } } }
                XCTAssertEqual(y, expected, "\(dtype) axes \(axes.sorted())")
            }
        }
    }

    func testFlattenEveryAxis() throws {
        let x = sample([2, 3, 4, 5], .int32, seed: 3)
        for axis in -4...4 {
            let a = axis < 0 ? axis + 4 : axis
            let y = try evaluate(.flatten(axis: axis), [x])[0]
            XCTAssertEqual(y.shape, [x.shape[..<a].reduce(1, *), x.shape[a...].reduce(1, *)], "axis \(axis)")
            XCTAssertEqual(y.integers, x.integers)
        }
        assertEvaluationThrows(.tensor(.flatten(axis: 5)), [x])
    }

    func testSqueezeAndUnsqueeze() throws {
        let x = sample([1, 3, 1, 2], .float16, seed: 4)
        XCTAssertEqual(try evaluate(.squeeze(axes: nil), [x])[0].shape, [3, 2])
        XCTAssertEqual(try evaluate(.squeeze(axes: [-2]), [x])[0].shape, [1, 3, 2])
        XCTAssertEqual(try evaluate(.squeeze(axes: nil), [x, ints([0])])[0].shape, [3, 1, 2])
        XCTAssertEqual(try evaluate(.unsqueeze(axes: [0, -1]), [x])[0].shape, [1, 1, 3, 1, 2, 1])
        XCTAssertEqual(try evaluate(.unsqueeze(axes: nil), [x, ints([2])])[0].shape, [1, 3, 1, 1, 2])
        XCTAssertEqual(raw(try evaluate(.unsqueeze(axes: [0]), [x])[0]), raw(x))
        let scalar = tensor([7], [], .int64)
        XCTAssertEqual(try evaluate(.unsqueeze(axes: [0]), [scalar])[0].shape, [1])
        assertEvaluationThrows(.tensor(.squeeze(axes: [1])), [x], "size 3")
        assertEvaluationThrows(.tensor(.squeeze(axes: [0])), [sample([0, 2], .float32, seed: 5)], "size 0")
        assertEvaluationThrows(.tensor(.unsqueeze(axes: [0, 0])), [x], "repeated")
        assertEvaluationThrows(.tensor(.unsqueeze(axes: [7])), [x], "out of range")
    }

    // MARK: - Transpose

    func testTransposeMatchesNaiveIndexingForEveryPermutation() throws {
        func permutations(_ n: Int) -> [[Int]] {
            if n == 0 { return [[]] }
            return permutations(n - 1).flatMap { p in (0...p.count).map { i in var q = p; q.insert(n - 1, at: i); return q } }
        }
        let shapes: [[Int]] = [[], [5], [2, 3], [2, 1, 3], [2, 3, 4, 2], [1, 2, 1, 3, 2]]
        for (s, shape) in shapes.enumerated() {
            for dtype in movementTypes {
                let x = sample(shape, dtype, seed: UInt64(s * 31) + UInt64(dtype.rawValue))
                let source = raw(x)
                for perm in permutations(shape.count) {
                    let y = try evaluate(.transpose(perm: perm), [x])[0]
                    let outShape = perm.map { shape[$0] }
                    XCTAssertEqual(y.shape, outShape)
                    XCTAssertEqual(y.dtype, dtype)
                    let expected = Naive.indices(outShape).map { o in
                        var i = [Int](repeating: 0, count: shape.count)
                        for (k, axis) in perm.enumerated() { i[axis] = o[k] }
                        return source[Naive.offset(i, shape)]
                    }
                    XCTAssertEqual(raw(y), expected, "\(dtype) \(shape) perm \(perm)")
                }
            }
        }
        let x = sample([2, 3, 4], .float32, seed: 9)
        XCTAssertEqual(try evaluate(.transpose(perm: nil), [x])[0], try evaluate(.transpose(perm: [2, 1, 0]), [x])[0])
        assertEvaluationThrows(.tensor(.transpose(perm: [0, 0, 1])), [x], "not a permutation")
        assertEvaluationThrows(.tensor(.transpose(perm: [0, 1])), [x], "wrong length")
        assertEvaluationThrows(.tensor(.transpose(perm: [0, 1, 3])), [x], "out of range")
    }

    // MARK: - Concat and split

    func testConcatAlongEveryAxis() throws {
        for dtype in movementTypes {
            for axis in -3..<3 {
                let a = axis < 0 ? axis + 3 : axis
                var shapes = [[2, 3, 2], [2, 3, 2], [2, 3, 2]]
                shapes[1][a] = 1
                shapes[2][a] = 0
                let parts = shapes.enumerated().map { sample($0.element, dtype, seed: UInt64($0.offset + 10)) }
                let y = try evaluate(.concat(axis: axis), parts)[0]
                var outShape = shapes[0]
                outShape[a] = shapes.map { $0[a] }.reduce(0, +)
                XCTAssertEqual(y.shape, outShape)
                let expected = Naive.indices(outShape).map { o -> UInt64 in
                    var i = o, k = 0
                    while i[a] >= shapes[k][a] { i[a] -= shapes[k][a]; k += 1 }
                    return raw(parts[k])[Naive.offset(i, shapes[k])]
                }
                XCTAssertEqual(raw(y), expected, "\(dtype) axis \(axis)")
            }
        }
        assertEvaluationThrows(.tensor(.concat(axis: 0)), [sample([2, 2], .float32, seed: 1), sample([2, 2], .int32, seed: 1)], "dtypes differ")
        assertEvaluationThrows(.tensor(.concat(axis: 0)), [sample([2, 2], .float32, seed: 1), sample([2, 3], .float32, seed: 1)], "shapes differ")
        assertEvaluationThrows(.tensor(.concat(axis: 2)), [sample([2, 2], .float32, seed: 1)], "axis out of range")
    }

    func testSplitBySizesOperandAndEqualParts() throws {
        let x = sample([3, 7], .int64, seed: 12)
        let values = x.integers
        func columns(_ from: Int, _ count: Int) -> [Int64] { (0..<3).flatMap { r in (from..<(from + count)).map { values[r * 7 + $0] } } }
        let bySizes = try evaluate(.split(SplitAttributes(axis: 1, sizes: [2, 5])), [x], outputs: 2)
        XCTAssertEqual(bySizes.map(\.shape), [[3, 2], [3, 5]])
        XCTAssertEqual(bySizes[1].integers, columns(2, 5))
        let byOperand = try evaluate(.split(SplitAttributes(axis: -1)), [x, ints([4, 0, 3])], outputs: 3)
        XCTAssertEqual(byOperand.map(\.shape), [[3, 4], [3, 0], [3, 3]])
        XCTAssertEqual(byOperand[2].integers, columns(4, 3))
        // Equal parts, the last smaller when 7 does not divide by 3 (ONNX Split-18).
        let equal = try evaluate(.split(SplitAttributes(axis: 1)), [x], outputs: 3)
        XCTAssertEqual(equal.map(\.shape), [[3, 3], [3, 3], [3, 1]])
        XCTAssertEqual(equal.map(\.integers), [columns(0, 3), columns(3, 3), columns(6, 1)])
        let rows = try evaluate(.split(SplitAttributes(axis: 0)), [x], outputs: 3)
        XCTAssertEqual(rows.map(\.integers), [Array(values[0..<7]), Array(values[7..<14]), Array(values[14...])])
        assertEvaluationThrows(.tensor(.split(SplitAttributes(axis: 1, sizes: [2, 2]))), [x], outputs: 2, "sizes do not add up")
        assertEvaluationThrows(.tensor(.split(SplitAttributes(axis: 1, sizes: [Int.max, Int.max]))), [x], outputs: 2, "overflowing sizes")
        assertEvaluationThrows(.tensor(.split(SplitAttributes(axis: 2))), [x], outputs: 2, "axis out of range")
    }

    // MARK: - Slice

    /// ONNX's slice indices along one axis (the specification's clamping, as onnxruntime).
    private func sliceIndices(dim: Int, start: Int, end: Int, step: Int) -> [Int] {
        var s = start < 0 ? start + dim : start, e = end < 0 ? end + dim : end
        var result: [Int] = []
        if step > 0 {
            s = min(max(s, 0), dim); e = min(max(e, 0), dim)
            var i = s
            while i < e { result.append(i); i += step }
        } else {
            s = min(max(s, 0), dim - 1); e = min(max(e, -1), dim - 1)
            var i = s
            while i > e { result.append(i); i += step }
        }
        return result
    }

    func testSliceSweepMatchesNaiveIndexing() throws {
        let shape = [4, 5, 3]
        var seed: UInt64 = 100
        for dtype in [DType.float32, .uint8, .int64, .float16] {
            let x = sample(shape, dtype, seed: UInt64(dtype.rawValue))
            let source = raw(x)
            for _ in 0..<60 {
                seed += 1
                let r = seededValues(12, seed: seed, range: 7).map { Int($0) }
                let axes = [[0, 1, 2], [2, 0], [-1], [1]][Int(seed % 4)]
                let starts = axes.indices.map { r[$0] }, ends = axes.indices.map { r[$0 + 3] }
                let steps = axes.indices.map { r[$0 + 6] == 0 ? 1 : (r[$0 + 6] > 4 ? r[$0 + 6] - 3 : r[$0 + 6]) }
                let useOperands = seed % 2 == 0
                let op = TensorOp.slice(useOperands ? SliceAttributes(starts: nil, ends: nil)
                                                    : SliceAttributes(starts: starts, ends: ends, axes: axes, steps: steps))
                let operands: [Tensor?] = useOperands ? [x, ints(starts), ints(ends), ints(axes), ints(steps)] : [x]
                let y = try evaluate(op, operands)[0]
                var picks = shape.map { Array(0..<$0) }
                for (k, axis) in axes.enumerated() {
                    let a = axis < 0 ? axis + 3 : axis
                    picks[a] = sliceIndices(dim: shape[a], start: starts[k], end: ends[k], step: steps[k])
                }
                XCTAssertEqual(y.shape, picks.map(\.count), "starts \(starts) ends \(ends) axes \(axes) steps \(steps)")
                let expected = Naive.indices(picks.map(\.count)).map { o in source[Naive.offset(zip(o, picks).map { $1[$0] }, shape)] }
                XCTAssertEqual(raw(y), expected, "starts \(starts) ends \(ends) axes \(axes) steps \(steps)")
            }
        }
    }

    func testSliceClampsExtremeValuesWithoutOverflow() throws {
        let x = sample([6], .int32, seed: 7)
        let v = x.integers
        // INT64_MAX / INT64_MIN as ONNX exporters write "to the end".
        XCTAssertEqual(try evaluate(.slice(SliceAttributes(starts: [Int.min], ends: [Int.max])), [x])[0].integers, v)
        XCTAssertEqual(try evaluate(.slice(SliceAttributes(starts: [Int.max], ends: [Int.min], steps: [-1])), [x])[0].integers, v.reversed())
        XCTAssertEqual(try evaluate(.slice(SliceAttributes(starts: [1], ends: [Int.max], steps: [Int.max])), [x])[0].integers, [v[1]])
        XCTAssertEqual(try evaluate(.slice(SliceAttributes(starts: [-1], ends: [Int.min], steps: [Int.min])), [x])[0].integers, [v[5]])
        XCTAssertEqual(try evaluate(.slice(SliceAttributes(starts: [-2], ends: [0], steps: [-2])), [x])[0].integers, [v[4], v[2]])
        assertEvaluationThrows(.tensor(.slice(SliceAttributes(starts: [0], ends: [3], steps: [0]))), [x], "step 0")
        assertEvaluationThrows(.tensor(.slice(SliceAttributes(starts: [0, 0], ends: [3], steps: nil))), [x], "lengths differ")
        assertEvaluationThrows(.tensor(.slice(SliceAttributes(starts: [0, 0], ends: [1, 1], axes: [0, 0]))), [x], "repeated axis")
    }

    // MARK: - Gather

    func testGatherWithNegativeIndicesOnEveryAxis() throws {
        let shape = [3, 4, 2]
        for dtype in [DType.float32, .int8, .float64] {
            let x = sample(shape, dtype, seed: 21)
            let source = raw(x)
            for axis in -3..<3 {
                let a = axis < 0 ? axis + 3 : axis
                let d = shape[a]
                let picks = [0, d - 1, -1, -d, 1 % d, -2 + d]
                let indices = ints(picks, [2, 3], .int32)
                let y = try evaluate(.gather(axis: axis), [x, indices])[0]
                let outShape = Array(shape[..<a]) + [2, 3] + Array(shape[(a + 1)...])
                XCTAssertEqual(y.shape, outShape)
                let expected = Naive.indices(outShape).map { o -> UInt64 in
                    let p = picks[o[a] * 3 + o[a + 1]]
                    let i = Array(o[..<a]) + [p < 0 ? p + d : p] + Array(o[(a + 2)...])
                    return source[Naive.offset(i, shape)]
                }
                XCTAssertEqual(raw(y), expected, "\(dtype) axis \(axis)")
            }
        }
        let x = sample([3, 2], .float32, seed: 1)
        // A scalar index drops the axis.
        XCTAssertEqual(try evaluate(.gather(axis: 0), [x, ints([-1], [])])[0].floats, Array(x.floats[4...]))
        assertEvaluationThrows(.tensor(.gather(axis: 0)), [x, ints([3])], "index 3 of 3")
        assertEvaluationThrows(.tensor(.gather(axis: 0)), [x, ints([-4])], "index -4 of 3")
        assertEvaluationThrows(.tensor(.gather(axis: 2)), [x, ints([0])], "axis out of range")
        assertEvaluationThrows(.tensor(.gather(axis: 0)), [x, tensor([0], [1], .float32)], "float indices")
    }

    func testGatherElementsMatchesNaiveIndexing() throws {
        let shape = [3, 4, 2]
        let x = sample(shape, .int16, seed: 30)
        let source = raw(x)
        for axis in 0..<3 {
            var ishape = [2, 3, 2]
            ishape[axis] = 5
            let count = ishape.reduce(1, *)
            let picks = seededValues(count, seed: UInt64(axis), range: 100).map { v in
                let d = shape[axis]
                return ((Int(v) % (2 * d)) + 2 * d) % (2 * d) - d   // in -d..<d
            }
            let y = try evaluate(.gatherElements(axis: axis), [x, ints(picks, ishape)])[0]
            XCTAssertEqual(y.shape, ishape)
            let expected = Naive.indices(ishape).enumerated().map { n, o -> UInt64 in
                var i = o
                i[axis] = picks[n] < 0 ? picks[n] + shape[axis] : picks[n]
                return source[Naive.offset(i, shape)]
            }
            XCTAssertEqual(raw(y), expected, "axis \(axis)")
        }
        assertEvaluationThrows(.tensor(.gatherElements(axis: 0)), [x, ints([3], [1, 1, 1])], "index out of range")
        assertEvaluationThrows(.tensor(.gatherElements(axis: 0)), [x, ints([0], [1, 1])], "rank differs")
        assertEvaluationThrows(.tensor(.gatherElements(axis: 0)), [x, ints(Array(repeating: 0, count: 5), [1, 5, 1])], "wider than the data")
    }

    // MARK: - Scatter

    /// ScatterElements, every axis, every reduction, against a naive loop over the updates in
    /// order (duplicate destinations included: `none` keeps the last, the others combine).
    func testScatterElementsMatchesNaiveLoop() throws {
        let shape = [3, 4, 2]
        for dtype in [DType.float32, .int32, .float16] {
            let x = sample(shape, dtype, seed: 50)
            for axis in -3..<3 {
                let ax = axis < 0 ? axis + 3 : axis
                var ishape = [2, 3, 2]
                ishape[ax] = 4
                let count = ishape.reduce(1, *)
                let picks = seededValues(count, seed: UInt64(ax + 7), range: 100).map { v in
                    let d = shape[ax]
                    return ((Int(v) % (2 * d)) + 2 * d) % (2 * d) - d   // in -d..<d, duplicates likely
                }
                let updates = tensor(seededValues(count, seed: 60 + UInt64(ax), range: 5), ishape, dtype)
                for reduction in ScatterReduction.allCases {
                    let y = try evaluate(.scatterElements(axis: axis, reduction: reduction), [x, ints(picks, ishape), updates])[0]
                    var expected = x.doubles
                    let u = updates.doubles
                    for (n, i) in Naive.indices(ishape).enumerated() {
                        var j = i
                        j[ax] = picks[n] < 0 ? picks[n] + shape[ax] : picks[n]
                        let o = Naive.offset(j, shape)
                        expected[o] = Self.combine(expected[o], u[n], reduction, dtype)
                    }
                    XCTAssertEqual(y.shape, shape)
                    XCTAssertEqual(y.doubles, expected, "\(dtype) axis \(axis) \(reduction)")
                }
            }
        }
        let x = sample(shape, .float32, seed: 1)
        assertEvaluationThrows(.tensor(.scatterElements(axis: 0, reduction: .none)), [x, ints([3], [1, 1, 1]), sample([1, 1, 1], .float32, seed: 2)], "index out of range")
        assertEvaluationThrows(.tensor(.scatterElements(axis: 0, reduction: .none)), [x, ints([0, 0], [1, 2, 1]), sample([1, 1, 1], .float32, seed: 2)], "updates shape differs")
        assertEvaluationThrows(.tensor(.scatterElements(axis: 0, reduction: .none)), [x, ints([0], [1, 1, 1]), sample([1, 1, 1], .int32, seed: 2)], "updates dtype differs")
    }

    /// ScatterND with index tuples of every length (whole slices to single elements), negative
    /// indices, duplicates and every reduction, against a naive loop.
    func testScatterNDMatchesNaiveLoop() throws {
        let shape = [4, 3, 2]
        for dtype in [DType.float32, .int64, .bfloat16] {
            let x = sample(shape, dtype, seed: 70)
            for k in 1...3 {
                let tuples = 5
                let raw = seededValues(tuples * k, seed: UInt64(k), range: 100).enumerated().map { n, v in
                    let d = shape[n % k]
                    return ((Int(v) % (2 * d)) + 2 * d) % (2 * d) - d
                }
                let slice = Array(shape[k...])
                let ushape = [tuples] + slice
                let sliceCount = slice.reduce(1, *)
                let updates = tensor(seededValues(tuples * sliceCount, seed: 80 + UInt64(k), range: 5), ushape, dtype)
                for reduction in ScatterReduction.allCases {
                    let y = try evaluate(.scatterND(reduction: reduction), [x, ints(raw, [tuples, k]), updates])[0]
                    var expected = x.doubles
                    let u = updates.doubles
                    for t in 0..<tuples {
                        let lead = (0..<k).map { j in raw[t * k + j] < 0 ? raw[t * k + j] + shape[j] : raw[t * k + j] }
                        for (e, rest) in Naive.indices(slice).enumerated() {
                            let o = Naive.offset(lead + rest, shape)
                            expected[o] = Self.combine(expected[o], u[t * sliceCount + e], reduction, dtype)
                        }
                    }
                    XCTAssertEqual(y.doubles, expected, "\(dtype) k \(k) \(reduction)")
                }
            }
        }
        let x = sample(shape, .float32, seed: 1)
        assertEvaluationThrows(.tensor(.scatterND(reduction: .none)), [x, ints([4], [1, 1]), sample([1, 3, 2], .float32, seed: 2)], "index out of range")
        assertEvaluationThrows(.tensor(.scatterND(reduction: .none)), [x, ints([0, 0, 0, 0], [1, 4]), sample([1], .float32, seed: 2)], "tuple longer than the rank")
        assertEvaluationThrows(.tensor(.scatterND(reduction: .none)), [x, ints([0], [1, 1]), sample([1, 3], .float32, seed: 2)], "updates shape")
    }

    /// The `.swm` graph JSON keeps a scatter's reduction and axis.
    func testScatterOpsKeepTheirAttributesInGraphJSON() throws {
        for op in [Op.tensor(.scatterND(reduction: .mul)), .tensor(.scatterElements(axis: -1, reduction: .none)),
                   .tensor(.scatterElements(axis: 2, reduction: .min))] {
            let json = try JSONEncoder().encode(op)
            XCTAssertEqual(try JSONDecoder().decode(Op.self, from: json), op, String(decoding: json, as: UTF8.self))
        }
        let decoded = try JSONSerialization.jsonObject(with: try JSONEncoder().encode(Op.tensor(.scatterND(reduction: .add)))) as? [String: Any]
        XCTAssertEqual(decoded?["kind"] as? String, "scatter_nd")
        XCTAssertEqual((decoded?["attributes"] as? [String: Any])?["reduction"] as? String, "add")
    }

    /// One update combined as the dtype's own arithmetic would.
    private static func combine(_ a: Double, _ b: Double, _ reduction: ScatterReduction, _ dtype: DType) -> Double {
        let v: Double
        switch reduction {
        case .none: v = b
        case .add: v = a + b
        case .mul: v = a * b
        case .max: v = max(a, b)
        case .min: v = min(a, b)
        }
        return Tensor(shape: [1], doubles: [v], dtype: dtype).doubles[0]
    }

    // MARK: - Expand and tile

    func testExpandBroadcastsBothWays() throws {
        let x = sample([3, 1], .uint16, seed: 40)
        let v = raw(x)
        let y = try evaluate(.expand(shape: [2, 1, 4]), [x])[0]
        XCTAssertEqual(y.shape, [2, 3, 4])
        XCTAssertEqual(raw(y), Naive.indices([2, 3, 4]).map { v[$0[1]] })
        // Bidirectional: the target's 1 keeps the input's 3.
        XCTAssertEqual(try evaluate(.expand(shape: nil), [x, ints([1, 1])])[0].shape, [3, 1])
        XCTAssertEqual(try evaluate(.expand(shape: [1]), [tensor([5], [], .float32)])[0].floats, [5])
        XCTAssertEqual(try evaluate(.expand(shape: [2, 3, 0]), [x])[0].shape, [2, 3, 0])
        assertEvaluationThrows(.tensor(.expand(shape: [2, 0, 1])), [x], "3 against 0")
        assertEvaluationThrows(.tensor(.expand(shape: [2, 2])), [x], "3 against 2")
        assertEvaluationThrows(.tensor(.expand(shape: [-1, 1])), [x], "negative dimension")
        assertEvaluationThrows(.tensor(.expand(shape: [1 << 40, 1 << 20])), [x], "absurd size")
    }

    func testTileMatchesNaiveIndexing() throws {
        for dtype in [DType.float32, .bool, .int64] {
            let shape = [2, 3, 1]
            let x = sample(shape, dtype, seed: 50)
            let source = raw(x)
            for repeats in [[1, 1, 1], [2, 1, 3], [3, 2, 2], [0, 2, 1]] {
                let y = try evaluate(.tile(repeats: nil), [x, ints(repeats)])[0]
                let outShape = zip(shape, repeats).map(*)
                XCTAssertEqual(y.shape, outShape)
                XCTAssertEqual(raw(y), Naive.indices(outShape).map { o in source[Naive.offset(zip(o, shape).map { $0 % $1 }, shape)] },
                               "\(dtype) repeats \(repeats)")
            }
        }
        let x = sample([2, 2], .float32, seed: 1)
        assertEvaluationThrows(.tensor(.tile(repeats: [1 << 40, 1 << 20])), [x], "absurd repeats")
        assertEvaluationThrows(.tensor(.tile(repeats: [1 << 62, 1])), [x], "overflowing repeats")
        assertEvaluationThrows(.tensor(.tile(repeats: [-1, 1])), [x], "negative repeats")
        assertEvaluationThrows(.tensor(.tile(repeats: [2])), [x], "too few repeats")
    }

    // MARK: - Pad

    /// Where output position `p` (relative to the kept part of length `n`) reads, by bouncing
    /// (reflect) or wrapping step by step: a different formulation from the evaluator's.
    private func padSource(_ p: Int, _ n: Int, _ mode: PadMode) -> Int? {
        if p >= 0 && p < n { return p }
        switch mode {
        case .constant: return nil
        case .edge: return min(max(p, 0), n - 1)
        case .wrap:
            var q = p
            while q < 0 { q += n }
            while q >= n { q -= n }
            return q
        case .reflect:
            if n == 1 { return 0 }
            var q = p
            while q < 0 || q >= n { q = q < 0 ? -q : 2 * (n - 1) - q }
            return q
        }
    }

    func testPadEveryModeMatchesNaiveIndexing() throws {
        let shape = [3, 4]
        let padSets: [[Int]] = [[0, 0, 0, 0], [1, 2, 2, 1], [0, 7, 0, 6], [-1, 1, 2, -2], [2, -3, -1, 5], [-3, 0, 0, 0]]
        for dtype in [DType.float32, .int8, .float64, .uint16] {
            let x = sample(shape, dtype, seed: 60)
            let source = raw(x)
            for mode in [PadMode.constant, .edge, .reflect, .wrap] {
                for pads in padSets {
                    let kept = [shape[0] + min(pads[0], 0) + min(pads[2], 0), shape[1] + min(pads[1], 0) + min(pads[3], 0)]
                    let outShape = [kept[0] + max(pads[0], 0) + max(pads[2], 0), kept[1] + max(pads[1], 0) + max(pads[3], 0)]
                    let op = TensorOp.pad(PadAttributes(mode: mode, pads: pads, value: 9))
                    if mode != .constant, kept.contains(0), outShape != kept {
                        assertEvaluationThrows(.tensor(op), [x], "\(mode) from an emptied axis")
                        continue
                    }
                    let y = try evaluate(op, [x])[0]
                    XCTAssertEqual(y.shape, outShape, "\(mode) \(pads)")
                    let fill = raw(tensor([9], [], dtype))[0]
                    let expected = Naive.indices(outShape).map { o -> UInt64 in
                        var i: [Int] = []
                        for k in 0..<2 {
                            guard let q = padSource(o[k] - max(pads[k], 0), kept[k], mode) else { return fill }
                            i.append(q + max(0, -pads[k]))
                        }
                        return source[Naive.offset(i, shape)]
                    }
                    XCTAssertEqual(raw(y), expected, "\(dtype) \(mode) \(pads)")
                }
            }
        }
    }

    func testPadAxesAndConstantOperand() throws {
        let x = tensor([1, 2, 3, 4, 5, 6], [2, 3], .int32)
        // Pad-18: pads for the listed axes only, the fill from the constant_value operand.
        let y = try evaluate(.pad(PadAttributes(mode: .constant, pads: nil, value: nil)), [x, ints([1, 2]), tensor([-7], [], .int32), ints([-1])])[0]
        XCTAssertEqual(y.shape, [2, 6])
        XCTAssertEqual(y.integers, [-7, 1, 2, 3, -7, -7, -7, 4, 5, 6, -7, -7])
        let zero = try evaluate(.pad(PadAttributes(mode: .constant, pads: [1, 0, 0, 0], value: nil)), [x])[0]
        XCTAssertEqual(zero.integers, [0, 0, 0, 1, 2, 3, 4, 5, 6])
        let reflect = try evaluate(.pad(PadAttributes(mode: .reflect, pads: [0, 2, 0, 0])), [tensor([1, 2, 3], [1, 3])])[0]
        XCTAssertEqual(reflect.floats, [3, 2, 1, 2, 3])
        assertEvaluationThrows(.tensor(.pad(PadAttributes(pads: [1, 1, 1]))), [x], "odd pad count")
        assertEvaluationThrows(.tensor(.pad(PadAttributes(pads: [1, 1], axes: [0, 0]))), [x], "repeated axis")
        assertEvaluationThrows(.tensor(.pad(PadAttributes(pads: [-3, 1, 0, 0]))), [x], "crops below zero")
        assertEvaluationThrows(.tensor(.pad(PadAttributes(pads: [Int.min, 0, 0, 0]))), [x], "hostile pad")
        assertEvaluationThrows(.tensor(.pad(PadAttributes(pads: [0, 1 << 40, 0, 1 << 40]))), [x], "absurd pad")
    }

    // MARK: - Depth and space

    func testDepthToSpaceMatchesTheONNXExampleAndNaiveIndexing() throws {
        let x = tensor((0..<48).map(Double.init), [1, 8, 2, 3])
        let dcr = try evaluate(.depthToSpace(DepthToSpaceAttributes(blockSize: 2)), [x])[0]
        XCTAssertEqual(dcr.shape, [1, 2, 4, 6])
        // The ONNX operator documentation's DCR example.
        XCTAssertEqual(dcr.floats, [0, 12, 1, 13, 2, 14, 24, 36, 25, 37, 26, 38, 3, 15, 4, 16, 5, 17, 27, 39, 28, 40, 29, 41,
                                    6, 18, 7, 19, 8, 20, 30, 42, 31, 43, 32, 44, 9, 21, 10, 22, 11, 23, 33, 45, 34, 46, 35, 47])
        for (shape, b) in [([2, 9, 2, 1], 3), ([1, 4, 3, 2], 2), ([1, 3, 2, 2], 1)] {
            let x = sample(shape, .int64, seed: 70)
            let v = x.integers
            let c = shape[1] / (b * b)
            for crd in [false, true] {
                let y = try evaluate(.depthToSpace(DepthToSpaceAttributes(blockSize: b, columnRowDepth: crd)), [x])[0]
                let outShape = [shape[0], c, shape[2] * b, shape[3] * b]
                let expected = Naive.indices(outShape).map { o -> Int64 in
                    let (i, j) = (o[2] % b, o[3] % b)
                    let channel = crd ? o[1] * b * b + i * b + j : (i * b + j) * c + o[1]
                    return v[Naive.offset([o[0], channel, o[2] / b, o[3] / b], shape)]
                }
                XCTAssertEqual(y.integers, expected, "\(shape) block \(b) crd \(crd)")
                // SpaceToDepth undoes DepthToSpace in the same mode.
                let back = try evaluate(.spaceToDepth(SpaceToDepthAttributes(blockSize: b, columnRowDepth: crd)), [y])[0]
                XCTAssertEqual(back.integers, v, "\(shape) block \(b) crd \(crd)")
            }
        }
        assertEvaluationThrows(.tensor(.depthToSpace(DepthToSpaceAttributes(blockSize: 3))), [x], "8 channels for block 3")
        assertEvaluationThrows(.tensor(.depthToSpace(DepthToSpaceAttributes(blockSize: 1 << 40))), [x], "absurd block")
        assertEvaluationThrows(.tensor(.spaceToDepth(SpaceToDepthAttributes(blockSize: 2))), [x], "width 3 for block 2")
        assertEvaluationThrows(.tensor(.spaceToDepth(SpaceToDepthAttributes(blockSize: 2))), [sample([2, 4], .float32, seed: 1)], "rank 2")
    }

    /// The ONNX operator documentation's CRD example (SpaceToDepth-28), and the mode through the
    /// graph JSON: a graph written before the mode existed reads as DCR.
    func testSpaceToDepthCRDMatchesTheONNXExample() throws {
        let x = tensor([0, 9, 1, 10, 2, 11, 18, 27, 19, 28, 20, 29, 3, 12, 4, 13, 5, 14, 21, 30, 22, 31, 23, 32,
                        36, 45, 37, 46, 38, 47, 54, 63, 55, 64, 56, 65, 39, 48, 40, 49, 41, 50, 57, 66, 58, 67, 59, 68], [1, 2, 4, 6])
        let y = try evaluate(.spaceToDepth(SpaceToDepthAttributes(blockSize: 2, columnRowDepth: true)), [x])[0]
        XCTAssertEqual(y.shape, [1, 8, 2, 3])
        // Channel c·4 + i·2 + j holds block offset (i, j) of input channel c: 0…5, 9…14, 18…23, ….
        XCTAssertEqual(y.floats, (0..<8).flatMap { k in (0..<6).map { Float(9 * k + $0) } })

        let crd = Op.tensor(.spaceToDepth(SpaceToDepthAttributes(blockSize: 2, columnRowDepth: true)))
        XCTAssertEqual(try JSONDecoder().decode(Op.self, from: try JSONEncoder().encode(crd)), crd)
        let old = Data(#"{"kind": "space_to_depth", "attributes": {"blockSize": 3}}"#.utf8)
        XCTAssertEqual(try JSONDecoder().decode(Op.self, from: old), .tensor(.spaceToDepth(SpaceToDepthAttributes(blockSize: 3))))
    }

    // MARK: - Shapes, casts, constants

    func testShapeSizeAndConstantOfShape() throws {
        let x = sample([2, 3, 5], .float32, seed: 1)
        XCTAssertEqual(try evaluate(.shape(start: 0, end: nil), [x])[0].integers, [2, 3, 5])
        XCTAssertEqual(try evaluate(.shape(start: -2, end: nil), [x])[0].integers, [3, 5])
        XCTAssertEqual(try evaluate(.shape(start: 1, end: -1), [x])[0].integers, [3])
        XCTAssertEqual(try evaluate(.shape(start: 2, end: 1), [x])[0].integers, [])
        XCTAssertEqual(try evaluate(.size, [x])[0].integers, [30])
        let fill = ScalarValue(dtype: .int32, bytes: [7, 0, 0, 0])
        let c = try evaluate(.constantOfShape(value: fill), [ints([2, 3])])[0]
        XCTAssertEqual(c.dtype, .int32)
        XCTAssertEqual(c.integers, [Int64](repeating: 7, count: 6))
        XCTAssertEqual(try evaluate(.constantOfShape(value: .zeroFloat), [ints([])])[0].shape, [])
        XCTAssertEqual(try evaluate(.constantOfShape(value: .zeroFloat), [ints([4, 0])])[0].shape, [4, 0])
        assertEvaluationThrows(.tensor(.constantOfShape(value: .zeroFloat)), [ints([1 << 40, 1 << 10])], "absurd shape")
        assertEvaluationThrows(.tensor(.constantOfShape(value: .zeroFloat)), [ints([-1])], "negative dimension")
        assertEvaluationThrows(.tensor(.constantOfShape(value: ScalarValue(dtype: .int32, bytes: [1]))), [ints([2])], "short fill value")
    }

    func testCastRoundsAndTruncatesAsONNX() throws {
        let x = tensor([-2.7, -0.5, 0.5, 1.5, 2.5, 300.9, 65520, 1e-8], [8], .float64)
        XCTAssertEqual(try evaluate(.cast(to: .int32), [x])[0].integers, [-2, 0, 0, 1, 2, 300, 65520, 0])
        XCTAssertEqual(try evaluate(.cast(to: .bool), [x])[0].integers, [1, 1, 1, 1, 1, 1, 1, 1])
        // float64 → float16 rounds once to nearest even; 65520 overflows to infinity.
        let half = try evaluate(.cast(to: .float16), [x])[0]
        XCTAssertEqual(half.floats[0...4].map { $0 }, [-2.69921875, -0.5, 0.5, 1.5, 2.5])
        XCTAssertEqual(half.floats[6], .infinity)
        // int → float → int round trip of large int64 values keeps them when they fit float64.
        let big = ints([1 << 52 + 1, -(1 << 40)])
        XCTAssertEqual(try evaluate(.cast(to: .int64), [try evaluate(.cast(to: .float64), [big])[0]])[0].integers, big.integers)
        // Integers wrap (NumPy's astype).
        XCTAssertEqual(try evaluate(.cast(to: .uint8), [ints([256, -1, 300])])[0].integers, [0, 255, 44])
        let like = try evaluate(.castLike, [ints([1, 2]), tensor([0], [1], .float16)])[0]
        XCTAssertEqual(like.dtype, .float16)
        XCTAssertEqual(like.floats, [1, 2])
    }

    func testRangeIntegersExactlyAndFloats() throws {
        XCTAssertEqual(try evaluate(.range, [ints([3], []), ints([10], []), ints([3], [])])[0].integers, [3, 6, 9])
        XCTAssertEqual(try evaluate(.range, [ints([10], []), ints([3], []), ints([-4], [])])[0].integers, [10, 6])
        XCTAssertEqual(try evaluate(.range, [ints([5], []), ints([5], []), ints([1], [])])[0].shape, [0])
        XCTAssertEqual(try evaluate(.range, [ints([5], []), ints([1], []), ints([1], [])])[0].shape, [0])
        // Near the int64 limits the count is exact (Double would be off by one).
        let top = (1 << 62) + 1
        XCTAssertEqual(try evaluate(.range, [ints([top], []), ints([top + 3], []), ints([1], [])])[0].integers.map { $0 - Int64(top) }, [0, 1, 2])
        let f = try evaluate(.range, [tensor([1], []), tensor([2], []), tensor([0.25], [])])[0]
        XCTAssertEqual(f.floats, [1, 1.25, 1.5, 1.75])
        XCTAssertEqual(try evaluate(.range, [tensor([0], [], .float64), tensor([1], [], .float64), tensor([0.1], [], .float64)])[0].shape, [10])
        assertEvaluationThrows(.tensor(.range), [ints([0], []), ints([5], []), ints([0], [])], "delta 0")
        assertEvaluationThrows(.tensor(.range), [tensor([0], []), tensor([-.infinity], []), tensor([-1], [])], "infinite count")
        assertEvaluationThrows(.tensor(.range), [tensor([0], []), tensor([.nan], []), tensor([1], [])], "NaN count")
        assertEvaluationThrows(.tensor(.range), [ints([0], []), ints([Int.max], []), ints([1], [])], "2^63 elements")
        assertEvaluationThrows(.tensor(.range), [ints([0, 1]), ints([5], []), ints([1], [])], "non-scalar start")
        assertEvaluationThrows(.tensor(.range), [ints([0], []), tensor([5], []), ints([1], [])], "mixed types")
    }

    func testIdentityDropoutAndRepeatVector() throws {
        let x = sample([2, 3], .bfloat16, seed: 80)
        XCTAssertEqual(try evaluate(.identity, [x])[0], x)
        let d = try evaluate(.dropout(rate: 0.5), [x], outputs: 2)
        XCTAssertEqual(d[0], x)
        XCTAssertEqual(d[1].dtype, .bool)
        XCTAssertEqual(d[1].integers, [Int64](repeating: 1, count: 6))
        XCTAssertEqual(try evaluate(.dropout(rate: 0.5), [x, tensor([0.3], []), tensor([0], [], .bool)]).count, 1)
        XCTAssertEqual(try evaluate(.dropout(rate: 0.5), [x, tensor([0], []), tensor([1], [], .bool)])[0], x)
        XCTAssertThrowsError(try evaluate(.dropout(rate: 0.5), [x, tensor([0.3], []), tensor([1], [], .bool)])) { error in
            guard case .unsupported = error as? ModelIRError else { return XCTFail("\(error)") }
        }
        let r = try evaluate(.repeatVector(n: 3), [x])[0]
        XCTAssertEqual(r.shape, [2, 3, 3])
        let v = raw(x)
        XCTAssertEqual(raw(r), Naive.indices([2, 3, 3]).map { v[$0[0] * 3 + $0[2]] })
        assertEvaluationThrows(.tensor(.repeatVector(n: 1 << 61)), [x], "absurd count")
        assertEvaluationThrows(.tensor(.repeatVector(n: 2)), [sample([2], .float32, seed: 1)], "rank 1")
    }

    func testRankEight() throws {
        let shape = [2, 1, 3, 1, 2, 2, 1, 3]
        let x = sample(shape, .int16, seed: 90)
        let source = raw(x)
        let perm = [7, 0, 5, 2, 6, 4, 1, 3]
        let y = try evaluate(.transpose(perm: perm), [x])[0]
        XCTAssertEqual(raw(y), Naive.indices(perm.map { shape[$0] }).map { o in
            var i = [Int](repeating: 0, count: 8)
            for (k, axis) in perm.enumerated() { i[axis] = o[k] }
            return source[Naive.offset(i, shape)]
        })
        let padded = try evaluate(.pad(PadAttributes(mode: .reflect, pads: [0, 0, 2, 0, 1, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 2])), [x])[0]
        XCTAssertEqual(padded.shape, [2, 1, 5, 1, 3, 2, 1, 6])
        let sliced = try evaluate(.slice(SliceAttributes(starts: [-1, 2], ends: [Int.min, 0], axes: [7, 2], steps: [-2, -1])), [x])[0]
        XCTAssertEqual(sliced.shape, [2, 1, 2, 1, 2, 2, 1, 2])
        XCTAssertEqual(raw(sliced), Naive.indices([2, 1, 2, 1, 2, 2, 1, 2]).map { o in
            var i = o
            i[2] = 2 - o[2]
            i[7] = 2 - 2 * o[7]
            return source[Naive.offset(i, shape)]
        })
        let sum = try evaluate(.reduction(.reduce(ReduceAttributes(function: .sum, axes: [0, 2, 7], keepDims: false))), [x])[0]
        XCTAssertEqual(sum.shape, [1, 1, 2, 2, 1])
        XCTAssertEqual(sum.integers.reduce(0, +), x.integers.reduce(0, +))
        assertEvaluationThrows(.tensor(.transpose(perm: Array(0..<9))), [x], "nine axes for rank 8")
    }

    func testTensorsWhoseBytesDoNotMatchTheirShapeAreRefused() {
        let bad = Tensor(dtype: .float32, shape: [4], data: TensorData(floats: [1, 2]))
        assertEvaluationThrows(.tensor(.transpose(perm: nil)), [bad])
    }

    /// A 0 dimension makes a tensor empty whatever its other dimensions: no op may build tables
    /// as long as those, nor multiply them past Int.max.
    func testEmptyTensorsWithHugeDimensionsNeitherTrapNorAllocate() throws {
        let wide = Tensor(zeros: .float32, shape: [0, 1 << 40])
        XCTAssertEqual(try evaluate(.transpose(perm: nil), [wide])[0].shape, [1 << 40, 0])
        XCTAssertEqual(try evaluate(.concat(axis: 0), [wide, wide])[0].shape, [0, 1 << 40])
        XCTAssertEqual(try evaluate(.expand(shape: [3, 0, 1]), [wide])[0].shape, [3, 0, 1 << 40])
        XCTAssertEqual(try evaluate(.tile(repeats: [5, 1]), [wide])[0].shape, [0, 1 << 40])
        XCTAssertEqual(try evaluate(.slice(SliceAttributes(starts: [1], ends: [Int.max], axes: [1])), [wide])[0].shape, [0, (1 << 40) - 1])
        XCTAssertEqual(try evaluate(.repeatVector(n: 1 << 20), [wide])[0].shape, [0, 1 << 20, 1 << 40])
        XCTAssertEqual(try evaluate(.split(SplitAttributes(axis: 1)), [wide], outputs: 2).map(\.shape), [[0, 1 << 39], [0, 1 << 39]])
        XCTAssertEqual(try evaluate(.resize(ResizeAttributes(mode: .linear, scales: [2, 1])), [wide])[0].shape, [0, 1 << 40])
        XCTAssertEqual(try evaluate(.reduction(.reduce(ReduceAttributes(function: .sum, axes: [0], keepDims: false))), [Tensor(zeros: .int8, shape: [0, 3])])[0].integers, [0, 0, 0])
        XCTAssertEqual(try evaluate(.reduction(.reduce(ReduceAttributes(function: .max, axes: [1]))), [wide])[0].shape, [0, 1])
        XCTAssertEqual(try evaluate(.reduction(.argMax(ArgReduceAttributes(axis: 1))), [wide])[0].shape, [0, 1])
        // Cropping the huge axis leaves a small, non-empty result.
        let cropped = try evaluate(.pad(PadAttributes(pads: [1, 0, 0, 2 - (1 << 40)], value: 4)), [wide])[0]
        XCTAssertEqual(cropped.shape, [1, 2])
        XCTAssertEqual(cropped.floats, [4, 4])
        // Nonzero dimensions whose product overflows are refused, not multiplied.
        let absurd = Tensor(zeros: .float32, shape: [0, 1 << 40, 1 << 40])
        assertEvaluationThrows(.reduction(.argMax(ArgReduceAttributes(axis: 0))), [absurd])
        assertEvaluationThrows(.tensor(.transpose(perm: nil)), [absurd])
        // Widening to a type that does not fit the bound is refused.
        // (Its bytes are never written: the allocation stays virtual.)
        let gigabyte = Tensor(dtype: .uint8, shape: [1 << 30, 1]) { _ in }
        assertEvaluationThrows(.tensor(.cast(to: .float64)), [gigabyte], "8 GiB of float64")
        assertEvaluationThrows(.reduction(.reduce(ReduceAttributes(function: .sum))), [gigabyte], "8 GiB widened")
        assertEvaluationThrows(.quantization(.dequantizeLinear(QuantizeAttributes())), [gigabyte, tensor([1], [])], "8 GiB widened")
    }
}
