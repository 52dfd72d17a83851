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

/// A progress bar for counted work (images done/total, images/s, ETA) on stderr, only when it is
/// a terminal and not quiet.
final class ProgressBar {
    private let total: Int
    private let enabled: Bool
    private let start = Date()
    private var lastDraw = Date.distantPast
    private var drawn = false

    init(total: Int, quiet: Bool) {
        self.total = total
        self.enabled = !quiet && Terminal.stderrIsTerminal
    }

    func update(done: Int) {
        guard enabled, Date().timeIntervalSince(lastDraw) > 0.2 || done == total else { return }
        lastDraw = Date()
        let elapsed = Date().timeIntervalSince(start)
        let rate = elapsed > 0 ? Double(done) / elapsed : 0
        let eta = rate > 0 ? Double(total - done) / rate : 0
        let width = 30
        let filled = total > 0 ? width * done / total : width
        let bar = String(repeating: "█", count: filled) + String(repeating: "░", count: width - filled)
        let text = String(format: "\r%@ %d/%d images  %.1f img/s  ETA %@", bar, done, total, rate, Self.clock(eta))
        FileHandle.standardError.write(Data(text.utf8))
        drawn = true
    }

    /// Clears the bar, prints something, and lets the next update redraw.
    func interrupt(_ body: () -> Void) {
        if enabled && drawn { FileHandle.standardError.write(Data("\r\u{1B}[K".utf8)) }
        body()
    }

    func finish() {
        guard enabled && drawn else { return }
        FileHandle.standardError.write(Data("\r\u{1B}[K".utf8))
    }

    static func clock(_ seconds: Double) -> String {
        let s = Int(seconds.rounded())
        return s >= 3600 ? String(format: "%d:%02d:%02d", s / 3600, s / 60 % 60, s % 60) : String(format: "%d:%02d", s / 60, s % 60)
    }
}
