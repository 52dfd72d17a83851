import Foundation

/// Counts of what a piece of work did to which file — opens, format detections, graph
/// validations — so tests can prove a pipeline touches each file once (`convert` used to check a
/// model's magic bytes five times and validate its graph four).
///
/// Off unless a test turns it on with ``recording(_:)``; then every `RegularFile` open is counted
/// here, and the format modules note their own events (`note("validate", path:)`). Package
/// scope: not part of any public API.
package enum Diagnostics {
    /// How many times each event happened to each path while recording.
    package struct Counts: Sendable, Equatable {
        package var events: [String: [String: Int]] = [:]

        /// How often `event` happened to `path`.
        package func count(_ event: String, _ path: String) -> Int { events[event]?[path] ?? 0 }

        /// How often `event` happened to any path.
        package func total(_ event: String) -> Int { events[event]?.values.reduce(0, +) ?? 0 }
    }

    private final class State: @unchecked Sendable {
        let lock = NSLock()
        var recording = false
        var counts = Counts()
    }

    private static let state = State()

    /// Records `event` on `path` when recording; otherwise one lock, nothing kept.
    package static func note(_ event: String, path: String) {
        state.lock.withLock {
            guard state.recording else { return }
            state.counts.events[event, default: [:]][path, default: 0] += 1
        }
    }

    /// Runs `body` with recording on and returns what it counted. Not reentrant: the counts are
    /// process-wide, so tests that record must not run concurrently.
    package static func recording(_ body: () throws -> Void) rethrows -> Counts {
        state.lock.withLock {
            state.recording = true
            state.counts = Counts()
        }
        defer { state.lock.withLock { state.recording = false } }
        try body()
        return state.lock.withLock { state.counts }
    }
}
