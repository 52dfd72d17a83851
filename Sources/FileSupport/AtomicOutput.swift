import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// An output file that appears only when complete: bytes go to `OUT.tmp-XXXXXX` beside the
/// destination, `commit()` fsyncs it, renames it over the destination and fsyncs the directory.
/// Dropped without `commit()` (an error, a signal), the temporary file is removed.
public final class AtomicOutput {
    public let destination: String
    public let temporaryPath: String
    private var fd: Int32
    private var committed = false

    public struct Failure: Error, CustomStringConvertible {
        public var path: String
        public var detail: String
        public var description: String { "\(path): \(detail)" }
    }

    /// Creates the temporary file.
    /// - Parameter overwrite: when false, refuses an existing destination.
    public init(destination: String, overwrite: Bool) throws {
        self.destination = destination
        if !overwrite, FileManager.default.fileExists(atPath: destination) {
            throw Failure(path: destination, detail: "already exists (use --force to overwrite)")
        }
        var template = Array((destination + ".tmp-XXXXXX").utf8CString)
        let fd = template.withUnsafeMutableBufferPointer { mkstemp($0.baseAddress!) }
        guard fd >= 0 else { throw Failure(path: destination, detail: "cannot create a file here: \(String(cString: strerror(errno)))") }
        self.fd = fd
        self.temporaryPath = String(cString: template)
        fchmod(fd, 0o644)
        TemporaryFiles.shared.register(temporaryPath)
    }

    deinit {
        if fd >= 0 { Glibc.close(fd) }
        if !committed { unlink(temporaryPath) }
        TemporaryFiles.shared.unregister(temporaryPath)
    }

    /// Appends bytes at the current position.
    public func write(_ bytes: UnsafeRawBufferPointer) throws {
        var offset = 0
        while offset < bytes.count {
            let n = Glibc.write(fd, bytes.baseAddress!.advanced(by: offset), bytes.count - offset)
            if n < 0 {
                if errno == EINTR { continue }
                throw Failure(path: destination, detail: "write failed: \(String(cString: strerror(errno)))")
            }
            offset += n
        }
    }

    public func write(_ bytes: [UInt8]) throws {
        try bytes.withUnsafeBytes { try write($0) }
    }

    /// Writes `count` zero bytes.
    public func writeZeros(_ count: Int) throws {
        guard count > 0 else { return }
        try [UInt8](repeating: 0, count: count).withUnsafeBytes { try write($0) }
    }

    /// Overwrites bytes at an absolute offset (headers finished after the data).
    public func write(_ bytes: [UInt8], at offset: Int) throws {
        try bytes.withUnsafeBytes { raw in
            var done = 0
            while done < raw.count {
                let n = pwrite(fd, raw.baseAddress!.advanced(by: done), raw.count - done, off_t(offset + done))
                if n < 0 {
                    if errno == EINTR { continue }
                    throw Failure(path: destination, detail: "write failed: \(String(cString: strerror(errno)))")
                }
                done += n
            }
        }
    }

    /// Makes the file durable and visible under its final name.
    public func commit() throws {
        guard fsync(fd) == 0 else { throw Failure(path: destination, detail: "fsync failed: \(String(cString: strerror(errno)))") }
        Glibc.close(fd)
        fd = -1
        guard rename(temporaryPath, destination) == 0 else {
            throw Failure(path: destination, detail: "rename failed: \(String(cString: strerror(errno)))")
        }
        committed = true
        let directory = (destination as NSString).deletingLastPathComponent
        let dfd = Glibc.open(directory.isEmpty ? "." : directory, O_RDONLY | O_DIRECTORY)
        if dfd >= 0 {
            fsync(dfd)
            Glibc.close(dfd)
        }
    }
}

/// Temporary outputs in flight, so a SIGINT/SIGTERM handler can remove them before exiting.
public final class TemporaryFiles: @unchecked Sendable {
    public static let shared = TemporaryFiles()
    private let lock = NSLock()
    private var paths = Set<String>()

    func register(_ path: String) { lock.withLock { _ = paths.insert(path) } }
    func unregister(_ path: String) { lock.withLock { _ = paths.remove(path) } }

    /// Removes every registered temporary file (called on SIGINT/SIGTERM).
    public func removeAll() {
        lock.withLock {
            for p in paths { unlink(p) }
            paths.removeAll()
        }
    }
}
