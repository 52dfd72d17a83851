import CSystemShim
import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// An output file that has no name until it is complete. The bytes go to an unnamed file in the
/// destination's directory (`open(O_TMPFILE)`); `commit()` fsyncs it and links it into place
/// (`linkat` through `/proc/self/fd`), so a process killed at any moment — SIGKILL included —
/// leaves nothing behind: the kernel frees an unnamed file when its last descriptor closes.
///
/// Where the filesystem or the kernel has no `O_TMPFILE` (or `/proc` is not mounted), the bytes go
/// to `OUT.tmp-XXXXXX` instead, which `TemporaryFiles` removes on SIGINT/SIGTERM and `discard()`
/// on an error; only a SIGKILL can leave that one behind. `WTOOL_NO_O_TMPFILE=1` forces this
/// fallback (tests and the fault-injection script exercise both). A library that insists on a
/// real path gets a named one too (`requiresName`; wtool's `.h5` writer builds its file in memory
/// instead).
///
/// Committing never replaces a file it was not asked to: without `overwrite` the link fails if
/// the destination appeared meanwhile (two processes writing one output: one wins, the other
/// reports "already exists"); with it, the complete file is linked under a temporary name and
/// renamed over the destination (a SIGKILL between the two calls, a window of microseconds,
/// leaves that complete file under its `.tmp-` name). The one atomic writer: every format's
/// writer and every `.npy` goes through it.
public final class AtomicOutput {
    public let destination: String
    /// A path that opens the file being written, for libraries that create files by name
    /// (libhdf5): the temporary name, or `/proc/self/fd/N` for an unnamed file.
    public let temporaryPath: String
    /// Whether the file is unnamed until committed (`O_TMPFILE`).
    public let isUnnamed: Bool
    private let overwrite: Bool
    private var fd: Int32
    private var committed = false
    /// Bytes appended so far, and how far writeback has been started (``startsWriteback``).
    private var appended = 0
    private var writebackStarted = 0

    /// Whether appended bytes are handed to the disk as they come (every
    /// ``writebackInterval`` bytes, `sync_file_range` without waiting), so that a durable
    /// `commit()`'s fsync waits only for the tail instead of the whole file: the disk works while
    /// the writer still produces bytes. Off for files committed without `durable` (a cache).
    public var startsWriteback = true
    /// How many appended bytes start one writeback.
    package static let writebackInterval = 8 << 20

    /// True when this process writes outputs through named temporary files only: the environment
    /// asks for it (`WTOOL_NO_O_TMPFILE=1`) or `/proc/self/fd` is missing. Tests may set it.
    nonisolated(unsafe) package static var namedTemporariesOnly: Bool = {
        ProcessInfo.processInfo.environment["WTOOL_NO_O_TMPFILE"] == "1" || access("/proc/self/fd", X_OK) != 0
            || csystem_o_tmpfile() == 0
    }()

    /// Creates the file being written.
    /// - Parameters:
    ///   - overwrite: when false, refuses an existing destination (now, and again when committing).
    ///   - permissions: the file's mode; nil leaves it as `open` creates it (0666 minus the umask,
    ///     like any new file).
    ///   - requiresName: a named temporary file even where `O_TMPFILE` works, for a library that
    ///     insists on a real path (libhdf5 resolves `/proc/self/fd/N` with `realpath` and fails).
    /// - Throws: ``FileError/exists(path:)`` or ``FileError/system(path:operation:errno:)`` (`create`).
    public init(destination: String, overwrite: Bool, permissions: mode_t? = 0o644, requiresName: Bool = false) throws {
        self.destination = destination
        self.overwrite = overwrite
        if !overwrite, FileManager.default.fileExists(atPath: destination) {
            throw FileError.exists(path: destination)
        }
        if !Self.namedTemporariesOnly, !requiresName, let descriptor = try Self.createUnnamed(beside: destination) {
            fd = descriptor
            temporaryPath = "/proc/self/fd/\(descriptor)"
            isUnnamed = true
        } else {
            (fd, temporaryPath) = try TemporaryFiles.shared.create { try Self.createTemporary(beside: destination) }
            isUnnamed = false
        }
        if let permissions { fchmod(fd, permissions) }
    }

    private static func directory(of path: String) -> String {
        let directory = (path as NSString).deletingLastPathComponent
        return directory.isEmpty ? "." : directory
    }

    /// An `O_TMPFILE` descriptor in the destination's directory; nil where the filesystem or
    /// kernel cannot make one (the caller falls back to a named file).
    private static func createUnnamed(beside destination: String) throws -> Int32? {
        let descriptor = open(directory(of: destination), csystem_o_tmpfile() | O_WRONLY | O_CLOEXEC, 0o666)
        if descriptor >= 0 { return descriptor }
        switch errno {
        // EOPNOTSUPP: the filesystem has no tmpfile operation; EISDIR/EINVAL: a kernel older than
        // O_TMPFILE sees a plain O_DIRECTORY open.
        case EOPNOTSUPP, EISDIR, EINVAL: return nil
        default: throw FileError.system(path: destination, operation: .create, errno: errno)
        }
    }

    /// `O_EXCL` under a random `.tmp-XXXXXX` suffix (mkstemp's alphabet), retried on a clash.
    private static func createTemporary(beside destination: String) throws -> (Int32, String) {
        for _ in 0..<100 {
            let candidate = temporaryName(for: destination)
            let descriptor = open(candidate, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o666)
            if descriptor >= 0 { return (descriptor, candidate) }
            if errno != EEXIST { throw FileError.system(path: destination, operation: .create, errno: errno) }
        }
        throw FileError.system(path: destination, operation: .create, errno: EEXIST)
    }

    private static func temporaryName(for destination: String) -> String {
        var generator = SystemRandomNumberGenerator()
        let alphabet = Array("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789".utf8)
        let suffix = String(decoding: (0..<6).map { _ in alphabet.randomElement(using: &generator) ?? 0x61 }, as: UTF8.self)
        return destination + ".tmp-" + suffix
    }

    deinit {
        discard()
    }

    /// Writes of this many bytes or more map their source's pages first (`csystem_populate_read`).
    static let populateThreshold = 256 << 10

    /// Appends bytes at the current position.
    public func write(_ bytes: UnsafeRawBufferPointer) throws {
        // Large sources are usually views into a mapped input file: map their pages in one call.
        if bytes.count >= Self.populateThreshold, let base = bytes.baseAddress { _ = csystem_populate_read(base, bytes.count) }
        try writeFully(fd, bytes, path: destination)
        appended += bytes.count
        if startsWriteback, appended - writebackStarted >= Self.writebackInterval {
            // A hint: where the kernel refuses it, the fsync at commit does all of the work.
            _ = csystem_start_writeback(fd, Int64(writebackStarted), Int64(appended - writebackStarted))
            writebackStarted = appended
        }
    }

    /// Appends bytes at the current position.
    public func write(_ bytes: [UInt8]) throws {
        try bytes.withUnsafeBytes { try write($0) }
    }

    /// Writes `count` zero bytes.
    public func writeZeros(_ count: Int) throws {
        guard count > 0 else { return }
        try [UInt8](repeating: 0, count: min(count, 1 << 20)).withUnsafeBytes { zeros in
            var left = count
            while left > 0 {
                try write(UnsafeRawBufferPointer(rebasing: zeros.prefix(left)))
                left -= min(left, zeros.count)
            }
        }
    }

    /// Overwrites bytes at an absolute offset without moving the current position (headers
    /// finished after the data).
    public func write(_ bytes: UnsafeRawBufferPointer, at offset: Int) throws {
        guard let base = bytes.baseAddress else { return }
        var done = 0
        while done < bytes.count {
            let n = pwrite(fd, base + done, bytes.count - done, off_t(offset + done))
            if n < 0 {
                if errno == EINTR { continue }
                throw FileError.system(path: destination, operation: .write, errno: errno)
            }
            done += n
        }
    }

    /// Overwrites bytes at an absolute offset; see ``write(_:at:)-(UnsafeRawBufferPointer,_)``.
    public func write(_ bytes: [UInt8], at offset: Int) throws {
        try bytes.withUnsafeBytes { try write($0, at: offset) }
    }

    /// Makes the file durable and visible under its final name. A cache that can be rebuilt passes
    /// `durable: false`: the link is still atomic, without waiting for the disk. On failure
    /// nothing is left under any name.
    /// - Throws: ``FileError/exists(path:)`` when the destination appeared meanwhile and
    ///   overwriting was not asked for; ``FileError/system(path:operation:errno:)`` otherwise.
    public func commit(durable: Bool = true) throws {
        try Self.commit([self], durable: durable)
    }

    /// Commits several outputs of one command together: all are synced first, then linked into
    /// place while an interrupt handler waits (SIGINT/SIGTERM cannot fall between two links), and
    /// if one link fails the ones already made are removed again, so the command leaves all of its
    /// outputs or none (a file it replaced stays replaced).
    public static func commit(_ outputs: [AtomicOutput], durable: Bool = true) throws {
        do {
            for output in outputs {
                guard !output.committed else { throw FileError.system(path: output.destination, operation: .close, errno: EBADF) }
                guard !durable || fsync(output.fd) == 0 else {
                    throw FileError.system(path: output.destination, operation: .fsync, errno: errno)
                }
            }
            try TemporaryFiles.shared.critical {
                var created: [String] = []
                do {
                    for output in outputs {
                        if try output.link() { created.append(output.destination) }
                    }
                } catch {
                    for path in created { unlink(path) }
                    throw error
                }
            }
        } catch {
            for output in outputs { output.discard() }
            throw error
        }
        for output in outputs {
            output.discard()  // closes the descriptor; the file now has its name
        }
        guard durable else { return }
        // Make the links durable; a failure here cannot un-write the files, so it is ignored.
        for directory in Set(outputs.map { directory(of: $0.destination) }) {
            let dfd = Glibc.open(directory, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
            if dfd >= 0 {
                fsync(dfd)
                Glibc.close(dfd)
            }
        }
    }

    /// Gives the complete file its name. Returns true when the name is new (nothing was replaced).
    private func link() throws -> Bool {
        if isUnnamed {
            if Glibc.linkat(AT_FDCWD, temporaryPath, AT_FDCWD, destination, AT_SYMLINK_FOLLOW) == 0 {
                committed = true
                return true
            }
            guard errno == EEXIST else { throw FileError.system(path: destination, operation: .rename, errno: errno) }
            guard overwrite else { throw FileError.exists(path: destination) }
            // linkat never replaces: link under a temporary name, then rename over the destination.
            for _ in 0..<100 {
                let named = Self.temporaryName(for: destination)
                if Glibc.linkat(AT_FDCWD, temporaryPath, AT_FDCWD, named, AT_SYMLINK_FOLLOW) == 0 {
                    guard rename(named, destination) == 0 else {
                        let code = errno
                        unlink(named)
                        throw FileError.system(path: destination, operation: .rename, errno: code)
                    }
                    committed = true
                    return false
                }
                guard errno == EEXIST else { throw FileError.system(path: destination, operation: .rename, errno: errno) }
            }
            throw FileError.system(path: destination, operation: .rename, errno: EEXIST)
        }
        if overwrite {
            guard rename(temporaryPath, destination) == 0 else {
                throw FileError.system(path: destination, operation: .rename, errno: errno)
            }
            committed = true
            TemporaryFiles.shared.unregister(temporaryPath)
            return false
        }
        // link(2) refuses an existing destination, where rename(2) would replace it.
        guard Glibc.link(temporaryPath, destination) == 0 else {
            throw errno == EEXIST ? FileError.exists(path: destination)
                : FileError.system(path: destination, operation: .rename, errno: errno)
        }
        committed = true
        unlink(temporaryPath)
        TemporaryFiles.shared.unregister(temporaryPath)
        return true
    }

    /// Closes and removes the file being written; after a commit it only closes the descriptor.
    public func discard() {
        if fd >= 0 {
            Glibc.close(fd)
            fd = -1
        }
        guard !committed else { return }
        committed = true  // nothing left to remove
        guard !isUnnamed else { return }
        unlink(temporaryPath)
        TemporaryFiles.shared.unregister(temporaryPath)
    }
}
