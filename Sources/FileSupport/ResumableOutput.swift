import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// An output built across processes: the bytes go to `DEST.partial`, which survives a kill so a
/// later run can truncate it back to the last checkpoint and go on appending; ``commit(overwrite:)``
/// fsyncs it and renames it to `DEST`. The one writer that leaves a named file behind on purpose,
/// for `wtool features --resume`; everything else goes through ``AtomicOutput``.
///
/// The file is locked (`flock(LOCK_EX | LOCK_NB)`) while open, so a second process that tries to
/// build the same output fails at once instead of interleaving its bytes.
public final class ResumableOutput {
    /// The final name.
    public let destination: String
    /// Where the bytes are until committed: `DEST.partial`.
    public let partialPath: String
    private var fd: Int32

    /// The partial file's name for `destination`.
    public static func partialPath(for destination: String) -> String { destination + ".partial" }

    /// Opens (creating if needed, never truncating) and locks `DEST.partial`.
    /// - Throws: ``FileError/system(path:operation:errno:)``: `create` when it cannot be made,
    ///   `open` with `EWOULDBLOCK` when another process holds it.
    public init(destination: String) throws {
        self.destination = destination
        partialPath = Self.partialPath(for: destination)
        fd = open(partialPath, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0o644)
        guard fd >= 0 else { throw FileError.system(path: partialPath, operation: .create, errno: errno) }
        guard flock(fd, LOCK_EX | LOCK_NB) == 0 else {
            let code = errno
            Glibc.close(fd)
            throw FileError.system(path: partialPath, operation: .lock, errno: code)
        }
    }

    deinit {
        if fd >= 0 { Glibc.close(fd) }
    }

    /// The partial file's current size.
    public func size() throws -> Int {
        var info = stat()
        guard fstat(fd, &info) == 0 else { throw FileError.system(path: partialPath, operation: .stat, errno: errno) }
        return Int(info.st_size)
    }

    /// Cuts the file to `length` bytes (back to a checkpoint) and appends from there.
    public func truncate(to length: Int) throws {
        guard ftruncate(fd, off_t(length)) == 0 else { throw FileError.system(path: partialPath, operation: .write, errno: errno) }
        guard lseek(fd, off_t(length), SEEK_SET) >= 0 else { throw FileError.system(path: partialPath, operation: .write, errno: errno) }
    }

    /// Reads `count` bytes at `offset` (a header to check on resume).
    public func read(at offset: Int, count: Int) throws -> [UInt8] {
        var bytes = [UInt8](repeating: 0, count: count)
        let n = bytes.withUnsafeMutableBytes { pread(fd, $0.baseAddress, count, off_t(offset)) }
        guard n >= 0 else { throw FileError.system(path: partialPath, operation: .read, errno: errno) }
        return Array(bytes.prefix(n))
    }

    /// Appends bytes at the current position.
    public func write(_ bytes: UnsafeRawBufferPointer) throws {
        try writeFully(fd, bytes, path: destination)
    }

    /// Overwrites bytes at an absolute offset without moving the current position.
    public func write(_ bytes: [UInt8], at offset: Int) throws {
        let n = bytes.withUnsafeBytes { pwrite(fd, $0.baseAddress, bytes.count, off_t(offset)) }
        guard n == bytes.count else { throw FileError.system(path: destination, operation: .write, errno: n < 0 ? errno : EIO) }
    }

    /// Makes what was written so far durable: a checkpoint may name it only after this.
    public func sync() throws {
        guard fdatasync(fd) == 0 else { throw FileError.system(path: destination, operation: .fsync, errno: errno) }
    }

    /// Fsyncs the file and renames it to ``destination`` (refusing an existing one unless
    /// `overwrite`). The lock goes with the descriptor.
    public func commit(overwrite: Bool) throws {
        guard fsync(fd) == 0 else { throw FileError.system(path: destination, operation: .fsync, errno: errno) }
        if overwrite {
            guard rename(partialPath, destination) == 0 else { throw FileError.system(path: destination, operation: .rename, errno: errno) }
        } else {
            guard link(partialPath, destination) == 0 else {
                throw errno == EEXIST ? FileError.exists(path: destination) : FileError.system(path: destination, operation: .rename, errno: errno)
            }
            unlink(partialPath)
        }
        Glibc.close(fd)
        fd = -1
    }

    /// Removes the partial file (a run that starts over).
    public func remove() {
        unlink(partialPath)
        if fd >= 0 { Glibc.close(fd) }
        fd = -1
    }
}
