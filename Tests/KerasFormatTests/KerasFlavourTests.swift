import Foundation
import HDF5
@testable import KerasFormat
import ModelIR
import SWMFormat
import XCTest
import _TestSupport

/// Reads every flavour of the committed mini models (written by Keras itself, see samples/README.md)
/// and checks structure, parameter counts and weight bytes against what Keras and h5py reported.
final class KerasFlavourTests: XCTestCase {
    struct TensorRecord: Decodable {
        var layer: String
        var dataset_path: String
        var shape: [Int]
        var offset: Int?
        var nbytes: Int
    }

    struct SummaryRecord: Decodable {
        struct Layer: Decodable { var name: String; var type: String; var output_shape: [Int?]; var params: Int }
        var total_params: Int
        var trainable_params: Int
        var non_trainable_params: Int
        var output_shape: [Int?]
        var layers: [Layer]
    }

    func load<T: Decodable>(_ type: T.Type, _ path: String) throws -> T {
        try JSONDecoder().decode(T.self, from: Data(contentsOf: URL(fileURLWithPath: TestSupport.sample(path))))
    }

    /// The model_config JSON of the Keras 3 full model, used as `--config` for weights-only files.
    func miniConfig() throws -> Data {
        let file = try H5File.open(path: TestSupport.sample("mini/mini.keras3.h5"))
        return Data(try file.root.stringAttribute("model_config").utf8)
    }

    func read(_ path: String, config: Data? = nil) throws -> Graph {
        try KerasReader.read(path: TestSupport.sample(path), options: KerasReadOptions(configJSON: config))
    }

    /// Every weight's bytes equal the dataset's raw bytes at the file offset h5py reported.
    func assertBytesMatchFile(_ graph: Graph, file: String, tensors: String, line: UInt = #line) throws {
        let records = try load([TensorRecord].self, tensors)
        let raw = try Data(contentsOf: URL(fileURLWithPath: TestSupport.sample(file)))
        var bySource: [String: Weight] = [:]
        for w in graph.weights.values { if let s = w.source { bySource[s] = w } }
        XCTAssertEqual(records.count, graph.weights.count, "weight count", line: line)
        for record in records {
            let weight = try XCTUnwrap(bySource[record.dataset_path], "no weight from \(record.dataset_path)", line: line)
            XCTAssertEqual(weight.info.shape, record.shape, record.dataset_path, line: line)
            let offset = try XCTUnwrap(record.offset)
            let expected = raw[offset..<(offset + record.nbytes)]
            XCTAssertTrue(weight.data.bytes.elementsEqual(expected), "bytes of \(record.dataset_path) differ", line: line)
        }
    }

    func assertSummary(_ graph: Graph, _ path: String, line: UInt = #line) throws {
        let expected = try load(SummaryRecord.self, path)
        let count = graph.parameterCount
        XCTAssertEqual(count.total, expected.total_params, line: line)
        XCTAssertEqual(count.trainable, expected.trainable_params, line: line)
        XCTAssertEqual(count.nonTrainable, expected.non_trainable_params, line: line)
        let shapes = try graph.inferShapes()
        XCTAssertEqual(shapes[graph.outputs[0]], expected.output_shape.map { $0 ?? -1 }, line: line)
    }

    func testKeras3LegacyH5() throws {
        let graph = try read("mini/mini.keras3.h5")
        XCTAssertEqual(graph.metadata.kerasVersion, "3.15.1")
        try assertSummary(graph, "mini/mini.summary.json")
        try assertBytesMatchFile(graph, file: "mini/mini.keras3.h5", tensors: "mini/mini.tensors.json")
    }

    func testTFKerasLegacyH5() throws {
        let graph = try read("mini/mini.tfkeras.h5")
        XCTAssertTrue(graph.metadata.kerasVersion?.hasPrefix("2.") ?? false)
        try assertSummary(graph, "mini/mini.summary.json")
        try assertBytesMatchFile(graph, file: "mini/mini.tfkeras.h5", tensors: "mini/mini.tensors.tfkeras.json")
    }

    func testWeightsOnlyFlavoursWithConfig() throws {
        let config = try miniConfig()
        let legacy = try read("mini/mini.tfkeras-weights.h5", config: config)
        try assertSummary(legacy, "mini/mini.summary.json")
        try assertBytesMatchFile(legacy, file: "mini/mini.tfkeras-weights.h5", tensors: "mini/mini.tensors.tfkeras-weights.json")
        let keras3 = try read("mini/mini.weights.h5", config: config)
        try assertSummary(keras3, "mini/mini.summary.json")
        try assertBytesMatchFile(keras3, file: "mini/mini.weights.h5", tensors: "mini/mini.tensors.weights.json")
    }

    func testKerasZipHoldsTheSameWeights() throws {
        let zip = try read("mini/mini.keras")
        let reference = try read("mini/mini.keras3.h5")
        try assertSummary(zip, "mini/mini.summary.json")
        XCTAssertEqual(zip.nodes.map(\.name), reference.nodes.map(\.name))
        XCTAssertEqual(zip.nodes.map(\.op), reference.nodes.map(\.op))
        for (name, weight) in reference.weights {
            XCTAssertTrue(try XCTUnwrap(zip.weights[name]).data.bytesEqual(weight.data), name)
        }
    }

    func testNestedClassifierInEveryFlavour() throws {
        for path in ["mini_classifier/mini_classifier.keras3.h5", "mini_classifier/mini_classifier.tfkeras.h5",
                     "mini_classifier/mini_classifier.keras"] {
            let graph = try read(path)
            try assertSummary(graph, "mini_classifier/mini_classifier.summary.json")
            XCTAssertEqual(graph.metadata.submodels.map(\.scope), [["mini_vgg"]], path)
            XCTAssertTrue(graph.nodes.contains { $0.name == "mini_vgg/block1_conv1" }, path)
        }
        let graph = try read("mini_classifier/mini_classifier.keras3.h5")
        try assertBytesMatchFile(graph, file: "mini_classifier/mini_classifier.keras3.h5",
                                 tensors: "mini_classifier/mini_classifier.tensors.json")
    }

    /// samples/manifest.json's `unsupported` entry names the layer wtool cannot compute (a Lambda):
    /// the file reads, that layer is carried, the others are computed ops, and evaluation names it.
    func testLambdaIsCarriedAndEvaluationNamesIt() throws {
        let manifest = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: TestSupport.sample("manifest.json")))) as? [String: Any]
        let entry = try XCTUnwrap(manifest?["unsupported"] as? [String: String])
        let (layer, cls) = (try XCTUnwrap(entry["layer"]), try XCTUnwrap(entry["type"]))
        let graph = try read(try XCTUnwrap(entry["file"]))
        let carried = graph.nodes.filter { if case .custom = $0.op { true } else { false } }
        XCTAssertEqual(carried.map(\.name), [layer])
        XCTAssertEqual(carried.first?.sourceType, cls)
        XCTAssertEqual(graph.node(named: "deconv")?.sourceType, "Conv2DTranspose")
        let input = graph.inputs[0]
        let shape = input.shape.map { $0 > 0 ? $0 : 1 }
        XCTAssertThrowsError(try graph.evaluate(inputs: [input.name: Tensor(shape: shape, floats: Array(repeating: 0.5, count: shape.reduce(1, *)))])) { error in
            XCTAssertTrue("\(error)".contains(layer) && "\(error)".contains(cls), "\(error)")
        }
    }

    func testWeightsOnlyWithoutArchitectureAsksForOne() {
        XCTAssertThrowsError(try read("mini/mini.weights.h5")) { error in
            XCTAssertTrue("\(error)".contains("--arch"), "\(error)")
        }
    }

    func testWrongArchitectureIsAStrictBindingError() {
        let spec = ApplicationSpec(architecture: .vgg16, inputShape: [32, 32, 3])
        for path in ["mini/mini.weights.h5", "mini/mini.tfkeras-weights.h5"] {
            XCTAssertThrowsError(try KerasReader.read(path: TestSupport.sample(path), options: KerasReadOptions(architecture: spec)), path) { error in
                XCTAssertTrue(error is KerasError, "\(error)")
            }
        }
    }

    func testTruncatedAndForeignFiles() throws {
        let dir = TestSupport.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let source = try Data(contentsOf: URL(fileURLWithPath: TestSupport.sample("mini/mini.keras3.h5")))
        for cut in [0, 8, 100, 2048, source.count / 2, source.count - 1] {
            let path = dir.appendingPathComponent("cut\(cut).h5").path
            try source.prefix(cut).write(to: URL(fileURLWithPath: path))
            XCTAssertThrowsError(try KerasReader.read(path: path), "cut at \(cut)")
        }
        let text = dir.appendingPathComponent("text.h5").path
        try Data("hello".utf8).write(to: URL(fileURLWithPath: text))
        XCTAssertNil(try KerasReader.detect(path: text))
        let zip = try Data(contentsOf: URL(fileURLWithPath: TestSupport.sample("mini/mini.keras")))
        let cutZip = dir.appendingPathComponent("cut.keras").path
        try zip.prefix(zip.count / 2).write(to: URL(fileURLWithPath: cutZip))
        XCTAssertThrowsError(try KerasReader.read(path: cutZip))
    }

    func testBuiltInVGG16Structure() throws {
        let structure = try Applications.structure(for: ApplicationSpec(architecture: .vgg16, inputShape: [150, 150, 3]))
        XCTAssertEqual(structure.nodes.count, 18)
        XCTAssertEqual(structure.layers.filter(\.hasWeights).map(\.name).first, "block1_conv1")
        let top = try Applications.structure(for: ApplicationSpec(architecture: .vgg19, includeTop: true))
        XCTAssertEqual(top.nodes.last?.name, "predictions")
        XCTAssertThrowsError(try Applications.structure(for: ApplicationSpec(architecture: .vgg16, inputShape: [150, 150, 3], includeTop: true)))
    }

    func testSnakeCaseMatchesKeras() {
        XCTAssertEqual(KerasWeightBinder.snakeCase("Conv2D"), "conv2d")
        XCTAssertEqual(KerasWeightBinder.snakeCase("MaxPooling2D"), "max_pooling2d")
        XCTAssertEqual(KerasWeightBinder.snakeCase("BatchNormalization"), "batch_normalization")
        XCTAssertEqual(KerasWeightBinder.snakeCase("InputLayer"), "input_layer")
        XCTAssertEqual(KerasWeightBinder.snakeCase("GlobalAveragePooling2D"), "global_average_pooling2d")
    }

    func testConvertedSWMHoldsIdenticalBytes() throws {
        let dir = TestSupport.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let graph = try read("mini_classifier/mini_classifier.keras3.h5")
        let out = dir.appendingPathComponent("m.swm").path
        try SWMWriter().write(graph, to: out)
        let back = try SWMFile(path: out).graph()
        XCTAssertEqual(back.nodes, graph.nodes)
        XCTAssertEqual(back.parameterCount, graph.parameterCount)
        for (name, w) in graph.weights { XCTAssertTrue(try XCTUnwrap(back.weights[name]).data.bytesEqual(w.data), name) }
    }
}
