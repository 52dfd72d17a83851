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
        XCTAssertThrowsError(try empty.resized(height: 2, width: 2, method: .bilinear))
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
