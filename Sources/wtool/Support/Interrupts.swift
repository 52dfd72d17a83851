import Dispatch
import Foundation
import WTool

/// What wtool does when it is interrupted: SIGINT (Ctrl-C) or SIGTERM remove every temporary
/// output still in flight (the library's `Interruption`: every writer's temporary file, an
/// isolated import's child and what it wrote), then exit with 128 + the signal (130, 143), the
/// status a shell reports for a process the signal killed.
enum Interrupts {
    /// The signal sources must outlive `install()`; they are never cancelled.
    nonisolated(unsafe) private static var sources: [DispatchSourceSignal] = []

    /// Call once, first thing in `main`.
    static func install() {
        Interruption.installTruncationHandler()
        let queue = DispatchQueue(label: "wtool.interrupts")
        for signalNumber in [SIGINT, SIGTERM] {
            // Dispatch delivers the signal to the handler below; the default action (die on
            // the spot, files and all) must be off for that.
            signal(signalNumber, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: signalNumber, queue: queue)
            source.setEventHandler {
                Interruption.removeTemporaryFiles()
                // _exit, not exit: the main thread is still running; atexit handlers and stdio
                // flushing would race it, and nothing it was doing should be finished.
                _exit(128 + signalNumber)
            }
            source.resume()
            sources.append(source)
        }
    }
}

/// wtool sees its arguments as Swift `String`s, in which invalid UTF-8 is repaired to U+FFFD, so
/// a file whose name is not UTF-8 cannot be opened under the name it is given. Say so plainly
/// instead of "no such file".
enum ArgumentEncoding {
    /// The first argument that is not valid UTF-8, repaired for printing; nil when all are.
    static func firstInvalidArgument() -> String? {
        for i in 1..<Int(CommandLine.argc) {
            guard let raw = CommandLine.unsafeArgv[i] else { continue }
            if String(validatingCString: raw) == nil { return String(cString: raw) }
        }
        return nil
    }
}
