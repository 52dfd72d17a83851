import ModelIR
import XCTest
@testable import Runtime

/// Flatten, Reshape, Dropout (views), ZeroPadding, Concatenate, Add and Multiply.
final class ShapeOpTests: XCTestCase {
    /// Flatten is NHWC row-major (Keras order), checked through a dense layer that sees every element.
    func testFlattenThenDense() throws {
        var b = GraphBuilder()
        b.input("x", [-1, 3, 4, 5])
        b.node("flat", .tensor(.flatten(axis: 1)), ["x"])
        b.node("drop", .tensor(.dropout(rate: 0.5)), ["flat"])
        b.node("dense", .linear(.dense(DenseAttributes(units: 4))), ["drop"], weights: [b.weight("k", [60, 4]), b.weight("b", [4])])
        try checkAgainstReference(b.graph(outputs: ["dense", "flat"]), inputShapes: ["x": [3, 3, 4, 5]])
    }

    func testReshape() throws {
        var b = GraphBuilder()
        b.input("x", [-1, 4, 6])
        b.node("r", .tensor(.reshape(ReshapeAttributes(shape: [0] + [2, -1, 3]))), ["x"])
        b.node("act", .activation(.relu), ["r"])
        try checkAgainstReference(b.graph(outputs: ["act"]), inputShapes: ["x": [2, 4, 6]])
        let out = try Executor(graph: b.graph(outputs: ["r"])).run(input: Tensor(shape: [1, 4, 6], floats: (0..<24).map(Float.init)))
        XCTAssertEqual(out.shape, [1, 2, 4, 3])
        XCTAssertEqual(out.floats, (0..<24).map(Float.init))
    }

    func testZeroPadding() throws {
        for (i, pads) in [(1, 2, 0, 3), (0, 0, 2, 2), (3, 1, 1, 0)].enumerated() {
            var b = GraphBuilder()
            b.input("x", [-1, -1, -1, 3])
            b.node("pad", .tensor(.pad(PadAttributes(pads: [0, pads.0, pads.2, 0, 0, pads.1, pads.3, 0]))), ["x"])
            try checkAgainstReference(b.graph(outputs: ["pad"]), inputShapes: ["x": [i + 1, 4, 5, 3]],
                                      options: i % 2 == 0 ? ExecutorOptions() : stressOptions(), "\(pads)")
        }
    }

    func testConcatenateAxes() throws {
        for (i, axis) in [-1, 3, 1, 2].enumerated() {
            var b = GraphBuilder()
            var shapes = [[2, 3, 4, 5], [2, 3, 4, 5], [2, 3, 4, 5]]
            let ax = axis < 0 ? 3 : axis
            shapes[1][ax] = 2
            shapes[2][ax] = 7
            for (j, s) in shapes.enumerated() { b.input("x\(j)", [-1] + s.dropFirst()) }
            b.node("cat", .tensor(.concat(axis: axis)), ["x0", "x1", "x2"])
            try checkAgainstReference(b.graph(outputs: ["cat"]), inputShapes: ["x0": shapes[0], "x1": shapes[1], "x2": shapes[2]],
                                      options: i % 2 == 0 ? ExecutorOptions() : stressOptions(), "axis \(axis)")
        }
    }

    func testAddAndMultiply() throws {
        for (i, op) in [Op.elementwise(.variadic(.add)), .elementwise(.variadic(.mul))].enumerated() {
            for arity in 2...3 {
                var b = GraphBuilder()
                let names = (0..<arity).map { "x\($0)" }
                for n in names { b.input(n, [-1, 5, 3, 9]) }
                b.node("op", op, names)
                try checkAgainstReference(b.graph(outputs: ["op"]), inputShapes: Dictionary(uniqueKeysWithValues: names.map { ($0, [3, 5, 3, 9]) }),
                                          options: (i + arity) % 2 == 0 ? ExecutorOptions() : stressOptions(), "\(op) × \(arity)")
            }
        }
    }

    /// The same value twice (x + x), which an in-place add must not corrupt.
    func testAddSameValueTwice() throws {
        var b = GraphBuilder()
        b.input("x", [-1, 4])
        b.node("r", .activation(.relu), ["x"])
        b.node("sum", .elementwise(.variadic(.add)), ["r", "r"])
        b.node("out", .elementwise(.variadic(.add)), ["sum", "r"])
        try checkAgainstReference(b.graph(outputs: ["out"]), inputShapes: ["x": [3, 4]])
    }
}
