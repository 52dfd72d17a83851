import Foundation
import XCTest
import NPY
@testable import ImageIO

/// Locations of test data: this target's `Fixtures/` and the repository's `samples/`
/// (found by walking up from this file to the directory holding Package.swift, after resolving
/// symlinks so that a development package that links these sources still finds the repo).
enum TestData {
    static let thisFile = URL(fileURLWithPath: #filePath).resolvingSymlinksInPath()
    static let fixtures = thisFile.deletingLastPathComponent().appendingPathComponent("Fixtures")

    static let repositoryRoot: URL? = {
        var directory = thisFile.deletingLastPathComponent()
        while directory.path != "/" {
            if FileManager.default.fileExists(atPath: directory.appendingPathComponent("Package.swift").path) {
                return directory
            }
            directory = directory.deletingLastPathComponent()
        }
        return nil
    }()

    static var samples: URL? {
        guard let root = repositoryRoot?.appendingPathComponent("samples"),
              FileManager.default.fileExists(atPath: root.appendingPathComponent("photos").path) else { return nil }
        return root
    }

    static func fixture(_ name: String) -> URL {
        fixtures.appendingPathComponent(name)
    }

    static func bytes(_ url: URL) throws -> [UInt8] {
        [UInt8](try Data(contentsOf: url))
    }

    /// A uint8 HxW (grayscale) or HxWxC (C = 1, 3, 4) .npy as an Image.
    static func expectedImage(_ url: URL) throws -> Image {
        let array = try NPYFile.read(contentsOf: url)
        let channels = array.shape.count == 2 ? 1 : array.shape.last ?? 0
        guard array.shape.count == 2 || array.shape.count == 3, let mode = ColorMode(channels: channels) else {
            throw ImageIOError.unsupported(path: url.path, detail: "expected HxW or HxWxC uint8, got shape \(array.shape)")
        }
        return try Image(width: array.shape[1], height: array.shape[0], mode: mode, pixels: array.uint8s())
    }
}

/// Compares two images byte for byte; on mismatch reports how many bytes differ and the worst
/// difference, so that an off-by-one resampler shows up as a count rather than a wall of bytes.
func assertSamePixels(_ actual: Image, _ expected: Image, _ label: String,
                      file: StaticString = #filePath, line: UInt = #line) {
    XCTAssertEqual(actual.width, expected.width, "\(label): width", file: file, line: line)
    XCTAssertEqual(actual.height, expected.height, "\(label): height", file: file, line: line)
    XCTAssertEqual(actual.mode, expected.mode, "\(label): mode", file: file, line: line)
    guard actual.pixels.count == expected.pixels.count else { return }
    let report = pixelDifference(actual.pixels, expected.pixels)
    XCTAssertEqual(report.count, 0, "\(label): \(report.count) of \(actual.pixels.count) bytes differ, worst by \(report.worst)",
                   file: file, line: line)
}

func pixelDifference(_ a: [UInt8], _ b: [UInt8]) -> (count: Int, worst: Int) {
    var count = 0
    var worst = 0
    for (x, y) in zip(a, b) where x != y {
        count += 1
        worst = max(worst, abs(Int(x) - Int(y)))
    }
    return (count, worst)
}

/// CRC-32 (ISO-HDLC, as PNG uses), for building PNG chunks in tests.
func crc32(_ bytes: some Sequence<UInt8>) -> UInt32 {
    var crc: UInt32 = 0xFFFF_FFFF
    for byte in bytes {
        crc ^= UInt32(byte)
        for _ in 0..<8 {
            crc = (crc >> 1) ^ (0xEDB8_8320 & (0 &- (crc & 1)))
        }
    }
    return ~crc
}

func pngChunk(_ kind: String, _ data: [UInt8]) -> [UInt8] {
    let typeAndData = Array(kind.utf8) + data
    return bigEndian(UInt32(data.count)) + typeAndData + bigEndian(crc32(typeAndData))
}

func bigEndian(_ value: UInt32) -> [UInt8] {
    [UInt8(value >> 24), UInt8((value >> 16) & 0xFF), UInt8((value >> 8) & 0xFF), UInt8(value & 0xFF)]
}
