import FileSupport
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

    func testAnUnwritableDirectoryIsIgnored() throws {
        let file = directory.appendingPathComponent("a-file")
        try Data([1]).write(to: file)
        let cache = DiskKernelCache(directory: file.appendingPathComponent("kernels").path)
        store(cache, "k", [1])   // cannot create the directory: no error, no entry
        XCTAssertNil(cache.load(key: "k", count: 1))
    }
}
