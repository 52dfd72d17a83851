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

    func testAppearsOnlyWhenCommitted() throws {
        let output = try AtomicOutput(destination: path("out.bin"), overwrite: false)
        try output.write([1, 2, 3, 4])
        try output.writeZeros(4)
        try output.write([9, 9], at: 1)
        XCTAssertFalse(FileManager.default.fileExists(atPath: path("out.bin")))
        XCTAssertTrue(output.temporaryPath.hasPrefix(path("out.bin") + ".tmp-"), output.temporaryPath)
        XCTAssertEqual(listing(), [(output.temporaryPath as NSString).lastPathComponent])
        try output.commit()
        XCTAssertEqual(try Data(contentsOf: URL(fileURLWithPath: path("out.bin"))), Data([1, 9, 9, 4, 0, 0, 0, 0]))
        XCTAssertEqual(listing(), ["out.bin"])
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
