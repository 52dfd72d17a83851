import Foundation
import NPY
import WTool
import XCTest
import _TestSupport

/// Files Keras 1.2.2 wrote (samples/keras1, made by scripts/keras1_reference.py on Theano): read,
/// run and compared with Keras 1's own predictions.
final class Keras1FileTests: XCTestCase {
    struct Entry: Decodable {
        let name: String
        let ordering: String
        let params: Int
        let output_shape: [Int]
    }

    static let entries: [Entry] = {
        let url = URL(fileURLWithPath: TestSupport.sample("keras1/manifest.json"))
        struct Manifest: Decodable { let models: [Entry] }
        return (try? JSONDecoder().decode(Manifest.self, from: Data(contentsOf: url)).models) ?? []
    }()

    func relative(_ actual: [Float], _ expected: [Float]) -> Float {
        let scale = expected.map(abs).max() ?? 1
        return zip(actual, expected).map { abs($0 - $1) }.max().map { $0 / scale } ?? .infinity
    }

    func run(_ file: String, entry: Entry, options: LoadOptions = LoadOptions()) throws -> Float {
        let model = try Model(contentsOf: URL(fileURLWithPath: TestSupport.sample("keras1/\(file)")), options: options)
        XCTAssertEqual(model.summary.parameters.total, entry.params, "\(file): Keras 1's count_params()")
        let input = try NPYFile.read(contentsOf: URL(fileURLWithPath: TestSupport.sample("keras1/\(entry.name).inputs.npy")))
        let expected = try NPYFile.read(contentsOf: URL(fileURLWithPath: TestSupport.sample("keras1/\(entry.name).outputs.npy")))
        let output = try model.run(batch: Tensor(shape: input.shape, floats: try input.floats()))
        XCTAssertEqual(output.shape, entry.output_shape, file)
        return relative(output.floats, try expected.floats())
    }

    func testEveryKeras1FileMatchesKeras1() throws {
        XCTAssertEqual(Self.entries.count, 3, "samples/keras1/manifest.json lists the three models")
        for entry in Self.entries {
            XCTAssertLessThanOrEqual(try run("\(entry.name).h5", entry: entry), 1e-5, entry.name)
        }
    }

    /// A "th" model's kernels are Theano's (flipped) by default; the same model saved with
    /// TensorFlow kernels needs `kernelConvention: .tensorflow`, and reading either the other way
    /// gives other numbers (the convention matters, and is applied).
    func testKernelConventionOfThFiles() throws {
        let entry = try XCTUnwrap(Self.entries.first { $0.ordering == "th" })
        var tensorflow = LoadOptions()
        tensorflow.kernelConvention = .tensorflow
        var theano = LoadOptions()
        theano.kernelConvention = .theano
        XCTAssertLessThanOrEqual(try run("\(entry.name).tf-kernels.h5", entry: entry, options: tensorflow), 1e-5)
        XCTAssertLessThanOrEqual(try run("\(entry.name).h5", entry: entry, options: theano), 1e-5)
        XCTAssertGreaterThan(try run("\(entry.name).tf-kernels.h5", entry: entry), 1e-3)
        XCTAssertGreaterThan(try run("\(entry.name).h5", entry: entry, options: tensorflow), 1e-3)
    }

    /// The "th" convolutions keep their stored (out, in, rows, cols) kernels; a "tf" Keras 1
    /// Convolution1D kernel loses the dummy axis Keras 1.2 stored, as Keras 2 binds it.
    func testKernelLayouts() throws {
        let th = try Model(contentsOf: URL(fileURLWithPath: TestSupport.sample("keras1/k1_functional_th.h5")))
        let kernel = try XCTUnwrap(th.tensor(named: "conv_a/kernel"))
        XCTAssertEqual(kernel.shape, [8, 3, 3, 3])
        XCTAssertEqual(kernel.layout, .oihw)
        let conv1d = try Model(contentsOf: URL(fileURLWithPath: TestSupport.sample("keras1/k1_conv1d_tf.h5")))
        XCTAssertEqual(try XCTUnwrap(conv1d.tensor(named: "conv1d/kernel")).shape, [5, 32, 10])
    }
}
