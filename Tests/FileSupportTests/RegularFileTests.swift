import FileSupport
import Foundation
import XCTest
import _TestSupport

/// `RegularFile`: the one safe open. Regular files are read; a FIFO with no writer is refused at
/// once (never waited on), as are directories and devices; sizes are capped before anything is
/// allocated; `MappedFile` maps through it.
final class RegularFileTests: XCTestCase {
    var directory: URL!

    override func setUp() { directory = TestSupport.temporaryDirectory() }
    override func tearDown() { try? FileManager.default.removeItem(at: directory) }

    func path(_ name: String) -> String { directory.appendingPathComponent(name).path }

    func write(_ bytes: [UInt8], to name: String) throws -> String {
        try Data(bytes).write(to: URL(fileURLWithPath: path(name)))
        return path(name)
    }

    func testReadsPrefixesRangesAndTheWholeFile() throws {
        let bytes = (0..<100).map { UInt8($0) }
        let file = try RegularFile(path: try write(bytes, to: "data.bin"))
        XCTAssertEqual(file.size, 100)
        XCTAssertEqual(try file.readPrefix(4), [0, 1, 2, 3])
        XCTAssertEqual(try file.readPrefix(1000), bytes, "a prefix longer than the file is the whole file")
        XCTAssertEqual(try file.read(at: 98, count: 10), [98, 99], "fewer bytes only where the file ends")
        XCTAssertEqual(try file.read(at: 200, count: 10), [])
        XCTAssertEqual(try file.read(at: 0, count: 0), [])
        XCTAssertEqual(try file.readAll(), bytes)
        XCTAssertEqual(try file.readAll(limit: 100), bytes)
    }

    func testSizeLimitIsCheckedBeforeReading() throws {
        let file = try RegularFile(path: try write([UInt8](repeating: 7, count: 64), to: "big.bin"))
        XCTAssertThrowsError(try file.readAll(limit: 63)) { error in
            XCTAssertEqual(error as? FileError, .tooLarge(path: file.path, size: 64, limit: 63))
        }
    }

    func testEmptyFilesOpen() throws {
        let file = try RegularFile(path: try write([], to: "empty.bin"))
        XCTAssertEqual(file.size, 0)
        XCTAssertEqual(try file.readAll(), [])
        XCTAssertEqual(try MappedFile(file: file).bytes.count, 0)
    }

    func testMissingFileIsAnOpenError() {
        XCTAssertThrowsError(try RegularFile(path: path("missing"))) { error in
            XCTAssertEqual(error as? FileError, .system(path: self.path("missing"), operation: .open, errno: ENOENT))
            XCTAssertEqual("\(error)", "\(self.path("missing")): No such file or directory")
        }
    }

    func testDirectoriesAreRefused() {
        XCTAssertThrowsError(try RegularFile(path: directory.path)) { error in
            XCTAssertEqual(error as? FileError, .notRegularFile(path: self.directory.path, isDirectory: true))
        }
        XCTAssertThrowsError(try MappedFile(path: directory.path)) { error in
            XCTAssertEqual((error as? FileError)?.detail, "not a regular file")
        }
    }

    func testAFIFOWithNoWriterIsRefusedAtOnce() throws {
        XCTAssertEqual(mkfifo(path("fifo"), 0o644), 0)
        let start = Date()
        XCTAssertThrowsError(try RegularFile(path: path("fifo"))) { error in
            XCTAssertEqual(error as? FileError, .notRegularFile(path: self.path("fifo"), isDirectory: false))
        }
        XCTAssertLessThan(Date().timeIntervalSince(start), 5, "the open must not wait for a writer")
    }

    func testDevicesAreRefused() {
        XCTAssertThrowsError(try RegularFile(path: "/dev/zero")) { error in
            XCTAssertEqual(error as? FileError, .notRegularFile(path: "/dev/zero", isDirectory: false))
        }
    }

    func testMappedFileViewsTheFileAndNamesItsSource() throws {
        let bytes = (0..<4096).map { UInt8(truncatingIfNeeded: $0 * 7) }
        let name = try write(bytes, to: "mapped.bin")
        let file = try MappedFile(path: name)
        XCTAssertEqual(Array(file.bytes), bytes)
        let base = try XCTUnwrap(file.bytes.baseAddress)
        let identity = try XCTUnwrap(file.sourceIdentity(of: base + 64))
        XCTAssertTrue(identity.hasSuffix("@64"), identity)
        XCTAssertNil(file.sourceIdentity(of: base + 4096), "outside the mapping")
        // Replaced under the same name: the mapping no longer names what the path holds.
        try FileManager.default.removeItem(atPath: name)
        _ = try write(bytes, to: "mapped.bin")
        XCTAssertNil(file.sourceIdentity(of: base))
        XCTAssertEqual(Array(file.bytes), bytes, "the mapping itself stays valid")
    }

    func testOpensAreCountedWhileRecording() throws {
        let name = try write([1, 2, 3], to: "counted.bin")
        _ = try RegularFile(path: name)   // not recording: not counted
        let counts = try Diagnostics.recording {
            _ = try RegularFile(path: name)
            _ = try MappedFile(path: name)
        }
        XCTAssertEqual(counts.count("open", name), 2)
        XCTAssertEqual(counts.total("open"), 2)
    }
}
