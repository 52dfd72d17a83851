import Foundation
import ModelIR
#if canImport(Glibc)
import Glibc
#endif

/// A whole file mapped read-only. The only type that calls `mmap`; the mapping lives until the
/// last reference goes away, so views handed out with it as their owner stay valid.
public final class MappedFile: @unchecked Sendable {
    public let path: String
    public let bytes: UnsafeRawBufferPointer
    /// Device, inode, size and modification time when mapped.
    private let identity: Identity

    private struct Identity: Equatable, CustomStringConvertible {
        var device: UInt64, inode: UInt64, size: Int64, seconds: Int, nanoseconds: Int
        init(_ info: stat) {
            (device, inode, size) = (UInt64(info.st_dev), UInt64(info.st_ino), Int64(info.st_size))
            (seconds, nanoseconds) = (Int(info.st_mtim.tv_sec), Int(info.st_mtim.tv_nsec))
        }
        var description: String { "\(device):\(inode):\(size):\(seconds).\(nanoseconds)" }
    }

    /// Maps `path` read-only (`PROT_READ`, `MAP_PRIVATE`). An empty file maps to an empty buffer.
    /// Anything but a regular file (a directory, a FIFO, a device) is refused.
    public init(path: String) throws {
        self.path = path
        // O_NONBLOCK: opening a FIFO with no writer would otherwise block forever before fstat
        // can refuse it; on a regular file the flag changes nothing.
        let fd = Glibc.open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK)
        guard fd >= 0 else { throw MappedFile.Failure(path: path, detail: String(cString: strerror(errno))) }
        defer { _ = Glibc.close(fd) }
        var info = stat()
        guard fstat(fd, &info) == 0 else { throw MappedFile.Failure(path: path, detail: String(cString: strerror(errno))) }
        guard (info.st_mode & S_IFMT) == S_IFREG else { throw MappedFile.Failure(path: path, detail: "not a regular file") }
        let size = Int(info.st_size)
        identity = Identity(info)
        if size == 0 {
            bytes = UnsafeRawBufferPointer(start: nil, count: 0)
            return
        }
        let address = mmap(nil, size, PROT_READ, MAP_PRIVATE, fd, 0)
        guard let address, address != MAP_FAILED else {
            throw MappedFile.Failure(path: path, detail: "mmap failed: \(String(cString: strerror(errno)))")
        }
        bytes = UnsafeRawBufferPointer(start: address, count: size)
    }

    /// Why a file could not be mapped.
    public struct Failure: Error, CustomStringConvertible {
        public var path: String
        public var detail: String
        public var description: String { "\(path): \(detail)" }
    }

    deinit {
        if let base = bytes.baseAddress { munmap(UnsafeMutableRawPointer(mutating: base), bytes.count) }
    }
}

/// `PROT_READ` + `MAP_PRIVATE` and never written: its pages may be dropped and re-read.
extension MappedFile: FileBackedStorage {
    public func sourceIdentity(of pointer: UnsafeRawPointer) -> String? {
        guard let base = bytes.baseAddress, pointer >= base, pointer < base + bytes.count else { return nil }
        var info = stat()
        guard stat(path, &info) == 0, info.st_nlink > 0, Identity(info) == identity else { return nil }
        return "\(identity)@\(pointer - base)"
    }
}
