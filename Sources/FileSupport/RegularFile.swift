import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// An open regular file for positioned reads: the one place wtool opens a file to read it.
///
/// Opening is safe on any path a user can type: `O_NONBLOCK` keeps a FIFO with no writer from
/// blocking the open itself, and `fstat` then refuses anything but a regular file (a directory,
/// FIFO, socket or device is never read as if it were data). The descriptor is closed when the
/// value goes away. The corresponding C calls are `open(2)`, `fstat(2)` and `pread(2)`.
public final class RegularFile {
    /// The path it was opened by.
    public let path: String
    /// Its size in bytes when opened.
    public let size: Int
    /// `fstat`'s answer when opened (device, inode, modification time for cache keys).
    public let status: stat
    let descriptor: Int32

    /// Opens `path` read-only; with `followSymlinks` false a symbolic link is refused (`ELOOP`).
    /// - Throws: ``FileError/system(path:operation:errno:)`` (`open`, `stat`) or
    ///   ``FileError/notRegularFile(path:isDirectory:)``.
    public init(path: String, followSymlinks: Bool = true) throws {
        Diagnostics.note("open", path: path)
        let fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK | (followSymlinks ? 0 : O_NOFOLLOW))
        guard fd >= 0 else { throw FileError.system(path: path, operation: .open, errno: errno) }
        var info = stat()
        guard fstat(fd, &info) == 0 else {
            let code = errno
            _ = close(fd)
            throw FileError.system(path: path, operation: .stat, errno: code)
        }
        guard (info.st_mode & S_IFMT) == S_IFREG else {
            _ = close(fd)
            throw FileError.notRegularFile(path: path, isDirectory: (info.st_mode & S_IFMT) == S_IFDIR)
        }
        self.path = path
        self.size = Int(info.st_size)
        self.status = info
        self.descriptor = fd
    }

    deinit {
        _ = close(descriptor)
    }

    /// Up to `count` bytes from `offset`; fewer only where the file ends sooner (it may have
    /// shrunk since it was opened).
    /// - Throws: ``FileError/system(path:operation:errno:)`` (`read`).
    public func read(at offset: Int, count: Int) throws -> [UInt8] {
        guard count > 0 else { return [] }
        var bytes = [UInt8](repeating: 0, count: count)
        var filled = 0
        while filled < count {
            let result = bytes.withUnsafeMutableBytes { buffer -> Int in
                guard let base = buffer.baseAddress else { return 0 }
                return pread(descriptor, base + filled, count - filled, off_t(offset + filled))
            }
            if result < 0 {
                if errno == EINTR { continue }
                throw FileError.system(path: path, operation: .read, errno: errno)
            }
            if result == 0 { break }
            filled += result
        }
        bytes.removeLast(count - filled)
        return bytes
    }

    /// The first `count` bytes (fewer if the file is shorter): magic numbers, headers.
    public func readPrefix(_ count: Int) throws -> [UInt8] {
        try read(at: 0, count: count)
    }

    /// The whole file, refused before anything is allocated when it is over `limit` bytes.
    /// - Throws: ``FileError/tooLarge(path:size:limit:)`` or a read error.
    public func readAll(limit: Int = .max) throws -> [UInt8] {
        guard size <= limit else { throw FileError.tooLarge(path: path, size: size, limit: limit) }
        return try read(at: 0, count: size)
    }
}
