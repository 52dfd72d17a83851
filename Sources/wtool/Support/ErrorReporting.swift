import ArgumentParser
import Foundation
import WTool

/// Runs a command body; any error becomes one line `error: <file>: <what is wrong>` on stderr and
/// exit status 1 (never a trap or a stack trace).
func reportingErrors(path: String? = nil, _ body: () throws -> Void) throws {
    do {
        try body()
    } catch let exit as ExitCode {
        throw exit
    } catch let error as ValidationError {
        throw error
    } catch {
        let message: String
        if let path { message = WToolError.wrap(error, path: path).description } else { message = "\(error)" }
        Terminal.error(message)
        throw ExitCode(1)
    }
}

enum Terminal {
    static func error(_ message: String) {
        let line = message.replacingOccurrences(of: "\n", with: " ")
        FileHandle.standardError.write(Data("error: \(line)\n".utf8))
    }

    static func info(_ message: String) {
        FileHandle.standardError.write(Data("\(message)\n".utf8))
    }

    static func warning(_ message: String) {
        FileHandle.standardError.write(Data("warning: \(message)\n".utf8))
    }

    static var stderrIsTerminal: Bool { isatty(2) == 1 }
}

/// A one-line progress display on stderr, redrawn in place; silent when stderr is not a terminal
/// or when quiet.
final class ProgressLine {
    private let label: String
    private let enabled: Bool
    private var lastDraw = Date.distantPast
    private let start = Date()

    init(_ label: String, quiet: Bool = false) {
        self.label = label
        self.enabled = !quiet && Terminal.stderrIsTerminal
    }

    func update(done: Int, total: Int, unit: String = "MB", scale: Double = 1 / 1_048_576) {
        guard enabled, Date().timeIntervalSince(lastDraw) > 0.1 || done == total else { return }
        lastDraw = Date()
        let percent = total > 0 ? Int(Double(done) / Double(total) * 100) : 100
        let text = String(format: "\r%@ %.1f/%.1f %@ (%d%%)", label, Double(done) * scale, Double(total) * scale, unit, percent)
        FileHandle.standardError.write(Data(text.utf8))
    }

    func finish() {
        guard enabled else { return }
        FileHandle.standardError.write(Data("\r\u{1B}[K".utf8))
    }
}
