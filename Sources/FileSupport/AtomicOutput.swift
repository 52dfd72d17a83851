import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// An output file that appears only when complete: bytes go to `OUT.tmp-XXXXXX` beside the
/// destination, `commit()` fsyncs it, renames it over the destination and fsyncs the directory.
/// Dropped without `commit()` (an error, a signal), the temporary file is removed. The one atomic
/// writer: every format's writer and every `.npy` goes through it, so `TemporaryFiles` sees every
/// temporary output in flight.
public final class AtomicOutput {
    public let destination: String
    public let temporaryPath: String
    private var fd: Int32
    private var committed = false

    /// Creates the temporary file.
    /// - Parameters:
    ///   - overwrite: when false, refuses an existing destination.
    ///   - permissions: the file's mode; nil leaves it as `open` creates it (0666 minus the umask,
    ///     like any new file).
    /// - Throws: ``FileError/exists(path:)`` or ``FileError/system(path:operation:errno:)`` (`create`).
    public init(destination: String, overwrite: Bool, permissions: mode_t? = 0o644) throws {
        self.destination = destination
        if !overwrite, FileManager.default.fileExists(atPath: destination) {
            throw FileError.exists(path: destination)
        }
        (fd, temporaryPath) = try TemporaryFiles.shared.create { try Self.createTemporary(beside: destination) }
        if let permissions { fchmod(fd, permissions) }
    }

    /// `O_EXCL` under a random `.tmp-XXXXXX` suffix (mkstemp's alphabet), retried on a clash.
    private static func createTemporary(beside destination: String) throws -> (Int32, String) {
        var generator = SystemRandomNumberGenerator()
        let alphabet = Array("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789".utf8)
        for _ in 0..<100 {
            let suffix = String(decoding: (0..<6).map { _ in alphabet.randomElement(using: &generator) ?? 0x61 }, as: UTF8.self)
            let candidate = destination + ".tmp-" + suffix
            let descriptor = open(candidate, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o666)
            if descriptor >= 0 { return (descriptor, candidate) }
            if errno != EEXIST { throw FileError.system(path: destination, operation: .create, errno: errno) }
        }
        throw FileError.system(path: destination, operation: .create, errno: EEXIST)
    }

    deinit {
        discard()
        TemporaryFiles.shared.unregister(temporaryPath)
    }

    /// Appends bytes at the current position.
    public func write(_ bytes: UnsafeRawBufferPointer) throws {
        guard var base = bytes.baseAddress else { return }
        var remaining = bytes.count
        while remaining > 0 {
            let n = Glibc.write(fd, base, remaining)
            if n < 0 {
                if errno == EINTR { continue }
                throw FileError.system(path: destination, operation: .write, errno: errno)
            }
            base += n
            remaining -= n
        }
    }

    /// Appends bytes at the current position.
    public func write(_ bytes: [UInt8]) throws {
        try bytes.withUnsafeBytes { try write($0) }
    }

    /// Writes `count` zero bytes.
    public func writeZeros(_ count: Int) throws {
        guard count > 0 else { return }
        try [UInt8](repeating: 0, count: count).withUnsafeBytes { try write($0) }
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
    /// `durable: false`: the rename is still atomic, without waiting for the disk. On failure the
    /// temporary file is removed (at once or when this value goes away).
    public func commit(durable: Bool = true) throws {
        guard !durable || fsync(fd) == 0 else { throw FileError.system(path: destination, operation: .fsync, errno: errno) }
        let closed = Glibc.close(fd)
        fd = -1
        guard closed == 0 else { throw FileError.system(path: destination, operation: .close, errno: errno) }
        guard rename(temporaryPath, destination) == 0 else {
            throw FileError.system(path: destination, operation: .rename, errno: errno)
        }
        committed = true
        TemporaryFiles.shared.unregister(temporaryPath)
        guard durable else { return }
        // Make the rename itself durable; a failure here cannot un-write the file, so it is ignored.
        let directory = (destination as NSString).deletingLastPathComponent
        let dfd = Glibc.open(directory.isEmpty ? "." : directory, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        if dfd >= 0 {
            fsync(dfd)
            Glibc.close(dfd)
        }
    }

    /// Closes and removes the temporary file; a no-op after ``commit(durable:)``.
    public func discard() {
        if fd >= 0 {
            Glibc.close(fd)
            fd = -1
        }
        guard !committed else { return }
        committed = true  // nothing left to remove
        unlink(temporaryPath)
        TemporaryFiles.shared.unregister(temporaryPath)
    }
}
