import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Reading and writing `.npy` files on disk. Parsing itself works on bytes
/// (``NPYArray/init(npyBytes:path:)``); this type only does the file I/O.
public enum NPYFile {
    /// Reads a whole `.npy` file. The header is parsed and the file size checked against it
    /// before the data buffer is allocated, so a hostile header cannot trigger a huge allocation,
    /// and the data is read straight into the array (no second copy).
    /// - Parameter url: a file URL.
    /// - Throws: ``NPYError/io(path:operation:errno:)`` if the file cannot be read, otherwise the
    ///   errors of ``NPYArray/init(npyBytes:path:)``, naming the file.
    public static func read(contentsOf url: URL) throws -> NPYArray {
        let path = url.path
        let file = try _ReadableFile(path: path)
        let prefix = try file.read(at: 0, count: min(file.size, 12 + NPYHeader.maxHeaderLength))
        let header = try prefix.withUnsafeBytes { try NPYHeader.parse($0, path: path) }
        let available = file.size - header.dataOffset
        guard available >= header.dataByteCount else {
            throw NPYError.truncatedData(path: path, expected: header.dataByteCount, actual: available)
        }
        guard available == header.dataByteCount else {
            throw NPYError.trailingData(path: path, expected: header.dataByteCount, actual: available)
        }
        let data = try file.read(at: header.dataOffset, count: header.dataByteCount)
        guard data.count == header.dataByteCount else {  // the file shrank while we read it
            throw NPYError.truncatedData(path: path, expected: header.dataByteCount, actual: data.count)
        }
        return try NPYArray(shape: header.shape, dtype: header.dtype, data: data)
    }

    /// Reads only the header of a `.npy` file (at most the preamble plus the largest allowed header).
    public static func readHeader(contentsOf url: URL) throws -> NPYHeader {
        let path = url.path
        let file = try _ReadableFile(path: path)
        let prefix = try file.read(at: 0, count: min(file.size, 12 + NPYHeader.maxHeaderLength))
        return try prefix.withUnsafeBytes { try NPYHeader.parse($0, path: path) }
    }

    /// Writes `array` atomically: the bytes go to `<name>.tmp-XXXXXX` beside the destination,
    /// which is fsynced and renamed over `url`; on any error the temporary file is removed and
    /// `url` is untouched. An existing file at `url` is replaced.
    /// - Parameters:
    ///   - version: see ``NPYHeader/encoded(version:)``.
    public static func write(_ array: NPYArray, to url: URL, version: NPYVersion? = nil) throws {
        let bytes = try array.npyBytes(version: version)
        let file = try _AtomicFile(destination: url.path)
        try bytes.withUnsafeBytes { try file.write($0) }
        try file.commit()
    }
}

/// An open regular file for positioned reads; closed on deinit.
final class _ReadableFile {
    let path: String
    let size: Int
    private let fd: Int32

    init(path: String) throws {
        // O_NONBLOCK: a FIFO would block the open itself; fstat below refuses it instead.
        let fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK)
        guard fd >= 0 else { throw NPYError.io(path: path, operation: "open", errno: errno) }
        var info = stat()
        guard fstat(fd, &info) == 0 else {
            let code = errno
            _ = close(fd)
            throw NPYError.io(path: path, operation: "stat", errno: code)
        }
        guard (info.st_mode & S_IFMT) == S_IFREG else {
            _ = close(fd)
            throw NPYError.io(path: path, operation: "open", errno: EISDIR)
        }
        self.path = path
        self.size = Int(info.st_size)
        self.fd = fd
    }

    deinit {
        _ = close(fd)
    }

    /// Up to `count` bytes from `offset`; fewer only if the file ends sooner.
    func read(at offset: Int, count: Int) throws -> [UInt8] {
        var bytes = [UInt8](repeating: 0, count: count)
        var filled = 0
        while filled < count {
            let result = bytes.withUnsafeMutableBytes { buffer -> Int in
                guard let base = buffer.baseAddress else { return 0 }
                return pread(fd, base + filled, count - filled, off_t(offset + filled))
            }
            if result < 0 {
                if errno == EINTR { continue }
                throw NPYError.io(path: path, operation: "read", errno: errno)
            }
            if result == 0 { break }
            filled += result
        }
        bytes.removeLast(count - filled)
        return bytes
    }
}

extension NPYArray {
    /// Writes the array to `url` atomically; see ``NPYFile/write(_:to:version:)``.
    public func write(to url: URL, version: NPYVersion? = nil) throws {
        try NPYFile.write(self, to: url, version: version)
    }
}
