import ModelIR
import XCTest
@testable import Runtime

/// Invalid graphs and inputs give thrown errors that name what is wrong, never a crash.
final class ErrorTests: XCTestCase {
    func assertThrows(_ expected: RuntimeError, _ body: () throws -> Any, file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertThrowsError(try body(), file: file, line: line) { error in
            XCTAssertEqual(error as? RuntimeError, expected, file: file, line: line)
        }
    }

    func convGraph(kernelShape: [Int] = [3, 3, 3, 4], dtype: DType = .float32) -> Graph {
        var b = GraphBuilder()
        b.input("x", [-1, 8, 8, 3])
        b.node("conv", .conv(.conv(ConvAttributes(filters: 4, kernelSize: [3, 3]))), ["x"],
               weights: [b.weight("k", kernelShape, dtype: dtype)])
        b.node("flatten", .tensor(.flatten(axis: 1)), ["conv"])
        b.node("dense", .linear(.dense(DenseAttributes(units: 2))), ["flatten"], weights: [b.weight("d", [144, 2]), b.weight("db", [2])])
        return b.graph(outputs: ["dense"])
    }

    func testInvalidGraphs() {
        assertThrows(.invalidGraph(.weightShapeMismatch(node: "conv", weight: "kernel", expected: [3, 3, 3, 4], actual: [3, 3, 2, 4]))) {
            try Executor(graph: self.convGraph(kernelShape: [3, 3, 2, 4]))
        }
        var g = convGraph()
        g.nodes[1].inputs = ["nowhere"]
        assertThrows(.invalidGraph(.danglingInput(node: "flatten", input: "nowhere"))) { try Executor(graph: g) }
        g = convGraph()
        g.weights["k"] = nil
        assertThrows(.invalidGraph(.danglingInput(node: "conv", input: "k"))) { try Executor(graph: g) }
        g = convGraph()
        g.outputs = ["nothing"]
        assertThrows(.invalidGraph(.unknownOutput("nothing"))) { try Executor(graph: g) }
        g = convGraph()
        g.inputs = []
        assertThrows(.invalidGraph(.emptyGraph)) { try Executor(graph: g) }
    }

    func testUnsupported() {
        assertThrows(.unsupportedWeightType(node: "conv", weight: "kernel", dtype: .int32)) {
            try Executor(graph: self.convGraph(dtype: .int32))
        }
        var g = convGraph()
        g.nodes[1].outputs = ["flatten", "flatten2"]
        XCTAssertThrowsError(try Executor(graph: g)) { error in
            guard case .invalidGraph(.shapeMismatch(let node, let detail))? = error as? RuntimeError else { return XCTFail("\(error)") }
            XCTAssertEqual(node, "flatten")
            XCTAssertTrue(detail.contains("2 outputs"), detail)
        }
        var b = GraphBuilder()
        b.input("x", [-1, 4])
        b.node("softmax", .activation(.softmax(axis: 2)), ["x"])
        XCTAssertThrowsError(try Executor(graph: b.graph(outputs: ["softmax"]))) { error in
            guard case .invalidGraph(.invalidAttribute(let node, let detail))? = error as? RuntimeError else { return XCTFail("\(error)") }
            XCTAssertEqual(node, "softmax")
            XCTAssertTrue(detail.contains("axis 2"), detail)
            XCTAssertTrue("\(error)".contains("softmax"))
        }
    }

    func testBadInputs() throws {
        let e = try Executor(graph: convGraph())
        assertThrows(.badInputTensor(name: "x", shape: [1, 8, 8, 3], elementCount: 5, reason: "the shape needs 192 elements")) {
            try e.run(input: Tensor(shape: [1, 8, 8, 3], floats: [0, 0, 0, 0, 0]))
        }
        XCTAssertThrowsError(try e.run(input: Tensor(shape: [64, 3], floats: .init(repeating: 0, count: 192)))) { error in
            guard case .badInputTensor(_, _, _, let reason)? = error as? RuntimeError else { return XCTFail("\(error)") }
            XCTAssertTrue(reason.contains("rank 4"), reason)
        }
        XCTAssertThrowsError(try e.run(input: Tensor(shape: [1, 8, 8, 4], floats: .init(repeating: 0, count: 256)))) { error in
            guard case .badInputTensor(_, _, _, let reason)? = error as? RuntimeError else { return XCTFail("\(error)") }
            XCTAssertTrue(reason.contains("3 channels"), reason)
        }
        for shape in [[-1, 8, 8, 3], [Int.max, Int.max, 8, 3]] {
            XCTAssertThrowsError(try e.run(input: Tensor(shape: shape, floats: []))) { error in
                guard case .badInputTensor? = error as? RuntimeError else { return XCTFail("\(error)") }
            }
        }
        // Too small for the valid 3×3 window; a spatial size the Flatten → Dense top cannot take.
        for size in [2, 9] {
            XCTAssertThrowsError(try e.run(input: Tensor(zeros: .float32, shape: [1, size, size, 3]))) { error in
                guard case .shapeMismatch(let inner)? = error as? RuntimeError else { return XCTFail("\(error)") }
                XCTAssertTrue("\(inner)".contains(size == 2 ? "conv" : "dense"), "\(inner)")
            }
        }
        assertThrows(.unknownInput("y")) { try e.run(inputs: ["y": Tensor(zeros: .float32, shape: [1, 8, 8, 3])], outputs: ["dense"]) }
        assertThrows(.missingInput("x")) { try e.run(inputs: [:], outputs: ["dense"]) }
        assertThrows(.unknownValue("conv9")) { try e.run(inputs: ["x": Tensor(zeros: .float32, shape: [1, 8, 8, 3])], outputs: ["conv9"]) }
        // The executor still works after all that.
        XCTAssertEqual(try e.run(input: Tensor(zeros: .float32, shape: [2, 8, 8, 3])).shape, [2, 2])
    }

    func testRunInputNeedsOneInputAndOutput() throws {
        var b = GraphBuilder()
        b.input("x", [-1, 3])
        b.input("y", [-1, 3])
        b.node("sum", .elementwise(.variadic(.add)), ["x", "y"])
        let e = try Executor(graph: b.graph(outputs: ["sum"]))
        assertThrows(.notSingleInputOutput(inputs: 2, outputs: 1)) { try e.run(input: Tensor(zeros: .float32, shape: [1, 3])) }
    }

    /// Shapes whose buffers could never be allocated are refused before allocation.
    func testHugeInputsAreRefused() throws {
        var b = GraphBuilder()
        b.input("x", [-1, -1, -1, 3])
        b.node("conv", .conv(.conv(ConvAttributes(filters: 64, kernelSize: [3, 3], padding: .same))), ["x"],
               weights: [b.weight("k", [3, 3, 3, 64]), b.weight("b", [64])])
        let e = try Executor(graph: b.graph(outputs: ["conv"]))
        let shape = [1 << 20, 1 << 12, 1 << 12, 3]
        XCTAssertGreaterThan(try e.memoryPlan(inputShapes: ["x": shape]).arenaBytes, 1 << 50)
        let x = Tensor(shape: shape, floats: [])  // data count mismatch is caught first ...
        XCTAssertThrowsError(try e.run(input: x))
        let overflow = [1 << 40, 1 << 10, 1 << 10, 3]
        XCTAssertThrowsError(try e.memoryPlan(inputShapes: ["x": overflow])) { error in
            guard case .tooLarge? = error as? RuntimeError else { return XCTFail("\(error)") }
        }
    }

    /// Window sizes and pads are not bounded by any weight: absurd ones give an answer or an
    /// error, not an arithmetic trap.
    func testAbsurdAttributes() throws {
        var b = GraphBuilder()
        b.input("x", [-1, -1, -1, 2])
        b.node("pool", .pool(.average(PoolAttributes(poolSize: [1 << 40, 1 << 40], strides: [1, 1], padding: .same,
                                                       countIncludePad: true))), ["x"])
        b.node("max", .pool(.max(PoolAttributes(poolSize: [1 << 40, 1 << 40], strides: [1, 1], padding: .same))), ["x"])
        b.node("pad", .tensor(.pad(PadAttributes(pads: [0, 1 << 40, 1 << 40, 0, 0, 1 << 40, 1 << 40, 0]))), ["x"])
        let e = try Executor(graph: b.graph(outputs: ["pool", "max", "pad"]))
        let x = Tensor(shape: [1, 2, 3, 2], floats: (0..<12).map(Float.init))
        let out = try e.run(inputs: ["x": x], outputs: ["pool", "max"])
        XCTAssertEqual(out["max"]!.floats, (0..<12).map { Float($0 % 2 == 0 ? 10 : 11) })
        XCTAssertEqual(out["pool"]!.shape, [1, 2, 3, 2])
        XCTAssertThrowsError(try e.run(inputs: ["x": x], outputs: ["pad"])) { error in
            guard case .tooLarge? = error as? RuntimeError else { return XCTFail("\(error)") }
        }
    }
}
