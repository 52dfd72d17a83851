import Foundation
import ModelIR
@testable import ONNXFormat
import ONNXProto
import XCTest
import _TestSupport

/// Imported graphs evaluated by the reference evaluator against values computed by hand from the
/// ONNX definitions (in Double), with ONNX's defaults where attributes are left out.
final class NumericTests: XCTestCase {
    let xs: [Float] = [-3, -1.5, -0.25, 0, 0.5, 1, 2.5, 4]

    /// `y = op(x)` for a rank-1 input of `xs`.
    func unary(_ op: String, opset: Int = 17, _ attributes: [String: ModelBuilder.Attr] = [:]) throws -> [Float] {
        var b = ModelBuilder()
        b.opset = opset
        b.inputs = [ModelBuilder.valueInfo("x", [xs.count])]
        b.outputs = [ModelBuilder.valueInfo("y", [xs.count])]
        b.node(op, ["x"], ["y"], name: "op", attributes)
        let graph = try T.read(b)
        let out = try T.evaluate(graph, ["x": Tensor(shape: [xs.count], floats: xs)])
        return try XCTUnwrap(out["y"]).floats
    }

    func assertClose(_ got: [Float], _ f: (Double) -> Double, tolerance: Float = 1e-6, _ message: String,
                     file: StaticString = #filePath, line: UInt = #line) {
        let want = xs.map { Float(f(Double($0))) }
        XCTAssertLessThanOrEqual(zip(got, want).map { abs($0 - $1) }.max() ?? .infinity, tolerance, "\(message): \(got) vs \(want)",
                                 file: file, line: line)
    }

    func testActivationsWithONNXDefaults() throws {
        assertClose(try unary("HardSigmoid"), { max(0, min(1, 0.2 * $0 + 0.5)) }, "HardSigmoid defaults 0.2/0.5")
        assertClose(try unary("HardSigmoid", ["alpha": .float(0.3), "beta": .float(0.1)]), { max(0, min(1, Double(Float(0.3)) * $0 + Double(Float(0.1)))) },
                    "HardSigmoid 0.3/0.1")
        assertClose(try unary("HardSwish"), { $0 * max(0, min(1, $0 / 6 + 0.5)) }, "HardSwish")
        assertClose(try unary("LeakyRelu", opset: 7), { $0 < 0 ? 0.01 * $0 : $0 }, "LeakyRelu default 0.01")
        assertClose(try unary("Elu"), { $0 < 0 ? exp($0) - 1 : $0 }, "Elu")
        assertClose(try unary("Celu", ["alpha": .float(2)]), { max(0, $0) + min(0, 2 * (exp($0 / 2) - 1)) }, "Celu alpha 2")
        assertClose(try unary("Selu"), { 1.0507009873554805 * ($0 > 0 ? $0 : 1.6732632423543772 * (exp($0) - 1)) }, tolerance: 2e-6, "Selu")
        assertClose(try unary("ThresholdedRelu", ["alpha": .float(0.75)]), { $0 > 0.75 ? $0 : 0 }, "ThresholdedRelu")
        assertClose(try unary("Softsign"), { $0 / (1 + abs($0)) }, "Softsign")
        assertClose(try unary("Softplus"), { log(1 + exp($0)) }, "Softplus")
        assertClose(try unary("Mish"), { $0 * tanh(log(1 + exp($0))) }, "Mish")
        assertClose(try unary("Gelu", opset: 20), { 0.5 * $0 * (1 + erf($0 / 2.0.squareRoot())) }, "Gelu")
        assertClose(try unary("Gelu", opset: 20, ["approximate": .string("tanh")]),
                    { 0.5 * $0 * (1 + tanh((2 / Double.pi).squareRoot() * ($0 + 0.044715 * $0 * $0 * $0))) }, tolerance: 2e-6, "Gelu tanh")
        assertClose(try unary("Erf"), { erf($0) }, "Erf")
        assertClose(try unary("Clip", opset: 6, ["min": .float(-1), "max": .float(2)]), { min(max($0, -1), 2) }, "Clip-6 attributes")
    }

    /// Clip-11 with one bound constant (an attribute) and one given at run time (an operand).
    func testClipWithRuntimeBound() throws {
        var b = ModelBuilder()
        b.opset = 13
        b.inputs = [ModelBuilder.valueInfo("x", [8]), ModelBuilder.valueInfo("hi", [])]
        b.outputs = [ModelBuilder.valueInfo("y", [8])]
        b.initializer("lo", [], [-1])
        b.node("Clip", ["x", "lo", "hi"], ["y"], name: "clip")
        let graph = try T.read(b)
        XCTAssertEqual(graph.nodes[0].op, .elementwise(.clip(ClipAttributes(min: -1))))
        XCTAssertEqual(graph.nodes[0].inputs, ["x", "", "hi"])
        let out = try T.evaluate(graph, ["x": Tensor(shape: [8], floats: xs), "hi": .scalar(1.5)])
        XCTAssertEqual(out["y"]?.floats, xs.map { min(max($0, -1), 1.5) })
    }

    /// Broadcasting across ranks and dtypes: PRelu with a per-channel slope, Where of a
    /// comparison, Mod, Pow, three-operand Max/Mean.
    func testBroadcastingElementwise() throws {
        var b = ModelBuilder()
        b.inputs = [ModelBuilder.valueInfo("x", [1, 2, 2, 2]), ModelBuilder.valueInfo("i", [3], elemType: 7)]
        b.outputs = ["p", "w", "m", "pw", "mx", "mean"].map { ModelBuilder.valueInfo($0, nil) }
        b.initializer("slope", [2, 1, 1], [0.1, 0.5])
        b.initializer("zero", [], [0])
        b.initializer("two", [1], [2])
        b.initializer("row", [2], [1, -1])
        b.initializers.append(ModelBuilder.int64Tensor("three", [3]))
        b.node("PRelu", ["x", "slope"], ["p"], name: "prelu")
        b.node("Greater", ["x", "zero"], ["positive"], name: "greater")
        b.node("Where", ["positive", "x", "row"], ["w"], name: "where")
        b.node("Mod", ["i", "three"], ["m"], name: "mod")
        b.node("Pow", ["x", "two"], ["pw"], name: "pow")
        b.node("Max", ["x", "row", "zero"], ["mx"], name: "max")
        b.node("Mean", ["x", "row", "two"], ["mean"], name: "mean")
        let graph = try T.read(b)
        let x: [Float] = [-1, 2, -3, 4, 5, -6, 7, -8]
        let out = try T.evaluate(graph, ["x": Tensor(shape: [1, 2, 2, 2], floats: x), "i": Tensor(shape: [3], integers: [-4, 5, 6])])
        XCTAssertEqual(out["p"]?.floats, [-0.1, 2, -0.3, 4, 5, -3, 7, -4])
        XCTAssertEqual(out["w"]?.floats, [1, 2, 1, 4, 5, -1, 7, -1])
        XCTAssertEqual(out["m"]?.integers, [2, 2, 0], "Mod takes the divisor's sign")
        XCTAssertEqual(out["pw"]?.floats, x.map { $0 * $0 })
        let row: [Float] = [1, -1]
        XCTAssertEqual(out["mx"]?.floats, x.enumerated().map { max($0.element, row[$0.offset % 2], 0) })
        XCTAssertEqual(out["mean"]?.floats, x.enumerated().map { ($0.element + row[$0.offset % 2] + 2) / 3 })
    }

    /// Grouped, dilated, strided Conv with SAME_LOWER; AveragePool with ceil_mode and
    /// count_include_pad; Gemm with a weight given at run time.
    func testWindowOpsAndGemmAgainstReference() throws {
        var b = ModelBuilder()
        b.opset = 19
        b.inputs = [ModelBuilder.valueInfo("x", [1, 4, 7, 7]), ModelBuilder.valueInfo("gb", [3, 6])]
        b.outputs = [ModelBuilder.valueInfo("c", nil), ModelBuilder.valueInfo("a", nil), ModelBuilder.valueInfo("g", nil)]
        let w = T.random(6 * 2 * 9, 3), bias = T.random(6, 4)
        b.initializer("w", [6, 2, 3, 3], w); b.initializer("b", [6], bias)
        b.node("Conv", ["x", "w", "b"], ["c"], name: "conv", ["group": .int(2), "strides": .ints([2, 2]), "pads": .ints([2, 2, 2, 2]),
                                                            "dilations": .ints([2, 2])])
        b.node("AveragePool", ["x"], ["a"], name: "avg", ["kernel_shape": .ints([3, 3]), "strides": .ints([2, 2]), "pads": .ints([1, 1, 1, 1]),
                                                        "count_include_pad": .int(1), "ceil_mode": .int(1)])
        b.node("Flatten", ["c"], ["f"], name: "flatten")
        b.node("Slice", ["f", "zero", "three", "one"], ["f3"], name: "slice")
        b.int64Initializer("zero", [0]); b.int64Initializer("three", [3]); b.int64Initializer("one", [1])
        b.node("Gemm", ["f3", "gb"], ["g"], name: "gemm", ["alpha": .float(2), "beta": .float(0)])
        let graph = try T.read(b)
        XCTAssertEqual(graph.nodes.first { $0.name == "gemm" }?.inputs, ["f3", "gb"], "a weight given at run time stays an operand")
        let x = RefTensor(shape: [1, 4, 7, 7], floats: T.random(196, 5, scale: 2))
        let gb = T.random(18, 6)
        let out = try T.evaluate(graph, ["x": Tensor(shape: x.shape, floats: x.floats), "gb": Tensor(shape: [3, 6], floats: gb)])
        let c = Ref.conv(x, RefTensor(shape: [6, 2, 3, 3], floats: w), bias.map(Double.init), strides: [2, 2], pads: [2, 2, 2, 2],
                         dilations: [2, 2], group: 2)
        XCTAssertEqual(out["c"]?.shape, c.shape)
        XCTAssertLessThanOrEqual(T.relative(out["c"]?.floats ?? [], c.floats), 1e-5)
        XCTAssertEqual(out["a"]?.shape, [1, 4, 4, 4], "ceil_mode: the last window starts inside the input")
        let g = Ref.gemm(RefTensor(shape: [1, 3], data: Array(c.data.prefix(3))), RefTensor(shape: [3, 6], floats: gb), nil).map { 2 * $0 }
        XCTAssertLessThanOrEqual(T.relative(out["g"]?.floats ?? [], g.floats), 1e-5)
    }
}
