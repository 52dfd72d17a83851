import Foundation
import XCTest
import _TestSupport

/// Runs the built `wtool` binary as a user would.
class CLITestCase: XCTestCase {
    var directory: URL!

    override func setUp() { directory = TestSupport.temporaryDirectory() }
    override func tearDown() { try? FileManager.default.removeItem(at: directory) }

    func path(_ name: String) -> String { directory.appendingPathComponent(name).path }

    static let binary: URL = {
        // The products of the same build sit beside the test bundle (Linux: the bundle URL is the
        // build folder itself; macOS: the .xctest bundle inside it).
        let bundle = Bundle(for: CLITestCase.self).bundleURL
        let candidates = [bundle.appendingPathComponent("wtool"), bundle.deletingLastPathComponent().appendingPathComponent("wtool")]
        return candidates.first { FileManager.default.isExecutableFile(atPath: $0.path) } ?? candidates[0]
    }()

    /// The environment wtool runs in: this one, with the kernel cache in a folder of this test
    /// process's own rather than the user's ~/.cache.
    static let environment: [String: String] = {
        var environment = ProcessInfo.processInfo.environment
        environment["WTOOL_KERNEL_CACHE"] = FileManager.default.temporaryDirectory
            .appendingPathComponent("wtool-test-kernels-\(getpid())").path
        return environment
    }()

    override class func tearDown() {
        if let folder = environment["WTOOL_KERNEL_CACHE"] { try? FileManager.default.removeItem(atPath: folder) }
        super.tearDown()
    }

    /// Variables added to (or replacing) the environment of the next `wtool` runs of this test.
    var extraEnvironment: [String: String] = [:]

    struct Result {
        var status: Int32
        var stdout: String
        var stderr: String
    }

    @discardableResult
    func wtool(_ arguments: String..., file: StaticString = #filePath, line: UInt = #line) throws -> Result {
        try wtool(arguments, file: file, line: line)
    }

    func wtool(_ arguments: [String], file: StaticString = #filePath, line: UInt = #line) throws -> Result {
        XCTAssertTrue(FileManager.default.isExecutableFile(atPath: Self.binary.path), "build wtool first: \(Self.binary.path)",
                      file: file, line: line)
        let process = Process()
        process.executableURL = Self.binary
        process.arguments = arguments
        process.currentDirectoryURL = directory
        process.environment = Self.environment.merging(extraEnvironment) { $1 }
        let out = Pipe(), err = Pipe()
        process.standardOutput = out
        process.standardError = err
        try process.run()
        let stdout = out.fileHandleForReading.readDataToEndOfFile()
        let stderr = err.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        XCTAssertEqual(process.terminationReason, .exit, "wtool died from a signal", file: file, line: line)
        return Result(status: process.terminationStatus, stdout: String(decoding: stdout, as: UTF8.self),
                      stderr: String(decoding: stderr, as: UTF8.self))
    }

    /// A failed command: non-zero exit, exactly one `error: <file>: …` line, nothing on stdout.
    func assertCleanFailure(_ result: Result, mentions: String, file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertNotEqual(result.status, 0, file: file, line: line)
        let lines = result.stderr.split(separator: "\n")
        XCTAssertEqual(lines.count, 1, "expected one line, got: \(result.stderr)", file: file, line: line)
        XCTAssertTrue(result.stderr.hasPrefix("error: "), result.stderr, file: file, line: line)
        XCTAssertTrue(result.stderr.contains(mentions), "'\(result.stderr)' should mention \(mentions)", file: file, line: line)
    }

    func directoryListing() -> [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: directory.path)) ?? []).sorted()
    }
}
