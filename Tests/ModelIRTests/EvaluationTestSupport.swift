import ModelIR
import XCTest

/// Runs one op through `Evaluator.evaluate` (inference included, as the runtime and the importers do).
func evaluate(_ op: Op, _ operands: [Tensor?], outputs: Int = 1, file: StaticString = #filePath, line: UInt = #line) throws -> [Tensor] {
    let node = Node(name: "n", op: op, inputs: operands.enumerated().map { $0.element == nil ? "" : "in\($0.offset)" },
                    outputs: (0..<outputs).map { "out\($0)" })
    return try Evaluator.evaluate(node, operands)
}

func evaluate(_ op: TensorOp, _ operands: [Tensor?], outputs: Int = 1) throws -> [Tensor] {
    try evaluate(.tensor(op), operands, outputs: outputs)
}

/// Asserts that evaluating throws a `ModelIRError` (never traps, never succeeds).
func assertEvaluationThrows(_ op: Op, _ operands: [Tensor?], outputs: Int = 1, _ message: String = "",
                            file: StaticString = #filePath, line: UInt = #line) {
    XCTAssertThrowsError(try evaluate(op, operands, outputs: outputs), message, file: file, line: line) { error in
        XCTAssertTrue(error is ModelIRError, "\(error) is not a ModelIRError", file: file, line: line)
    }
}

/// Deterministic small integers (SplitMix64), as doubles, in `-range...range`.
func seededValues(_ count: Int, seed: UInt64, range: Int = 50) -> [Double] {
    var state = seed
    return (0..<count).map { _ in
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        z ^= z >> 31
        return Double(Int(z % UInt64(2 * range + 1)) - range)
    }
}

/// A tensor of `dtype` holding `values` (exactly representable ones, for data-movement checks).
func tensor(_ values: [Double], _ shape: [Int], _ dtype: DType = .float32) -> Tensor {
    Tensor(shape: shape, doubles: values, dtype: dtype)
}

func ints(_ values: [Int], _ shape: [Int]? = nil, _ dtype: DType = .int64) -> Tensor {
    Tensor(shape: shape ?? [values.count], integers: values.map(Int64.init), dtype: dtype)
}

/// Row-major index helpers for the naive loops of the tests.
enum Naive {
    static func strides(_ shape: [Int]) -> [Int] {
        var s = [Int](repeating: 1, count: shape.count)
        for i in stride(from: shape.count - 2, through: 0, by: -1) { s[i] = s[i + 1] * shape[i + 1] }
        return s
    }

    /// Every multi-index of `shape`, in row-major order.
    static func indices(_ shape: [Int]) -> [[Int]] {
        if shape.contains(0) { return [] }
        var result: [[Int]] = [[]]
        for d in shape { result = result.flatMap { prefix in (0..<d).map { prefix + [$0] } } }
        return result
    }

    static func offset(_ index: [Int], _ shape: [Int]) -> Int {
        zip(index, strides(shape)).reduce(0) { $0 + $1.0 * $1.1 }
    }
}

/// Element-wise closeness with an absolute-plus-relative tolerance; reports the worst element.
func assertClose(_ actual: [Double], _ expected: [Double], tolerance: Double = 1e-6, _ message: String = "",
                 file: StaticString = #filePath, line: UInt = #line) {
    guard actual.count == expected.count else {
        return XCTFail("\(message): \(actual.count) elements, expected \(expected.count)", file: file, line: line)
    }
    var worst = 0.0, at = -1
    for (i, (a, e)) in zip(actual, expected).enumerated() {
        if a.isNaN && e.isNaN { continue }
        if a == e { continue }
        let err = abs(a - e) / (1 + abs(e))
        if !(err <= worst) || err.isNaN { worst = err.isNaN ? .infinity : err; at = i }
    }
    if worst > tolerance {
        XCTFail("\(message): worst element \(at): \(actual[at]) vs \(expected[at]) (error \(worst))", file: file, line: line)
    }
}
