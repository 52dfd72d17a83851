import Foundation
import NPY
import SWMFormat
import WTool
import XCTest
import _TestSupport

/// The library façade as an app uses it: `import WTool` only (plus NPY here for the references).
final class ModelAPITests: XCTestCase {
    var directory: URL!
    override func setUp() { directory = TestSupport.temporaryDirectory() }
    override func tearDown() { try? FileManager.default.removeItem(at: directory) }

    func url(_ name: String) -> URL { directory.appendingPathComponent(name) }

    /// The mini classifier as a .swm (f32, or f16 storage).
    func swm(_ name: String = "m.swm", storage: DType? = nil) throws -> URL {
        let graph = try ModelLoader.load(path: TestSupport.sample("mini_classifier/mini_classifier.keras3.h5")).graph
        try SWMWriter(floatStorage: storage).write(graph, to: url(name).path)
        return url(name)
    }

    static let stems = ["astronaut", "camera", "chelsea", "coffee", "hubble", "rocket"]

    func relative(_ actual: [Float], _ expected: [Float]) -> Float {
        let scale = expected.map(abs).max() ?? 1
        return zip(actual, expected).map { abs($0 - $1) }.max().map { $0 / scale } ?? .infinity
    }

    func testOpenSummaryAndZeroCopyTensors() throws {
        let model = try Model(contentsOf: try swm())
        XCTAssertEqual(model.format, .swm)
        XCTAssertEqual(model.summary.parameters.total, 34809)
        XCTAssertEqual(model.summary.parameters.nonTrainable, 1976)
        XCTAssertTrue(model.summary.render().contains("mini_vgg (Functional)"))
        XCTAssertEqual(model.tensorNames.count, 10)
        XCTAssertEqual(model.tensorNames.first, "mini_vgg/block1_conv1/kernel")

        let kernel = try XCTUnwrap(model.tensor(named: "mini_vgg/block1_conv1/kernel"))
        XCTAssertEqual(kernel.shape, [3, 3, 3, 8])
        XCTAssertEqual(kernel.layout, .hwio)
        XCTAssertFalse(kernel.trainable, "the base is frozen")
        XCTAssertTrue(kernel.isMappedView, "a .swm tensor is a view into the mapped file")
        XCTAssertEqual(kernel.bytes.count, 3 * 3 * 3 * 8 * 4)
        // The same values Keras saved (h5py's view of the source file, through the Keras reader).
        let source = try ModelLoader.load(path: TestSupport.sample("mini_classifier/mini_classifier.keras3.h5")).graph
        let original = try XCTUnwrap(source.weights["mini_vgg/block1_conv1/kernel"]).data.floatArray(as: .float32)
        XCTAssertEqual(kernel.floats(), original)
        let sum = try kernel.withUnsafeFloat32Buffer { $0.reduce(0, +) }
        XCTAssertEqual(sum, original.reduce(0, +))
        XCTAssertNil(model.tensor(named: "nope"))
        XCTAssertTrue(try XCTUnwrap(model.tensor(named: "dense/kernel")).trainable)
    }

    func testHalfPrecisionTensorsConvertOnRequest() throws {
        let model = try Model(contentsOf: try swm("h.swm", storage: .float16))
        let kernel = try XCTUnwrap(model.tensor(named: "dense/kernel"))
        XCTAssertEqual(kernel.dtype, .float16)
        XCTAssertTrue(kernel.isMappedView)
        XCTAssertThrowsError(try kernel.withUnsafeFloat32Buffer { $0.count })
        XCTAssertEqual(kernel.floats().count, 1024 * 32)
    }

    func testRunImagesMatchesKeras() throws {
        let model = try Model(contentsOf: try swm())
        var options = model.defaultImageOptions
        XCTAssertEqual(options.preprocessing.mode, .none, "the classifier's metadata names no preprocessing")
        options.preprocessing = Preprocessing(mode: .none, rescale: try Preprocessing.parseRescale("1/255"))
        let photos = try FileManager.default.contentsOfDirectory(atPath: TestSupport.sample("photos"))
            .filter { !$0.hasSuffix(".txt") }.sorted().map { URL(fileURLWithPath: TestSupport.sample("photos/\($0)")) }
        XCTAssertEqual(photos.count, 6)
        let output = try model.run(images: photos, options: options)
        XCTAssertEqual(output.shape, [6, 1])
        for (i, stem) in Self.stems.enumerated() {
            let expected = try NPYFile.read(contentsOf: URL(fileURLWithPath: TestSupport.sample("mini_classifier/expected/\(stem).npy"))).floats()
            XCTAssertLessThanOrEqual(relative([output.floats[i]], expected), 1e-5, stem)
        }
        // Without the rescale the scores differ: the options are really used.
        let unscaled = try model.run(images: photos)
        XCTAssertNotEqual(unscaled.floats, output.floats)
    }

    func testRunBatchMatchesKerasFromAnyFormat() throws {
        for source in [try swm().path, TestSupport.sample("mini_classifier/mini_classifier.keras3.h5"),
                       TestSupport.sample("mini_classifier/mini_classifier.keras")] {
            let model = try Model(contentsOf: URL(fileURLWithPath: source))
            for stem in Self.stems {
                let input = try NPYFile.read(contentsOf: URL(fileURLWithPath: TestSupport.sample("mini_classifier/inputs/\(stem).npy")))
                let expected = try NPYFile.read(contentsOf: URL(fileURLWithPath: TestSupport.sample("mini_classifier/expected/\(stem).npy")))
                let output = try model.run(batch: Tensor(shape: input.shape, floats: try input.floats()))
                XCTAssertEqual(output.shape, expected.shape)
                XCTAssertLessThanOrEqual(relative(output.floats, try expected.floats()), 1e-5, "\(source) \(stem)")
            }
        }
    }

    /// `runtimeOptions` reach the runtime: a kernel cache fills on the first run, and the forced
    /// Winograd kernels still match Keras.
    func testRuntimeOptionsWithAKernelCache() throws {
        let model = try Model(contentsOf: try swm())
        let stem = Self.stems[0]
        let input = try NPYFile.read(contentsOf: URL(fileURLWithPath: TestSupport.sample("mini_classifier/inputs/\(stem).npy")))
        let expected = try NPYFile.read(contentsOf: URL(fileURLWithPath: TestSupport.sample("mini_classifier/expected/\(stem).npy")))
        let batch = Tensor(shape: input.shape, floats: try input.floats())
        _ = try model.run(batch: batch)
        model.runtimeOptions.convolution = .winograd4x4
        model.runtimeOptions.kernelCache = url("kernels")
        let output = try model.run(batch: batch)
        XCTAssertLessThanOrEqual(relative(output.floats, try expected.floats()), 1e-5)
        let entries = try FileManager.default.contentsOfDirectory(atPath: url("kernels").path).filter { $0.hasSuffix(".wk") }
        XCTAssertFalse(entries.isEmpty, "the 3x3 convolutions' transforms were stored")
    }

    func testErrorsNameTheFile() throws {
        XCTAssertThrowsError(try Model(contentsOf: url("missing.swm"))) { error in
            XCTAssertEqual("\(error)", "\(url("missing.swm").path): no such file")
        }
        try Data("not a model".utf8).write(to: url("text.swm"))
        XCTAssertThrowsError(try Model(contentsOf: url("text.swm"))) { error in
            XCTAssertTrue("\(error)".hasPrefix(url("text.swm").path + ": "), "\(error)")
        }
        let model = try Model(contentsOf: try swm())
        XCTAssertThrowsError(try model.run(images: []))
        XCTAssertThrowsError(try model.run(batch: Tensor(shape: [1, 8, 8, 3], floats: [Float](repeating: 0, count: 192)))) { error in
            XCTAssertTrue("\(error)".contains(self.url("m.swm").path), "\(error)")
        }
        XCTAssertThrowsError(try model.run(images: [url("missing.jpg")])) { error in
            XCTAssertTrue("\(error)".contains("missing.jpg"), "\(error)")
        }
    }

    func testModelFromAGraph() throws {
        let model = try Model(graph: TestSupport.smallGraph())
        XCTAssertNil(model.url)
        XCTAssertEqual(model.summary.parameters.total, 4 * 27 + 4 + 6 * 36 + 24 * 3 + 3)
        XCTAssertFalse(try XCTUnwrap(model.tensor(named: "conv1/kernel")).isMappedView, "built in memory")
        let out = try model.run(batch: Tensor(shape: [2, 8, 8, 3], floats: TestSupport.randomFloats(384, seed: 3)))
        XCTAssertEqual(out.shape, [2, 3])
        XCTAssertEqual(out.floats[0] + out.floats[1] + out.floats[2], 1, accuracy: 1e-5, "softmax")
    }
}
