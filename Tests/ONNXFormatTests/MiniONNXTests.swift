import Foundation
import ModelIR
import NPY
import ONNXFormat
import Runtime
import XCTest
import _TestSupport

/// samples/mini/mini.onnx is tf2onnx's export of the mini model (NHWC input, Transpose, NCHW body,
/// Transpose). Imported, it must be the Keras model again: same layers, parameters and outputs.
final class MiniONNXTests: XCTestCase {
    struct SummaryRecord: Decodable {
        struct Layer: Decodable { var name: String; var type: String; var output_shape: [Int?]; var params: Int }
        var total_params: Int
        var trainable_params: Int
        var output_shape: [Int?]
        var layers: [Layer]
    }

    func testStructureMatchesKerasSummary() throws {
        let graph = try ONNXReader.read(path: TestSupport.sample("mini/mini.onnx"))
        let summary = try JSONDecoder().decode(SummaryRecord.self,
                                               from: Data(contentsOf: URL(fileURLWithPath: TestSupport.sample("mini/mini.summary.json"))))
        XCTAssertEqual(graph.parameterCount.total, summary.total_params)
        XCTAssertEqual(graph.parameterCount.trainable, summary.trainable_params)
        XCTAssertEqual(graph.inputs.map(\.shape), [[-1, 32, 32, 3]])
        XCTAssertEqual(graph.inputs.map(\.name), ["input_1"])
        XCTAssertEqual(graph.outputs, ["block2_pool"])

        // One IR node per Keras layer: the Transposes are folded away, each Relu fused into its Conv.
        let keras = summary.layers.filter { $0.type != "InputLayer" }
        XCTAssertEqual(graph.nodes.map(\.op.kerasClassName), keras.map(\.type))
        let shapes = try graph.inferShapes()
        for (node, layer) in zip(graph.nodes, keras) {
            XCTAssertEqual(shapes[node.outputs[0]], layer.output_shape.map { $0 ?? -1 }, node.name)
            XCTAssertEqual(graph.parameterCount(of: [node]).total, layer.params, node.name)
            if case .conv2D(let a) = node.op {
                XCTAssertEqual(a.activation, .relu, node.name)
                XCTAssertEqual(a.padding, .same, node.name)
                XCTAssertEqual(graph.weights[node.weights[0]]?.info.layout, .hwio)
            }
        }
        // ONNX names survive, so summaries stay readable.
        XCTAssertEqual(graph.nodes.first?.name, "mini_vgg/block1_conv1/BiasAdd")
        XCTAssertEqual(graph.nodes.first?.weights, ["mini_vgg/block1_conv1/Conv2D/ReadVariableOp:0", "mini_vgg/block1_conv1/BiasAdd/ReadVariableOp:0"])
        XCTAssertEqual(graph.metadata.sourceFormat, "onnx")
        XCTAssertEqual(graph.metadata.producer, "tf2onnx 1.17.0 None")  // producer_version as tf2onnx wrote it
    }

    /// The OIHW → HWIO transpose, against the Keras kernel bytes h5py reported for mini.keras3.h5.
    func testKernelsEqualKerasKernels() throws {
        struct Record: Decodable { var layer: String; var weight_name: String; var shape: [Int]; var offset: Int; var nbytes: Int }
        let records = try JSONDecoder().decode([Record].self, from: Data(contentsOf: URL(fileURLWithPath: TestSupport.sample("mini/mini.tensors.json"))))
        let h5 = try Data(contentsOf: URL(fileURLWithPath: TestSupport.sample("mini/mini.keras3.h5")))
        let graph = try ONNXReader.read(path: TestSupport.sample("mini/mini.onnx"))
        XCTAssertEqual(records.count, 6)
        for r in records {
            let node = try XCTUnwrap(graph.nodes.first { $0.name.contains("/\(r.layer)/") }, r.layer)
            let w = try XCTUnwrap(graph.weights[node.weights[r.weight_name.hasSuffix("kernel") ? 0 : 1]])
            XCTAssertEqual(w.info.shape, r.shape, r.weight_name)
            XCTAssertTrue(w.data.bytes.elementsEqual(h5[r.offset..<(r.offset + r.nbytes)]), "\(r.weight_name) differs from Keras")
        }
    }

    func testRunsToKerasOutputs() throws {
        let graph = try ONNXReader.read(path: TestSupport.sample("mini/mini.onnx"))
        let executor = try Executor(graph: graph)
        let stems = ["astronaut", "camera", "chelsea", "coffee", "hubble", "rocket"]
        for stem in stems {
            let input = try NPYFile.read(contentsOf: URL(fileURLWithPath: TestSupport.sample("mini/inputs/\(stem).npy")))
            let expected = try NPYFile.read(contentsOf: URL(fileURLWithPath: TestSupport.sample("mini/expected/\(stem).npy")))
            let out = try executor.run(input: Tensor(shape: input.shape, data: try input.floats()))
            XCTAssertEqual(out.shape, expected.shape, stem)
            let e = try expected.floats()
            let maxAbs = zip(out.data, e).map { abs($0 - $1) }.max() ?? .infinity
            let scale = e.map(abs).max() ?? 0
            XCTAssertGreaterThan(scale, 0)
            XCTAssertLessThanOrEqual(maxAbs / scale, 1e-4, "\(stem): max|Δ|/max|keras| = \(maxAbs / scale)")
        }
    }
}
