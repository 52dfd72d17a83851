import Foundation
@testable import KerasFormat
import ModelIR
import XCTest
import _TestSupport

/// The layers beyond the seed's (Fixtures/layers, saved by Keras 3 and tf_keras with their own
/// predictions by scripts/layer_fixtures.py): each file reads with Keras's parameter counts, the
/// reference evaluator reproduces the saving Keras's outputs (hard_sigmoid in that Keras's
/// meaning), the `.h5` writer spells every layer back so the graph read again computes the same,
/// and carried layers (a Lambda, a custom class) survive all of that but evaluation, which names them.
final class LayerFixtureTests: XCTestCase {
    static let directory = TestSupport.repoRoot.appendingPathComponent("Tests/KerasFormatTests/Fixtures/layers")

    struct Case {
        var folder: String
        var file: String
        var countParams: Int
        var trainableParams: Int
        var layers: [(name: String, className: String)]
        var inputs: [Tensor]
        var outputs: [Tensor]

        /// The Keras that saved it, as the writer's target.
        var target: KerasTarget { folder.hasSuffix(".tfkeras.h5") ? .keras2 : .keras3 }
        var isCarried: Bool { folder.hasPrefix("carried.") }
    }

    func cases() throws -> [Case] {
        let folders = try FileManager.default.contentsOfDirectory(atPath: Self.directory.path).filter { !$0.hasPrefix(".") }.sorted()
        XCTAssertGreaterThanOrEqual(folders.count, 13)
        return try folders.map { folder in
            let url = Self.directory.appendingPathComponent(folder)
            let root = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(contentsOf: url.appendingPathComponent("case.json"))) as? [String: Any])
            func tensors(_ key: String) throws -> [Tensor] {
                try XCTUnwrap(root[key] as? [[String: Any]]).map { t in
                    Tensor(shape: t["shape"] as? [Int] ?? [], floats: (t["values"] as? [Double] ?? []).map(Float.init))
                }
            }
            return Case(folder: folder, file: url.appendingPathComponent(root["file"] as? String ?? "").path,
                        countParams: root["count_params"] as? Int ?? -1, trainableParams: root["trainable_params"] as? Int ?? -1,
                        layers: (root["layers"] as? [[String]] ?? []).map { ($0[0], $0[1]) },
                        inputs: try tensors("inputs"), outputs: try tensors("outputs"))
        }
    }

    /// max|a − b| / max|b|, the parity stage's measure.
    func relativeError(_ a: Tensor, _ b: Tensor) -> Float {
        let x = a.data.floatArray(as: a.dtype), y = b.data.floatArray(as: b.dtype)
        guard a.shape == b.shape, x.count == y.count else { return .infinity }
        let scale = y.map(abs).max() ?? 0
        return (zip(x, y).map { abs($0 - $1) }.max() ?? 0) / max(scale, .leastNormalMagnitude)
    }

    func assertComputesKerasOutputs(_ graph: Graph, _ c: Case, _ label: String, file: StaticString = #filePath, line: UInt = #line) throws {
        for (x, expected) in zip(c.inputs, c.outputs) {
            let y = try XCTUnwrap(try graph.evaluate(inputs: [graph.inputs[0].name: x])[graph.outputs[0]])
            XCTAssertLessThanOrEqual(relativeError(y, expected), 1e-5, label, file: file, line: line)
        }
    }

    func testEveryFixtureReadsWithKerasCountsAndComputesItsOutputs() throws {
        for c in try cases() {
            let graph = try KerasReader.read(path: c.file)
            XCTAssertEqual(graph.parameterCount.total, c.countParams, c.folder)
            XCTAssertEqual(graph.parameterCount.trainable, c.trainableParams, c.folder)
            // Every Keras layer is a node of its class (Keras 3 operations are nodes too, not layers).
            for (name, cls) in c.layers where cls != "InputLayer" {
                XCTAssertEqual(graph.node(named: name)?.sourceType, cls, "\(c.folder): \(name)")
            }
            if c.isCarried {
                let carried = graph.nodes.filter { if case .custom = $0.op { true } else { false } }.map(\.name)
                XCTAssertEqual(carried, ["lambda", "scale"], c.folder)
                XCTAssertThrowsError(try graph.evaluate(inputs: [graph.inputs[0].name: c.inputs[0]])) { error in
                    XCTAssertTrue("\(error)".contains("lambda"), "\(error)")
                }
                continue
            }
            try assertComputesKerasOutputs(graph, c, c.folder)
        }
    }

    /// hard_sigmoid is clip(0.2x + 0.5, 0, 1) in the tf_keras file and relu6(x + 3) / 6 in the
    /// Keras 3 ones: the same config string, read in the meaning of the Keras that wrote it.
    func testHardSigmoidMeansWhatTheSavingKerasMeant() throws {
        for (folder, expected) in [("images.tfkeras.h5", Activation.hardSigmoid(alpha: 0.2, beta: 0.5)),
                                   ("images.keras3.h5", .kerasHardSigmoid), ("images.keras", .kerasHardSigmoid)] {
            let file = Self.directory.appendingPathComponent(folder).appendingPathComponent(folder.hasSuffix(".keras") ? "model.keras" : "model.h5")
            let graph = try KerasReader.read(path: file.path)
            XCTAssertEqual(graph.node(named: "act_hard_sigmoid")?.op, .activation(expected), folder)
        }
    }

    /// Written as `.h5` for the saving Keras and read back, every graph computes what Keras did;
    /// the carried layers come back as they were, weights included.
    func testWrittenBackForItsKerasComputesTheSame() throws {
        let directory = TestSupport.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        for c in try cases() where !c.folder.hasPrefix("operations.") {
            let graph = try KerasReader.read(path: c.file)
            let out = directory.appendingPathComponent("\(c.folder).h5").path
            try KerasH5Writer(target: c.target).write(graph, to: out)
            let back = try KerasReader.read(path: out)
            XCTAssertEqual(back.parameterCount, graph.parameterCount, c.folder)
            if c.isCarried {
                for name in ["lambda", "scale"] { XCTAssertEqual(back.node(named: name)?.op, graph.node(named: name)?.op, "\(c.folder): \(name)") }
                XCTAssertEqual(back.weights.keys.sorted(), graph.weights.keys.sorted(), c.folder)
                continue
            }
            try assertComputesKerasOutputs(back, c, "\(c.folder) written for --keras \(c.target.rawValue)")
        }
    }

    /// A name Keras 3 and tf_keras understand differently (hard_sigmoid) has no spelling both read
    /// alike: `--keras both` refuses and says which to use.
    func testBothKerasesRefuseAnActivationTheyDisagreeOn() throws {
        let graph = try KerasReader.read(path: Self.directory.appendingPathComponent("images.keras3.h5/model.h5").path)
        XCTAssertThrowsError(try KerasH5Writer(target: .both).modelConfigJSON(for: graph)) { error in
            XCTAssertTrue("\(error)".contains("act_hard_sigmoid") && "\(error)".contains("--keras 3"), "\(error)")
        }
    }

    /// Operation nodes are graph nodes but not layers: Keras 3's `model.layers` (what weight files
    /// follow) leaves them out, and the structure does too.
    func testOperationNodesAreNotLayers() throws {
        let file = Self.directory.appendingPathComponent("operations.keras/model.keras").path
        let graph = try KerasReader.read(path: file)
        XCTAssertEqual(graph.node(named: "add")?.op, .elementwise(.scalar(ScalarOperation(function: .add, value: 3))))
        XCTAssertEqual(graph.node(named: "subtract")?.op, .elementwise(.scalar(ScalarOperation(function: .sub, value: 2, constantFirst: true))))
        let tf = try KerasReader.read(path: Self.directory.appendingPathComponent("operations.tfkeras.h5/model.h5").path)
        XCTAssertEqual(tf.node(named: "tf.__operators__.add")?.op, .elementwise(.scalar(ScalarOperation(function: .add, value: 3))))
    }
}
