import ModelIR
import XCTest
@testable import Runtime

/// Dense on rank-2 (SGEMV for one row, SGEMM otherwise) and rank-4 inputs, with and without bias
/// and activations.
final class DenseTests: XCTestCase {
    func testDenseSweep() throws {
        var index = 0
        for shape in [[1, 7], [3, 13], [2, 3, 5, 6], [1, 1, 1, 9]] {
            for units in [1, 5, 17] {
                for activation in [Activation.linear, .relu, .softmax(axis: -1), .tanh] {
                    index += 1
                    var b = GraphBuilder(seed: UInt64(index))
                    b.input("x", [-1] + shape.dropFirst().dropLast() + [shape.last!])
                    let useBias = index % 3 != 0
                    var w = [b.weight("k", [shape.last!, units])]
                    if useBias { w.append(b.weight("b", [units])) }
                    b.node("dense", .linear(.dense(DenseAttributes(units: units, activation: activation))), ["x"], weights: w)
                    try checkAgainstReference(b.graph(outputs: ["dense"]), inputShapes: ["x": shape],
                                              options: index % 2 == 0 ? ExecutorOptions() : stressOptions(),
                                              seed: UInt64(index), "case \(index): units \(units) \(activation) input \(shape)")
                }
            }
        }
    }

    /// Softmax over a non-last axis fused into a dense layer is applied after the bias, over the
    /// whole output.
    func testSoftmaxOverAnotherAxis() throws {
        var b = GraphBuilder()
        b.input("x", [-1, 4, 3])
        b.node("dense", .linear(.dense(DenseAttributes(units: 5, activation: .softmax(axis: 1)))), ["x"],
               weights: [b.weight("k", [3, 5]), b.weight("b", [5])])
        try checkAgainstReference(b.graph(outputs: ["dense"]), inputShapes: ["x": [2, 4, 3]])
    }
}
