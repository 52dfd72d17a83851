import ModelIR
import XCTest
@testable import Runtime
import _TestSupport

/// Standalone activations (Keras `Activation`, `ReLU`, `LeakyReLU`, `Softmax`) against the
/// double-precision definitions, and the Keras ReLU argument semantics on chosen points.
final class ActivationTests: XCTestCase {
    static let all: [Activation] = [
        .linear, .relu, .relu6, .clippedReLU(maxValue: 2.5, negativeSlope: 0.1, threshold: 0.5),
        .clippedReLU(maxValue: nil, negativeSlope: 0.2, threshold: 0), .clippedReLU(maxValue: 4, negativeSlope: 0, threshold: 1),
        .leakyReLU(alpha: 0.3), .sigmoid, .kerasHardSigmoid, .hardSigmoid(alpha: 0.2, beta: 0.5), .hardSwish, .tanh,
        .softmax(axis: -1), .softmax(axis: 1), .softmax(axis: 2), .logSoftmax(axis: -1), .logSoftmax(axis: 1),
        .swish, .elu(alpha: 1.0), .elu(alpha: 0.5), .seluDefault, .celu(alpha: 0.7), .softplus, .softsign,
        .gelu(approximate: false), .gelu(approximate: true), .mish, .exponential, .thresholdedReLU(alpha: 0.4),
    ]

    func testEveryActivation() throws {
        for (i, activation) in Self.all.enumerated() {
            var b = GraphBuilder()
            b.input("x", [-1, -1, -1, 7])
            b.node("act", .activation(activation), ["x"])
            // Inputs in ±6 reach the saturating regions of every function.
            let shape = [i % 2 == 0 ? 1 : 3, 5, 6, 7]
            let x = Tensor(shape: shape, floats: TestSupport.randomFloats(shape.reduce(1, *), seed: UInt64(i), scale: 6))
            var options = i % 2 == 0 ? ExecutorOptions() : stressOptions()
            options.minimumParallelWork = i % 2 == 0 ? options.minimumParallelWork : 1
            let got = try Executor(graph: b.graph(outputs: ["act"]), options: options).run(input: x)
            assertClose(got, Reference.apply(activation, RefTensor(x)), "\(activation)")
        }
    }

    func testKerasReLUArguments() throws {
        let points: [Float] = [-3, -0.5, 0, 0.25, 0.75, 1, 2, 3, 7]
        func run(_ a: Activation) throws -> [Float] {
            var b = GraphBuilder()
            b.input("x", [-1, 9])
            b.node("act", .activation(a), ["x"])
            return try Executor(graph: b.graph(outputs: ["act"])).run(input: Tensor(shape: [1, 9], floats: points)).floats
        }
        XCTAssertEqual(try run(.relu6), [0, 0, 0, 0.25, 0.75, 1, 2, 3, 6])
        // Keras ReLU(max_value=2, negative_slope=0.5, threshold=1): slope·(x − 1) below 1, clipped at 2.
        XCTAssertEqual(try run(.clippedReLU(maxValue: 2, negativeSlope: 0.5, threshold: 1)),
                       [-2, -0.75, -0.5, -0.375, -0.125, 0, 2, 2, 2])
        XCTAssertEqual(try run(.leakyReLU(alpha: 0.1)).map { ($0 * 1000).rounded() / 1000 },
                       [-0.3, -0.05, 0, 0.25, 0.75, 1, 2, 3, 7])
        XCTAssertEqual(try run(.kerasHardSigmoid), points.map { min(max($0 + 3, 0), 6) / 6 })
    }

    /// Large logits: the max-subtracted softmax neither overflows nor gives NaN.
    func testSoftmaxIsStable() throws {
        var b = GraphBuilder()
        b.input("x", [-1, 3])
        b.node("act", .activation(.softmax(axis: -1)), ["x"])
        let out = try Executor(graph: b.graph(outputs: ["act"])).run(input: Tensor(shape: [1, 3], floats: [1000, 1000, -1000]))
        XCTAssertEqual(out.floats, [0.5, 0.5, 0])
    }
}
