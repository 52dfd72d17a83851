import FileSupport
import Foundation

/// The kernel cache checked entry by entry (`wtool check --kernel-cache`): ownership, mode,
/// header, size and every entry's XXH64, exactly as a load checks them, without removing anything.
public enum KernelCacheCheck {
    /// What the check found.
    public struct Report: Sendable {
        /// The directory checked.
        public var directory: String
        /// Why the directory itself is refused (not yours, writable by others), if it is.
        public var directoryProblem: String?
        /// Entries that pass.
        public var good: Int
        /// Their bytes.
        public var goodBytes: Int
        /// Entries of another format version (never used; replaced when stored again).
        public var stale: Int
        /// Entries a load would discard or refuse: path and why.
        public var damaged: [(path: String, detail: String)]
        /// True when every entry passes and the directory may be used.
        public var isClean: Bool { directoryProblem == nil && damaged.isEmpty }
    }

    /// Checks every entry of the cache in `directory`.
    /// - Throws: ``WToolError`` when the directory cannot be read.
    public static func check(directory: URL, progress: (Int, Int) -> Void = { _, _ in }) throws -> Report {
        do {
            let report = try DiskKernelCache(directory: directory.path).verify(progress: progress)
            return Report(directory: directory.path, directoryProblem: report.directoryProblem, good: report.good,
                          goodBytes: report.goodBytes, stale: report.stale, damaged: report.damaged)
        } catch {
            throw WToolError.wrap(error, path: directory.path)
        }
    }

    /// How the library reports a discarded entry or a refused directory: one `warning:` line on
    /// stderr (the runtime that asked for the entry knows no file, so it cannot say it).
    @Sendable public static func printWarning(_ message: String) {
        FileHandle.standardError.write(Data("warning: \(message)\n".utf8))
    }
}
