import FileSupport

/// What an interrupted application must undo.
public enum Interruption {
    /// Stops isolated import children and removes every temporary output still in flight (every
    /// writer's `OUT.tmp-XXXXXX`, `.npy` included, and an import's scratch `.swm`). Call from a
    /// SIGINT/SIGTERM handler just before exiting; outputs started afterwards are removed as they
    /// are created.
    public static func removeTemporaryFiles() {
        TemporaryFiles.shared.removeAll()
    }

    /// Makes a SIGBUS from a mapped model that another process truncated while it is read a
    /// one-line error naming the file (exit status 1, temporary outputs removed) instead of a
    /// crash. Call once, first thing in a program.
    public static func installTruncationHandler() {
        MappedFile.installTruncationHandler()
    }
}
