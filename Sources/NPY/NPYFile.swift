import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Reading and writing `.npy` files on disk. Parsing itself works on bytes
/// (``NPYArray/init(npyBytes:path:)``); this type only does the file I/O.
public enum NPYFile {
    /// Reads a whole `.npy` file.
    /// - Parameter url: a file URL.
    /// - Throws: ``NPYError/io(path:operation:errno:)`` if the file cannot be read, otherwise any
    ///   parse error of ``NPYArray/init(npyBytes:path:)``, naming the file.
    public static func read(contentsOf url: URL) throws -> NPYArray {
        let path = url.path
        let bytes = try readAll(path: path)
        return try bytes.withUnsafeBytes { try NPYArray(npyBytes: $0, path: path) }
    }

    /// Reads only the header of a `.npy` file (at most the preamble plus the largest allowed header).
    public static func readHeader(contentsOf url: URL) throws -> NPYHeader {
        let path = url.path
        let bytes = try readAll(path: path, limit: 12 + NPYHeader.maxHeaderLength)
        return try bytes.withUnsafeBytes { try NPYHeader.parse($0, path: path) }
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

    static func readAll(path: String, limit: Int = .max) throws -> [UInt8] {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw NPYError.io(path: path, operation: "open", errno: errno) }
        defer { _ = close(fd) }
        var info = stat()
        guard fstat(fd, &info) == 0 else { throw NPYError.io(path: path, operation: "stat", errno: errno) }
        guard (info.st_mode & S_IFMT) == S_IFREG else { throw NPYError.io(path: path, operation: "open", errno: EISDIR) }
        let size = min(Int(info.st_size), limit)
        var bytes = [UInt8](repeating: 0, count: size)
        var filled = 0
        while filled < size {
            let count = bytes.withUnsafeMutableBytes { buffer -> Int in
                guard let base = buffer.baseAddress else { return 0 }
                return Glibc_read(fd, base + filled, size - filled)
            }
            if count < 0 {
                if errno == EINTR { continue }
                throw NPYError.io(path: path, operation: "read", errno: errno)
            }
            if count == 0 { break }  // the file shrank while we read it
            filled += count
        }
        bytes.removeLast(size - filled)
        return bytes
    }
}

extension NPYArray {
    /// Writes the array to `url` atomically; see ``NPYFile/write(_:to:version:)``.
    public func write(to url: URL, version: NPYVersion? = nil) throws {
        try NPYFile.write(self, to: url, version: version)
    }
}

#if canImport(Glibc)
private let Glibc_read = Glibc.read
#elseif canImport(Darwin)
private let Glibc_read = Darwin.read
#endif
