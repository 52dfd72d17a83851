import Foundation
import XCTest
import NPY
@testable import ImageIO

/// Preprocessing against Keras 3.15's own outputs (Fixtures/preprocess_*.npy etc.) on a 16x16
/// image whose channels take every byte value. Compared by bit pattern: exact, not approximate.
final class PreprocessingTests: XCTestCase {
    /// R = i, G = 255 − i, B = (37 i + 11) mod 256 for pixel i.
    static let image: RGBImage = {
        var pixels: [UInt8] = []
        for i in 0..<256 {
            let blue = (i * 37 + 11) % 256
            pixels += [UInt8(i), UInt8(255 - i), UInt8(blue)]
        }
        // Cannot fail: 16 × 16 × 3 bytes.
        return (try? RGBImage(width: 16, height: 16, pixels: pixels)) ?? Image(uncheckedWidth: 0, height: 0, mode: .rgb, pixels: [])
    }()

    private func assertBitExact(_ actual: [Float], fixture: String, shape: [Int] = [1, 16, 16, 3],
                                file: StaticString = #filePath, line: UInt = #line) throws {
        let array = try NPYFile.read(contentsOf: TestData.fixture(fixture))
        XCTAssertEqual(array.shape, shape, file: file, line: line)
        let expected = try array.floats()
        XCTAssertEqual(actual.count, expected.count, file: file, line: line)
        let mismatches = zip(actual, expected).enumerated().filter { $0.element.0.bitPattern != $0.element.1.bitPattern }
        XCTAssertTrue(mismatches.isEmpty, "\(fixture): \(mismatches.count) values differ, first \(mismatches.first.map { "\($0)" } ?? "")",
                      file: file, line: line)
    }

    func testCaffeTfTorchEqualKeras() throws {
        for mode in [PreprocessMode.caffe, .tf, .torch] {
            let batch = try ImageLoader.preprocess(images: [Self.image], mode: mode)
            try assertBitExact(batch, fixture: "preprocess_\(mode.rawValue).npy")
        }
    }

    func testRescaleEqualsImageDataGenerator() throws {
        let factor = try Preprocessing.parseRescale("1./255")
        try assertBitExact(try ImageLoader.preprocess(images: [Self.image], mode: .none, rescale: factor),
                           fixture: "rescale_1_255.npy")
        // ImageDataGenerator(preprocessing_function=caffe, rescale=0.017): the function runs first.
        try assertBitExact(try ImageLoader.preprocess(images: [Self.image], mode: .caffe, rescale: try Preprocessing.parseRescale("0.017")),
                           fixture: "caffe_then_rescale.npy")
    }

    func testCaffeIsBGRMinusMean() throws {
        let pixel = try RGBImage(width: 1, height: 1, pixels: [10, 20, 30])
        let out = try Preprocessing(mode: .caffe).batch([pixel])
        XCTAssertEqual(out, [30 - Float(103.939 as Double), 20 - Float(116.779 as Double), 10 - Float(123.68 as Double)])
        XCTAssertEqual(try Preprocessing(mode: .none).batch([pixel]), [10, 20, 30])
    }

    func testBatchIsImageMajorNHWC() throws {
        let a = try RGBImage(width: 2, height: 1, pixels: [1, 2, 3, 4, 5, 6])
        let b = try RGBImage(width: 2, height: 1, pixels: [7, 8, 9, 10, 11, 12])
        XCTAssertEqual(try ImageLoader.preprocess(images: [a, b], mode: .none), (1...12).map(Float.init))
        XCTAssertEqual(try ImageLoader.preprocess(images: [], mode: .caffe), [])
        let c = try RGBImage(width: 1, height: 2, pixels: [1, 2, 3, 4, 5, 6])
        XCTAssertThrowsError(try ImageLoader.preprocess(images: [a, c], mode: .none)) { error in
            XCTAssertEqual(error as? ImageIOError,
                           .batchSizeMismatch(index: 1, height: 2, width: 1, expectedHeight: 1, expectedWidth: 2))
        }
        var small = [Float](repeating: 0, count: 5)
        XCTAssertThrowsError(try small.withUnsafeMutableBufferPointer { try Preprocessing().apply(to: a, into: $0) }) { error in
            XCTAssertEqual(error as? ImageIOError, .outputSizeMismatch(expected: 6, actual: 5))
        }
    }

    /// What Keras computes on 4 channels (Fixtures/preprocess_rgba_*.npy): caffe reverses all four channels and centres the first three, torch
    /// scales all four and normalises the first three. Pixel i is (4i, 4i + 1, 4i + 2, 4i + 3).
    func testFourChannelsEqualKeras() throws {
        let rgba = try Image(width: 8, height: 8, mode: .rgba, pixels: (0..<256).map(UInt8.init))
        for mode in [PreprocessMode.caffe, .tf, .torch] {
            try assertBitExact(try Preprocessing(mode: mode).batch([rgba]), fixture: "preprocess_rgba_\(mode.rawValue).npy",
                               shape: [1, 8, 8, 4])
        }
        let first = try Preprocessing(mode: .caffe).batch([try Image(width: 1, height: 1, mode: .rgba, pixels: [10, 20, 30, 40])])
        XCTAssertEqual(first, [40 - Float(103.939 as Double), 30 - Float(116.779 as Double), 20 - Float(123.68 as Double), 10])
    }

    /// tf and none work on one channel; caffe and torch, which Keras indexes on channels 1 and 2
    /// (an IndexError for grayscale), are refused with an error naming both modes.
    func testGrayscale() throws {
        let grey = try Image(width: 8, height: 8, mode: .grayscale, pixels: (0..<64).map { UInt8($0 * 4 + 3) })
        try assertBitExact(try Preprocessing(mode: .tf).batch([grey]), fixture: "preprocess_grayscale_tf.npy", shape: [1, 8, 8, 1])
        XCTAssertEqual(try Preprocessing(mode: .none, rescale: 0.5).batch([grey]), (0..<64).map { Float($0 * 4 + 3) * 0.5 })
        for mode in [PreprocessMode.caffe, .torch] {
            XCTAssertThrowsError(try Preprocessing(mode: mode).batch([grey])) { error in
                XCTAssertEqual(error as? ImageIOError, .unsupportedPreprocessing(mode: mode, colorMode: .grayscale))
                XCTAssertEqual("\(error)", "\(mode.rawValue) preprocessing is not defined for grayscale images (1 channel; Keras's preprocess_input needs 3 or more); use tf, none or a rescale")
            }
            var output = [Float](repeating: 0, count: 64)
            XCTAssertThrowsError(try output.withUnsafeMutableBufferPointer { try Preprocessing(mode: mode).apply(to: grey, into: $0) })
            XCTAssertNoThrow(try Preprocessing(mode: mode).validate(for: .rgba))
        }
    }

    func testBatchNeedsOneMode() throws {
        let rgb = try Image(width: 1, height: 1, pixels: [1, 2, 3])
        let rgba = try Image(width: 1, height: 1, mode: .rgba, pixels: [1, 2, 3, 4])
        let grey = try Image(width: 1, height: 1, mode: .grayscale, pixels: [9])
        XCTAssertEqual(try Preprocessing().batch([grey, grey]), [9, 9])
        XCTAssertEqual(try Preprocessing().batch([rgba, rgba]), [1, 2, 3, 4, 1, 2, 3, 4])
        XCTAssertThrowsError(try Preprocessing().batch([rgb, rgba])) { error in
            XCTAssertEqual(error as? ImageIOError, .batchModeMismatch(index: 1, mode: .rgba, expectedMode: .rgb))
            XCTAssertEqual("\(error)", "image 1 is rgba, but the batch is rgb; load every image in one color mode")
        }
    }

    func testParseRescale() throws {
        let oneOver255 = Float(1.0 / 255.0)
        for text in ["1/255", "1./255", "1.0/255.0", "0.00392156862745098", " 1/255 ", "1/255.", ".00392156862745098"] {
            XCTAssertEqual(try Preprocessing.parseRescale(text), oneOver255, text)
        }
        XCTAssertEqual(try Preprocessing.parseRescale("2"), 2)
        XCTAssertEqual(try Preprocessing.parseRescale("1e-3"), Float(0.001 as Double))
        XCTAssertEqual(try Preprocessing.parseRescale("1.e-3"), Float(0.001 as Double))
        XCTAssertEqual(try Preprocessing.parseRescale("-1/127.5"), Float(-1.0 / 127.5))
        for text in ["", "/", "1/", "/255", "1/0", "0", "0/5", "abc", "1/2/3", "nan", "inf", "1e400", "1e-60", "0x10", "1_000", "1//255"] {
            XCTAssertThrowsError(try Preprocessing.parseRescale(text), text) { error in
                guard case .invalidRescale(let quoted, _)? = error as? ImageIOError else { return XCTFail("\(text): \(error)") }
                XCTAssertEqual(quoted, text)
            }
        }
    }
}
