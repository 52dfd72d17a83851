import Foundation
import ModelIR
import SWMFormat
import XCTest
import _TestSupport

/// Issue #7: an interrupted wtool leaves no partial output, and hostile inputs that used to hang
/// or crash it fail with one line. (The full corruption corpus runs in CI: scripts/corpus_check.py.)
final class InterruptAndHostileInputTests: CLITestCase {
    /// Starts wtool without waiting for it.
    func start(_ arguments: [String]) throws -> (Process, Pipe) {
        let process = Process()
        process.executableURL = Self.binary
        process.arguments = arguments
        process.currentDirectoryURL = directory
        process.environment = Self.environment
        let err = Pipe()
        process.standardError = err
        process.standardOutput = FileHandle.nullDevice
        try process.run()
        return (process, err)
    }

    /// Waits until `process` (or, with `child`, its isolated import child) has `count` outputs in
    /// flight in `folder`: unnamed files (`O_TMPFILE`, seen in /proc/PID/fd as `#inode
    /// (deleted)`) or named `*.tmp-*` ones. Returns what it saw.
    func waitForTemporaryFile(in folder: URL, process: Process, count: Int = 1, child: Bool = false,
                              timeout: TimeInterval = 120) -> [String] {
        let deadline = Date().addingTimeInterval(timeout)
        let here = folder.resolvingSymlinksInPath().path + "/"
        while Date() < deadline, process.isRunning {
            let pids = child ? importChildren() : [String(process.processIdentifier)]
            var open: [String] = []
            for pid in pids {
                for fd in (try? FileManager.default.contentsOfDirectory(atPath: "/proc/\(pid)/fd")) ?? [] {
                    guard let target = try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/\(pid)/fd/\(fd)"),
                          target.hasPrefix(here) else { continue }
                    if target.hasSuffix(" (deleted)") || target.contains(".tmp-") { open.append(target) }
                }
            }
            if open.count >= count { return open }
            usleep(2000)
        }
        return []
    }

    /// A .swm with one Dense layer of `inputs × units` float32 weights (256 MB by default): big
    /// enough that converting it takes a while.
    func writeBigModel(_ name: String, inputs: Int = 8192, units: Int = 8192) throws -> String {
        try Self.bigModel(in: self, name, inputs: inputs, units: units)
    }

    /// ``writeBigModel(_:inputs:units:)`` for any CLI test.
    static func bigModel(in test: CLITestCase, _ name: String, inputs: Int = 8192, units: Int = 8192) throws -> String {
        let kernel = TensorData(byteCount: inputs * units * 4) { raw in
            let floats = raw.bindMemory(to: Float.self)
            for i in stride(from: 0, to: floats.count, by: 1021) { floats[i] = Float(i % 97) / 97 }
        }
        let graph = Graph(
            name: "big", inputs: [TensorInfo(name: "x", shape: [-1, inputs])], outputs: ["dense"],
            nodes: [Node(name: "dense", op: .linear(.dense(DenseAttributes(units: units))), inputs: ["x", "dense/kernel"])],
            weights: ["dense/kernel": Weight(info: TensorInfo(name: "dense/kernel", shape: [inputs, units], layout: .io), data: kernel)],
            metadata: Metadata(sourceFormat: "test"))
        let path = test.path(name)
        try SWMWriter().write(graph, to: path)
        return path
    }

    func testSIGINTDuringFeaturesRemovesBothTemporaryOutputs() throws {
        XCTAssertEqual(try wtool("convert", TestSupport.sample("mini/mini.keras3.h5"), "mini.swm", "--quiet").status, 0)
        // 2 × 60 photos run at 256×256: seconds of work, so the signal lands mid-run.
        let dataset = directory.appendingPathComponent("data")
        for (folder, photo) in [("cats", "chelsea.jpg"), ("rockets", "rocket.jpg")] {
            let classFolder = dataset.appendingPathComponent(folder)
            try FileManager.default.createDirectory(at: classFolder, withIntermediateDirectories: true)
            for i in 0..<60 {
                try FileManager.default.copyItem(atPath: TestSupport.sample("photos/\(photo)"),
                                                 toPath: classFolder.appendingPathComponent("\(i).jpg").path)
            }
        }
        let (process, _) = try start(["features", "mini.swm", "data", "--out", "f.npy", "--labels", "l.npy",
                                      "--size", "256,256", "--quiet"])
        let temporary = waitForTemporaryFile(in: directory, process: process, count: 2)
        XCTAssertEqual(temporary.count, 2, "features streams both outputs to unnamed files: \(temporary)")
        kill(process.processIdentifier, SIGINT)
        process.waitUntilExit()
        XCTAssertEqual(process.terminationReason, .exit)
        XCTAssertEqual(process.terminationStatus, 130, "128 + SIGINT")
        XCTAssertEqual(directoryListing(), ["data", "mini.swm"], "no output and no temporary file is left")
    }

    func testSIGTERMDuringConvertRemovesTheTemporaryOutput() throws {
        _ = try writeBigModel("big.swm")
        let (process, _) = try start(["convert", "big.swm", "small.swm", "--dtype", "f16", "--quiet"])
        let temporary = waitForTemporaryFile(in: directory, process: process)
        XCTAssertEqual(temporary.count, 1, "convert writes an unnamed file first: \(temporary)")
        kill(process.processIdentifier, SIGTERM)
        process.waitUntilExit()
        XCTAssertEqual(process.terminationReason, .exit)
        XCTAssertEqual(process.terminationStatus, 143, "128 + SIGTERM")
        XCTAssertEqual(directoryListing(), ["big.swm"])
    }

    func testSIGTERMDuringIsolatedImportStopsTheChildAndRemovesItsFile() throws {
        // A big Keras .h5 (written by wtool itself), so the isolated child is busy for a while.
        _ = try writeBigModel("big.swm")
        XCTAssertEqual(try wtool("convert", "big.swm", "big.h5", "--quiet").status, 0)
        try FileManager.default.removeItem(atPath: path("big.swm"))
        let (process, _) = try start(["convert", "big.h5", "out.swm", "--quiet"])
        // The child (`wtool _import`) writes out.swm unnamed.
        let temporary = waitForTemporaryFile(in: directory, process: process, child: true)
        XCTAssertEqual(temporary.count, 1, "the child writes out.swm: \(temporary)")
        kill(process.processIdentifier, SIGTERM)
        process.waitUntilExit()
        XCTAssertEqual(process.terminationStatus, 143)
        // The parent killed the child before removing its file: nothing can appear afterwards.
        usleep(300_000)
        XCTAssertEqual(directoryListing(), ["big.h5"])
        XCTAssertEqual(importChildren(), [], "the isolated child was stopped")
    }

    /// Pids of `wtool _import` processes working in this test's folder (from /proc).
    func importChildren() -> [String] {
        let pids = (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []
        let here = directory.resolvingSymlinksInPath().path
        return pids.filter { pid in
            guard Int(pid) != nil,
                  let cmdline = try? Data(contentsOf: URL(fileURLWithPath: "/proc/\(pid)/cmdline")),
                  let cwd = try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/\(pid)/cwd") else { return false }
            return cmdline.split(separator: 0).contains(Data("_import".utf8)) && cwd == here
        }
    }

    func testAFIFOIsRefusedInsteadOfWaitedOn() throws {
        for name in ["fifo.swm", "fifo.h5", "fifo.onnx"] {
            XCTAssertEqual(mkfifo(path(name), 0o644), 0)
            let started = Date()
            assertCleanFailure(try wtool("summary", name), mentions: "\(name): is not a regular file")
            XCTAssertLessThan(Date().timeIntervalSince(started), 20)
        }
    }

    func testANonUTF8FileNameGetsAClearMessage() throws {
        // A Latin-1 "café.swm" (byte E9) holding a sound model. Process takes arguments as Swift
        // Strings, so the raw bytes go through /bin/sh's printf.
        XCTAssertEqual(try wtool("convert", TestSupport.sample("mini/mini.keras3.h5"), "m.swm", "--quiet").status, 0)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/bin/sh")
        process.arguments = ["-c", "name=$(printf 'caf\\351.swm'); mv m.swm \"$name\" && \"$0\" summary \"$name\"", Self.binary.path]
        process.currentDirectoryURL = directory
        let err = Pipe()
        process.standardError = err
        try process.run()
        let stderr = String(decoding: err.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        XCTAssertEqual(process.terminationStatus, 1)
        XCTAssertEqual(stderr.split(separator: "\n").count, 1, stderr)
        XCTAssertTrue(stderr.hasPrefix("error: caf\u{FFFD}.swm: the name is not valid UTF-8"), stderr)
    }

    func testConvertRefusesASWMWhoseTensorFailsItsChecksum() throws {
        XCTAssertEqual(try wtool("convert", TestSupport.sample("mini/mini.keras3.h5"), "m.swm", "--quiet").status, 0)
        var bytes = try Data(contentsOf: URL(fileURLWithPath: path("m.swm")))
        let file = try SWMFile(path: path("m.swm"))
        let bias = try XCTUnwrap(file.tensors.first { $0.name == "block1_conv2/bias" })
        bytes[bias.fileOffset + 5] ^= 0x10
        try bytes.write(to: URL(fileURLWithPath: path("damaged.swm")))
        for output in ["out.swm", "out.onnx", "out.h5"] {
            assertCleanFailure(try wtool("convert", "damaged.swm", output), mentions: "tensor 'block1_conv2/bias' fails its checksum")
        }
        assertCleanFailure(try wtool("check", "damaged.swm"), mentions: "tensor 'block1_conv2/bias' fails its checksum")
        XCTAssertEqual(directoryListing(), ["damaged.swm", "m.swm"])
    }

    func testAModelInputTooLargeToRunIsRefusedNamingTheModel() throws {
        XCTAssertEqual(try wtool("convert", TestSupport.sample("mini/mini.keras3.h5"), "m.swm", "--quiet").status, 0)
        let file = try SWMFile(path: path("m.swm"))
        var graph = try file.graph()
        graph.inputs[0].shape = [-1, 1_000_000, 1_000_000, 3]
        try SWMWriter().write(graph, to: path("huge-input.swm"))
        XCTAssertEqual(try wtool("summary", "huge-input.swm").status, 0, "the graph itself is valid")
        assertCleanFailure(try wtool("run", "huge-input.swm", TestSupport.sample("photos/rocket.jpg"), "--out", "o.npy"),
                           mentions: "huge-input.swm: the model's input is 1000000x1000000 pixels")
        XCTAssertFalse(directoryListing().contains("o.npy"))
    }
}
