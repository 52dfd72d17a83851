import Foundation

/// A hook that lets an application track the temporary files NPY's writers create
/// (`<destination>.tmp-XXXXXX`), so it can remove them when it is interrupted.
///
/// NPY depends on nothing, so it cannot call the application's registry itself; the application
/// installs one instead. wtool's CLI forwards both calls to FileSupport's `TemporaryFiles`, whose
/// SIGINT/SIGTERM handler removes whatever is still registered:
///
/// ```swift
/// NPYTemporaryFiles.install(created: { TemporaryFiles.shared.register($0) },
///                           finished: { TemporaryFiles.shared.unregister($0) })
/// ```
///
/// Without a hook, writers behave the same; only an interrupted process cannot clean up.
public enum NPYTemporaryFiles {
    private final class Hooks: @unchecked Sendable {
        let lock = NSLock()
        var created: (@Sendable (String) -> Void)?
        var finished: (@Sendable (String) -> Void)?
    }

    private static let hooks = Hooks()

    /// Installs the hook, replacing any earlier one.
    /// - Parameters:
    ///   - created: called with a temporary file's path right after it is created.
    ///   - finished: called with the same path once it was renamed into place or removed.
    public static func install(created: @escaping @Sendable (String) -> Void, finished: @escaping @Sendable (String) -> Void) {
        hooks.lock.withLock {
            hooks.created = created
            hooks.finished = finished
        }
    }

    static func didCreate(_ path: String) {
        hooks.lock.withLock { hooks.created }?(path)
    }

    static func didFinish(_ path: String) {
        hooks.lock.withLock { hooks.finished }?(path)
    }
}
