import Foundation
@testable import WTool
import XCTest

/// The isolated import's child process (`posix_spawn`, standard error through a pipe, a
/// wall-clock limit), on /bin/sh scripts that end every way a child can.
final class ChildProcessTests: XCTestCase {
    func run(_ script: String, timeLimit: Double = 20, environment: [String: String] = [:]) throws -> (ChildProcess.Termination, String) {
        let child = try ChildProcess(executable: "/bin/sh", arguments: ["-c", script], environment: environment)
        let (termination, output) = child.wait(timeLimit: timeLimit)
        return (termination, String(decoding: output, as: UTF8.self))
    }

    func testExitStatusAndStandardErrorComeBack() throws {
        let (termination, output) = try run("echo to-stdout; echo \"error: $WTOOL_CHILD_TEST\" >&2; exit 3",
                                            environment: ["WTOOL_CHILD_TEST": "from the parent"])
        XCTAssertEqual(termination, .exited(3))
        XCTAssertEqual(output, "error: from the parent\n", "standard error only; standard output goes to /dev/null")
    }

    func testStandardInputIsEmpty() throws {
        let (termination, output) = try run("cat >&2; echo done >&2")
        XCTAssertEqual(termination, .exited(0))
        XCTAssertEqual(output, "done\n")
    }

    func testLargeStandardErrorIsReadWhole() throws {
        // 2 MiB: far past a pipe's 64 KiB buffer, so the child would block if nobody read.
        let (termination, output) = try run("head -c 2097152 /dev/zero | tr '\\0' x >&2")
        XCTAssertEqual(termination, .exited(0))
        XCTAssertEqual(output.utf8.count, 2 << 20)
        XCTAssertTrue(output.utf8.allSatisfy { $0 == UInt8(ascii: "x") })
    }

    func testNoOtherDescriptorIsInherited() throws {
        // Descriptors without close-on-exec, as an application linking WTool may hold.
        let held = [open("/dev/null", O_RDONLY), open("/dev/null", O_RDONLY)]
        defer { held.forEach { close($0) } }
        XCTAssertTrue(held.allSatisfy { $0 > 2 })
        let (termination, output) = try run("ls /proc/self/fd >&2")
        XCTAssertEqual(termination, .exited(0))
        // 0, 1, 2 and the one ls opens to list the folder (the lowest free number, 3).
        let descriptors = output.split(separator: "\n").compactMap { Int($0) }
        XCTAssertEqual(descriptors.sorted(), [0, 1, 2, 3], "descriptors in the child")
    }

    func testACrashIsReportedAsItsSignal() throws {
        let (termination, _) = try run("kill -SEGV $$")
        XCTAssertEqual(termination, .signalled(SIGSEGV))
    }

    func testSignalsTheParentIgnoresAreAtTheirDefaultInTheChild() throws {
        // wtool ignores SIGINT/SIGTERM for its dispatch handler; posix_spawn would pass that on.
        let previous = signal(SIGINT, SIG_IGN)
        defer { signal(SIGINT, previous) }
        let (termination, output) = try run("kill -INT $$; echo survived >&2")
        XCTAssertEqual(termination, .signalled(SIGINT))
        XCTAssertEqual(output, "")
    }

    func testTheTimeLimitKillsAndReaps() throws {
        let start = Date()
        let child = try ChildProcess(executable: "/bin/sh", arguments: ["-c", "echo started >&2; exec sleep 30"], environment: [:])
        let (termination, output) = child.wait(timeLimit: 0.3)
        XCTAssertEqual(termination, .timedOut)
        XCTAssertEqual(String(decoding: output, as: UTF8.self), "started\n")
        XCTAssertLessThan(Date().timeIntervalSince(start), 10, "the limit, not the child, ends the wait")
        XCTAssertEqual(kill(child.pid, 0), -1, "the child is gone (reaped)")
        XCTAssertEqual(errno, ESRCH)
    }

    func testAChildThatClosesStandardErrorStillHasItsTimeLimit() throws {
        let (termination, _) = try run("exec 2>&-; exec sleep 30", timeLimit: 0.3)
        XCTAssertEqual(termination, .timedOut)
    }

    func testAMissingExecutableIsAnError() {
        XCTAssertThrowsError(try ChildProcess(executable: "/nonexistent/wtool", arguments: [], environment: [:]))
    }
}
