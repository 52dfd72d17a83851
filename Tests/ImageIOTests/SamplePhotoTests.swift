import Foundation
import XCTest
import NPY
@testable import ImageIO

/// The repository's real photos (`samples/photos/`) against what Keras produced for them
/// (`samples/pixels/`): `load_img` + `img_to_array` at full size and at `target_size=(32, 32)`
/// with nearest and bilinear interpolation, stored as uint8 HxWx3. Skipped when the samples
/// are absent.
final class SamplePhotoTests: XCTestCase {
    private func photos() throws -> (photos: URL, pixels: URL, stems: [(stem: String, file: URL)]) {
        guard let samples = TestData.samples else { throw XCTSkip("samples/ not found") }
        let photos = samples.appendingPathComponent("photos")
        let pixels = samples.appendingPathComponent("pixels")
        let names = try FileManager.default.contentsOfDirectory(atPath: photos.path).sorted()
        let stems = names.compactMap { name -> (String, URL)? in
            let ext = (name as NSString).pathExtension.lowercased()
            guard ["jpg", "jpeg", "png"].contains(ext) else { return nil }
            return ((name as NSString).deletingPathExtension, photos.appendingPathComponent(name))
        }
        XCTAssertFalse(stems.isEmpty)
        return (photos, pixels, stems)
    }

    func testDecodedPixelsEqualKeras() throws {
        let (_, pixels, stems) = try photos()
        for (stem, file) in stems {
            let expected = try TestData.expectedImage(pixels.appendingPathComponent("\(stem).npy"))
            assertSamePixels(try ImageLoader.load(url: file), expected, file.lastPathComponent)
        }
    }

    func testNearestResizeEqualsKeras() throws {
        let (_, pixels, stems) = try photos()
        for (stem, file) in stems {
            let expected = try TestData.expectedImage(pixels.appendingPathComponent("\(stem).nearest32.npy"))
            let image = try ImageLoader.load(url: file, size: (height: 32, width: 32), resize: .nearest)
            assertSamePixels(image, expected, "\(stem) nearest 32x32")
        }
    }

    func testBilinearResizeEqualsKeras() throws {
        let (_, pixels, stems) = try photos()
        for (stem, file) in stems {
            let expected = try TestData.expectedImage(pixels.appendingPathComponent("\(stem).bilinear32.npy"))
            let image = try ImageLoader.load(url: file, size: (height: 32, width: 32), resize: .bilinear)
            assertSamePixels(image, expected, "\(stem) bilinear 32x32")
        }
    }

    func testTruncatedAndCorruptSamples() throws {
        let (photos, _, _) = try photos()
        let jpeg = try TestData.bytes(photos.appendingPathComponent("chelsea.jpg"))
        XCTAssertThrowsError(try ImageDecoder.decode(Array(jpeg.prefix(jpeg.count / 2)), path: "chelsea.jpg")) { error in
            XCTAssertEqual(error as? ImageIOError, .truncated(path: "chelsea.jpg", format: .jpeg))
            XCTAssertEqual("\(error)", "chelsea.jpg: truncated JPEG data")
        }
        let png = try TestData.bytes(photos.appendingPathComponent("camera.png"))
        XCTAssertThrowsError(try ImageDecoder.decode(Array(png.prefix(png.count / 2)), path: "camera.png")) { error in
            XCTAssertEqual(error as? ImageIOError, .truncated(path: "camera.png", format: .png))
        }
        // Damage the stored CRC of the last IDAT chunk (IEND is the final 12 bytes).
        var corrupted = png
        corrupted[png.count - 13] ^= 0x40
        XCTAssertThrowsError(try ImageDecoder.decode(corrupted, path: "camera.png")) { error in
            XCTAssertEqual(error as? ImageIOError, .corrupt(path: "camera.png", format: .png, detail: "IDAT: CRC error"))
        }
        // Damage the compressed data itself: the first byte after the first IDAT header.
        corrupted = png
        if let idat = (8..<(png.count - 4)).first(where: { png[$0..<($0 + 4)].elementsEqual("IDAT".utf8) }) {
            corrupted[idat + 4] ^= 0xFF
        }
        XCTAssertThrowsError(try ImageDecoder.decode(corrupted, path: "camera.png")) { error in
            guard case .corrupt("camera.png", .png, _)? = error as? ImageIOError else { return XCTFail("\(error)") }
        }
    }
}
