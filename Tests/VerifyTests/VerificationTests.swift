import Foundation
import ModelIR
import NPY
import Runtime
import Verify
import XCTest

/// `Verification` on a model that needs no runtime: references are paired with images by stem,
/// layers are compared in graph order whatever the file names, a batch axis of 1 is ignored, and
/// a shape that does not fit names the reference.
final class VerificationTests: XCTestCase {
    var directory: URL!

    override func setUpWithError() throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("wtool-verify-\(UUID().uuidString)")
        for folder in ["images", "expected/cat"] {
            try FileManager.default.createDirectory(at: directory.appendingPathComponent(folder), withIntermediateDirectories: true)
        }
    }

    override func tearDownWithError() throws { try? FileManager.default.removeItem(at: directory) }

    func url(_ path: String) -> URL { directory.appendingPathComponent(path) }

    /// Two layers, `b` then `a` in graph order; "running" an image gives fixed values per layer.
    struct FixedModel: ParityModel {
        let graph = Graph(name: "fixed", inputs: [TensorInfo(name: "x", shape: [1, 2])], outputs: ["a"],
                          nodes: [Node(name: "b", op: .activation(.relu), inputs: ["x"]), Node(name: "a", op: .activation(.relu), inputs: ["b"])])
        var values: [String: Tensor]

        func input(for image: URL) throws -> Tensor { Tensor(shape: [1, 2], floats: [0, 0]) }
        func run(_ input: Tensor) throws -> Tensor { values["a"] ?? input }
        func run(_ input: Tensor, layers: [String]) throws -> [String: Tensor] { values.filter { layers.contains($0.key) } }
    }

    func testPairsAndPerLayerOrder() throws {
        for name in ["cat.png", "dog.jpg", "notes.txt"] { try Data([0]).write(to: url("images/\(name)")) }
        try NPYArray(shape: [1, 2], floats: [1, 2]).write(to: url("expected/cat.npy"))
        try NPYArray(shape: [2], floats: [1, 2]).write(to: url("expected/cat/a.npy"))
        try NPYArray(shape: [1, 2], floats: [0.5, 1]).write(to: url("expected/cat/b.npy"))
        try NPYArray(shape: [1], floats: [0]).write(to: url("expected/cat/not_a_layer.npy"))
        let pairs = try Verification.pairs(images: url("images").path, expected: url("expected").path)
        XCTAssertEqual(pairs.map(\.image.lastPathComponent), ["cat.png"], "only images with a reference")

        let model = FixedModel(values: ["a": Tensor(shape: [1, 2], floats: [1, 2]), "b": Tensor(shape: [1, 2], floats: [0.5, 1.5])])
        let result = try Verification(model: model).verify(image: pairs[0].image, reference: pairs[0].reference, perLayer: true)
        XCTAssertEqual(result.image, "cat.png")
        XCTAssertEqual(result.metrics.maxAbsoluteError, 0)
        XCTAssertEqual(result.layers.map(\.layer), ["b", "a"], "graph order")
        XCTAssertEqual(result.layers[0].metrics.maxAbsoluteError, 0.5, accuracy: 1e-7)
        XCTAssertEqual(try Verification(model: model).verify(image: pairs[0].image, reference: pairs[0].reference, perLayer: false).layers.count, 0)
    }

    func testAShapeThatDoesNotFitNamesTheReference() throws {
        try NPYArray(shape: [3], floats: [1, 2, 3]).write(to: url("expected/cat.npy"))
        let model = FixedModel(values: ["a": Tensor(shape: [1, 2], floats: [1, 2])])
        XCTAssertThrowsError(try Verification(model: model).verify(image: url("images/cat.png"), reference: url("expected/cat.npy"), perLayer: false)) { error in
            XCTAssertEqual(error as? VerifyError, .shapeMismatch(label: "cat.npy", expected: [3], actual: [1, 2]))
            XCTAssertEqual("\(error)", "cat.npy: reference has shape [3], the model produced [1, 2]")
        }
    }
}
