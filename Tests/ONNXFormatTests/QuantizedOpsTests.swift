import Foundation
import ModelIR
@testable import ONNXFormat
import ONNXProto
import XCTest

/// onnxruntime's quantized products (ConvInteger, MatMulInteger, QLinearConv, QLinearMatMul) and
/// com.microsoft QLinearGlobalAveragePool and QLinearSoftmax read as IR ops and written back; carried com.microsoft QLinear ops typed by their zero points; If
/// branches that read folded constants written with those constants.
final class QuantizedOpsTests: XCTestCase {
    private static func bytes(_ name: String, _ dims: [Int], _ values: [Int], signed: Bool) -> Onnx_TensorProto {
        ModelBuilder.tensor(name, dims, dataType: signed ? 3 : 2, raw: values.map { UInt8(bitPattern: Int8(truncatingIfNeeded: $0)) })
    }

    private static func int32s(_ name: String, _ values: [Int32]) -> Onnx_TensorProto {
        ModelBuilder.tensor(name, [values.count], dataType: 6, raw: values.flatMap { v in withUnsafeBytes(of: v.littleEndian) { Array($0) } })
    }

    static func model() throws -> Graph {
        var b = ModelBuilder()
        b.opset = 13
        b.inputs = [ModelBuilder.valueInfo("x", [1, 2, 5, 5], elemType: 2), ModelBuilder.valueInfo("a", [2, 4], elemType: 2)]
        b.outputs = ["ci", "qc", "mi", "qm"].map { ModelBuilder.valueInfo($0, nil) }
        let weights = (0..<54).map { ($0 * 37) % 255 - 127 }
        b.initializers = [
            bytes("w", [3, 2, 3, 3], weights, signed: true), bytes("xz", [], [7], signed: false),
            bytes("wz", [3], [0, 1, -1], signed: true), bytes("yz", [], [128], signed: false),
            ModelBuilder.tensor("xs", [], [0.02]), ModelBuilder.tensor("ws", [3], [0.01, 0.02, 0.005]), ModelBuilder.tensor("ys", [], [0.1]),
            int32s("bias", [100, -200, 7]),
            bytes("m", [4, 3], (0..<12).map { $0 * 20 - 120 }, signed: true), bytes("az", [2], [3, 250], signed: false),
            bytes("mz", [3], [0, 2, -2], signed: true), ModelBuilder.tensor("as", [], [0.05]), ModelBuilder.tensor("ms", [3], [0.1, 0.2, 0.3]),
            bytes("mz1", [], [0], signed: true),
        ]
        b.node("ConvInteger", ["x", "w", "xz", "wz"], ["ci"], name: "conv_integer", ["pads": .ints([1, 0, 1, 2]), "strides": .ints([1, 2])])
        b.node("QLinearConv", ["x", "xs", "xz", "w", "ws", "wz", "ys", "yz", "bias"], ["qc"], name: "qlinear_conv",
               ["pads": .ints([1, 1, 1, 1])])
        b.node("MatMulInteger", ["a", "m", "az", "mz"], ["mi"], name: "matmul_integer")
        b.node("QLinearMatMul", ["a", "as", "xz", "m", "ms", "mz1", "ys", "yz"], ["qm"], name: "qlinear_matmul")
        return try T.read(b)
    }

    func testReadAsIROpsAndWrittenBack() throws {
        let graph = try Self.model()
        XCTAssertEqual(graph.nodes.map(\.op.displayName), ["ConvInteger", "QLinearConv", "MatMulInteger", "QLinearMatMul"])
        guard case .quantization(.convInteger(let a)) = graph.nodes[0].op else { return XCTFail("ConvInteger") }
        XCTAssertEqual(a.filters, 3)
        XCTAssertEqual(a.strides, [1, 2])
        XCTAssertEqual(a.padding, .explicit(begin: [1, 0], end: [1, 2]))
        let inputs = ["x": Tensor(shape: [1, 2, 5, 5], integers: (0..<50).map { Int64(($0 * 53) % 256) }, dtype: .uint8),
                      "a": Tensor(shape: [2, 4], integers: [0, 255, 17, 128, 3, 9, 200, 64], dtype: .uint8)]
        let y = try T.evaluate(graph, inputs)
        XCTAssertEqual(y["ci"]?.dtype, .int32)
        XCTAssertEqual(y["ci"]?.shape, [1, 3, 5, 3])
        XCTAssertEqual(y["qc"]?.dtype, .uint8)
        XCTAssertEqual(y["qc"]?.shape, [1, 3, 5, 5])
        XCTAssertEqual(y["mi"]?.shape, [2, 3])
        XCTAssertEqual(y["qm"]?.dtype, .uint8)
        for opset in [13, 17, 21] {
            let back = try T.roundTrip(graph, ONNXWriter(opset: opset))
            XCTAssertEqual(back.nodes.map(\.op), graph.nodes.map(\.op))
            XCTAssertEqual(back.nodes.map(\.inputs), graph.nodes.map(\.inputs))
            let again = try T.evaluate(back, inputs)
            for name in graph.outputs { XCTAssertEqual(again[name]?.integers, y[name]?.integers, name) }
        }
        let written = try Onnx_ModelProto(serializedBytes: try ONNXWriter(opset: 13).serialize(graph))
        let conv = try XCTUnwrap(written.graph.node.first { $0.opType == "ConvInteger" })
        XCTAssertEqual(conv.attribute.first { $0.name == "strides" }?.ints, [1, 2])
    }

    func testWrongOperandTypesAreRefusedNamingTheNode() throws {
        var b = ModelBuilder()
        b.inputs = [ModelBuilder.valueInfo("x", [1, 2, 3, 3])]   // float32, not 8-bit
        b.outputs = [ModelBuilder.valueInfo("y", nil)]
        b.initializers = [Self.bytes("w", [1, 2, 1, 1], [1, 1], signed: false)]
        b.node("ConvInteger", ["x", "w"], ["y"], name: "ci")
        XCTAssertThrowsError(try T.read(b)) { error in
            XCTAssertTrue("\(error)".contains("node 'ci'"), "\(error)")
            XCTAssertTrue("\(error)".contains("int8 or uint8"), "\(error)")
        }
    }

    func testCarriedQLinearOpIsTypedByItsZeroPoint() throws {
        // onnxruntime's QOperator files rarely declare the types of com.microsoft ops' results; the
        // QLinearMatMul after one must still read uint8 (validation re-infers the whole graph).
        var b = ModelBuilder()
        b.domains = ["com.microsoft": 1]
        b.inputs = [ModelBuilder.valueInfo("x", [1, 4], elemType: 2)]
        b.outputs = [ModelBuilder.valueInfo("y", nil)]
        b.initializers = [ModelBuilder.tensor("s", [], [0.5]), Self.bytes("z", [], [128], signed: false),
                          Self.bytes("m", [4, 2], [1, 2, 3, 4, 5, 6, 7, 8], signed: false)]
        var add = b.node("QLinearAdd", ["x", "s", "z", "x", "s", "z", "s", "z"], ["sum"], name: "qadd")
        add.domain = "com.microsoft"
        b.nodes[b.nodes.count - 1] = add
        b.node("QLinearMatMul", ["sum", "s", "z", "m", "s", "z", "s", "z"], ["product"], name: "qmm")
        b.node("DequantizeLinear", ["product", "s", "z"], ["y"], name: "dq")
        let graph = try T.read(b)
        XCTAssertEqual(graph.nodes.map(\.op.displayName), ["QLinearAdd", "QLinearMatMul", "DequantizeLinear"])
        let written = try Onnx_ModelProto(serializedBytes: try ONNXWriter(opset: 17).serialize(graph))
        XCTAssertEqual(written.graph.node.map(\.opType), ["QLinearAdd", "QLinearMatMul", "DequantizeLinear"])
        XCTAssertEqual(try T.roundTrip(graph, ONNXWriter(opset: 17)).nodes.map(\.op), graph.nodes.map(\.op))
    }

    func testMicrosoftPoolAndSoftmaxAreReadAsIROpsAndWrittenBackInTheirDomain() throws {
        var b = ModelBuilder()
        b.domains = ["com.microsoft": 1]
        b.inputs = [ModelBuilder.valueInfo("x", [1, 3, 2, 2], elemType: 2)]
        b.outputs = [ModelBuilder.valueInfo("y", nil)]
        b.initializers = [ModelBuilder.tensor("s", [], [0.1]), Self.bytes("z", [], [128], signed: false),
                          ModelBuilder.int64Tensor("flat", [1, 3])]
        for (op, inputs, outputs, attributes) in [
            ("QLinearGlobalAveragePool", ["x", "s", "z", "s", "z"], ["pooled"], [String: ModelBuilder.Attr]()),
            ("Reshape", ["pooled", "flat"], ["rows"], [:]),
            ("QLinearSoftmax", ["rows", "s", "z", "s", "z"], ["y"], ["axis": .int(-1), "opset": .int(13)]),
        ] {
            var n = b.node(op, inputs, outputs, name: op, attributes)
            if op != "Reshape" { n.domain = "com.microsoft" }
            b.nodes[b.nodes.count - 1] = n
        }
        let graph = try T.read(b)
        XCTAssertEqual(graph.nodes.map(\.op), [.quantization(.qLinearGlobalAveragePool(QLinearPoolAttributes())),
                                               graph.nodes[1].op,
                                               .quantization(.qLinearSoftmax(QLinearSoftmaxAttributes(axis: -1, opset: 13)))])
        let x = Tensor(shape: [1, 3, 2, 2], integers: (0..<12).map { Int64($0 * 20) }, dtype: .uint8)
        let y = try XCTUnwrap(try T.evaluate(graph, ["x": x])["y"])
        XCTAssertEqual(y.dtype, .uint8)
        XCTAssertEqual(y.shape, [1, 3])
        let written = try Onnx_ModelProto(serializedBytes: try ONNXWriter(opset: 17).serialize(graph))
        XCTAssertEqual(written.graph.node.map(\.domain), ["com.microsoft", "", "com.microsoft"])
        XCTAssertTrue(written.opsetImport.contains { $0.domain == "com.microsoft" && $0.version == 1 })
        let back = try T.roundTrip(graph, ONNXWriter(opset: 17))
        XCTAssertEqual(back.nodes.map(\.op), graph.nodes.map(\.op))
        XCTAssertEqual(try T.evaluate(back, ["x": x])["y"]?.integers, y.integers)
    }

    func testIfBranchReadingAFoldedConstantIsWrittenWithIt() throws {
        // PyTorch writes the Constant an If branch reads at the top level; the importer folds it
        // into a weight, which the writer must emit under its own name before the If.
        var body = ModelBuilder()
        body.outputs = [ModelBuilder.valueInfo("z", nil)]
        body.node("Add", ["k", "k"], ["z"], name: "inner")
        var b = ModelBuilder()
        b.inputs = [ModelBuilder.valueInfo("flag", [], elemType: 9)]
        b.outputs = [ModelBuilder.valueInfo("out", nil)]
        b.node("Constant", [], ["k"], name: "const", ["value": .tensor(ModelBuilder.tensor("", [2], [1, 2]))])
        b.node("If", ["flag"], ["out"], name: "if", ["then_branch": .graph(body.graph), "else_branch": .graph(body.graph)])
        let graph = try T.read(b)
        let written = try Onnx_ModelProto(serializedBytes: try ONNXWriter(opset: 17).serialize(graph))
        XCTAssertEqual(written.graph.initializer.map(\.name), ["k"])
        XCTAssertEqual(written.graph.node.map(\.opType), ["If"])
        XCTAssertEqual(written.graph.node[0].input, ["flag"])
    }
}
