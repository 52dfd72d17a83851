import Foundation
import XCTest
import NPY
@testable import ImageIO

/// Resizing against Pillow 13 on a 41x29 photo crop, for up- and downscales, one-axis changes
/// and degenerate sizes (Fixtures/resize_{nearest,bilinear}.npy hold the outputs concatenated).
final class ResizeTests: XCTestCase {
    /// (height, width), in the order make_fixtures.py wrote them.
    /// (26, 40) and (27, 40) straddle Pillow 13's switch to running the vertical pass first.
    static let sizes = [(29, 20), (15, 41), (32, 32), (7, 5), (1, 1), (58, 82), (100, 3), (13, 64), (10, 14), (30, 40),
                        (26, 40), (27, 40), (5, 38)]

    private func compareWithPillow(_ method: ResizeMethod) throws -> [String] {
        let source = try ImageLoader.load(url: TestData.fixture("resize_source.png"))
        XCTAssertEqual(source.width, 41)
        XCTAssertEqual(source.height, 29)
        let expected = try NPYFile.read(contentsOf: TestData.fixture("resize_\(method).npy")).uint8s()
        var offset = 0
        var mismatches: [String] = []
        for (height, width) in Self.sizes {
            let count = height * width * 3
            let reference = Array(expected[offset..<(offset + count)])
            offset += count
            let resized = try source.resized(height: height, width: width, method: method)
            XCTAssertEqual(resized.width, width)
            XCTAssertEqual(resized.height, height)
            let difference = pixelDifference(resized.pixels, reference)
            if difference.count > 0 {
                mismatches.append("\(height)x\(width): \(difference.count) bytes differ, worst by \(difference.worst)")
            }
        }
        XCTAssertEqual(offset, expected.count)
        return mismatches
    }

    func testNearestEqualsPillow() throws {
        XCTAssertEqual(try compareWithPillow(.nearest), [])
    }

    func testBilinearEqualsPillow() throws {
        XCTAssertEqual(try compareWithPillow(.bilinear), [])
    }

    /// Nearest picks the source pixel under each output centre: floor((i + 0.5) × in / out)
    /// (Pillow accumulates that in doubles; for these sizes no rounding crosses an integer).
    func testNearestAgainstNaiveCentres() throws {
        let source = try Self.numbered(width: 9, height: 7)
        for (height, width) in [(7, 3), (3, 9), (14, 18), (2, 2), (5, 4)] {
            let resized = try source.resized(height: height, width: width, method: .nearest)
            for y in 0..<height {
                for x in 0..<width {
                    let sy = Int((Double(y) + 0.5) * 7 / Double(height))
                    let sx = Int((Double(x) + 0.5) * 9 / Double(width))
                    let target = (y * width + x) * 3
                    let origin = (sy * 9 + sx) * 3
                    XCTAssertEqual(Array(resized.pixels[target..<(target + 3)]), Array(source.pixels[origin..<(origin + 3)]),
                                   "\(height)x\(width) at (\(y), \(x))")
                }
            }
        }
    }

    /// Weights sum to one, so a flat image stays flat at any size; a 2x box average of a
    /// two-value checker gives the rounded mean.
    func testBilinearInvariants() throws {
        let flat = try RGBImage(width: 13, height: 11, pixels: Array(repeating: [200, 7, 99], count: 143).flatMap { $0 })
        for (height, width) in [(4, 5), (30, 2), (11, 40), (1, 1)] {
            let resized = try flat.resized(height: height, width: width, method: .bilinear)
            XCTAssertEqual(resized.pixels, Array(repeating: [200, 7, 99], count: height * width).flatMap { $0 })
        }
        // Downscaling 4 → 2 with the triangle filter widened to support 2: each output averages
        // the four nearest source columns with weights 1/8, 3/8, 3/8, 1/8 (clipped at the border).
        let row: [UInt8] = [0, 100, 200, 40]
        let line = try RGBImage(width: 4, height: 1, pixels: row.flatMap { [$0, $0, $0] })
        let halved = try line.resized(height: 1, width: 2, method: .bilinear)
        // Output 0: centre 1.0 → taps at 0, 1, 2 with weights 0.75, 0.75, 0.25 over 1.75 total.
        let first = (0.75 * 0 + 0.75 * 100 + 0.25 * 200) / 1.75
        let second = (0.25 * 100 + 0.75 * 200 + 0.75 * 40) / 1.75
        XCTAssertEqual(Int(halved.pixels[0]), Int(first.rounded()))
        XCTAssertEqual(Int(halved.pixels[3]), Int(second.rounded()))
    }

    func testSameSizeIsUnchangedAndBadSizesThrow() throws {
        let source = try Self.numbered(width: 5, height: 4)
        XCTAssertEqual(try source.resized(height: 4, width: 5, method: .bilinear), source)
        for (height, width) in [(0, 5), (4, 0), (-1, 3)] {
            XCTAssertThrowsError(try source.resized(height: height, width: width, method: .nearest)) { error in
                XCTAssertEqual(error as? ImageIOError, .invalidTargetSize(height: height, width: width))
            }
        }
        let empty = try RGBImage(width: 0, height: 0, pixels: [])
        XCTAssertThrowsError(try empty.resized(height: 2, width: 2, method: .bilinear)) { error in
            XCTAssertEqual(error as? ImageIOError, .invalidPixelBuffer(width: 0, height: 0, mode: .rgb, byteCount: 0))
        }
    }

    /// Nearest copies whole pixels whatever their size: for each mode, the pixel under each output
    /// centre (same rule as above), all its channels.
    func testNearestCopiesWholePixelsInEveryMode() throws {
        for mode in ColorMode.allCases {
            let channels = mode.channels
            let source = try Image(width: 9, height: 7, mode: mode,
                                   pixels: (0..<(9 * 7 * channels)).map { UInt8(truncatingIfNeeded: $0 * 7 + $0 / channels) })
            for (height, width) in [(7, 3), (3, 9), (14, 18), (5, 4)] {
                let resized = try source.resized(height: height, width: width, method: .nearest)
                XCTAssertEqual(resized.mode, mode)
                XCTAssertEqual(resized.pixels.count, height * width * channels)
                for y in 0..<height {
                    for x in 0..<width {
                        let sy = Int((Double(y) + 0.5) * 7 / Double(height))
                        let sx = Int((Double(x) + 0.5) * 9 / Double(width))
                        let target = (y * width + x) * channels
                        let origin = (sy * 9 + sx) * channels
                        XCTAssertEqual(Array(resized.pixels[target..<(target + channels)]), Array(source.pixels[origin..<(origin + channels)]),
                                       "\(mode) \(height)x\(width) at (\(y), \(x))")
                    }
                }
            }
        }
    }

    /// Bilinear filters each channel alike: a grey image resizes like its RGB replica, channel
    /// for channel; an opaque RGBA image like its RGB part (premultiplying by 255 changes nothing).
    func testBilinearAgreesAcrossModes() throws {
        let rgb = try ImageLoader.load(url: TestData.fixture("resize_source.png"))
        let grey = try Image(width: rgb.width, height: rgb.height, mode: .grayscale,
                             pixels: stride(from: 0, to: rgb.pixels.count, by: 3).map { rgb.pixels[$0 + 1] })
        let greyAsRGB = try Image(width: rgb.width, height: rgb.height, pixels: grey.pixels.flatMap { [$0, $0, $0] })
        var opaque: [UInt8] = []
        for pixel in stride(from: 0, to: rgb.pixels.count, by: 3) { opaque += rgb.pixels[pixel..<(pixel + 3)] + [255] }
        let rgba = try Image(width: rgb.width, height: rgb.height, mode: .rgba, pixels: opaque)
        for (height, width) in Self.sizes {
            let fromGrey = try grey.resized(height: height, width: width, method: .bilinear)
            let fromReplica = try greyAsRGB.resized(height: height, width: width, method: .bilinear)
            XCTAssertEqual(fromGrey.mode, .grayscale)
            XCTAssertEqual(fromGrey.pixels, stride(from: 0, to: fromReplica.pixels.count, by: 3).map { fromReplica.pixels[$0] },
                           "\(height)x\(width)")
            let fromRGBA = try rgba.resized(height: height, width: width, method: .bilinear)
            let fromRGB = try rgb.resized(height: height, width: width, method: .bilinear)
            XCTAssertEqual(fromRGBA.mode, .rgba)
            XCTAssertEqual(stride(from: 0, to: fromRGBA.pixels.count, by: 4).flatMap { fromRGBA.pixels[$0..<($0 + 3)] }, fromRGB.pixels,
                           "\(height)x\(width)")
            XCTAssertTrue(stride(from: 3, to: fromRGBA.pixels.count, by: 4).allSatisfy { fromRGBA.pixels[$0] == 255 })
        }
    }

    /// Bilinear RGBA filters premultiplied colour: a pixel with alpha 0 contributes nothing, so
    /// blending a red opaque pixel with a transparent green one gives red at half alpha, where
    /// straight filtering would give a brown.
    func testBilinearRGBAIgnoresTheColourOfTransparentPixels() throws {
        let image = try Image(width: 2, height: 1, mode: .rgba, pixels: [255, 0, 0, 255, 0, 255, 0, 0])
        let halved = try image.resized(height: 1, width: 1, method: .bilinear)
        XCTAssertEqual(halved.pixels, [255, 0, 0, 128])
        // Nearest does not premultiply (Pillow converts to RGBa only for other filters).
        let nearest = try image.resized(height: 1, width: 4, method: .nearest)
        XCTAssertEqual(nearest.pixels, [255, 0, 0, 255, 255, 0, 0, 255, 0, 255, 0, 0, 0, 255, 0, 0])
    }

    /// Pixel (x, y) = (x, y, x + 10 y), distinct everywhere.
    static func numbered(width: Int, height: Int) throws -> RGBImage {
        var pixels: [UInt8] = []
        for y in 0..<height {
            for x in 0..<width {
                pixels += [UInt8(x), UInt8(y), UInt8(x + 10 * y)]
            }
        }
        return try RGBImage(width: width, height: height, pixels: pixels)
    }
}
