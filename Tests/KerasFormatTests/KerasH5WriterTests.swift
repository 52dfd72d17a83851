import Foundation
import HDF5
@testable import KerasFormat
import ModelIR
import XCTest
import _TestSupport

/// The Keras `.h5` writer: what it writes reads back (through wtool's own reader) as the very graph
/// it came from, in the layout and order Keras itself writes. Loading by real Keras is the parity
/// stage's job (scripts/keras_h5_check.py).
final class KerasH5WriterTests: XCTestCase {
    var directory: URL!
    override func setUp() { directory = TestSupport.temporaryDirectory() }
    override func tearDown() { try? FileManager.default.removeItem(at: directory) }
    func path(_ name: String) -> String { directory.appendingPathComponent(name).path }

    static let fixtures = TestSupport.repoRoot.appendingPathComponent("Tests/KerasFormatTests/Fixtures/writer")
    func fixture(_ name: String) -> String { Self.fixtures.appendingPathComponent("\(name)/model.h5").path }

    /// Keras files of every flavour with the targets they must round-trip through.
    var sources: [(String, [KerasTarget])] {
        let all = KerasTarget.allCases
        return [
            (TestSupport.sample("mini/mini.keras3.h5"), all), (TestSupport.sample("mini/mini.tfkeras.h5"), all),
            (TestSupport.sample("mini/mini.keras"), all),
            (TestSupport.sample("mini_classifier/mini_classifier.keras3.h5"), all),
            (TestSupport.sample("mini_classifier/mini_classifier.tfkeras.h5"), all),
            (TestSupport.sample("mini_classifier/mini_classifier.keras"), all),
            (fixture("zoo.keras3"), all),
            (fixture("nested.keras3"), [.keras2, .keras3]), (fixture("nested.tfkeras"), [.keras2, .keras3]),
        ]
    }

    func assertSameGraph(_ a: Graph, _ b: Graph, _ label: String, file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertEqual(a.name, b.name, label, file: file, line: line)
        XCTAssertEqual(a.inputs, b.inputs, label, file: file, line: line)
        XCTAssertEqual(a.outputs, b.outputs, label, file: file, line: line)
        // The reader records each layer's Keras class; the op is what must round-trip.
        func plain(_ nodes: [Node]) -> [Node] { nodes.map { var n = $0; n.sourceType = nil; return n } }
        XCTAssertEqual(plain(a.nodes), plain(b.nodes), label, file: file, line: line)
        XCTAssertEqual(a.metadata.submodels, b.metadata.submodels, label, file: file, line: line)
        XCTAssertEqual(a.metadata.extra["keras_class"], b.metadata.extra["keras_class"], label, file: file, line: line)
        XCTAssertEqual(a.weights.keys.sorted(), b.weights.keys.sorted(), label, file: file, line: line)
        for (name, w) in a.weights {
            guard let v = b.weights[name] else { continue }
            XCTAssertEqual(w.info, v.info, "\(label): \(name)", file: file, line: line)
            XCTAssertEqual(w.trainable, v.trainable, "\(label): \(name)", file: file, line: line)
            XCTAssertTrue(w.data.bytesEqual(v.data), "\(label): \(name) bytes differ", file: file, line: line)
        }
        XCTAssertEqual(a.parameterCount, b.parameterCount, label, file: file, line: line)
    }

    func testEverySampleRoundTripsBitForBit() throws {
        for (source, targets) in sources {
            let graph = try KerasReader.read(path: source)
            for target in targets {
                let out = path("rt.h5")
                try KerasH5Writer(target: target).write(graph, to: out, overwrite: true)
                assertSameGraph(graph, try KerasReader.read(path: out), "\(source) via --keras \(target.rawValue)")
            }
        }
    }

    func testSyntheticGraphRoundTrips() throws {
        let graph = TestSupport.smallGraph()
        try KerasH5Writer().write(graph, to: path("small.h5"))
        var back = try KerasReader.read(path: path("small.h5"))
        XCTAssertEqual(back.metadata.sourceFormat, "keras-h5")
        back.metadata = graph.metadata
        assertSameGraph(graph, back, "smallGraph")
    }

    func testNestedModelReadByALaterLayerNeedsAKerasVersion() throws {
        let graph = try KerasReader.read(path: fixture("nested.keras3"))
        XCTAssertThrowsError(try KerasH5Writer(target: .both).write(graph, to: path("n.h5"))) { error in
            let text = "\(error)"
            XCTAssertTrue(text.contains("inner") && text.contains("--keras 2 or --keras 3"), text)
        }
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: directory.path), [])
    }

    /// Keras pairs legacy weights with `model.layers` by position, so the written layer order must be
    /// the one Keras computes when it rebuilds the model — checked against files Keras wrote.
    func testLayerAndWeightOrderIsKerasOwn() throws {
        for name in ["zoo.keras3", "nested.keras3", "nested.tfkeras"] {
            let original = try H5File.open(path: fixture(name))
            var graph = try KerasReader.read(path: fixture(name))
            // Another valid topological order than Keras's (ready nodes taken last-first), so the
            // writer has to compute Keras's order rather than keep the reader's.
            let reordered = Self.otherTopologicalOrder(graph)
            if name == "zoo.keras3" { XCTAssertNotEqual(reordered.map(\.name), graph.nodes.map(\.name)) }
            graph.nodes = reordered
            try graph.validate()
            try KerasH5Writer(target: .keras2).write(graph, to: path("\(name).h5"), overwrite: true)
            let ours = try H5File.open(path: path("\(name).h5"))
            func configOrder(_ file: H5File) throws -> [String] {
                let json = try JSONValue.parse(Data(try file.root.stringAttribute("model_config").utf8))
                return (json["config"]?["layers"]?.array ?? []).compactMap { $0["name"]?.string ?? $0["config"]?["name"]?.string }
            }
            XCTAssertEqual(try configOrder(ours), try configOrder(original), name)
            let theirs = try original.root.group("model_weights"), mine = try ours.root.group("model_weights")
            let layerNames = try XCTUnwrap(try theirs.chunkedStringsAttribute("layer_names"))
            XCTAssertGreaterThan(layerNames.count, 3)
            XCTAssertEqual(try mine.chunkedStringsAttribute("layer_names"), layerNames, name)
            for layer in layerNames {
                // Same datasets in the same order: compare the shapes listed by weight_names.
                func shapes(_ group: H5Group) throws -> [[Int]] {
                    let g = try group.group(layer)
                    return try (g.chunkedStringsAttribute("weight_names") ?? []).map { try g.dataset($0).shape() }
                }
                XCTAssertEqual(try shapes(mine), try shapes(theirs), "\(name)/\(layer)")
            }
        }
    }

    static func otherTopologicalOrder(_ graph: Graph) -> [Node] {
        var produced = Set(graph.inputs.map(\.name)).union(graph.weights.keys).union([""])
        var pending = graph.nodes
        var order: [Node] = []
        while let index = pending.lastIndex(where: { $0.inputs.allSatisfy(produced.contains) }) {
            let node = pending.remove(at: index)
            order.append(node)
            produced.formUnion(node.outputs)
        }
        return order
    }

    func testAttributesAreWhereKerasPutsThem() throws {
        let graph = try KerasReader.read(path: TestSupport.sample("mini_classifier/mini_classifier.keras3.h5"))
        try KerasH5Writer().write(graph, to: path("m.h5"))
        let file = try H5File.open(path: path("m.h5"))
        XCTAssertEqual(try file.root.stringAttribute("keras_version"), "2.0.0")
        XCTAssertEqual(try file.root.stringAttribute("backend"), "tensorflow")
        let config = try JSONValue.parse(Data(try file.root.stringAttribute("model_config").utf8))
        XCTAssertEqual(config["class_name"]?.string, "Sequential")
        let layers = try XCTUnwrap(config["config"]?["layers"]?.array)
        XCTAssertEqual(layers.first?["config"]?["batch_input_shape"], .array([.null, .number(32), .number(32), .number(3)]))
        XCTAssertEqual(layers[1]["config"]?["trainable"], .bool(false), "the frozen base stays frozen")
        let weights = try file.root.group("model_weights")
        XCTAssertEqual(try weights.stringsAttribute("layer_names"), ["mini_vgg", "flatten", "dense", "dropout", "dense_1"])
        XCTAssertEqual(try weights.stringAttribute("keras_version"), "2.0.0")
        XCTAssertEqual(try weights.group("dense").stringsAttribute("weight_names"), ["dense/kernel:0", "dense/bias:0"])
        XCTAssertEqual(try weights.group("mini_vgg").stringsAttribute("weight_names").first, "block1_conv1/kernel:0")
        // A weightless layer's weight_names is Keras's empty float64 array, not an empty string list.
        XCTAssertEqual(try weights.group("flatten").stringsAttribute("weight_names"), [])
        XCTAssertEqual(try weights.group("top_level_model_weights").stringsAttribute("weight_names"), [])
        let kernel = try weights.dataset("dense/dense/kernel:0")
        XCTAssertEqual(try kernel.shape(), [1024, 32])
        XCTAssertEqual(try kernel.elementType(), .float(bytes: 4))
        XCTAssertNotNil(try kernel.contiguousStorage(), "weights are contiguous, uncompressed")

        try KerasH5Writer(target: .keras3).write(graph, to: path("m3.h5"))
        let k3 = try H5File.open(path: path("m3.h5"))
        let k3config = try JSONValue.parse(Data(try k3.root.stringAttribute("model_config").utf8))
        XCTAssertNotNil(k3config["config"]?["layers"]?.array?.first?["config"]?["batch_shape"])
        XCTAssertEqual(try k3.root.group("model_weights/dense").stringsAttribute("weight_names"), ["dense/kernel", "dense/bias"])
    }

    func testWeightsOnlyFileReadsBackWithItsConfig() throws {
        let graph = try KerasReader.read(path: TestSupport.sample("mini_classifier/mini_classifier.tfkeras.h5"))
        let writer = KerasH5Writer(weightsOnly: true)
        try writer.write(graph, to: path("w.h5"))
        let file = try H5File.open(path: path("w.h5"))
        XCTAssertFalse(try file.root.hasAttribute("model_config"))
        XCTAssertFalse(try file.root.contains("model_weights"))
        XCTAssertEqual(try file.root.stringsAttribute("layer_names").count, 5)
        XCTAssertEqual(try KerasReader.detect(path: path("w.h5")), .legacyWeights)
        XCTAssertThrowsError(try KerasReader.read(path: path("w.h5")))
        let config = Data(try writer.modelConfigJSON(for: graph).utf8)
        assertSameGraph(graph, try KerasReader.read(path: path("w.h5"), options: KerasReadOptions(configJSON: config)), "weights-only")
    }

    /// A weights-only file read with the config of the model rebuilt in another session, whose
    /// auto-names differ (deepcut's file, Keras 2.0.2, and its package's `get_convo_nn2()`): the
    /// carried layer with weights (`scale`, here `scale_7` in the config) is paired by position,
    /// as Keras's `load_weights` pairs it, not dropped from the count.
    func testWeightsOnlyFileBindsCarriedLayersByPositionWhenNamesDiffer() throws {
        let graph = try KerasReader.read(path: TestSupport.repoRoot.appendingPathComponent("Tests/KerasFormatTests/Fixtures/layers/carried.tfkeras.h5/model.h5").path)
        let writer = KerasH5Writer(weightsOnly: true)
        try writer.write(graph, to: path("w.h5"))
        func renamed(_ value: Any) -> Any {
            switch value {
            case let s as String: return s == "scale" ? "scale_7" : s
            case let a as [Any]: return a.map(renamed)
            case let d as [String: Any]: return d.mapValues(renamed)
            default: return value
            }
        }
        let config = try JSONSerialization.jsonObject(with: Data(try writer.modelConfigJSON(for: graph).utf8))
        let renamedConfig = try JSONSerialization.data(withJSONObject: renamed(config))
        XCTAssertTrue(String(decoding: renamedConfig, as: UTF8.self).contains("scale_7"))
        let back = try KerasReader.read(path: path("w.h5"), options: KerasReadOptions(configJSON: renamedConfig))
        let scaleWeights = graph.weights.keys.filter { $0.hasPrefix("scale/") }
        XCTAssertFalse(scaleWeights.isEmpty)
        XCTAssertEqual(back.weights.count, graph.weights.count)
        for (name, weight) in graph.weights {
            let other = name.hasPrefix("scale/") ? "scale_7/" + name.dropFirst("scale/".count) : name
            XCTAssertTrue(try XCTUnwrap(back.weights[other], other).data.bytesEqual(weight.data), other)
        }
    }

    func testLongListsAreChunkedAsKerasChunksThem() throws {
        // np.array_split(10 items, 3) → 4, 3, 3.
        XCTAssertEqual(KerasH5Writer.arraySplit(10, limit: 4), [4, 3, 3])
        XCTAssertEqual(KerasH5Writer.arraySplit(5, limit: 5), [5])
        // 1100 names of 64 bytes need 70,400 bytes as a fixed-width array: two chunks.
        var nodes: [Node] = []
        var previous = "input"
        for i in 0..<1100 {
            let name = "dropout_" + String(repeating: "x", count: 51) + String(format: "%05d", i)
            nodes.append(Node(name: name, op: .tensor(.dropout(rate: 0.5)), inputs: [previous]))
            previous = name
        }
        let graph = Graph(name: "long", inputs: [TensorInfo(name: "input", shape: [-1, 4], layout: .unspecified)],
                          outputs: [previous], nodes: nodes, metadata: Metadata(extra: ["keras_class": "Sequential"]))
        try KerasH5Writer().write(graph, to: path("long.h5"))
        let weights = try H5File.open(path: path("long.h5")).root.group("model_weights")
        XCTAssertFalse(try weights.hasAttribute("layer_names"))
        XCTAssertEqual(try weights.stringsAttribute("layer_names0").count, 550)
        XCTAssertEqual(try weights.stringsAttribute("layer_names1").count, 550)
        XCTAssertFalse(try weights.hasAttribute("layer_names2"))
        let back = try KerasReader.read(path: path("long.h5"))
        XCTAssertEqual(back.nodes.map(\.op), graph.nodes.map(\.op))
        XCTAssertEqual(back.nodes.map(\.inputs), graph.nodes.map(\.inputs))
    }

    func testHalfPrecisionWeightsAreWidenedExactly() throws {
        var graph = try KerasReader.read(path: TestSupport.sample("mini/mini.keras3.h5"))
        for (name, weight) in graph.weights {
            let halves = weight.data.floatArray(as: .float32).map(DTypeConversion.floatToHalf)
            graph.weights[name]?.info.dtype = .float16
            graph.weights[name]?.data = halves.withUnsafeBytes { TensorData(copying: $0) }
        }
        try KerasH5Writer().write(graph, to: path("h.h5"))
        let back = try KerasReader.read(path: path("h.h5"))
        XCTAssertEqual(back.weights.count, graph.weights.count)
        for (name, weight) in graph.weights {
            let read = try XCTUnwrap(back.weights[name])
            XCTAssertEqual(read.info.dtype, .float32, "Keras layers hold float32")
            XCTAssertEqual(read.data.floatArray(as: .float32), weight.data.floatArray(as: .float16), name)
        }
    }

    func testSameGraphGivesSameBytes() throws {
        let graph = try KerasReader.read(path: fixture("zoo.keras3"))
        try KerasH5Writer().write(graph, to: path("a.h5"))
        try KerasH5Writer().write(graph, to: path("b.h5"))
        XCTAssertEqual(try Data(contentsOf: URL(fileURLWithPath: path("a.h5"))), try Data(contentsOf: URL(fileURLWithPath: path("b.h5"))))
    }

    func testNothingIsLeftBehindOrOverwritten() throws {
        var graph = TestSupport.smallGraph()
        // The tanh approximation of GELU has no Keras activation name nor layer.
        graph.nodes.append(Node(name: "gelu", op: .activation(.gelu(approximate: true)), inputs: ["dense"]))
        graph.outputs = ["gelu"]
        XCTAssertThrowsError(try KerasH5Writer().write(graph, to: path("x.h5"))) { error in
            XCTAssertTrue("\(error)".contains("'gelu'"), "\(error)")
        }
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: directory.path), [])
        try Data("keep".utf8).write(to: URL(fileURLWithPath: path("y.h5")))
        XCTAssertThrowsError(try KerasH5Writer().write(TestSupport.smallGraph(), to: path("y.h5")))
        XCTAssertEqual(try String(contentsOfFile: path("y.h5"), encoding: .utf8), "keep")
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: directory.path), ["y.h5"])
    }

    /// Graphs from other formats: names Keras would refuse, explicit pads, fused activations
    /// without a Keras name. They become valid Keras layers (extra ZeroPadding/activation layers).
    func testForeignGraphsAreSpelledInKeras() throws {
        var graph = TestSupport.smallGraph()
        graph.nodes[0].name = "model/conv 1:0"
        graph.nodes[0].outputs = ["model/conv 1:0"]
        graph.nodes[0].op = .conv(.conv(ConvAttributes(filters: 4, kernelSize: [3, 3], padding: .explicit(begin: [1, 1], end: [1, 1]),
                                                     activation: .leakyReLU(alpha: 0.1))))
        graph.nodes[1].inputs = ["model/conv 1:0"]
        graph.nodes[2].op = .conv(.conv(ConvAttributes(filters: 6, kernelSize: [3, 3], padding: .explicit(begin: [0, 2], end: [1, 0]))))
        graph.nodes[3].inputs = ["conv2"]
        graph.weights["dense/kernel"] = Weight(info: TensorInfo(name: "dense/kernel", shape: [3 * 4 * 6, 3], layout: .io),
                                               data: TensorData(floats: TestSupport.randomFloats(72 * 3, seed: 9)))
        try graph.validate()
        try KerasH5Writer().write(graph, to: path("f.h5"))
        let back = try KerasReader.read(path: path("f.h5"))
        XCTAssertEqual(back.nodes.map(\.name), ["model_conv_1_0", "model_conv_1_0_activation", "pool1", "conv2_pad", "conv2", "flatten", "dense"])
        XCTAssertEqual(back.nodes[0].op, .conv(.conv(ConvAttributes(filters: 4, kernelSize: [3, 3], padding: .same))), "explicit pads equal to same")
        XCTAssertEqual(back.nodes[1].op, .activation(.leakyReLU(alpha: 0.1)))
        XCTAssertEqual(back.nodes[3].op, .tensor(.pad(PadAttributes(pads: [0, 0, 2, 0, 0, 1, 0, 0]))))
        XCTAssertEqual(try back.inferShapes()["dense"], try graph.inferShapes()["dense"])
        XCTAssertEqual(back.parameterCount, graph.parameterCount)
    }

    func testJSONIsWrittenAsPythonWritesIt() throws {
        let value = JSONValue.object(["name": .string("é\"\n"), "class_name": .string("Dense"), "b": .array([.number(1), .float(0.001), .null, .bool(true)]),
                                      "a": .float(1.001e-5)])
        XCTAssertEqual(try value.serialized(), #"{"class_name": "Dense", "name": "\u00e9\"\n", "a": 1.001e-05, "b": [1, 0.001, null, true]}"#)
        XCTAssertThrowsError(try JSONValue.number(.nan).serialized())
        XCTAssertEqual(try JSONValue.parse(Data(try value.serialized().utf8)), value)
    }
}
