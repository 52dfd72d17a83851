import CSystemShim
import Foundation

/// A child process started with `posix_spawn`, its standard error read through a pipe, waited for
/// with a wall-clock limit. For the isolated import, where Foundation's `Process` cost 2–3 ms more
/// per start (its run-loop source and monitoring thread) on a command that takes ~100 ms in all.
struct ChildProcess {
    /// How the child ended.
    enum Termination: Equatable {
        case exited(Int32)
        case signalled(Int32)
        /// The wall-clock limit passed; the child was killed with SIGKILL and reaped.
        case timedOut
        /// Another thread reaped the child first (the SIGINT/SIGTERM clean-up).
        case reapedElsewhere
    }

    let pid: pid_t
    private let errorReadEnd: Int32

    /// Starts `executable` with `arguments` (argv[0] is the executable's path), the environment of
    /// this process plus `environment`, standard input and output on /dev/null, standard error
    /// into a pipe, no other descriptor (glibc 2.34+; elsewhere those without close-on-exec stay
    /// open, and wtool opens none such), every signal at its default action and none blocked
    /// (wtool ignores SIGINT and SIGTERM for its dispatch handler; a child must not inherit that).
    init(executable: String, arguments: [String], environment: [String: String]) throws {
        var pipeEnds: [Int32] = [-1, -1]
        guard csystem_pipe_cloexec(&pipeEnds) == 0 else { throw POSIXError(POSIXErrorCode(rawValue: errno) ?? .EIO) }
        defer { close(pipeEnds[1]) }

        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0)
        posix_spawn_file_actions_adddup2(&actions, pipeEnds[1], 2)
        // The child (a parser of untrusted files) gets no other descriptor of this process.
        _ = csystem_spawn_close_from(&actions, 3)

        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        var all = sigset_t(), none = sigset_t()
        sigfillset(&all)
        sigemptyset(&none)
        posix_spawnattr_setsigdefault(&attributes, &all)
        posix_spawnattr_setsigmask(&attributes, &none)
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK))

        var merged = ProcessInfo.processInfo.environment
        merged.merge(environment) { $1 }
        let argv = ([executable] + arguments).map { strdup($0) } + [nil]
        let envp = merged.map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer { (argv + envp).forEach { free($0) } }

        var child: pid_t = 0
        let status = posix_spawn(&child, executable, &actions, &attributes, argv, envp)
        guard status == 0 else {
            close(pipeEnds[0])
            throw POSIXError(POSIXErrorCode(rawValue: status) ?? .EIO)
        }
        pid = child
        errorReadEnd = pipeEnds[0]
    }

    /// Reads the child's standard error to its end, then reaps the child; past `timeLimit`
    /// seconds from the call, kills it (SIGKILL) and reaps it.
    /// - Returns: how it ended, and what it wrote to standard error.
    func wait(timeLimit: Double) -> (Termination, Data) {
        defer { close(errorReadEnd) }
        let deadline = DispatchTime.now().uptimeNanoseconds &+ UInt64(max(0, timeLimit) * 1e9)
        func millisecondsLeft() -> Int32 {
            let now = DispatchTime.now().uptimeNanoseconds
            return now >= deadline ? 0 : Int32(clamping: (deadline - now + 999_999) / 1_000_000)
        }
        var output = Data()
        var buffer = [UInt8](repeating: 0, count: 16 << 10)
        var ended = false
        while !ended {
            var descriptor = pollfd(fd: errorReadEnd, events: Int16(POLLIN), revents: 0)
            let ready = poll(&descriptor, 1, millisecondsLeft())
            if ready < 0, errno == EINTR { continue }
            if ready <= 0 { return (killAndReap(), output) }
            let count = buffer.withUnsafeMutableBytes { read(errorReadEnd, $0.baseAddress, $0.count) }
            if count > 0 {
                output.append(contentsOf: buffer[..<count])
            } else if count == 0 || errno != EINTR {
                ended = true
            }
        }
        // Standard error closes as the child exits (or when it closes it): reap it, still
        // within the limit.
        while true {
            var status: Int32 = 0
            let reaped = waitpid(pid, &status, WNOHANG)
            if reaped == pid { return (Self.termination(status), output) }
            if reaped < 0, errno == ECHILD { return (.reapedElsewhere, output) }
            if reaped < 0, errno != EINTR { return (killAndReap(), output) }
            if millisecondsLeft() == 0 { return (killAndReap(), output) }
            usleep(200)
        }
    }

    private func killAndReap() -> Termination {
        kill(pid, SIGKILL)
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0 {
            if errno != EINTR { return .reapedElsewhere }
        }
        return .timedOut
    }

    private static func termination(_ status: Int32) -> Termination {
        let signal = status & 0x7f
        return signal == 0 ? .exited((status >> 8) & 0xff) : .signalled(signal)
    }
}
