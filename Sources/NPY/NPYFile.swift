import FileSupport
import Foundation

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
        let file = try NPYError.translating { try RegularFile(path: path) }
        let prefix = try NPYError.translating { try file.read(at: 0, count: min(file.size, 12 + NPYHeader.maxHeaderLength)) }
        let header = try prefix.withUnsafeBytes { try NPYHeader.parse($0, path: path) }
        let available = file.size - header.dataOffset
        guard available >= header.dataByteCount else {
            throw NPYError.truncatedData(path: path, expected: header.dataByteCount, actual: available)
        }
        guard available == header.dataByteCount else {
            throw NPYError.trailingData(path: path, expected: header.dataByteCount, actual: available)
        }
        let data = try NPYError.translating { try file.read(at: header.dataOffset, count: header.dataByteCount) }
        guard data.count == header.dataByteCount else {  // the file shrank while we read it
            throw NPYError.truncatedData(path: path, expected: header.dataByteCount, actual: data.count)
        }
        return try NPYArray(shape: header.shape, dtype: header.dtype, data: data)
    }

    /// Reads only the header of a `.npy` file (at most the preamble plus the largest allowed header).
    public static func readHeader(contentsOf url: URL) throws -> NPYHeader {
        let path = url.path
        let file = try NPYError.translating { try RegularFile(path: path) }
        let prefix = try NPYError.translating { try file.read(at: 0, count: min(file.size, 12 + NPYHeader.maxHeaderLength)) }
        return try prefix.withUnsafeBytes { try NPYHeader.parse($0, path: path) }
    }

    /// Writes `array` atomically: the bytes go to `<name>.tmp-XXXXXX` beside the destination,
    /// which is fsynced and renamed over `url`; on any error the temporary file is removed and
    /// `url` is untouched. An existing file at `url` is replaced.
    /// - Parameters:
    ///   - version: see ``NPYHeader/encoded(version:)``.
    public static func write(_ array: NPYArray, to url: URL, version: NPYVersion? = nil) throws {
        let bytes = try array.npyBytes(version: version)
        try NPYError.translating {
            let file = try AtomicOutput(destination: url.path, overwrite: true, permissions: nil)
            try file.write(bytes)
            try file.commit()
        }
    }
}

extension NPYError {
    /// Runs file I/O through FileSupport, reporting its failures as ``NPYError/io(path:operation:errno:)``
    /// (a directory or other non-regular file is an `open` failure with `EISDIR`).
    static func translating<T>(_ body: () throws -> T) throws -> T {
        do {
            return try body()
        } catch let error as FileError {
            switch error {
            case let .system(path, operation, code):
                throw NPYError.io(path: path, operation: operation == .create ? "create temporary file" : operation.rawValue, errno: code)
            case let .notRegularFile(path, _):
                throw NPYError.io(path: path, operation: "open", errno: EISDIR)
            case let .tooLarge(path, _, _):
                throw NPYError.io(path: path, operation: "read", errno: EFBIG)
            case let .exists(path):
                throw NPYError.io(path: path, operation: "create", errno: EEXIST)
            }
        }
    }
}

extension NPYArray {
    /// Writes the array to `url` atomically; see ``NPYFile/write(_:to:version:)``.
    public func write(to url: URL, version: NPYVersion? = nil) throws {
        try NPYFile.write(self, to: url, version: version)
    }
}
