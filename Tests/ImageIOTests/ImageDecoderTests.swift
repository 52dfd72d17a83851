import Foundation
import XCTest
@testable import ImageIO

/// Decoding against Pillow: every fixture's `<name>.rgb.npy` is `Image.open(name).convert("RGB")`
/// as Pillow 13 (libjpeg-turbo 3.2) produced it (see Fixtures/make_fixtures.py).
final class ImageDecoderTests: XCTestCase {
    private func assertMatchesPillow(_ name: String, file: StaticString = #filePath, line: UInt = #line) throws {
        let url = TestData.fixture(name)
        let image = try ImageLoader.load(url: url)
        let stem = (name as NSString).deletingPathExtension
        let expected = try TestData.expectedImage(TestData.fixture(stem + ".rgb.npy"))
        assertSamePixels(image, expected, name, file: file, line: line)
    }

    func testJPEGVariantsMatchPillow() throws {
        try assertMatchesPillow("progressive.jpg")
        try assertMatchesPillow("grey.jpg")
        try assertMatchesPillow("cmyk.jpg")
        try assertMatchesPillow("odd420.jpg")
    }

    func testGreyPNGsMatchPillow() throws {
        try assertMatchesPillow("grey1.png")
        try assertMatchesPillow("grey2.png")
        try assertMatchesPillow("grey4.png")        // also interlaced
        try assertMatchesPillow("grey8_trns.png")   // tRNS ignored, as convert("RGB") ignores it
        try assertMatchesPillow("grey_alpha.png")   // alpha dropped, not composited
    }

    func testColourPNGsMatchPillow() throws {
        try assertMatchesPillow("rgb_interlaced.png")
        try assertMatchesPillow("rgba_interlaced.png")
        try assertMatchesPillow("rgb_trns.png")
    }

    func testPalettePNGsMatchPillow() throws {
        try assertMatchesPillow("palette1.png")
        try assertMatchesPillow("palette2.png")     // also interlaced
        try assertMatchesPillow("palette4.png")
        try assertMatchesPillow("palette8.png")
        try assertMatchesPillow("palette8_short_plte.png")  // indices past PLTE → black
    }

    func testFormatComesFromContentNotExtension() throws {
        let png = try TestData.bytes(TestData.fixture("palette4.png"))
        let image = try ImageDecoder.decode(png, path: "really-a-png.jpg")
        XCTAssertEqual(image, try ImageLoader.load(url: TestData.fixture("palette4.png")))
        XCTAssertEqual(png.withUnsafeBytes { ImageFormat.detect($0) }, .png)
        XCTAssertEqual(([0xFF, 0xD8, 0xFF, 0xE0] as [UInt8]).withUnsafeBytes { ImageFormat.detect($0) }, .jpeg)
        XCTAssertNil(([0xFF, 0xD8] as [UInt8]).withUnsafeBytes { ImageFormat.detect($0) })
    }

    // MARK: Errors

    private func assertDecodeError(_ bytes: [UInt8], path: String = "x.img", _ expected: ImageIOError,
                                   file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertThrowsError(try ImageDecoder.decode(bytes, path: path), file: file, line: line) { error in
            XCTAssertEqual(error as? ImageIOError, expected, file: file, line: line)
        }
    }

    /// 16-bit colour keeps the high byte of each sample, as Pillow's `RGB;16B` unpacker does
    /// (rgb16.png holds the coffee crop × 257); 16-bit grey is refused (ColorModeTests).
    func testSixteenBitColourPNGKeepsTheHighByte() throws {
        let sixteen = try ImageLoader.load(url: TestData.fixture("rgb16.png"))
        let eight = try ImageLoader.load(url: TestData.fixture("rgb_interlaced.png"))
        XCTAssertEqual(sixteen, eight)
        XCTAssertThrowsError(try ImageLoader.load(url: TestData.fixture("grey16.png")))
    }

    func testEmptyAndNotAnImage() throws {
        assertDecodeError([], .emptyFile(path: "x.img"))
        assertDecodeError(Array("just some text\n".utf8), .unknownFormat(path: "x.img"))
        assertDecodeError([0x89, 0x50, 0x4E], .unknownFormat(path: "x.img"))
        XCTAssertEqual(ImageIOError.unknownFormat(path: "x.png").description, "x.png: not a JPEG or PNG image")

        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("imageio-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let empty = directory.appendingPathComponent("empty.jpg")
        XCTAssertTrue(FileManager.default.createFile(atPath: empty.path, contents: Data()))
        XCTAssertThrowsError(try ImageLoader.load(url: empty)) { error in
            XCTAssertEqual(error as? ImageIOError, .emptyFile(path: empty.path))
        }
        let missing = directory.appendingPathComponent("missing.png")
        XCTAssertThrowsError(try ImageLoader.load(url: missing)) { error in
            XCTAssertEqual(error as? ImageIOError, .io(path: missing.path, operation: "open", errno: ENOENT))
            XCTAssertEqual("\(error)", "\(missing.path): cannot open: No such file or directory")
        }
        XCTAssertThrowsError(try ImageLoader.load(url: directory)) { error in
            XCTAssertEqual(error as? ImageIOError, .io(path: directory.path, operation: "read", errno: EISDIR))
        }
        let big = TestData.fixture("resize_source.png")
        XCTAssertThrowsError(try ImageLoader.load(url: big, limits: DecodeLimits(maxFileBytes: 100))) { error in
            guard case .fileTooLarge(_, _, 100)? = error as? ImageIOError else { return XCTFail("\(error)") }
        }
    }

    func testTruncatedJPEG() throws {
        let jpeg = try TestData.bytes(TestData.fixture("progressive.jpg"))
        for cut in [jpeg.count / 2, 200, 4, jpeg.count - 2] {
            assertDecodeError(Array(jpeg.prefix(cut)), path: "p.jpg", .truncated(path: "p.jpg", format: .jpeg))
        }
        XCTAssertEqual(ImageIOError.truncated(path: "chelsea.jpg", format: .jpeg).description, "chelsea.jpg: truncated JPEG data")
        // Pillow reports "image file is truncated" even when only the EOI marker is missing
        // (libjpeg reads ahead past the last entropy-coded byte); so do we.
        let baseline = try TestData.bytes(TestData.fixture("grey.jpg"))
        XCTAssertEqual(Array(baseline.suffix(2)), [0xFF, 0xD9])
        assertDecodeError(Array(baseline.dropLast(2)), path: "g.jpg", .truncated(path: "g.jpg", format: .jpeg))
        // Bytes after the EOI marker are ignored, as in Pillow.
        XCTAssertEqual(try ImageDecoder.decode(baseline + [0, 1, 2, 3]), try ImageDecoder.decode(baseline))
    }

    func testCorruptJPEG() throws {
        var bytes: [UInt8] = [0xFF, 0xD8, 0xFF, 0xC0, 0x00, 0x03, 0x00] + Array(repeating: 0x55, count: 64)
        XCTAssertThrowsError(try ImageDecoder.decode(bytes, path: "c.jpg")) { error in
            guard case .corrupt("c.jpg", .jpeg, let detail)? = error as? ImageIOError else { return XCTFail("\(error)") }
            XCTAssertFalse(detail.isEmpty)
        }
        // A 2-component frame is valid JPEG that Pillow refuses too.
        let grey = try TestData.bytes(TestData.fixture("grey.jpg"))
        bytes = grey
        if let sof = (0..<(bytes.count - 1)).first(where: { bytes[$0] == 0xFF && bytes[$0 + 1] == 0xC0 }) {
            bytes[sof + 9] = 2
        }
        XCTAssertThrowsError(try ImageDecoder.decode(bytes, path: "two.jpg"))
    }

    /// A progressive file can repeat scans; libjpeg would grind through any number of them.
    /// Like TurboJPEG's scan limit, more than 500 is refused.
    func testEndlessProgressiveScansAreRefused() throws {
        let jpeg = try TestData.bytes(TestData.fixture("progressive.jpg"))
        let scans = (0..<(jpeg.count - 1)).filter { jpeg[$0] == 0xFF && jpeg[$0 + 1] == 0xDA }
        guard let lastScan = scans.last, Array(jpeg.suffix(2)) == [0xFF, 0xD9] else { return XCTFail("unexpected layout") }
        let scan = Array(jpeg[lastScan..<(jpeg.count - 2)])
        var bytes = Array(jpeg[..<lastScan])
        for _ in 0..<600 { bytes += scan }
        bytes += [0xFF, 0xD9]
        XCTAssertThrowsError(try ImageDecoder.decode(bytes, path: "scans.jpg")) { error in
            XCTAssertEqual(error as? ImageIOError, .corrupt(path: "scans.jpg", format: .jpeg, detail: "more than 500 progressive scans"))
        }
    }

    func testAbsurdJPEGDimensionsAreRefusedBeforeAllocating() throws {
        var jpeg = try TestData.bytes(TestData.fixture("grey.jpg"))
        guard let sof = (0..<(jpeg.count - 1)).first(where: { jpeg[$0] == 0xFF && jpeg[$0 + 1] == 0xC0 }) else {
            return XCTFail("no SOF0 marker")
        }
        // 60000 x 60000 (libjpeg itself stops at 65500).
        jpeg.replaceSubrange((sof + 5)...(sof + 8), with: [0xEA, 0x60, 0xEA, 0x60])
        assertDecodeError(jpeg, path: "huge.jpg", .tooManyPixels(path: "huge.jpg", width: 60000, height: 60000, limit: 1 << 28))
    }

    func testTruncatedPNG() throws {
        let png = try TestData.bytes(TestData.fixture("rgb_interlaced.png"))
        for cut in [png.count / 2, 20, 9, png.count - 20] {
            assertDecodeError(Array(png.prefix(cut)), path: "t.png", .truncated(path: "t.png", format: .png))
        }
    }

    /// Every chunk's CRC is verified, the ancillary tEXt included (as Pillow does): flipping a
    /// bit of each stored CRC is an error naming the chunk.
    func testCorruptPNGChecksums() throws {
        // tRNS and unknown chunks go through libpng's user-chunk hook, after its CRC check.
        let files = [("grey1.png", ["IHDR", "tEXt", "IDAT"]), ("modes/palette_simple_trns.png", ["IHDR", "PLTE", "tRNS", "IDAT"]),
                     ("modes/critical_chunk.png", ["IHDR", "ZZZZ", "IDAT"])]
        for (name, chunks) in files {
            let png = try TestData.bytes(TestData.fixture(name))
            var offset = 8  // after the signature
            var checked: [String] = []
            while offset + 12 <= png.count {
                let length = Int(png[offset]) << 24 | Int(png[offset + 1]) << 16 | Int(png[offset + 2]) << 8 | Int(png[offset + 3])
                let kind = String(decoding: png[(offset + 4)..<(offset + 8)], as: UTF8.self)
                guard kind != "IEND" else { break }  // never read: Pillow stops at the image data too
                var corrupted = png
                corrupted[offset + 8 + length] ^= 0x01
                for mode in ColorMode.allCases {
                    XCTAssertThrowsError(try ImageDecoder.decode(corrupted, path: "crc.png", mode: mode), "\(name) \(kind)") { error in
                        guard case .corrupt("crc.png", .png, let detail)? = error as? ImageIOError else {
                            return XCTFail("\(name) \(kind): \(error)")
                        }
                        XCTAssertEqual(detail, "\(kind): CRC error")
                    }
                }
                checked.append(kind)
                offset += 12 + length
            }
            XCTAssertEqual(checked, chunks)
        }
        XCTAssertEqual(ImageIOError.corrupt(path: "x.png", format: .png, detail: "IDAT: CRC error").description,
                       "x.png: corrupt PNG data (IDAT: CRC error)")
    }

    func testCorruptPNGImageData() throws {
        let png = try TestData.bytes(TestData.fixture("rgb_interlaced.png"))
        guard let idat = (8..<(png.count - 4)).first(where: { png[$0..<($0 + 4)].elementsEqual("IDAT".utf8) }) else {
            return XCTFail("no IDAT")
        }
        // Damage the zlib stream and fix up the CRC, so only the decompressor can notice.
        let length = Int(png[idat - 4]) << 24 | Int(png[idat - 3]) << 16 | Int(png[idat - 2]) << 8 | Int(png[idat - 1])
        var corrupted = png
        for i in stride(from: idat + 10, to: idat + 4 + length, by: 7) { corrupted[i] ^= 0x5A }
        corrupted.replaceSubrange((idat + 4 + length)..<(idat + 8 + length), with: bigEndian(crc32(corrupted[idat..<(idat + 4 + length)])))
        XCTAssertThrowsError(try ImageDecoder.decode(corrupted, path: "z.png")) { error in
            guard case .corrupt("z.png", .png, let detail)? = error as? ImageIOError else { return XCTFail("\(error)") }
            XCTAssertTrue(detail.hasPrefix("IDAT"), detail)
        }
    }

    func testAbsurdPNGDimensionsAreRefusedBeforeAllocating() {
        var png: [UInt8] = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]
        png += pngChunk("IHDR", bigEndian(100_000) + bigEndian(90_000) + [8, 2, 0, 0, 0])
        png += pngChunk("IDAT", [0x78, 0x9C, 0x03, 0x00, 0x00, 0x00, 0x00, 0x01])
        png += pngChunk("IEND", [])
        assertDecodeError(png, path: "huge.png", .tooManyPixels(path: "huge.png", width: 100_000, height: 90_000, limit: 1 << 28))
        // A custom, smaller cap applies too.
        let small = try? ImageDecoder.decode(try TestData.bytes(TestData.fixture("grey1.png")), path: "g.png",
                                             limits: DecodeLimits(maxPixels: 1000))
        XCTAssertNil(small)
    }

    func testPNGWithoutImageDataIsCorrupt() {
        var png: [UInt8] = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]
        png += pngChunk("IHDR", bigEndian(4) + bigEndian(4) + [8, 0, 0, 0, 0])
        png += pngChunk("IEND", [])
        XCTAssertThrowsError(try ImageDecoder.decode(png, path: "e.png")) { error in
            guard case .corrupt("e.png", .png, _)? = error as? ImageIOError else { return XCTFail("\(error)") }
        }
    }
}
