import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// A whole file mapped read-only. The only type that calls `mmap`; the mapping lives until the
/// last reference goes away, so views handed out with it as their owner stay valid.
///
/// `PROT_READ` + `MAP_PRIVATE` and never written: its pages may be dropped and re-read, which is
/// what the IR's `FileBackedStorage` promises (the conformance is declared where both modules
/// meet, in the WTool library, since this I/O leaf imports no model code).
public final class MappedFile: @unchecked Sendable {
    public let path: String
    public let bytes: UnsafeRawBufferPointer
    /// Device, inode, size and modification time when mapped.
    private let identity: Identity
    /// Its entry in the table the SIGBUS handler searches (`MappedFile+Faults.swift`).
    private let faultSlot: Int

    private struct Identity: Equatable, CustomStringConvertible {
        var device: UInt64, inode: UInt64, size: Int64, seconds: Int, nanoseconds: Int
        init(_ info: stat) {
            (device, inode, size) = (UInt64(info.st_dev), UInt64(info.st_ino), Int64(info.st_size))
            (seconds, nanoseconds) = (Int(info.st_mtim.tv_sec), Int(info.st_mtim.tv_nsec))
        }
        var description: String { "\(device):\(inode):\(size):\(seconds).\(nanoseconds)" }
    }

    /// Opens and maps `path` (`PROT_READ`, `MAP_PRIVATE`). An empty file maps to an empty buffer.
    /// Anything but a regular file (a directory, a FIFO, a device) is refused.
    /// - Throws: ``FileError``.
    public convenience init(path: String) throws {
        try self.init(file: RegularFile(path: path))
    }

    /// Maps a file already open (one open serves a magic check and the mapping).
    /// - Throws: ``FileError/system(path:operation:errno:)`` (`mmap`).
    public init(file: RegularFile) throws {
        path = file.path
        identity = Identity(file.status)
        if file.size == 0 {
            bytes = UnsafeRawBufferPointer(start: nil, count: 0)
            faultSlot = -1
            return
        }
        let address = mmap(nil, file.size, PROT_READ, MAP_PRIVATE, file.descriptor, 0)
        guard let address, address != MAP_FAILED else {
            throw FileError.system(path: path, operation: .mmap, errno: errno)
        }
        bytes = UnsafeRawBufferPointer(start: address, count: file.size)
        faultSlot = _MappingTable.add(bytes, path: path)
    }

    deinit {
        _MappingTable.remove(faultSlot)
        if let base = bytes.baseAddress { munmap(UnsafeMutableRawPointer(mutating: base), bytes.count) }
    }

    /// A string that names the bytes at `pointer` and changes when they could have: the file's
    /// device, inode, size and modification time, and the offset. Nil when `pointer` is outside
    /// the mapping or the path no longer names the mapped file (a temporary file already
    /// unlinked, a file replaced since it was mapped), so nothing derived from it outlives it.
    public func sourceIdentity(of pointer: UnsafeRawPointer) -> String? {
        guard let base = bytes.baseAddress, pointer >= base, pointer < base + bytes.count else { return nil }
        var info = stat()
        guard stat(path, &info) == 0, info.st_nlink > 0, Identity(info) == identity else { return nil }
        return "\(identity)@\(pointer - base)"
    }
}
