import Foundation
import XCTest
@testable import NPY

final class NPYRoundTripTests: XCTestCase {
    private var directory: URL!

    override func setUpWithError() throws {
        directory = FileManager.default.temporaryDirectory
            .appendingPathComponent("npy-tests-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws {
        try? FileManager.default.removeItem(at: directory)
    }

    private func leftovers() throws -> [String] {
        try FileManager.default.contentsOfDirectory(atPath: directory.path).filter { $0.contains(".tmp-") }.sorted()
    }

    static let shapes: [[Int]] = [[], [0], [1], [5], [2, 3], [3, 0, 2], [2, 1, 3, 2], [0, 0]]

    static func arrays() throws -> [NPYArray] {
        var result: [NPYArray] = []
        for shape in shapes {
            let count = shape.reduce(1, *)
            let indices = (0..<count)
            result.append(try NPYArray(shape: shape, floats: indices.map { Float($0) * -0.37 + 1e-3 }))
            result.append(try NPYArray(shape: shape, doubles: indices.map { Double($0) / 3 - 1e200 }))
            result.append(try NPYArray(shape: shape, int32s: indices.map { Int32($0) * -70_001 }))
            result.append(try NPYArray(shape: shape, int64s: indices.map { Int64($0) << 40 }))
            result.append(try NPYArray(shape: shape, uint8s: indices.map { UInt8(truncatingIfNeeded: $0 * 37) }))
            result.append(try NPYArray(shape: shape, bools: indices.map { $0 % 3 == 0 }))
        }
        return result
    }

    func testRoundTripsEveryDTypeAndShape() throws {
        for (index, array) in try Self.arrays().enumerated() {
            let url = directory.appendingPathComponent("a\(index).npy")
            try array.write(to: url)
            let back = try NPYFile.read(contentsOf: url)
            XCTAssertEqual(back, array, "\(array.dtype) \(array.shape)")
            // And through version 2.0.
            let v2 = try array.npyBytes(version: .v2)
            XCTAssertEqual(v2[6], 2)
            XCTAssertEqual(try v2.withUnsafeBytes { try NPYArray(npyBytes: $0) }, array)
            XCTAssertEqual(try array.npyBytes().count % 64, array.data.count % 64, "data starts 64-byte aligned")
        }
        XCTAssertEqual(try leftovers(), [])
    }

    func testConstructorsCheckCounts() {
        XCTAssertThrowsError(try NPYArray(shape: [2, 2], floats: [1, 2, 3])) { error in
            XCTAssertEqual(error as? NPYError, .inconsistentArray(shape: [2, 2], dtype: .float32, byteCount: 12))
        }
        XCTAssertThrowsError(try NPYArray(shape: [-1], floats: []))
        var array = try? NPYArray(shape: [2], floats: [1, 2])
        array?.shape = [3]
        XCTAssertThrowsError(try array?.floats())
        XCTAssertThrowsError(try array?.npyBytes())
    }

    func testWriteReplacesAtomicallyAndReportsErrors() throws {
        let url = directory.appendingPathComponent("x.npy")
        try NPYArray(shape: [1], floats: [1]).write(to: url)
        try NPYArray(shape: [2], floats: [2, 3]).write(to: url)
        XCTAssertEqual(try NPYFile.read(contentsOf: url).floats(), [2, 3])

        let bad = directory.appendingPathComponent("no-such-dir/y.npy")
        XCTAssertThrowsError(try NPYArray(shape: [1], floats: [1]).write(to: bad)) { error in
            guard case NPYError.io(let path, "create temporary file", ENOENT) = error else { return XCTFail("\(error)") }
            XCTAssertEqual(path, bad.path)
        }
        XCTAssertEqual(try leftovers(), [])
    }

    func testFileReadChecksSizesBeforeAllocating() throws {
        // A header promising 4 TiB in a tiny file: rejected from the file size, nothing allocated.
        let hostile = try NPYHeader(dtype: .float32, shape: [1 << 40]).encoded() + [1, 2, 3, 4]
        let url = directory.appendingPathComponent("hostile.npy")
        try Data(hostile).write(to: url)
        XCTAssertThrowsError(try NPYFile.read(contentsOf: url)) { error in
            XCTAssertEqual(error as? NPYError, .truncatedData(path: url.path, expected: 4 << 40, actual: 4))
        }
        let trailing = try NPYArray(shape: [1], floats: [1]).npyBytes() + [0]
        try Data(trailing).write(to: url)
        XCTAssertThrowsError(try NPYFile.read(contentsOf: url)) { error in
            XCTAssertEqual(error as? NPYError, .trailingData(path: url.path, expected: 4, actual: 5))
        }
        XCTAssertEqual(try NPYFile.readHeader(contentsOf: url).shape, [1])
        XCTAssertThrowsError(try NPYFile.read(contentsOf: directory)) { error in
            XCTAssertEqual(error as? NPYError, .io(path: directory.path, operation: "open", errno: EISDIR))
        }
    }

    // MARK: Streaming

    func testStreamWriterMatchesWholeArrayWrite() throws {
        let inner = [2, 3]
        let url = directory.appendingPathComponent("stream.npy")
        let writer = try NPYStreamWriter(url: url, dtype: .float32, innerShape: inner)
        XCTAssertFalse(FileManager.default.fileExists(atPath: url.path), "nothing under the final name yet")
        var all: [Float] = []
        // Batches of 0, 1 and 3 rows, then a large append that bypasses the buffer.
        for rows in [0, 1, 3, 60_000, 2] {
            let values = (0..<(rows * 6)).map { Float(all.count + $0) * 0.5 }
            try writer.append(floats: values)
            all += values
        }
        XCTAssertEqual(writer.rowCount, 60_006)
        XCTAssertEqual(try writer.finish(), [60_006, 2, 3])
        let expected = try NPYArray(shape: [60_006, 2, 3], floats: all)
        XCTAssertEqual([UInt8](try Data(contentsOf: url)), try expected.npyBytes())
        XCTAssertEqual(try leftovers(), [])
        XCTAssertThrowsError(try writer.append(floats: [1, 2, 3, 4, 5, 6])) { error in
            XCTAssertEqual(error as? NPYError, .writerClosed(path: url.path))
        }
    }

    func testStreamWriterRowsBytesAndOtherDTypes() throws {
        let url = directory.appendingPathComponent("rows.npy")
        let writer = try NPYStreamWriter(url: url, dtype: .int32, innerShape: [2])
        try writer.append(rows: try NPYArray(shape: [2, 2], int32s: [1, 2, 3, 4]))
        let raw: [Int32] = [5, 6]
        try raw.withUnsafeBytes { try writer.append(bytes: $0) }
        XCTAssertThrowsError(try writer.append(rows: try NPYArray(shape: [1, 3], int32s: [1, 2, 3]))) { error in
            XCTAssertEqual(error as? NPYError, .rowShapeMismatch(path: url.path, expectedInner: [2], actual: [1, 3]))
        }
        XCTAssertThrowsError(try writer.append(rows: try NPYArray(shape: [1, 2], floats: [1, 2]))) { error in
            XCTAssertEqual(error as? NPYError, .dtypeMismatch(path: url.path, expected: .int32, actual: .float32))
        }
        XCTAssertThrowsError(try writer.append(floats: [1, 2])) { error in
            XCTAssertEqual(error as? NPYError, .dtypeMismatch(path: url.path, expected: .int32, actual: .float32))
        }
        try writer.finish()
        XCTAssertEqual(try NPYFile.read(contentsOf: url), try NPYArray(shape: [3, 2], int32s: [1, 2, 3, 4, 5, 6]))

        let doubles = directory.appendingPathComponent("doubles.npy")
        let widening = try NPYStreamWriter(url: doubles, dtype: .float64, innerShape: [])
        try widening.append(floats: [0.1, 2])
        let threeBytes: [UInt8] = [1, 2, 3]
        XCTAssertThrowsError(try threeBytes.withUnsafeBytes { try widening.append(bytes: $0) }) { error in
            XCTAssertEqual(error as? NPYError, .partialRowBytes(path: doubles.path, rowBytes: 8, count: 3))
        }
        try widening.finish()
        XCTAssertEqual(try NPYFile.read(contentsOf: doubles).doubles(), [Double(Float(0.1)), 2])
    }

    func testStreamWriterWithNoRows() throws {
        let url = directory.appendingPathComponent("empty.npy")
        let writer = try NPYStreamWriter(url: url, dtype: .uint8, innerShape: [4])
        try writer.finish()
        XCTAssertEqual([UInt8](try Data(contentsOf: url)), try NPYArray(shape: [0, 4], uint8s: []).npyBytes())
    }

    func testStreamWriterPartialRowIsAnError() throws {
        let url = directory.appendingPathComponent("partial.npy")
        let writer = try NPYStreamWriter(url: url, dtype: .float32, innerShape: [3])
        XCTAssertThrowsError(try writer.append(floats: [1, 2])) { error in
            XCTAssertEqual(error as? NPYError, .partialRow(path: url.path, rowElements: 3, count: 2))
        }
        writer.cancel()
        XCTAssertEqual(try leftovers(), [])
        XCTAssertFalse(FileManager.default.fileExists(atPath: url.path))
    }

    func testCancelAndDeinitRemoveTheTemporaryFile() throws {
        let url = directory.appendingPathComponent("cancel.npy")
        // The file being written has no name at all (O_TMPFILE), so nothing is listed even while
        // it is open; with the named fallback there would be one .tmp- file (FileSupportTests).
        let writer = try NPYStreamWriter(url: url, dtype: .float32, innerShape: [1])
        try writer.append(floats: [1, 2, 3])
        XCTAssertEqual(try leftovers().count, 0)
        writer.cancel()
        writer.cancel()
        XCTAssertEqual(try leftovers(), [])
        XCTAssertThrowsError(try writer.finish())

        do {
            let dropped = try NPYStreamWriter(url: url, dtype: .float32, innerShape: [1])
            try dropped.append(floats: [1])
            XCTAssertEqual(try leftovers().count, 0)
        }
        XCTAssertEqual(try leftovers(), [])
        XCTAssertFalse(FileManager.default.fileExists(atPath: url.path))
    }
}
