import Foundation
import XCTest
import _TestSupport

/// Issue #18: the machine failing under wtool. A SIGKILLed command leaves nothing and its
/// isolated child dies with it; two writers of one output cannot both win; `features --resume`
/// continues a killed run to the same bytes an uninterrupted run writes. (The full matrix —
/// ENOSPC, read-only and vanished folders, truncated sources, kills at spread-out moments — is
/// scripts/fault_injection.py, run in CI.)
final class FaultTests: CLITestCase {
    func start(_ arguments: [String], environment extra: [String: String] = [:]) throws -> (Process, Pipe) {
        let process = Process()
        process.executableURL = Self.binary
        process.arguments = arguments
        process.currentDirectoryURL = directory
        process.environment = Self.environment.merging(extra) { $1 }
        let err = Pipe()
        process.standardError = err
        process.standardOutput = FileHandle.nullDevice
        try process.run()
        return (process, err)
    }

    /// Pids whose command line holds `_import` and whose parent is `parent`.
    func children(of parent: Int32) -> [Int32] {
        ((try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []).compactMap { Int32($0) }.filter { pid in
            guard let status = try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8) else { return false }
            return status.split(separator: "\n").contains { $0.hasPrefix("PPid:") && $0.split(separator: "\t").last.map(String.init) == "\(parent)" }
        }
    }

    func makeDataset(images: Int) throws {
        for (folder, photo) in [("cats", "chelsea.jpg"), ("rockets", "rocket.jpg")] {
            let classFolder = directory.appendingPathComponent("data/\(folder)")
            try FileManager.default.createDirectory(at: classFolder, withIntermediateDirectories: true)
            for i in 0..<images {
                try FileManager.default.copyItem(atPath: TestSupport.sample("photos/\(photo)"),
                                                 toPath: classFolder.appendingPathComponent(String(format: "%03d.jpg", i)).path)
            }
        }
    }

    func testSIGKILLDuringAnIsolatedImportKillsTheChildAndLeavesNothing() throws {
        // A Keras .h5 big enough that the child is still busy when the parent dies.
        XCTAssertEqual(try wtool("convert", TestSupport.sample("mini/mini.keras3.h5"), "mini.swm", "--quiet").status, 0)
        let model = try InterruptAndHostileInputTests.bigModel(in: self, "big.swm")
        XCTAssertEqual(try wtool("convert", model, "big.h5", "--quiet").status, 0)
        let (process, _) = try start(["convert", "big.h5", "out.swm", "--quiet"])
        var child: [Int32] = []
        let deadline = Date().addingTimeInterval(60)
        while child.isEmpty, Date() < deadline, process.isRunning {
            child = children(of: process.processIdentifier)
            usleep(1000)
        }
        XCTAssertEqual(child.count, 1, "the isolated child started")
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
        // PR_SET_PDEATHSIG: the kernel kills the child too; before, it went on to write out.swm.
        let gone = Date().addingTimeInterval(5)
        while let pid = child.first, kill(pid, 0) == 0, Date() < gone { usleep(10_000) }
        XCTAssertFalse(child.contains { kill($0, 0) == 0 && (try? String(contentsOfFile: "/proc/\($0)/cmdline", encoding: .utf8))?.contains("_import") == true },
                       "the child died with its parent")
        sleep(1)
        XCTAssertFalse(directoryListing().contains { $0.hasPrefix("out.swm") }, "\(directoryListing())")
    }

    func testTwoConvertsToOneOutputCannotBothWin() throws {
        let model = try InterruptAndHostileInputTests.bigModel(in: self, "big.swm", inputs: 2048, units: 2048)
        let runs = try (0..<2).map { _ in try start(["convert", model, "same.swm", "--dtype", "f16", "--quiet"]) }
        var statuses: [Int32] = []
        var messages: [String] = []
        for (process, err) in runs {
            let text = String(decoding: err.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
            process.waitUntilExit()
            statuses.append(process.terminationStatus)
            messages.append(text)
        }
        XCTAssertEqual(statuses.sorted(), [0, 1], "\(messages)")
        XCTAssertTrue(messages.contains { $0.hasPrefix("error: ") && $0.contains("same.swm: already exists") }, "\(messages)")
        XCTAssertEqual(try wtool("check", "same.swm", "--quiet").status, 0, "the winner's file is whole")
        XCTAssertEqual(directoryListing(), ["big.swm", "same.swm"])
    }

    func testSIGTERMWithNamedTemporaryFilesLeavesNothing() throws {
        let model = try InterruptAndHostileInputTests.bigModel(in: self, "big.swm")
        let (process, _) = try start(["convert", model, "small.swm", "--dtype", "f16", "--quiet"], environment: ["WTOOL_NO_O_TMPFILE": "1"])
        let deadline = Date().addingTimeInterval(60)
        while !directoryListing().contains(where: { $0.hasPrefix("small.swm.tmp-") }), Date() < deadline, process.isRunning { usleep(1000) }
        XCTAssertTrue(directoryListing().contains { $0.hasPrefix("small.swm.tmp-") }, "the fallback names its temporary file")
        kill(process.processIdentifier, SIGTERM)
        process.waitUntilExit()
        XCTAssertEqual(process.terminationStatus, 143)
        XCTAssertEqual(directoryListing(), ["big.swm"])
    }

    /// The acceptance test of `--resume`: kill -9 mid-run, resume, and compare with an
    /// uninterrupted run byte for byte (features, labels and the JSON sidecar).
    func testFeaturesResumeAfterSIGKILLEqualsAnUninterruptedRun() throws {
        XCTAssertEqual(try wtool("convert", TestSupport.sample("mini/mini.keras3.h5"), "mini.swm", "--quiet").status, 0)
        try makeDataset(images: 30)
        let common = ["features", "mini.swm", "data", "--size", "192,192", "--batch", "4", "--class-mode", "categorical", "--quiet"]
        let whole = try wtool(common + ["--out", "whole.npy", "--labels", "whole-labels.npy"])
        XCTAssertEqual(whole.status, 0, whole.stderr)

        let arguments = common + ["--out", "f.npy", "--labels", "l.npy", "--resume"]
        let (process, _) = try start(arguments)
        let checkpoint = path("f.resume.json")
        let deadline = Date().addingTimeInterval(120)
        var done = 0
        while done < 12, Date() < deadline, process.isRunning {
            if let data = FileManager.default.contents(atPath: checkpoint),
               let json = try? JSONSerialization.jsonObject(with: data) as? [String: Any] {
                done = json["next_item"] as? Int ?? 0
            }
            usleep(2000)
        }
        XCTAssertGreaterThanOrEqual(done, 12, "the run got going")
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
        XCTAssertTrue(FileManager.default.fileExists(atPath: path("f.npy.partial")))
        XCTAssertFalse(FileManager.default.fileExists(atPath: path("f.npy")))

        // Without --resume the checkpoint is not silently thrown away.
        let refused = try wtool(common + ["--out", "f.npy", "--labels", "l.npy"])
        assertCleanFailure(refused, mentions: "--resume")

        // Without --quiet: it says how much was done already.
        let resumed = try wtool(arguments.filter { $0 != "--quiet" })
        XCTAssertEqual(resumed.status, 0, resumed.stderr)
        let skippedWork = resumed.stderr.split(separator: "\n").first { $0.hasPrefix("resumed: ") }
        XCTAssertNotNil(skippedWork, resumed.stderr)
        let count = skippedWork.flatMap { Int($0.split(separator: " ")[1]) } ?? 0
        XCTAssertGreaterThanOrEqual(count, 12, "the images already written were not computed again")
        for (a, b) in [("f.npy", "whole.npy"), ("l.npy", "whole-labels.npy")] {
            XCTAssertEqual(try Data(contentsOf: URL(fileURLWithPath: path(a))), try Data(contentsOf: URL(fileURLWithPath: path(b))), a)
        }
        // The sidecars differ only in the labels file they name (the shard record keeps it).
        func sidecar(_ name: String) throws -> NSDictionary {
            let json = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: path(name)))) as? [String: Any] ?? [:]
            return json.filter { $0.key != "labels" } as NSDictionary
        }
        XCTAssertEqual(try sidecar("f.json"), try sidecar("whole.json"))
        XCTAssertGreaterThan(try sidecar("f.json").count, 5, "the sidecar has its keys")
        XCTAssertEqual(directoryListing(), ["data", "f.json", "f.npy", "l.npy", "mini.swm", "whole-labels.npy", "whole.json", "whole.npy"],
                       "the checkpoint and partial files are gone")
    }

    func testResumeRefusesAChangedJob() throws {
        XCTAssertEqual(try wtool("convert", TestSupport.sample("mini/mini.keras3.h5"), "mini.swm", "--quiet").status, 0)
        try makeDataset(images: 3)
        let checkpoint = """
            {"version":1,"job":{"--batch":"99"},"next_item":0,"skipped":[],"feature_bytes":128,"label_bytes":128,"finishing":false}
            """
        try checkpoint.write(toFile: path("f.resume.json"), atomically: true, encoding: .utf8)
        let result = try wtool("features", "mini.swm", "data", "--out", "f.npy", "--labels", "l.npy", "--resume", "--quiet")
        assertCleanFailure(result, mentions: "f.resume.json")
        XCTAssertTrue(result.stderr.contains("--batch"), result.stderr)
    }
}
