import Foundation
import ModelIR
import NPY
import ONNXFormat
import XCTest
import _TestSupport

/// samples/mini/mini.onnx is tf2onnx's export of the mini model (NHWC input, Transpose, NCHW body,
/// Transpose). Imported as it is: ten nodes, OIHW kernels, the Keras model's parameters and outputs.
final class MiniONNXTests: XCTestCase {
    struct SummaryRecord: Decodable {
        struct Layer: Decodable { var name: String; var type: String; var output_shape: [Int?]; var params: Int }
        var total_params: Int
        var trainable_params: Int
        var output_shape: [Int?]
        var layers: [Layer]
    }

    func testStructureIsTheONNXGraph() throws {
        let graph = try ONNXReader.read(path: TestSupport.sample("mini/mini.onnx"))
        let summary = try JSONDecoder().decode(SummaryRecord.self,
                                               from: Data(contentsOf: URL(fileURLWithPath: TestSupport.sample("mini/mini.summary.json"))))
        XCTAssertEqual(graph.parameterCount.total, summary.total_params)
        XCTAssertEqual(graph.inputs.map(\.shape), [[-1, 32, 32, 3]])
        XCTAssertEqual(graph.inputs[0].dimensionNames, ["unk__26", "", "", ""])
        XCTAssertEqual(graph.outputs, ["block2_pool"])
        XCTAssertEqual(graph.nodes.map(\.op.kind), ["transpose", "conv", "activation", "conv", "activation", "max_pool", "conv",
                                                    "activation", "max_pool", "transpose"])
        XCTAssertEqual(graph.nodes.first?.name, "mini_vgg/block1_conv1/BiasAdd__6")
        XCTAssertEqual(graph.nodes[1].inputs, ["mini_vgg/block1_conv1/BiasAdd__6:0", "mini_vgg/block1_conv1/Conv2D/ReadVariableOp:0",
                                               "mini_vgg/block1_conv1/BiasAdd/ReadVariableOp:0"])
        let convs = graph.nodes.filter { $0.op.kind == "conv" }
        // Keras's per-layer parameter counts, conv by conv.
        XCTAssertEqual(convs.map { graph.parameterCount(of: [$0]).total }, summary.layers.filter { $0.type == "Conv2D" }.map(\.params))
        for node in convs {
            guard case .conv(.conv(let a)) = node.op else { return XCTFail() }
            XCTAssertEqual(a.layout, .channelsFirst)
            XCTAssertEqual(a.kernelLayout, .spatialLast)
            XCTAssertEqual(a.padding, .explicit(begin: [1, 1], end: [1, 1]), "tf2onnx wrote Keras's same as explicit pads")
            XCTAssertEqual(graph.weights[node.inputs[1]]?.info.layout, .oihw)
        }
        XCTAssertEqual(try graph.inferShapes()["block2_pool"], summary.output_shape.map { $0 ?? -1 })
        XCTAssertEqual(graph.metadata.sourceFormat, "onnx")
        XCTAssertEqual(graph.metadata.producer, "tf2onnx 1.17.0 None")  // producer_version as tf2onnx wrote it
        XCTAssertEqual(graph.metadata.extra["onnx.opset_import.ai.onnx.ml"], "2")
    }

    /// The OIHW kernels are Keras's HWIO kernels transposed ([3, 2, 0, 1]).
    func testKernelsEqualKerasKernels() throws {
        struct Record: Decodable { var layer: String; var weight_name: String; var shape: [Int]; var offset: Int; var nbytes: Int }
        let records = try JSONDecoder().decode([Record].self, from: Data(contentsOf: URL(fileURLWithPath: TestSupport.sample("mini/mini.tensors.json"))))
        let h5 = try Data(contentsOf: URL(fileURLWithPath: TestSupport.sample("mini/mini.keras3.h5")))
        let graph = try ONNXReader.read(path: TestSupport.sample("mini/mini.onnx"))
        XCTAssertEqual(records.count, 6)
        for r in records {
            let node = try XCTUnwrap(graph.nodes.first { $0.op.kind == "conv" && $0.name.contains("/\(r.layer)/") }, r.layer)
            let isKernel = r.weight_name.hasSuffix("kernel")
            let w = try XCTUnwrap(graph.weights[node.inputs[isKernel ? 1 : 2]])
            let keras = Array(h5[r.offset..<(r.offset + r.nbytes)]).withUnsafeBytes { Array($0.bindMemory(to: Float.self)) }
            if isKernel {
                let (kh, kw, ci, co) = (r.shape[0], r.shape[1], r.shape[2], r.shape[3])
                XCTAssertEqual(w.info.shape, [co, ci, kh, kw], r.weight_name)
                let oihw = w.data.floatArray(as: .float32)
                for o in 0..<co { for i in 0..<ci { for y in 0..<kh { for x in 0..<kw {
                    XCTAssertEqual(oihw[((o * ci + i) * kh + y) * kw + x], keras[((y * kw + x) * ci + i) * co + o])
                } } } }
            } else {
                XCTAssertEqual(w.data.floatArray(as: .float32), keras, r.weight_name)
            }
        }
    }

    func testEvaluatesToKerasOutputs() throws {
        let graph = try ONNXReader.read(path: TestSupport.sample("mini/mini.onnx"))
        for stem in ["astronaut", "camera", "chelsea", "coffee", "hubble", "rocket"] {
            let input = try NPYFile.read(contentsOf: URL(fileURLWithPath: TestSupport.sample("mini/inputs/\(stem).npy")))
            let expected = try NPYFile.read(contentsOf: URL(fileURLWithPath: TestSupport.sample("mini/expected/\(stem).npy")))
            let results = try T.evaluate(graph, ["input_1": Tensor(shape: input.shape, floats: try input.floats())])
            let out = try XCTUnwrap(results["block2_pool"])
            XCTAssertEqual(out.shape, expected.shape, stem)
            XCTAssertLessThanOrEqual(T.relative(out.floats, try expected.floats()), 1e-4, stem)
        }
    }
}
