@testable import FileSupport
import Foundation
import XCTest
import _TestSupport

/// `DiskKernelCache`, the `.wk` store: an entry round-trips as a zero-copy mapping; anything that
/// does not match what a load asks for (size, magic, version, key, count) is a miss; the
/// directory stays within its capacity, least recently used first.
final class DiskKernelCacheTests: XCTestCase {
    var directory: URL!
    var cacheDirectory: String { directory.appendingPathComponent("kernels").path }

    override func setUp() { directory = TestSupport.temporaryDirectory() }
    override func tearDown() { try? FileManager.default.removeItem(at: directory) }

    func entries() -> [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: cacheDirectory)) ?? []).filter { $0.hasSuffix(".wk") }.sorted()
    }

    func store(_ cache: DiskKernelCache, _ key: String, _ floats: [Float]) {
        floats.withUnsafeBufferPointer { cache.store(key: key, floats: $0) }
    }

    func testRoundTripIsAMappedView() throws {
        let cache = DiskKernelCache(directory: cacheDirectory)
        XCTAssertNil(cache.load(key: "k", count: 3), "a miss before the directory exists")
        store(cache, "k", [1, 2.5, -3])
        XCTAssertEqual(entries().count, 1)
        let (floats, owner) = try XCTUnwrap(cache.load(key: "k", count: 3))
        XCTAssertTrue(owner is MappedFile)
        XCTAssertEqual(withExtendedLifetime(owner) { Array(floats) }, [1, 2.5, -3])
        let base = try XCTUnwrap(floats.baseAddress)
        XCTAssertEqual(Int(bitPattern: base) % 4096, 0, "the floats start on a page of their own")
        XCTAssertNil(cache.load(key: "k", count: 2), "a count that does not match is a miss")
        XCTAssertNil(cache.load(key: "other", count: 3))
    }

    func testDamagedEntriesAreMissesAndGetReplaced() throws {
        let cache = DiskKernelCache(directory: cacheDirectory)
        store(cache, "kernel key", [Float](repeating: 0.5, count: 16))
        let entry = URL(fileURLWithPath: cacheDirectory).appendingPathComponent(try XCTUnwrap(entries().first))
        let good = try Data(contentsOf: entry)
        var wrongKey = good
        wrongKey[30] ^= 0x20   // a byte of the key
        var wrongVersion = good
        wrongVersion[8] ^= 0x01
        for damaged in [good.prefix(good.count - 4), wrongKey, wrongVersion, Data(repeating: 0, count: good.count), Data()] {
            try damaged.write(to: entry)
            XCTAssertNil(cache.load(key: "kernel key", count: 16), "\(damaged.count) bytes")
            store(cache, "kernel key", [Float](repeating: 0.5, count: 16))
            XCTAssertEqual(try Data(contentsOf: entry), good, "the entry was rewritten")
        }
    }

    func testPruneKeepsTheMostRecentlyUsedWithinCapacity() throws {
        var cache = DiskKernelCache(directory: cacheDirectory)
        let floats = [Float](repeating: 1, count: 1024)   // 4096 + 4096 bytes an entry
        for key in ["a", "b", "c"] {
            store(cache, key, floats)
            usleep(10_000)   // distinct modification times
        }
        XCTAssertNotNil(cache.load(key: "a", count: 1024), "and now the most recently used")
        cache = DiskKernelCache(directory: cacheDirectory, capacity: 2 * 8192)
        cache.prune()
        XCTAssertNotNil(cache.load(key: "a", count: 1024))
        XCTAssertNil(cache.load(key: "b", count: 1024), "least recently used: removed")
        XCTAssertNotNil(cache.load(key: "c", count: 1024))
        XCTAssertNil(cache.load(key: "c", count: 1023), "a count that does not match is a miss")
    }

    /// Stores keep the directory within capacity by themselves: the first store scans the directory,
    /// later ones count what they add and scan again only past the capacity.
    func testStoresPruneOncePastCapacity() throws {
        let cache = DiskKernelCache(directory: cacheDirectory, capacity: 2 * 8192)
        let floats = [Float](repeating: 1, count: 1024)   // 8192 bytes an entry
        for key in ["a", "b", "c", "d", "e"] {
            store(cache, key, floats)
            usleep(10_000)
            XCTAssertLessThanOrEqual(try entries().count, 2, "after storing \(key)")
        }
        XCTAssertNotNil(cache.load(key: "e", count: 1024), "the newest is kept")
        XCTAssertNil(cache.load(key: "a", count: 1024))
    }

    /// Collects the cache's warnings.
    final class Warnings: @unchecked Sendable {
        private let lock = NSLock()
        private var lines: [String] = []
        func add(_ line: String) { lock.withLock { lines.append(line) } }
        var all: [String] { lock.withLock { lines } }
    }

    func entryPath() throws -> String {
        (cacheDirectory as NSString).appendingPathComponent(try XCTUnwrap(entries().first))
    }

    func testTheDirectoryIsCreatedForTheUserAlone() throws {
        let previous = umask(0)
        defer { umask(previous) }
        store(DiskKernelCache(directory: cacheDirectory), "k", [1, 2])
        for folder in [cacheDirectory, directory.path + "/kernels"] {
            let mode = try XCTUnwrap(FileManager.default.attributesOfItem(atPath: folder)[.posixPermissions] as? Int)
            XCTAssertEqual(mode, 0o700, folder)
        }
        let entryMode = try XCTUnwrap(FileManager.default.attributesOfItem(atPath: try entryPath())[.posixPermissions] as? Int)
        XCTAssertEqual(entryMode, 0o600)
    }

    func testFlippedBytesInTheFloatsAreCaughtReportedAndReplaced() throws {
        let warnings = Warnings()
        let cache = DiskKernelCache(directory: cacheDirectory, warn: warnings.add)
        let floats = (0..<5000).map { Float($0) * 0.25 }
        store(cache, "kernel key", floats)
        let entry = try entryPath()
        let good = try Data(contentsOf: URL(fileURLWithPath: entry))
        var tampered = good
        for i in 0..<12 { tampered[DiskKernelCache.dataOffset + 1000 + i * 1111] ^= 0x5A }  // 12 bytes, spread out
        try tampered.write(to: URL(fileURLWithPath: entry))
        XCTAssertNil(cache.load(key: "kernel key", count: floats.count), "a damaged entry is never used")
        XCTAssertFalse(FileManager.default.fileExists(atPath: entry), "and removed")
        XCTAssertEqual(warnings.all.count, 1)
        XCTAssertTrue(warnings.all.first?.contains("checksum mismatch") ?? false, "\(warnings.all)")
        XCTAssertTrue(warnings.all.first?.contains(entry) ?? false, "names the entry")
        store(cache, "kernel key", floats)
        XCTAssertEqual(try Data(contentsOf: URL(fileURLWithPath: entry)), good, "rebuilt")
        let (loaded, owner) = try XCTUnwrap(cache.load(key: "kernel key", count: floats.count))
        XCTAssertEqual(withExtendedLifetime(owner) { Array(loaded) }, floats)
    }

    func testEntriesOthersCouldWriteAreNeverUsed() throws {
        let warnings = Warnings()
        let cache = DiskKernelCache(directory: cacheDirectory, warn: warnings.add)
        store(cache, "k", [1, 2, 3])
        let entry = try entryPath()
        chmod(entry, 0o666)
        XCTAssertNil(cache.load(key: "k", count: 3))
        XCTAssertTrue(warnings.all.last?.contains("writable by group or others") ?? false, "\(warnings.all)")
        XCTAssertFalse(FileManager.default.fileExists(atPath: entry))

        // A symbolic link in place of an entry, even to a good entry, is refused.
        store(cache, "k", [1, 2, 3])
        try FileManager.default.moveItem(atPath: entry, toPath: directory.appendingPathComponent("elsewhere.wk").path)
        try FileManager.default.createSymbolicLink(atPath: entry, withDestinationPath: directory.appendingPathComponent("elsewhere.wk").path)
        XCTAssertNil(cache.load(key: "k", count: 3))
        let report = try cache.verify()
        XCTAssertEqual(report.damaged.map(\.detail), ["a symbolic link"])
    }

    func testADirectoryOthersCanWriteIsNotUsedAndWarnedOnce() throws {
        let warnings = Warnings()
        let cache = DiskKernelCache(directory: cacheDirectory, warn: warnings.add)
        store(cache, "k", [1])
        chmod(cacheDirectory, 0o777)
        XCTAssertNil(cache.load(key: "k", count: 1))
        XCTAssertNil(cache.load(key: "k", count: 1))
        store(cache, "other", [2])
        XCTAssertEqual(warnings.all.count, 1, "\(warnings.all)")
        XCTAssertTrue(warnings.all[0].contains("writable by group or others"), warnings.all[0])
        XCTAssertEqual(entries().count, 1, "nothing stored there either")
        XCTAssertNotNil(try cache.verify().directoryProblem)
    }

    func testVerifyReportsEachBadEntry() throws {
        let cache = DiskKernelCache(directory: cacheDirectory)
        for key in ["a", "b", "c", "d"] { store(cache, key, [Float](repeating: 1, count: 100)) }
        var report = try cache.verify()
        XCTAssertTrue(report.isClean)
        XCTAssertEqual(report.good, 4)
        let paths = entries().map { (cacheDirectory as NSString).appendingPathComponent($0) }
        var bytes = try Data(contentsOf: URL(fileURLWithPath: paths[0]))
        bytes[DiskKernelCache.dataOffset + 7] ^= 1
        try bytes.write(to: URL(fileURLWithPath: paths[0]))
        try Data(bytes.prefix(5000)).write(to: URL(fileURLWithPath: paths[1]))
        bytes = try Data(contentsOf: URL(fileURLWithPath: paths[2]))
        bytes[8] = 1  // version 1: stale, not damaged
        try bytes.write(to: URL(fileURLWithPath: paths[2]))
        report = try cache.verify()
        XCTAssertEqual(report.good, 1)
        XCTAssertEqual(report.stale, 1)
        XCTAssertEqual(report.damaged.map(\.path), [paths[0], paths[1]])
        XCTAssertFalse(report.isClean)
    }

    func testAnUnwritableDirectoryIsIgnored() throws {
        let file = directory.appendingPathComponent("a-file")
        try Data([1]).write(to: file)
        let cache = DiskKernelCache(directory: file.appendingPathComponent("kernels").path)
        store(cache, "k", [1])   // cannot create the directory: no error, no entry
        XCTAssertNil(cache.load(key: "k", count: 1))
    }
}
