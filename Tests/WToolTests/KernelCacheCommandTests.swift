import Foundation
import XCTest
import _TestSupport

/// `--kernel-cache` on the commands that run a model: the first run of a `.swm` stores its
/// Winograd kernels, the next maps them, with byte-identical outputs; `none` writes nothing; a
/// Keras file (imported through a temporary, already unlinked `.swm`) is never cached.
final class KernelCacheCommandTests: CLITestCase {
    func cacheEntries(_ folder: String) -> [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: path(folder))) ?? []).filter { $0.hasSuffix(".wk") }
    }

    func testRunStoresThenReusesTransformedKernels() throws {
        XCTAssertEqual(try wtool("convert", TestSupport.sample("mini/mini.keras3.h5"), "mini.swm", "--quiet").status, 0)
        let photo = TestSupport.sample("photos/chelsea.jpg")
        let none = try wtool("run", "mini.swm", photo, "--conv", "winograd-4x4", "--kernel-cache", "none", "--out", "none.npy")
        XCTAssertEqual(none.status, 0, none.stderr)
        XCTAssertEqual(cacheEntries("kc"), [])

        for name in ["first.npy", "second.npy"] {
            let result = try wtool("run", "mini.swm", photo, "--conv", "winograd-4x4", "--kernel-cache", "kc", "--out", name)
            XCTAssertEqual(result.status, 0, result.stderr)
            // The three 3×3 convolutions, one entry each.
            XCTAssertEqual(cacheEntries("kc").count, 3, name)
        }
        let reference = try Data(contentsOf: directory.appendingPathComponent("none.npy"))
        XCTAssertEqual(try Data(contentsOf: directory.appendingPathComponent("first.npy")), reference)
        XCTAssertEqual(try Data(contentsOf: directory.appendingPathComponent("second.npy")), reference, "mapped from the cache")

        let keras = try wtool("run", TestSupport.sample("mini/mini.keras3.h5"), photo, "--conv", "winograd-4x4",
                              "--kernel-cache", "kc-keras", "--out", "keras.npy")
        XCTAssertEqual(keras.status, 0, keras.stderr)
        XCTAssertEqual(cacheEntries("kc-keras"), [], "the imported model lives in an unlinked file")
        XCTAssertEqual(try Data(contentsOf: directory.appendingPathComponent("keras.npy")), reference)
    }

    /// The finding, as a test: bytes flipped in the largest entry used to change the
    /// numbers silently. Now the entry fails its checksum: it is reported, rebuilt, and the output
    /// is byte-identical to the untampered run's.
    func testATamperedEntryNeverChangesAResult() throws {
        XCTAssertEqual(try wtool("convert", TestSupport.sample("mini/mini.keras3.h5"), "mini.swm", "--quiet").status, 0)
        let photo = TestSupport.sample("photos/chelsea.jpg")
        let first = try wtool("run", "mini.swm", photo, "--conv", "winograd-4x4", "--kernel-cache", "kc", "--out", "first.npy")
        XCTAssertEqual(first.status, 0, first.stderr)
        let mode = try XCTUnwrap(FileManager.default.attributesOfItem(atPath: path("kc"))[.posixPermissions] as? Int)
        XCTAssertEqual(mode, 0o700, "the cache directory is the user's alone")
        XCTAssertEqual(try wtool("check", "--kernel-cache", "kc").status, 0)

        let largest = try XCTUnwrap(cacheEntries("kc").max {
            (try? FileManager.default.attributesOfItem(atPath: path("kc/" + $0))[.size] as? Int) ?? 0
                < (try? FileManager.default.attributesOfItem(atPath: path("kc/" + $1))[.size] as? Int) ?? 0
        })
        let entry = URL(fileURLWithPath: path("kc/" + largest))
        let good = try Data(contentsOf: entry)
        var tampered = good
        let floats = (good.count - 4096) / 4
        for i in 0..<12 { tampered[4096 + (i * 7919 % floats) * 4 + 1] ^= 0x40 }  // 12 bytes across the kernel
        try tampered.write(to: entry)

        let check = try wtool("check", "--kernel-cache", "kc")
        XCTAssertEqual(check.status, 1)
        XCTAssertTrue(check.stderr.contains(largest) && check.stderr.contains("checksum mismatch"), check.stderr)

        let second = try wtool("run", "mini.swm", photo, "--conv", "winograd-4x4", "--kernel-cache", "kc", "--out", "second.npy")
        XCTAssertEqual(second.status, 0, second.stderr)
        XCTAssertTrue(second.stderr.contains("warning: kernel cache entry") && second.stderr.contains(largest), second.stderr)
        XCTAssertEqual(try Data(contentsOf: directory.appendingPathComponent("second.npy")),
                       try Data(contentsOf: directory.appendingPathComponent("first.npy")), "the result is unchanged")
        XCTAssertEqual(try Data(contentsOf: entry), good, "the entry was rebuilt")
        XCTAssertEqual(try wtool("check", "--kernel-cache", "kc").status, 0)
    }

    /// Two processes filling the same (empty) cache at once: both succeed with the same numbers,
    /// and every entry left is complete.
    func testConcurrentProcessesFillingOneCacheAreSafe() throws {
        XCTAssertEqual(try wtool("convert", TestSupport.sample("mini/mini.keras3.h5"), "mini.swm", "--quiet").status, 0)
        let photo = TestSupport.sample("photos/chelsea.jpg")
        for round in 0..<3 {
            try? FileManager.default.removeItem(atPath: path("shared"))
            // Started together, not one after the other through wtool(…).
            let processes = try ["a", "b"].map { name -> Process in
                let process = Process()
                process.executableURL = Self.binary
                process.arguments = ["run", "mini.swm", photo, "--conv", "winograd-4x4", "--kernel-cache", "shared",
                                     "--out", "\(name)\(round).npy", "--force"]
                process.currentDirectoryURL = directory
                process.environment = Self.environment
                process.standardError = FileHandle.nullDevice
                try process.run()
                return process
            }
            for process in processes {
                process.waitUntilExit()
                XCTAssertEqual(process.terminationReason, .exit)
                XCTAssertEqual(process.terminationStatus, 0)
            }
            XCTAssertEqual(try Data(contentsOf: directory.appendingPathComponent("a\(round).npy")),
                           try Data(contentsOf: directory.appendingPathComponent("b\(round).npy")))
            let check = try wtool("check", "--kernel-cache", "shared")
            XCTAssertEqual(check.status, 0, check.stderr)
            XCTAssertEqual(cacheEntries("shared").count, 3)
            XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: path("shared")).count, 3, "no temporary file left")
        }
    }

    func testEmptyKernelCacheIsAUsageError() throws {
        let result = try wtool("run", "mini.swm", TestSupport.sample("photos/chelsea.jpg"), "--kernel-cache", "", "--out", "o.npy")
        XCTAssertNotEqual(result.status, 0)
        XCTAssertTrue(result.stderr.contains("--kernel-cache"), result.stderr)
    }
}

