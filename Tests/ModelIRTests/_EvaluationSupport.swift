import ModelIR
import XCTest
import _TestSupport

/// Helpers for the reference-evaluator tests: seeded operands, the evaluator called as the
/// runtime calls it, index arithmetic for the naive loops, and one comparison.
///
/// Tolerance policy: an element passes when `|actual − expected| ≤ atol + rtol · |expected|`;
/// a failure reports the worst element (largest excess over its bound), its index and both values.
/// The naive loops compute in Double from the very values the evaluator reads (after rounding to
/// the operand's dtype), so the bounds only cover the evaluator's own arithmetic: float32 sums of
/// at most a few hundred terms of magnitude ≤ 1 (atol 1e-5), float16's 11-bit significand (1e-2).
enum Eval {
    /// Runs `op` on `operands` (nil for an absent optional one) and returns its first result.
    static func run(_ op: Op, _ operands: [Tensor?], name: String = "node") throws -> Tensor {
        let inputs = operands.enumerated().map { $0.element == nil ? "" : "in\($0.offset)" }
        let results = try Evaluator.evaluate(Node(name: name, op: op, inputs: inputs), operands)
        guard let first = results.first else { throw ModelIRError.unsupported(node: name, detail: "no result") }
        return first
    }

    /// A tensor of seeded values in `[-scale, scale]`, stored as `dtype`.
    static func random(_ shape: [Int], seed: UInt64, scale: Float = 1, dtype: DType = .float32) -> Tensor {
        let count = shape.reduce(1, *)
        let values = TestSupport.randomFloats(count, seed: seed, scale: scale).map(Double.init)
        return Tensor(shape: shape, doubles: values, dtype: dtype)
    }

    /// Row-major flat index of `index` in `shape`.
    static func flat(_ index: [Int], _ shape: [Int]) -> Int {
        var offset = 0
        for (i, d) in zip(index, shape) { offset = offset * d + i }
        return offset
    }

    /// Every multi-index of `shape`, row-major.
    static func indices(_ shape: [Int]) -> [[Int]] {
        var out: [[Int]] = [[]]
        for d in shape { out = out.flatMap { prefix in (0..<d).map { prefix + [$0] } } }
        return out
    }

    /// Asserts `actual` has `shape` and elements within the tolerance policy of `expected`.
    static func assertClose(_ actual: Tensor, _ expected: [Double], shape: [Int], atol: Double = 1e-5, rtol: Double = 1e-5,
                            _ message: @autoclosure () -> String = "", file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertEqual(actual.shape, shape, "shape; \(message())", file: file, line: line)
        let values = actual.doubles
        guard values.count == expected.count else {
            XCTFail("\(values.count) elements, expected \(expected.count); \(message())", file: file, line: line)
            return
        }
        var worst: (index: Int, excess: Double)? = nil
        for (i, (a, e)) in zip(values, expected).enumerated() {
            let bound = atol + rtol * abs(e)
            let error = a.isNaN || e.isNaN ? (a.isNaN && e.isNaN ? 0 : .infinity) : (a == e ? 0 : abs(a - e))
            if error > bound, error - bound > (worst?.excess ?? 0) { worst = (i, error - bound) }
        }
        if let worst {
            XCTFail("element \(worst.index): \(values[worst.index]) vs expected \(expected[worst.index]) "
                    + "(bound \(atol) + \(rtol)·|e|); \(message())", file: file, line: line)
        }
    }

    /// Asserts that evaluating throws a `ModelIRError` (never traps).
    static func assertThrows(_ op: Op, _ operands: [Tensor?], _ message: String = "",
                             file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertThrowsError(try run(op, operands), message, file: file, line: line) { error in
            XCTAssertTrue(error is ModelIRError, "\(error) is not a ModelIRError; \(message)", file: file, line: line)
        }
    }
}

/// A small deterministic generator for sweeping parameters.
struct SweepRandom {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
    mutating func int(_ range: ClosedRange<Int>) -> Int {
        range.lowerBound + Int(next() % UInt64(range.upperBound - range.lowerBound + 1))
    }
    mutating func bool() -> Bool { next() & 1 == 1 }
    mutating func pick<T>(_ values: [T]) -> T { values[Int(next() % UInt64(values.count))] }
}
