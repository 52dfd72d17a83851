import ModelIR
import XCTest
@testable import Runtime
import _TestSupport

/// The fast element-wise kernel against the reference evaluator: every kind, broadcast shapes
/// (scalar, per-channel vector, ONNX's [1, C, 1, 1], a broadcast first operand), constant
/// operands, three operands, a fused activation, split loops.
final class ElementwiseTests: XCTestCase {
    func testBroadcastingKindsAgainstTheEvaluator() throws {
        let ops: [Op] = [.elementwise(.variadic(.add)), .elementwise(.variadic(.mul)), .elementwise(.variadic(.max)),
                         .elementwise(.variadic(.min)), .elementwise(.binary(.sub)), .elementwise(.binary(.div))]
        let shapes: [([Int], [Int])] = [([2, 3, 5, 5], [2, 3, 5, 5]), ([2, 3, 5, 5], [1, 3, 1, 1]), ([2, 5, 5, 3], [3]),
                                        ([2, 5, 5, 3], []), ([1, 3, 1, 1], [2, 3, 5, 5]), ([4, 1, 6], [1, 5, 1]), ([7], [1]),
                                        // Runs long enough for the vector loops, with tails: per channel, per plane, first operand broadcast.
                                        ([2, 5, 5, 20], [1, 1, 1, 20]), ([2, 3, 5, 9], [1, 3, 1, 1]), ([1, 3, 1, 1], [2, 3, 5, 9])]
        var seed: UInt64 = 1
        for (i, op) in ops.enumerated() {
            for (j, (sa, sb)) in shapes.enumerated() {
                for constant in [false, true] {
                    seed += 1
                    let a = Tensor(shape: sa, floats: TestSupport.randomFloats(sa.reduce(1, *), seed: seed))
                    let b = Tensor(shape: sb, floats: TestSupport.randomFloats(sb.reduce(1, *), seed: seed + 100).map { $0 + 2 })
                    var weights: [String: Weight] = [:]
                    var inputs = [TensorInfo(name: "a", shape: sa)]
                    if constant {
                        weights["b"] = Weight(info: TensorInfo(name: "b", shape: sb), data: b.data)
                    } else {
                        inputs.append(TensorInfo(name: "b", shape: sb))
                    }
                    let g = Graph(name: "e", inputs: inputs, outputs: ["y"], nodes: [Node(name: "y", op: op, inputs: ["a", "b"])],
                                  weights: weights)
                    let feeds = constant ? ["a": a] : ["a": a, "b": b]
                    let executor = try Executor(graph: g, options: (i + j) % 2 == 0 ? ExecutorOptions() : stressOptions())
                    XCTAssertEqual(executor.evaluatedNodeTypes, [:], "\(op) runs on the fast kernel")
                    let got = try executor.run(inputs: feeds)["y"]!
                    let want = try g.evaluate(inputs: feeds)["y"]!
                    XCTAssertEqual(got, want, "\(op) \(sa) \(sb) constant \(constant)")
                }
            }
        }
    }

    func testThreeOperandsAndAFusedActivation() throws {
        var b = GraphBuilder()
        b.input("x", [-1, 4, 4, 6])
        b.input("y", [-1, 4, 4, 6])
        let c = b.weight("c", [6])
        b.node("sum", .elementwise(.variadic(.add)), ["x", "y", c])
        b.node("relu", .activation(.relu), ["sum"])
        let g = b.graph(outputs: ["relu"])
        let e = try Executor(graph: g)
        XCTAssertEqual(e.program.steps.count, 1, "the ReLU is fused into the sum")
        let x = Tensor(shape: [2, 4, 4, 6], floats: TestSupport.randomFloats(192, seed: 3))
        let y = Tensor(shape: [2, 4, 4, 6], floats: TestSupport.randomFloats(192, seed: 4))
        XCTAssertEqual(try e.run(inputs: ["x": x, "y": y])["relu"], try g.evaluate(inputs: ["x": x, "y": y])["relu"])
    }
}
