import Foundation
import XCTest
@testable import NPY

/// Asks a real NumPy to load what we write. Skipped when no Python with NumPy is found
/// (set `WTOOL_PYTHON` to choose one); the byte-exact comparisons in `NPYFixtureTests` do not
/// depend on it.
final class NPYNumPyInteropTests: XCTestCase {
    static let python: String? = {
        // The reference environment that scripts/setup.sh links (swift test runs in the package
        // root), then the system's Python.
        let venv = FileManager.default.currentDirectoryPath + "/.venv/bin/python"
        var candidates = [venv, "/usr/bin/python3"]
        if let chosen = ProcessInfo.processInfo.environment["WTOOL_PYTHON"] { candidates.insert(chosen, at: 0) }
        return candidates.first { path in
            FileManager.default.isExecutableFile(atPath: path) && (try? run(path, ["-c", "import numpy"])) == ""
        }
    }()

    static func run(_ executable: String, _ arguments: [String]) throws -> String {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        let output = Pipe()
        process.standardOutput = output
        process.standardError = output
        try process.run()
        let data = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        let text = String(decoding: data, as: UTF8.self)
        guard process.terminationStatus == 0 else { throw ProcessFailure(output: text) }
        return text
    }

    struct ProcessFailure: Error, CustomStringConvertible {
        var output: String
        var description: String { "process failed: \(output)" }
    }

    func testNumPyLoadsWhatWeWrite() throws {
        guard let python = Self.python else { throw XCTSkip("no Python with NumPy found") }
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("npy-interop-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }

        var expectations: [String] = []
        for (index, array) in try NPYRoundTripTests.arrays().enumerated() {
            let url = directory.appendingPathComponent("a\(index).npy")
            try array.write(to: url)
            let sum = try array.doubles().reduce(0, +)
            expectations.append([url.path, array.dtype.descr, array.shape.map(String.init).joined(separator: ","), "\(sum)"].joined(separator: "\t"))
        }
        let streamed = directory.appendingPathComponent("streamed.npy")
        let writer = try NPYStreamWriter(url: streamed, dtype: .float32, innerShape: [4])
        for batch in 0..<5 { try writer.append(floats: (0..<8).map { Float(batch * 8 + $0) }) }
        try writer.finish()
        expectations.append([streamed.path, "<f4", "10,4", "780.0"].joined(separator: "\t"))

        let script = """
        import sys, numpy as np
        bad = checked = 0
        for line in sys.stdin.read().splitlines():
            path, descr, shape, total = line.split("\\t")
            a = np.load(path)
            shape = tuple(int(s) for s in shape.split(',')) if shape else ()
            checked += 1
            ok = a.dtype.str == descr and a.shape == shape and np.isclose(a.astype(np.float64).sum(), float(total), rtol=1e-12)
            if not ok:
                bad += 1
                print('MISMATCH', path, a.dtype.str, a.shape, a.astype(np.float64).sum(), descr, shape, total)
        print('checked', checked, 'bad', bad)
        """
        let listing = directory.appendingPathComponent("listing.txt")
        try expectations.joined(separator: "\n").write(to: listing, atomically: true, encoding: .utf8)
        let output = try Self.run("/bin/sh", ["-c", "\"$0\" -c \"$1\" < \"$2\"", python, script, listing.path])
        XCTAssertEqual(output.trimmingCharacters(in: .whitespacesAndNewlines), "checked \(expectations.count) bad 0", output)
    }
}
