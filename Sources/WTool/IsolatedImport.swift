import CSystemShim
import FileSupport
import Foundation
import ModelIR
import SWMFormat

/// Runs the HDF5-based Keras readers in a short-lived child process (wtool itself, hidden
/// subcommand `_import`) under a time and memory limit. libhdf5 crashes and hangs on malformed
/// files (the HDF Group's own CVE corpus shows it); the child turns the file into a `.swm`, and
/// the parent only maps a `.swm` that passed its own validation. DESIGN.md §1.
public struct IsolatedImporter: Sendable {
    /// The wtool executable to run as the child.
    public var executable: URL
    /// Wall-clock limit for the child, in seconds.
    public var timeLimit: Double
    /// Address-space limit the child sets on itself before opening the file, in bytes.
    public var memoryLimit: Int

    /// An importer that runs `executable` (wtool itself) with these limits.
    public init(executable: URL, timeLimit: Double = 120, memoryLimit: Int = 8 << 30) {
        self.executable = executable
        self.timeLimit = timeLimit
        self.memoryLimit = memoryLimit
    }

    /// The name of the hidden subcommand the child runs.
    public static let subcommand = "_import"

    /// Has the child read `input` and write `output` as a `.swm` (atomically; `overwrite` as in
    /// `convert --force`), then validates what it wrote: the one open and validation of `output`
    /// in this process.
    /// - Parameter arguments: further `_import` options (`--arch …`, `--until …`, `--dtype …`).
    /// - Returns: the validated graph, its weights mapped from `output`.
    /// - Throws: `WToolError` naming `input`: the child's own one-line error, or what killed it.
    @discardableResult
    public func importModel(input: String, output: String, overwrite: Bool, arguments: [String]) throws -> Graph {
        let arguments = [Self.subcommand, input, output, "--memory-limit", String(memoryLimit), "--parent-pid", String(getpid())]
            + (overwrite ? ["--force"] : []) + arguments
        let child: ChildProcess
        do {
            // A crash is reported by the parent, in one line.
            child = try ChildProcess(executable: executable.path, arguments: arguments, environment: ["SWIFT_BACKTRACE": "enable=no"])
        } catch {
            throw WToolError.unreadable(path: input, detail: "cannot start the import process \(executable.path): \(error)")
        }
        // On SIGINT/SIGTERM the parent exits at once: stop the child first, so it cannot go on to
        // rename its OUT.tmp-XXXXXX into place, then remove what it left.
        let pid = child.pid
        let interrupt = TemporaryFiles.shared.onInterrupt {
            kill(pid, SIGKILL)
            var status: Int32 = 0
            _ = waitpid(pid, &status, 0)
            Self.removeLeftovers(of: output)
        }
        defer { TemporaryFiles.shared.cancel(interrupt) }
        let (termination, errorOutput) = child.wait(timeLimit: timeLimit)
        // Killed (or reaped) by our own SIGINT/SIGTERM handler: it is about to exit with 128 + the
        // signal, and the child's death is not an error to report.
        if TemporaryFiles.shared.isInterrupted, termination != .exited(0) {
            while true { pause() }
        }
        let message = String(decoding: errorOutput, as: UTF8.self)
            .split(separator: "\n").last { $0.hasPrefix("error: ") }.map { String($0.dropFirst("error: ".count)) }
        switch termination {
        case .timedOut:
            Self.removeLeftovers(of: output)
            throw WToolError.invalid(path: input, detail: String(format:
                "reading this file took longer than %.0f s and was stopped; the file is malformed or hostile", timeLimit))
        case .signalled(let signal):
            Self.removeLeftovers(of: output)
            throw WToolError.invalid(path: input, detail:
                "the HDF5 library crashed while reading this file (\(Self.signalName(signal))); the file is malformed or hostile")
        case .reapedElsewhere:
            Self.removeLeftovers(of: output)
            throw WToolError.invalid(path: input, detail: "the import process ended and its exit status was lost")
        case .exited(let status) where status != 0:
            if let message {
                // The child names the file already: `<input>: <what>`.
                let detail = message.hasPrefix(input + ": ") ? String(message.dropFirst(input.count + 2)) : message
                throw WToolError.invalid(path: input, detail: detail)
            }
            throw WToolError.invalid(path: input, detail: "the import process failed (exit \(status))")
        case .exited:
            break
        }
        // Trust boundary: the parent accepts only a .swm that passes its own validation.
        do {
            return try SWMFile(path: output).graph()
        } catch {
            try? FileManager.default.removeItem(atPath: output)
            throw WToolError.invalid(path: input, detail: "the import process wrote an invalid .swm (\(error))")
        }
    }

    /// Imports into a temporary `.swm` and returns its graph (weights mapped from it; the file is
    /// unlinked at once and lives on only as the mapping).
    public func importGraph(input: String, arguments: [String]) throws -> Graph {
        let directory = ProcessInfo.processInfo.environment["TMPDIR"] ?? NSTemporaryDirectory()
        Self.removeScratchOfDeadProcesses(in: directory)
        let temporary = (directory as NSString).appendingPathComponent("wtool-import-\(getpid())-\(UUID().uuidString).swm")
        TemporaryFiles.shared.register(temporary)
        defer {
            try? FileManager.default.removeItem(atPath: temporary)
            TemporaryFiles.shared.unregister(temporary)
        }
        return try importModel(input: input, output: temporary, overwrite: true, arguments: arguments)
    }

    /// A process SIGKILLed in the milliseconds between its child writing the scratch `.swm` and
    /// its own unlinking of it leaves `wtool-import-PID-….swm`; the next import removes those
    /// whose process no longer exists.
    static func removeScratchOfDeadProcesses(in directory: String) {
        for name in (try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? [] where name.hasPrefix("wtool-import-") {
            let fields = name.dropFirst("wtool-import-".count).split(separator: "-", maxSplits: 1)
            guard let pid = fields.first.flatMap({ Int32($0) }), pid != getpid(), kill(pid, 0) != 0, errno == ESRCH else { continue }
            unlink((directory as NSString).appendingPathComponent(name))
        }
    }

    /// A child killed by a signal cannot remove its `OUT.tmp-XXXXXX`; the parent does.
    static func removeLeftovers(of output: String) {
        let directory = (output as NSString).deletingLastPathComponent
        let prefix = (output as NSString).lastPathComponent + ".tmp-"
        let names = (try? FileManager.default.contentsOfDirectory(atPath: directory.isEmpty ? "." : directory)) ?? []
        for name in names where name.hasPrefix(prefix) {
            try? FileManager.default.removeItem(atPath: (directory as NSString).appendingPathComponent(name))
        }
    }

    static func signalName(_ signal: Int32) -> String {
        switch signal {
        case SIGSEGV: "SIGSEGV"
        case SIGABRT: "SIGABRT"
        case SIGBUS: "SIGBUS"
        case SIGFPE: "SIGFPE"
        case SIGILL: "SIGILL"
        case SIGKILL: "SIGKILL, likely the memory limit"
        case SIGXCPU: "SIGXCPU, the CPU-time limit"
        default: "signal \(signal)"
        }
    }

    /// The child's whole job (the `_import` subcommand): limits itself, then reads `input` in
    /// this process and writes `output` as a `.swm`.
    /// - Parameters:
    ///   - options: the parent's `importArguments`, parsed back (never with isolation).
    ///   - floatStorage: `--dtype`, the `.swm`'s storage type for float32 weights.
    /// - Throws: ``WToolError`` naming the file at fault; the parent reports its one line.
    ///   - parentPID: the parent's process id (`--parent-pid`): the child dies with it.
    public static func runChild(input: String, output: String, options: LoadOptions, floatStorage: DType?, overwrite: Bool,
                                memoryBytes: Int, cpuSeconds: Int, parentPID: Int32? = nil) throws {
        if let parentPID { dieWithParent(parentPID) }
        limitSelf(memoryBytes: memoryBytes, cpuSeconds: cpuSeconds)
        var local = options
        local.isolation = nil
        var converter = ModelConverter(options: local)
        converter.floatStorage = floatStorage
        converter.overwrite = overwrite
        try converter.convert(input, to: output)
    }

    /// Makes the kernel SIGKILL this process when its parent dies (`PR_SET_PDEATHSIG`), so a
    /// `wtool convert` killed with SIGKILL cannot leave its child running on to write the output
    /// afterwards. The parent may have died before the call took effect, so the child then checks
    /// that its parent is still `parentPID` and exits at once if not (it was re-parented).
    /// `posix_spawn` cannot set this between fork and exec, hence the child sets it on
    /// itself, first thing. The signal follows the parent *thread* that spawned the child; the
    /// parent blocks in ``importModel(input:output:overwrite:arguments:)`` until the child is done,
    /// so that thread outlives it.
    public static func dieWithParent(_ parentPID: Int32) {
        _ = csystem_set_parent_death_signal(SIGKILL)
        if getppid() != parentPID { _exit(1) }
    }

    /// Applies the child's own limits: address space and CPU time (the parent also keeps a
    /// wall-clock limit). Call first thing in the `_import` subcommand.
    public static func limitSelf(memoryBytes: Int, cpuSeconds: Int) {
        var memory = rlimit(rlim_cur: rlim_t(memoryBytes), rlim_max: rlim_t(memoryBytes))
        setrlimit(Int32(RLIMIT_AS.rawValue), &memory)
        var cpu = rlimit(rlim_cur: rlim_t(cpuSeconds), rlim_max: rlim_t(cpuSeconds + 5))
        setrlimit(Int32(RLIMIT_CPU.rawValue), &cpu)
        var core = rlimit(rlim_cur: 0, rlim_max: 0)
        setrlimit(Int32(RLIMIT_CORE.rawValue), &core)
    }
}
