import FileSupport
import Foundation
import XCTest

/// cgroup v2's `memory.max`: a byte count, or "max" for no limit.
final class MemoryLimitTests: XCTestCase {
    func testParse() {
        XCTAssertEqual(MemoryLimit.parse("1073741824\n"), 1 << 30)
        XCTAssertNil(MemoryLimit.parse("max\n"))
        XCTAssertNil(MemoryLimit.parse(""))
        XCTAssertNil(MemoryLimit.parse("0"))
        XCTAssertNil(MemoryLimit.parse("lots"))
    }

    func testReadsTheFileOrNothing() throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("wtool-memory.max-\(UUID().uuidString)").path
        try "536870912\n".write(toFile: path, atomically: true, encoding: .utf8)
        defer { unlink(path) }
        XCTAssertEqual(MemoryLimit.cgroupBytes(path: path), 512 << 20)
        XCTAssertNil(MemoryLimit.cgroupBytes(path: path + ".missing"))
    }
}
