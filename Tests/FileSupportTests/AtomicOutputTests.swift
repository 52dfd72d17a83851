import CSystemShim
@testable import FileSupport
import Foundation
import XCTest
import _TestSupport

/// `AtomicOutput`, the one atomic writer: nothing appears under the final name until `commit()`,
/// an abandoned output leaves no temporary file, an existing file is replaced only when asked,
/// and `TemporaryFiles` can remove whatever is in flight when the process is interrupted.
final class AtomicOutputTests: XCTestCase {
    var directory: URL!

    override func setUp() { directory = TestSupport.temporaryDirectory() }
    override func tearDown() { try? FileManager.default.removeItem(at: directory) }

    func path(_ name: String) -> String { directory.appendingPathComponent(name).path }
    func listing() -> [String] { ((try? FileManager.default.contentsOfDirectory(atPath: directory.path)) ?? []).sorted() }

    /// Runs `body` with outputs unnamed (O_TMPFILE, the default here) and again with named
    /// temporary files (the fallback where a filesystem lacks O_TMPFILE).
    func withBothStrategies(_ body: (_ unnamed: Bool) throws -> Void) rethrows {
        let saved = AtomicOutput.namedTemporariesOnly
        defer { AtomicOutput.namedTemporariesOnly = saved }
        for named in [false, true] {
            AtomicOutput.namedTemporariesOnly = named
            try body(!named)
            for name in listing() { try? FileManager.default.removeItem(atPath: path(name)) }
        }
    }

    /// A large write from a mapped file (whose pages the writer maps in one call first) copies
    /// it exactly, from an unaligned start; the populate hint itself succeeds on such a mapping.
    func testLargeWriteFromAMappedFile() throws {
        let count = AtomicOutput.populateThreshold * 3 + 12_345
        let bytes = (0..<count).map { UInt8(truncatingIfNeeded: $0 &* 2_654_435_761 >> 13) }
        let source = path("source.bin")
        try Data(bytes).write(to: URL(fileURLWithPath: source))
        let mapping = try MappedFile(path: source)
        XCTAssertEqual(csystem_populate_read(mapping.bytes.baseAddress! + 123, count - 123), 0, "MADV_POPULATE_READ (Linux 5.14+)")
        let output = try AtomicOutput(destination: path("copy.bin"), overwrite: false)
        try output.write(UnsafeRawBufferPointer(rebasing: mapping.bytes[123...]))
        try output.commit()
        XCTAssertEqual(try Data(contentsOf: URL(fileURLWithPath: path("copy.bin"))), Data(bytes[123...]))
    }

    func testAppearsOnlyWhenCommitted() throws {
        try withBothStrategies { unnamed in
            let output = try AtomicOutput(destination: path("out.bin"), overwrite: false)
            XCTAssertEqual(output.isUnnamed, unnamed)
            try output.write([1, 2, 3, 4])
            try output.writeZeros(4)
            try output.write([9, 9], at: 1)
            XCTAssertFalse(FileManager.default.fileExists(atPath: path("out.bin")))
            if unnamed {
                XCTAssertEqual(listing(), [], "no name at all until committed")
                XCTAssertTrue(output.temporaryPath.hasPrefix("/proc/self/fd/"), output.temporaryPath)
            } else {
                XCTAssertTrue(output.temporaryPath.hasPrefix(path("out.bin") + ".tmp-"), output.temporaryPath)
                XCTAssertEqual(listing(), [(output.temporaryPath as NSString).lastPathComponent])
            }
            try output.commit()
            XCTAssertEqual(try Data(contentsOf: URL(fileURLWithPath: path("out.bin"))), Data([1, 9, 9, 4, 0, 0, 0, 0]))
            XCTAssertEqual(listing(), ["out.bin"])
        }
    }

    /// Writes that cross the early-writeback interval several times (uneven pieces, zeros, a
    /// header patched at offset 0 after the data, as `.swm` does) give the same bytes with the
    /// writeback hint on and off.
    func testEarlyWritebackKeepsTheBytes() throws {
        let interval = AtomicOutput.writebackInterval
        var generator = SystemRandomNumberGenerator()
        let piece = (0..<(interval / 3 + 4097)).map { _ in UInt8.random(in: 0...255, using: &generator) }
        try withBothStrategies { _ in
            var expected: [Data] = []
            for writeback in [true, false] {
                let name = "out-\(writeback).bin"
                let output = try AtomicOutput(destination: path(name), overwrite: false)
                output.startsWriteback = writeback
                try output.writeZeros(4096)
                for _ in 0..<8 { try output.write(piece) }
                try output.writeZeros(interval + 5)
                try output.write([7, 7, 7], at: 1)
                try output.commit()
                expected.append(try Data(contentsOf: URL(fileURLWithPath: path(name))))
            }
            XCTAssertEqual(expected[0].count, 4096 + 8 * piece.count + interval + 5)
            XCTAssertEqual(expected[0], expected[1])
            XCTAssertEqual(Array(expected[0][0..<5]), [0, 7, 7, 7, 0])
            XCTAssertEqual(Array(expected[0][4096..<(4096 + piece.count)]), piece)
            XCTAssertEqual(Array(expected[0][(4096 + 7 * piece.count)..<(4096 + 8 * piece.count)]), piece)
        }
    }

    func testTwoWritersOfOneOutputWithoutOverwriteOneWins() throws {
        try withBothStrategies { _ in
            let first = try AtomicOutput(destination: path("same"), overwrite: false)
            let second = try AtomicOutput(destination: path("same"), overwrite: false)
            try first.write([1])
            try second.write([2])
            try first.commit()
            XCTAssertThrowsError(try second.commit()) { error in
                XCTAssertEqual(error as? FileError, .exists(path: self.path("same")))
            }
            XCTAssertEqual(try Data(contentsOf: URL(fileURLWithPath: path("same"))), Data([1]))
            XCTAssertEqual(listing(), ["same"], "the loser leaves nothing")
        }
    }

    func testOverwritingReplacesAtomically() throws {
        try withBothStrategies { _ in
            try Data([7]).write(to: URL(fileURLWithPath: path("replaced")))
            let first = try AtomicOutput(destination: path("replaced"), overwrite: true)
            let second = try AtomicOutput(destination: path("replaced"), overwrite: true)
            try first.write([1])
            try second.write([2])
            try first.commit(durable: false)
            try second.commit(durable: false)
            XCTAssertEqual(try Data(contentsOf: URL(fileURLWithPath: path("replaced"))), Data([2]), "the last commit wins, whole")
            XCTAssertEqual(listing(), ["replaced"])
        }
    }

    func testAGroupCommitsAllOrNone() throws {
        try withBothStrategies { _ in
            try Data([9]).write(to: URL(fileURLWithPath: path("b")))
            let a = try AtomicOutput(destination: path("a"), overwrite: false)
            let b = try AtomicOutput(destination: path("b"), overwrite: true)
            let c = try AtomicOutput(destination: path("c"), overwrite: false)
            try Data([3]).write(to: URL(fileURLWithPath: path("c")))  // appears meanwhile: c must fail
            XCTAssertThrowsError(try AtomicOutput.commit([a, b, c])) { error in
                XCTAssertEqual(error as? FileError, .exists(path: self.path("c")))
            }
            XCTAssertEqual(listing(), ["b", "c"], "a, linked before c failed, is removed again")
            let d = try AtomicOutput(destination: path("d"), overwrite: false)
            let e = try AtomicOutput(destination: path("e"), overwrite: false)
            try d.write([4])
            try e.write([5])
            try AtomicOutput.commit([d, e])
            XCTAssertEqual(listing(), ["b", "c", "d", "e"])
        }
    }

    func testReadOnlyAndVanishedDirectoriesAreCleanErrors() throws {
        try withBothStrategies { _ in
            let folder = path("gone")
            try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
            let output = try AtomicOutput(destination: folder + "/out.bin", overwrite: false)
            try output.write([1, 2, 3])
            try FileManager.default.removeItem(atPath: folder)
            XCTAssertThrowsError(try output.commit()) { error in
                XCTAssertEqual((error as? FileError)?.path, folder + "/out.bin")
            }
            XCTAssertEqual(listing(), [])
        }
    }

    func testPermissions() throws {
        let fixed = try AtomicOutput(destination: path("fixed"), overwrite: false)
        try fixed.commit()
        XCTAssertEqual(try FileManager.default.attributesOfItem(atPath: path("fixed"))[.posixPermissions] as? Int, 0o644)
        let previous = umask(0o027)
        defer { umask(previous) }
        let ordinary = try AtomicOutput(destination: path("ordinary"), overwrite: false, permissions: nil)
        try ordinary.commit()
        XCTAssertEqual(try FileManager.default.attributesOfItem(atPath: path("ordinary"))[.posixPermissions] as? Int, 0o640,
                       "0666 minus the umask, like any new file")
    }

    func testDroppedOrDiscardedLeavesNothing() throws {
        do {
            let output = try AtomicOutput(destination: path("dropped"), overwrite: false)
            try output.write([1])
        }
        let discarded = try AtomicOutput(destination: path("discarded"), overwrite: false)
        try discarded.write([1])
        discarded.discard()
        discarded.discard()  // idempotent
        XCTAssertEqual(listing(), [])
    }

    func testRefusesToOverwriteUnlessAsked() throws {
        try Data([1]).write(to: URL(fileURLWithPath: path("existing")))
        XCTAssertThrowsError(try AtomicOutput(destination: path("existing"), overwrite: false)) { error in
            XCTAssertEqual(error as? FileError, .exists(path: self.path("existing")))
            XCTAssertEqual("\(error)", "\(self.path("existing")): already exists (use --force to overwrite)")
        }
        let output = try AtomicOutput(destination: path("existing"), overwrite: true)
        try output.write([2])
        try output.commit(durable: false)
        XCTAssertEqual(try Data(contentsOf: URL(fileURLWithPath: path("existing"))), Data([2]))
    }

    func testCannotCreateInAMissingFolder() {
        let destination = path("no/such/folder/out.bin")
        XCTAssertThrowsError(try AtomicOutput(destination: destination, overwrite: true)) { error in
            XCTAssertEqual(error as? FileError, .system(path: destination, operation: .create, errno: ENOENT))
            XCTAssertTrue("\(error)".hasSuffix("cannot create a file here: No such file or directory"), "\(error)")
        }
    }

    func testInterruptRemovesWhatIsInFlight() throws {
        // A registry of its own: the shared one belongs to the process.
        let registry = TemporaryFiles()
        let scratch = path("scratch.tmp-abcdef")
        try Data([1]).write(to: URL(fileURLWithPath: scratch))
        registry.register(scratch)
        let ran = ActionLog()
        _ = registry.onInterrupt { ran.append("child stopped") }
        let cancelled = registry.onInterrupt { ran.append("cancelled") }
        registry.cancel(cancelled)
        registry.removeAll()
        XCTAssertEqual(ran.entries, ["child stopped"])
        XCTAssertFalse(FileManager.default.fileExists(atPath: scratch))
        // After an interrupt, a file registered late is removed at once.
        let late = path("late.tmp-abcdef")
        try Data([1]).write(to: URL(fileURLWithPath: late))
        registry.register(late)
        XCTAssertFalse(FileManager.default.fileExists(atPath: late))
        // Created and tracked in one step: one created after the interrupt does not survive it.
        let created = path("created.tmp-abcdef")
        let (fd, _) = registry.create { (open(created, O_WRONLY | O_CREAT | O_EXCL, 0o600), created) }
        XCTAssertGreaterThanOrEqual(fd, 0)
        close(fd)
        XCTAssertFalse(FileManager.default.fileExists(atPath: created))
    }
}

private final class ActionLog: @unchecked Sendable {
    private let lock = NSLock()
    private var list: [String] = []
    func append(_ entry: String) { lock.withLock { list.append(entry) } }
    var entries: [String] { lock.withLock { list } }
}
