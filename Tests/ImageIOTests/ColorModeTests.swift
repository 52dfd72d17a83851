import Foundation
import XCTest
import NPY
@testable import ImageIO

/// Grayscale, RGB and RGBA loading against `keras.utils.load_img(path, color_mode=...,
/// target_size=..., interpolation=...)` with Pillow 13: Fixtures/modes/expected.json holds a digest
/// of Keras's pixels for every source (the synthetic PNGs in Fixtures/modes/, the decoding fixtures
/// beside them, samples/photos/), mode, and operation (full size; nearest and bilinear to 32x32
/// and to (H/3 + 1)x(W + 5)). Fixtures/make_mode_fixtures.py writes it.
final class ColorModeTests: XCTestCase {
    struct Expected: Decodable {
        var pillow: String
        var operations: [String]
        var premultiplied: String
        var unpremultiplied: String
        /// source → mode → five space-separated digests, or "error: <what Pillow raised>".
        var sources: [String: [String: String]]
    }

    static func expected() throws -> Expected {
        let data = try Data(contentsOf: TestData.fixture("modes/expected.json"))
        return try JSONDecoder().decode(Expected.self, from: data)
    }

    /// The operations of make_mode_fixtures.py's `operations`, in its order: nil is "no resize".
    static func operations(width: Int, height: Int) -> [(label: String, size: (height: Int, width: Int)?, method: ResizeMethod)] {
        var result: [(String, (height: Int, width: Int)?, ResizeMethod)] = [("full", nil, .nearest)]
        for (h, w) in [(32, 32), (height / 3 + 1, width + 5)] {
            for method in [ResizeMethod.nearest, .bilinear] {
                result.append(("\(method) \(h)x\(w)", (h, w), method))
            }
        }
        return result
    }

    /// FNV-1a 64 over height, width, channels (little-endian UInt32) and the pixels, as
    /// make_mode_fixtures.py's `digest`.
    static func digest(_ image: Image) -> String {
        var value: UInt64 = 0xCBF2_9CE4_8422_2325
        func add(_ byte: UInt8) { value = (value ^ UInt64(byte)) &* 0x100_0000_01B3 }
        for field in [image.height, image.width, image.channels] {
            withUnsafeBytes(of: UInt32(field).littleEndian) { $0.forEach(add) }
        }
        image.pixels.forEach(add)
        let hex = String(value, radix: 16)
        return String(repeating: "0", count: 16 - hex.count) + hex
    }

    private func url(of source: String) throws -> URL {
        if source.hasPrefix("photos/") {
            guard let samples = TestData.samples else { throw XCTSkip("samples/ not found") }
            return samples.appendingPathComponent(source)
        }
        return TestData.fixture(source)
    }

    /// Saves a mismatching image where it can be compared with `load_img` by hand.
    private func save(_ image: Image, _ label: String) -> String {
        let name = label.map { $0.isLetter || $0.isNumber ? $0 : "_" }
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("wtool-\(String(name)).npy")
        do {
            try NPYArray(shape: [image.height, image.width, image.channels], uint8s: image.pixels).write(to: url)
            return "saved as \(url.path)"
        } catch {
            return "not saved (\(error))"
        }
    }

    func testEverySourceModeAndResizeMatchesKeras() throws {
        let expected = try Self.expected()
        XCTAssertEqual(expected.pillow, "13.0.0")
        XCTAssertEqual(expected.operations.count, 5)
        var compared = 0
        var errors = 0
        var mismatches: [String] = []
        for (source, modes) in expected.sources.sorted(by: { $0.key < $1.key }) {
            let url = try url(of: source)
            XCTAssertEqual(Set(modes.keys), Set(ColorMode.allCases.map(\.rawValue)), source)
            for (modeName, digests) in modes.sorted(by: { $0.key < $1.key }) {
                let mode = try XCTUnwrap(ColorMode(rawValue: modeName))
                if digests.hasPrefix("error: ") {
                    // Keras fails on these; so must we, with a one-line error naming the file.
                    XCTAssertThrowsError(try ImageLoader.load(url: url, mode: mode), "\(source) \(mode)") { error in
                        guard case .corrupt(url.path, .png, _)? = error as? ImageIOError else {
                            return XCTFail("\(source) \(mode): \(error)")
                        }
                    }
                    errors += 1
                    continue
                }
                let image = try ImageLoader.load(url: url, mode: mode)
                XCTAssertEqual(image.mode, mode)
                let wanted = digests.split(separator: " ").map(String.init)
                let operations = Self.operations(width: image.width, height: image.height)
                XCTAssertEqual(wanted.count, operations.count, source)
                for (operation, digest) in zip(operations, wanted) {
                    var result = image
                    if let size = operation.size {
                        result = try image.resized(height: size.height, width: size.width, method: operation.method)
                    }
                    compared += 1
                    if Self.digest(result) != digest {
                        let label = "\(source) \(mode) \(operation.label)"
                        mismatches.append("\(label): differs from load_img, \(save(result, label))")
                    }
                }
            }
        }
        XCTAssertEqual(mismatches, [])
        // 41 sources × 3 modes, 4 of them errors (a truncated tRNS in every mode, an oversized
        // palette tRNS in RGBA), the rest at full size and 4 resizes.
        XCTAssertEqual(expected.sources.count, 41)
        XCTAssertEqual(errors, 4)
        XCTAssertEqual(compared, (41 * 3 - 4) * 5)
    }

    /// Pillow's RGBA ⇄ RGBa conversions, which wrap bilinear RGBA resizing, on all 65536
    /// (value, alpha) pairs.
    func testPremultiplicationMatchesPillowOnEveryPair() throws {
        let expected = try Self.expected()
        var pairs = [UInt8](repeating: 0, count: 256 * 256 * 4)
        for alpha in 0..<256 {
            for value in 0..<256 {
                let offset = (alpha * 256 + value) * 4
                pairs.replaceSubrange(offset..<(offset + 4), with: [UInt8(value), UInt8(value), UInt8(value), UInt8(alpha)])
            }
        }
        let premultiplied = try Image(width: 256, height: 256, mode: .rgba, pixels: _PillowResample.premultiplied(pairs))
        let unpremultiplied = try Image(width: 256, height: 256, mode: .rgba, pixels: _PillowResample.unpremultiplied(pairs))
        XCTAssertEqual(Self.digest(premultiplied), expected.premultiplied)
        XCTAssertEqual(Self.digest(unpremultiplied), expected.unpremultiplied)
        // Spot checks of the formulas: MULDIV255(200, 128) = 100; 255·100 / 128 = 199.
        XCTAssertEqual(Array(_PillowResample.premultiplied([200, 0, 255, 128])), [100, 0, 128, 128])
        XCTAssertEqual(Array(_PillowResample.unpremultiplied([100, 0, 200, 128])), [199, 0, 255, 128])
        XCTAssertEqual(Array(_PillowResample.unpremultiplied([100, 7, 200, 0])), [100, 7, 200, 0])
    }

    /// Convert.c's L24 on colours whose Pillow results were checked by hand.
    func testLumaIsPillowsL24() {
        let cases: [([UInt8], UInt8)] = [([255, 0, 0], 76), ([0, 255, 0], 150), ([0, 0, 255], 29), ([10, 20, 30], 18),
                                         ([1, 2, 3], 2), ([255, 255, 255], 255), ([123, 106, 89], 109), ([21, 4, 243], 36)]
        for (rgb, grey) in cases {
            XCTAssertEqual(_ColorConversion.luma(rgb[0], rgb[1], rgb[2]), grey, "\(rgb)")
        }
        // A grey stays itself, which is why 16-bit grey+alpha ("RGBA" in Pillow) may be read as LA.
        for value in 0...255 {
            XCTAssertEqual(_ColorConversion.luma(UInt8(value), UInt8(value), UInt8(value)), UInt8(value))
        }
    }

    func testModesFromTheSameFileAgree() throws {
        let url = TestData.fixture("rgba_interlaced.png")
        let rgba = try ImageLoader.load(url: url, mode: .rgba)
        let rgb = try ImageLoader.load(url: url, mode: .rgb)
        let grey = try ImageLoader.load(url: url, mode: .grayscale)
        XCTAssertEqual([rgba.channels, rgb.channels, grey.channels], [4, 3, 1])
        XCTAssertEqual(rgba.pixels.count, rgba.width * rgba.height * 4)
        for pixel in 0..<(rgb.width * rgb.height) {
            XCTAssertEqual(Array(rgba.pixels[(pixel * 4)..<(pixel * 4 + 3)]), Array(rgb.pixels[(pixel * 3)..<(pixel * 3 + 3)]))
            XCTAssertEqual(grey.pixels[pixel], _ColorConversion.luma(rgb.pixels[pixel * 3], rgb.pixels[pixel * 3 + 1], rgb.pixels[pixel * 3 + 2]))
        }
        // The file's alpha ramps from 0 to 255 across each row.
        XCTAssertEqual(rgba.pixels[3], 0)
        XCTAssertEqual(rgba.pixels[(rgba.width - 1) * 4 + 3], 255)
    }

    /// The tRNS rules that the digests cover, spelled out on the pixels of the synthetic files.
    func testTransparencyBecomesAlpha() throws {
        // Each has a 4x3 patch of the tRNS colour in its top-left corner.
        for name in ["grey2_trns.png", "grey4_trns_wide.png", "grey8_trns_wide.png", "rgb_trns_match.png", "rgb16_trns.png"] {
            let image = try ImageLoader.load(url: TestData.fixture("modes/" + name), mode: .rgba)
            XCTAssertEqual(image.pixels[3], 0, name)                       // (0, 0) is in the patch
            XCTAssertEqual(image.pixels[(2 * image.width + 3) * 4 + 3], 0, name)  // (3, 2) too
            let opaque = stride(from: 3, to: image.pixels.count, by: 4).filter { image.pixels[$0] == 255 }.count
            XCTAssertGreaterThan(opaque, image.width * image.height / 2, name)
        }
        // tRNS is ignored where the file has an alpha channel.
        let withAlpha = try ImageLoader.load(url: TestData.fixture("modes/rgba_trns.png"), mode: .rgba)
        XCTAssertEqual(withAlpha.pixels[3], 0)  // its alpha ramp starts at 0 anyway
        XCTAssertEqual(withAlpha.pixels[(2 * withAlpha.width + withAlpha.width - 1) * 4 + 3], 255)
        // A palette tRNS of b"\xff\x00\n" makes only entry 1 transparent (Pillow's regex quirk).
        let simple = try ImageLoader.load(url: TestData.fixture("modes/palette_simple_newline.png"), mode: .rgba)
        XCTAssertEqual(simple.pixels[3], 255)  // the patch uses entry 2: opaque, not alpha 10
        XCTAssertEqual(paletteAlphas([0xFF, 0x00, 0x0A]), [255, 0] + Array(repeating: 255, count: 254))
        XCTAssertEqual(paletteAlphas([0x00, 0x0A]), [0] + Array(repeating: 255, count: 255))
        XCTAssertEqual(paletteAlphas([0x05, 0x00, 0x0A]), [5, 0, 10] + Array(repeating: 255, count: 253))
        XCTAssertEqual(paletteAlphas([0xFF, 0x00, 0x00]), [255, 0, 0] + Array(repeating: 255, count: 253))
        XCTAssertEqual(paletteAlphas([]), Array(repeating: 255, count: 256))
        XCTAssertEqual(paletteAlphas(Array(repeating: 7, count: 256)), Array(repeating: 7, count: 256))
        XCTAssertNil(paletteAlphas(Array(repeating: 7, count: 257)))
    }

    /// The 256 alphas a palette tRNS gives, or nil where Pillow's convert("RGBA") fails.
    private func paletteAlphas(_ bytes: [UInt8]) -> [UInt8]? {
        guard case let .table(alphas) = ImageDecoder.paletteAlphas((Array(bytes.prefix(256)), bytes.count)) else { return nil }
        return alphas
    }

    func testTRNSErrorsNameTheFile() throws {
        let short = TestData.fixture("modes/grey8_trns_short.png")
        for mode in ColorMode.allCases {
            XCTAssertThrowsError(try ImageLoader.load(url: short, mode: mode)) { error in
                XCTAssertEqual(error as? ImageIOError, .corrupt(path: short.path, format: .png, detail: "tRNS: truncated chunk"))
                XCTAssertEqual("\(error)", "\(short.path): corrupt PNG data (tRNS: truncated chunk)")
            }
        }
        let long = TestData.fixture("modes/palette_trns_long.png")
        XCTAssertNoThrow(try ImageLoader.load(url: long, mode: .rgb))
        XCTAssertNoThrow(try ImageLoader.load(url: long, mode: .grayscale))
        XCTAssertThrowsError(try ImageLoader.load(url: long, mode: .rgba)) { error in
            XCTAssertEqual("\(error)", "\(long.path): corrupt PNG data (tRNS: 400 palette alphas for 256 entries; Pillow cannot convert it to RGBA)")
        }
    }

    func testSixteenBitGreyIsRefusedInEveryMode() {
        let url = TestData.fixture("grey16.png")
        for mode in ColorMode.allCases {
            XCTAssertThrowsError(try ImageLoader.load(url: url, mode: mode)) { error in
                XCTAssertEqual(error as? ImageIOError, .unsupported(path: url.path, detail: ImageDecoder.sixteenBitGreyRefusal))
                XCTAssertTrue("\(error)".hasPrefix("\(url.path): 16-bit greyscale PNG is not supported"), "\(error)")
                XCTAssertFalse("\(error)".contains("\n"))
            }
        }
    }

    func testColorModeNames() {
        XCTAssertEqual(ColorMode.allCases.map(\.channels), [1, 3, 4])
        XCTAssertEqual(ColorMode.allCases.map(\.pillowMode), ["L", "RGB", "RGBA"])
        XCTAssertEqual(ColorMode.allCases.map(\.rawValue), ["grayscale", "rgb", "rgba"])
        XCTAssertEqual([1, 3, 4].map { ColorMode(channels: $0) }, [.grayscale, .rgb, .rgba])
        XCTAssertNil(ColorMode(channels: 2))
        XCTAssertNil(ColorMode(channels: 0))
    }

    func testImageBufferIsCheckedAgainstItsMode() throws {
        XCTAssertNoThrow(try Image(width: 2, height: 3, mode: .grayscale, pixels: Array(repeating: 0, count: 6)))
        XCTAssertNoThrow(try Image(width: 2, height: 3, mode: .rgba, pixels: Array(repeating: 0, count: 24)))
        XCTAssertEqual(try RGBImage(width: 1, height: 1, pixels: [1, 2, 3]).mode, .rgb)
        XCTAssertThrowsError(try Image(width: 2, height: 3, mode: .rgba, pixels: Array(repeating: 0, count: 18))) { error in
            XCTAssertEqual(error as? ImageIOError, .invalidPixelBuffer(width: 2, height: 3, mode: .rgba, byteCount: 18))
            XCTAssertEqual("\(error)", "a 2x3 rgba image needs 24 bytes, got 18")
        }
        XCTAssertThrowsError(try Image(width: Int.max, height: 2, mode: .grayscale, pixels: [])) { error in
            XCTAssertEqual("\(error)", "invalid image size \(Int.max)x2 (0 bytes of grayscale pixels)")
        }
    }
}
