import Foundation
import ModelIR
import XCTest

final class ReductionEvaluationTests: XCTestCase {
    private func reduce(_ f: ReduceFunction, _ x: Tensor, axes: [Int]?, keepDims: Bool = true, noop: Bool = false, operand: [Int]? = nil) throws -> Tensor {
        let op = Op.reduction(.reduce(ReduceAttributes(function: f, axes: axes, keepDims: keepDims, noopWithEmptyAxes: noop)))
        return try evaluate(op, operand.map { [x, ints($0)] } ?? [x])[0]
    }

    /// The reduction of the values listed, as the ONNX reference defines it (in Double).
    private func naive(_ f: ReduceFunction, _ v: [Double]) -> Double {
        switch f {
        case .sum: v.reduce(0, +)
        case .mean: v.reduce(0, +) / Double(v.count)
        case .max: v.contains(where: \.isNaN) ? .nan : v.reduce(-.infinity, max)
        case .min: v.contains(where: \.isNaN) ? .nan : v.reduce(.infinity, min)
        case .prod: v.reduce(1, *)
        case .l1: v.reduce(0) { $0 + abs($1) }
        case .l2: v.reduce(0) { $0 + $1 * $1 }.squareRoot()
        case .logSum: log(v.reduce(0, +))
        case .logSumExp: log(v.reduce(0) { $0 + exp($1) })
        case .sumSquare: v.reduce(0) { $0 + $1 * $1 }
        }
    }

    func testEveryFunctionOverEveryAxisSetMatchesNaiveLoops() throws {
        let shape = [2, 3, 4]
        let data = seededValues(24, seed: 11, range: 8).map { $0 / 4 + 2.5 }
        let axisSets: [[Int]] = [[0], [1], [2], [-1], [0, 1], [0, 2], [1, 2], [0, 1, 2], []]
        for f in ReduceFunction.allCases {
            for axes in axisSets {
                let reduced = Set((axes.isEmpty ? [0, 1, 2] : axes).map { $0 < 0 ? $0 + 3 : $0 })
                let keptShape = shape.indices.map { reduced.contains($0) ? 1 : shape[$0] }
                let groups = Naive.indices(keptShape).map { o in
                    Naive.indices(shape).filter { i in i.indices.allSatisfy { reduced.contains($0) || i[$0] == o[$0] } }
                        .map { data[Naive.offset($0, shape)] }
                }
                let expected = groups.map { naive(f, $0) }
                for keepDims in [true, false] {
                    for dtype in [DType.float32, .float64, .float16] {
                        let y = try reduce(f, tensor(data, shape, dtype), axes: axes, keepDims: keepDims)
                        XCTAssertEqual(y.shape, keepDims ? keptShape : shape.indices.filter { !reduced.contains($0) }.map { shape[$0] })
                        XCTAssertEqual(y.dtype, dtype)
                        // The exact value rounded to the type (a float16 product overflows to ∞).
                        let rounded = tensor(expected, [expected.count], dtype).doubles
                        assertClose(y.doubles, rounded, tolerance: dtype == .float16 ? 1e-3 : (dtype == .float32 ? 1e-6 : 1e-12), "\(f) \(axes) \(dtype)")
                    }
                }
                // Axes from the operand give the same result.
                let viaOperand = try reduce(f, tensor(data, shape, .float64), axes: nil, operand: axes)
                assertClose(viaOperand.doubles, expected, tolerance: 1e-12, "\(f) operand \(axes)")
            }
        }
    }

    func testIntegersWrapInTheirOwnWidth() throws {
        let x = tensor([100, 100, 100, -128, 1, 2], [2, 3], .int8)
        XCTAssertEqual(try reduce(.sum, x, axes: [1]).integers, [44, -125])      // 300 wraps to 44
        XCTAssertEqual(try reduce(.mean, x, axes: [1]).integers, [14, -41])      // 44 / 3, -125 / 3 toward zero
        XCTAssertEqual(try reduce(.max, x, axes: [0]).integers, [100, 100, 100])
        XCTAssertEqual(try reduce(.min, x, axes: [1], keepDims: false).integers, [100, -128])
        XCTAssertEqual(try reduce(.prod, x, axes: [1]).integers, [64, 0])        // 10^6 mod 256 = 64; -256 wraps to 0
        XCTAssertEqual(try reduce(.l1, x, axes: [1]).integers, [44, -125])       // |-128| wraps to -128 in int8
        let u = tensor([200, 100, 255, 0], [4], .uint8)
        XCTAssertEqual(try reduce(.max, u, axes: nil).integers, [255])
        XCTAssertEqual(try reduce(.min, u, axes: nil).integers, [0])
        XCTAssertEqual(try reduce(.sum, u, axes: nil).integers, [43])            // 555 mod 256
        XCTAssertEqual(try reduce(.mean, u, axes: nil).integers, [10])           // 43 / 4
        let big = tensor([-1, 5], [2], .uint64)                                  // -1 is 2^64 - 1
        XCTAssertEqual(try reduce(.max, big, axes: nil).integers, [-1])
        XCTAssertEqual(try reduce(.min, big, axes: nil).integers, [5])
        let i32 = ints([3, 4], nil, .int32)
        XCTAssertEqual(try reduce(.l2, i32, axes: nil).integers, [5])
        XCTAssertEqual(try reduce(.sumSquare, i32, axes: nil).integers, [25])
        XCTAssertEqual(try reduce(.logSumExp, ints([0, 0], nil, .int64), axes: nil).integers, [0])   // log 2 truncates
        let b = tensor([0, 1, 0], [3], .bool)
        XCTAssertEqual(try reduce(.max, b, axes: nil).integers, [1])
        XCTAssertEqual(try reduce(.min, b, axes: nil).integers, [0])
    }

    func testEmptyReductionsGiveTheIdentities() throws {
        let f = tensor([], [2, 0])
        let expected: [ReduceFunction: Float] = [.sum: 0, .prod: 1, .max: -.infinity, .min: .infinity, .l1: 0, .l2: 0, .sumSquare: 0,
                                                 .logSum: -.infinity, .logSumExp: -.infinity]
        for (function, value) in expected {
            let y = try reduce(function, f, axes: [1])
            XCTAssertEqual(y.shape, [2, 1])
            XCTAssertEqual(y.floats, [value, value], "\(function)")
        }
        XCTAssertTrue(try reduce(.mean, f, axes: [1]).floats.allSatisfy(\.isNaN))
        XCTAssertEqual(try reduce(.sum, f, axes: [0]).shape, [1, 0])
        let i = tensor([], [0, 3], .int32)
        XCTAssertEqual(try reduce(.max, i, axes: [0]).integers, [Int64](repeating: Int64(Int32.min), count: 3))
        XCTAssertEqual(try reduce(.min, i, axes: [0]).integers, [Int64](repeating: Int64(Int32.max), count: 3))
        XCTAssertEqual(try reduce(.min, tensor([], [0], .uint16), axes: nil).integers, [65535])
        XCTAssertEqual(try reduce(.mean, i, axes: [0]).integers, [0, 0, 0])
    }

    func testAxesHandling() throws {
        let x = tensor([1, 2, 3, 4, 5, 6], [2, 3])
        // No axes: every axis, unless noop_with_empty_axes.
        XCTAssertEqual(try reduce(.sum, x, axes: nil).floats, [21])
        XCTAssertEqual(try reduce(.sum, x, axes: nil).shape, [1, 1])
        XCTAssertEqual(try reduce(.sum, x, axes: nil, noop: true), x)
        XCTAssertEqual(try reduce(.sum, x, axes: nil, noop: true, operand: []), x)
        // Reducing over no axes still applies a composite reduction's steps to each element.
        XCTAssertEqual(try reduce(.sumSquare, x, axes: nil, noop: true).floats, [1, 4, 9, 16, 25, 36])
        XCTAssertEqual(try reduce(.l1, tensor([-2, 3], [2]), axes: [], noop: true).floats, [2, 3])
        XCTAssertEqual(try reduce(.logSum, tensor([1, 1], [2], .float64), axes: nil, noop: true).doubles, [0, 0])
        XCTAssertEqual(try reduce(.sum, x, axes: nil, keepDims: false, operand: []).shape, [])
        XCTAssertEqual(try reduce(.max, x, axes: [-2], keepDims: false).floats, [4, 5, 6])
        XCTAssertThrowsError(try reduce(.sum, x, axes: [2]))
        XCTAssertThrowsError(try reduce(.sum, x, axes: nil, operand: [-3]))
        // A scalar reduces to itself.
        XCTAssertEqual(try reduce(.prod, tensor([3], []), axes: nil).floats, [3])
    }

    func testNaNAndInfinities() throws {
        let x = tensor([1, .nan, 3, 2, 1, 0], [2, 3])
        XCTAssertEqual(try reduce(.max, x, axes: [1]).floats.map(\.isNaN), [true, false])
        XCTAssertEqual(try reduce(.min, x, axes: [1]).floats.map(\.isNaN), [true, false])
        XCTAssertEqual(try reduce(.logSumExp, tensor([.infinity, 1], [2]), axes: nil).floats, [.infinity])
        XCTAssertEqual(try reduce(.logSumExp, tensor([-.infinity, -.infinity], [2]), axes: nil).floats, [-.infinity])
        // Large values do not overflow log-sum-exp.
        XCTAssertEqual(try reduce(.logSumExp, tensor([1000, 1000], [2], .float64), axes: nil).doubles[0], 1000 + log(2), accuracy: 1e-12)
    }

    private func arg(_ largest: Bool, _ x: Tensor, axis: Int, keepDims: Bool = true, last: Bool = false) throws -> Tensor {
        let a = ArgReduceAttributes(axis: axis, keepDims: keepDims, selectLastIndex: last)
        return try evaluate(.reduction(largest ? .argMax(a) : .argMin(a)), [x])[0]
    }

    func testArgMaxArgMinAgainstNaiveScans() throws {
        let shape = [3, 4, 2]
        for dtype in [DType.float32, .int32, .uint8, .float16] {
            // Few distinct values, so ties are common.
            let x = tensor(seededValues(24, seed: 9, range: 2).map { $0 + 2 }, shape, dtype)
            let v = x.doubles
            for axis in -3..<3 {
                let a = axis < 0 ? axis + 3 : axis
                for largest in [true, false] {
                    for last in [false, true] {
                        for keepDims in [true, false] {
                            let y = try arg(largest, x, axis: axis, keepDims: keepDims, last: last)
                            var outShape = shape
                            outShape[a] = 1
                            let expected = Naive.indices(outShape).map { o -> Int64 in
                                let column = (0..<shape[a]).map { k -> Double in var i = o; i[a] = k; return v[Naive.offset(i, shape)] }
                                let best = largest ? column.max()! : column.min()!
                                return Int64(last ? column.lastIndex(of: best)! : column.firstIndex(of: best)!)
                            }
                            if !keepDims { outShape.remove(at: a) }
                            XCTAssertEqual(y.shape, outShape)
                            XCTAssertEqual(y.dtype, .int64)
                            XCTAssertEqual(y.integers, expected, "\(dtype) axis \(axis) largest \(largest) last \(last)")
                        }
                    }
                }
            }
        }
    }

    func testArgReductionsPickNaNAsNumPy() throws {
        let x = tensor([1, .nan, 5, .nan, 0], [5])
        XCTAssertEqual(try arg(true, x, axis: 0).integers, [1])
        XCTAssertEqual(try arg(false, x, axis: 0).integers, [1])
        XCTAssertEqual(try arg(true, x, axis: 0, last: true).integers, [3])
        XCTAssertEqual(try arg(false, x, axis: 0, last: true).integers, [3])
        XCTAssertEqual(try arg(true, tensor([-1, 7], [2], .uint64), axis: 0).integers, [0])   // 2^64 - 1 is larger
        XCTAssertThrowsError(try arg(true, tensor([], [0, 2]), axis: 0), "empty axis")
        XCTAssertEqual(try arg(true, tensor([], [2, 0]), axis: 0).shape, [1, 0])
        XCTAssertThrowsError(try arg(true, x, axis: 1), "axis out of range")
    }
}
