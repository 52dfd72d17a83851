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

    func testEmptyKernelCacheIsAUsageError() throws {
        let result = try wtool("run", "mini.swm", TestSupport.sample("photos/chelsea.jpg"), "--kernel-cache", "", "--out", "o.npy")
        XCTAssertNotEqual(result.status, 0)
        XCTAssertTrue(result.stderr.contains("--kernel-cache"), result.stderr)
    }
}
