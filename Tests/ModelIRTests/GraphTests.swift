import ModelIR
import XCTest
import _TestSupport

final class GraphTests: XCTestCase {
    func testShapeInferenceOfTheSmallGraph() throws {
        let shapes = try TestSupport.smallGraph().inferShapes()
        XCTAssertEqual(shapes["conv1"], [-1, 8, 8, 4])
        XCTAssertEqual(shapes["pool1"], [-1, 4, 4, 4])
        XCTAssertEqual(shapes["conv2"], [-1, 2, 2, 6])
        XCTAssertEqual(shapes["flatten"], [-1, 24])
        XCTAssertEqual(shapes["dense"], [-1, 3])
        // Another input size flows through (the dense layer then no longer fits).
        XCTAssertThrowsError(try TestSupport.smallGraph().inferShapes(inputShapes: ["input": [2, 10, 10, 3]]))
    }

    func testSamePaddingMatchesTensorFlow() {
        // TF SAME: out = ceil(in / stride), odd padding at the end.
        let p = Padding.same.resolve(sizes: [150, 151], kernel: [3, 3], strides: [2, 2], dilations: [1, 1])
        XCTAssertEqual(p.begin, [0, 1]); XCTAssertEqual(p.end, [1, 1])
        let lower = Padding.sameLower.resolve(sizes: [150, 151], kernel: [3, 3], strides: [2, 2], dilations: [1, 1])
        XCTAssertEqual(lower.begin, [1, 1]); XCTAssertEqual(lower.end, [0, 1])
        let d = Padding.same.resolve(sizes: [9, 9], kernel: [3, 3], strides: [1, 1], dilations: [2, 2])
        XCTAssertEqual(d.begin + d.end, [2, 2, 2, 2])
        XCTAssertEqual(ShapeInference.windowOutput(150, kernel: 2, stride: 2, dilation: 1, padBegin: 0, padEnd: 0), 75)
        XCTAssertEqual(ShapeInference.windowOutput(75, kernel: 2, stride: 2, dilation: 1, padBegin: 0, padEnd: 0), 37)
        // ONNX ceil_mode: 5 with window 2, stride 2 gives 3; a window starting in the padding is dropped.
        XCTAssertEqual(ShapeInference.windowOutput(5, kernel: 2, stride: 2, dilation: 1, padBegin: 0, padEnd: 0, ceilMode: true), 3)
        XCTAssertEqual(ShapeInference.windowOutput(4, kernel: 2, stride: 2, dilation: 1, padBegin: 0, padEnd: 1, ceilMode: true), 2)
    }

    func testParameterCountsSplitByTrainability() {
        var g = TestSupport.smallGraph()
        XCTAssertEqual(g.parameterCount.total, 3 * 3 * 3 * 4 + 4 + 3 * 3 * 4 * 6 + 24 * 3 + 3)
        g.weights["dense/kernel"]?.trainable = false
        XCTAssertEqual(g.parameterCount.nonTrainable, 72)
        XCTAssertEqual(g.parameterCount.trainable, g.parameterCount.total - 72)
    }

    func testValidationCatchesStructuralFaults() {
        var dangling = TestSupport.smallGraph()
        dangling.nodes[2].inputs = ["nope"]
        XCTAssertThrowsError(try dangling.validate()) { XCTAssertEqual($0 as? ModelIRError, .danglingInput(node: "conv2", input: "nope")) }

        var cycle = TestSupport.smallGraph()
        cycle.nodes[0].inputs = ["dense"]
        XCTAssertThrowsError(try cycle.validate()) { XCTAssertEqual($0 as? ModelIRError, .danglingInput(node: "conv1", input: "dense")) }

        var duplicate = TestSupport.smallGraph()
        duplicate.nodes[1].name = "conv1"
        XCTAssertThrowsError(try duplicate.validate()) { XCTAssertEqual($0 as? ModelIRError, .duplicateName("conv1")) }

        var output = TestSupport.smallGraph()
        output.outputs = ["ghost"]
        XCTAssertThrowsError(try output.validate()) { XCTAssertEqual($0 as? ModelIRError, .unknownOutput("ghost")) }

        var missing = TestSupport.smallGraph()
        missing.weights["conv1/bias"] = nil
        XCTAssertThrowsError(try missing.validate()) { XCTAssertEqual($0 as? ModelIRError, .danglingInput(node: "conv1", input: "conv1/bias")) }
    }

    func testWeightShapeMismatchNamesLayerAndRole() {
        var g = TestSupport.smallGraph()
        let data = TensorData(floats: [Float](repeating: 0, count: 3 * 3 * 5 * 6))
        g.weights["conv2/kernel"] = Weight(info: TensorInfo(name: "conv2/kernel", shape: [3, 3, 5, 6], layout: .hwio), data: data)
        XCTAssertThrowsError(try g.validate()) {
            XCTAssertEqual($0 as? ModelIRError, .weightShapeMismatch(node: "conv2", weight: "kernel", expected: [3, 3, 4, 6], actual: [3, 3, 5, 6]))
        }
        var bytes = TestSupport.smallGraph()
        bytes.weights["conv1/bias"]?.data = TensorData(floats: [1, 2])
        XCTAssertThrowsError(try bytes.validate())
    }

    func testCutKeepsOnlyWhatTheLayerNeeds() throws {
        let g = TestSupport.smallGraph()
        let cut = try g.cut(after: "pool1")
        XCTAssertEqual(cut.nodes.map(\.name), ["conv1", "pool1"])
        XCTAssertEqual(cut.outputs, ["pool1"])
        XCTAssertEqual(Set(cut.weights.keys), ["conv1/kernel", "conv1/bias"])
        XCTAssertNoThrow(try cut.validate())
        XCTAssertThrowsError(try g.cut(after: "nope")) { XCTAssertEqual($0 as? ModelIRError, .unknownLayer("nope")) }
    }

    func testBranchingShapes() throws {
        let a = Node(name: "a", op: .activation(.relu), inputs: ["x"])
        let b = Node(name: "b", op: .tensor(.pad(PadAttributes(pads: [0, 1, 2, 0, 0, 0, 1, 0]))), inputs: ["x"])
        let p = Node(name: "p", op: .pool(.average(PoolAttributes(poolSize: [2, 4], strides: [1, 3]))), inputs: ["b"])
        let cat = Node(name: "cat", op: .tensor(.concat(axis: -1)), inputs: ["a", "a"])
        let add = Node(name: "add", op: .elementwise(.variadic(.add)), inputs: ["cat", "cat"])
        let gap = Node(name: "gap", op: .pool(.globalAverage(GlobalPoolAttributes(keepDims: false))), inputs: ["add"])
        let g = Graph(name: "g", inputs: [TensorInfo(name: "x", shape: [-1, 5, 6, 2])], outputs: ["gap", "p"], nodes: [a, b, p, cat, add, gap])
        let s = try g.inferShapes()
        XCTAssertEqual(s["b"], [-1, 6, 9, 2])
        XCTAssertEqual(s["p"], [-1, 5, 2, 2])
        XCTAssertEqual(s["cat"], [-1, 5, 6, 4])
        XCTAssertEqual(s["gap"], [-1, 4])
        var bad = g
        bad.nodes[4].inputs = ["cat", "a"]
        XCTAssertThrowsError(try bad.inferShapes())
    }

    func testHalfPrecisionConversionsRoundTrip() {
        for v: Float in [0, 1, -2.5, 65504, 6.1035156e-05, 5.9604645e-08, 0.1] {
            XCTAssertEqual(DTypeConversion.halfToFloat(DTypeConversion.floatToHalf(v)), v, accuracy: abs(v) * 1e-3)
        }
        XCTAssertEqual(DTypeConversion.floatToHalf(1), 0x3C00)
        XCTAssertEqual(DTypeConversion.floatToBFloat16(1), 0x3F80)
        XCTAssertTrue(DTypeConversion.halfToFloat(DTypeConversion.floatToHalf(.infinity)).isInfinite)
    }
}
