import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Temporary outputs in flight, so a SIGINT/SIGTERM handler can remove them before exiting.
///
/// `AtomicOutput` — every writer's, `.npy` included — registers its files itself; other temporary
/// files (an isolated import's scratch `.swm`) register explicitly. Once `removeAll()` has run, the
/// process is going away: a file registered after that is removed at once, so a writer racing
/// the signal handler cannot leave one behind.
public final class TemporaryFiles: @unchecked Sendable {
    public static let shared = TemporaryFiles()
    // Recursive: `critical` runs commits that unregister their temporary names.
    private let lock = NSRecursiveLock()
    private var paths = Set<String>()
    private var actions: [Int: @Sendable () -> Void] = [:]
    private var nextAction = 0
    private var interrupted = false

    /// Tracks `path` until `unregister(_:)`.
    public func register(_ path: String) {
        lock.withLock {
            if interrupted { unlink(path) } else { paths.insert(path) }
        }
    }

    /// Creates a file with `create` and tracks it, as one step `removeAll()` cannot fall between:
    /// a file created just before an interrupt is removed with the others, one created after it
    /// at once (registering after creating would leave a window in which the process exits with
    /// the file on disk and unregistered).
    /// - Returns: what `create` returned (a descriptor that stays valid even if the file was
    ///   removed).
    func create(_ create: () throws -> (descriptor: Int32, path: String)) rethrows -> (descriptor: Int32, path: String) {
        try lock.withLock {
            let made = try create()
            if interrupted { unlink(made.path) } else { paths.insert(made.path) }
            return made
        }
    }

    /// Runs `body` (an output's commit) while `removeAll()` waits, so an interrupt lands before
    /// or after it, never between two of its links. Throws, without running `body`, once the
    /// process is going away.
    func critical<T>(_ body: () throws -> T) throws -> T {
        try lock.withLock {
            if interrupted { throw FileError.system(path: "", operation: .rename, errno: EINTR) }
            return try body()
        }
    }

    /// True once `removeAll()` has started: the process is exiting on a signal. Waits while the
    /// interrupt actions run, so a caller who sees a child killed by them learns why.
    public var isInterrupted: Bool { lock.withLock { interrupted } }

    /// Stops tracking `path` (it was renamed into place or removed).
    public func unregister(_ path: String) { lock.withLock { _ = paths.remove(path) } }

    /// Adds work for `removeAll()` to do first, e.g. killing a child process that is writing a
    /// file of its own. Returns a token for `cancel(_:)`.
    public func onInterrupt(_ action: @escaping @Sendable () -> Void) -> Int {
        lock.withLock {
            nextAction += 1
            actions[nextAction] = action
            return nextAction
        }
    }

    /// Drops an action added with `onInterrupt(_:)`.
    public func cancel(_ token: Int) { lock.withLock { _ = actions.removeValue(forKey: token) } }

    /// Runs the interrupt actions, then removes every registered temporary file (called on
    /// SIGINT/SIGTERM). Later registrations are removed as they come.
    public func removeAll() {
        lock.withLock {
            interrupted = true
            for (_, action) in actions.sorted(by: { $0.key < $1.key }) { action() }
            actions.removeAll()
            for p in paths { unlink(p) }
            paths.removeAll()
        }
    }
}
