#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A file that appears at `destination` only when complete: bytes go to
/// `<destination>.tmp-XXXXXX` in the same directory, ``commit()`` fsyncs it, renames it into place
/// and fsyncs the directory. Dropped or ``discard()``ed before committing, the temporary file is
/// removed, so a failed or interrupted write never leaves a partial file under the final name.
/// An existing destination is replaced atomically. The temporary file is reported to
/// ``NPYTemporaryFiles`` so an interrupted application can remove it.
final class _AtomicFile {
    let destination: String
    let temporaryPath: String
    private var fd: Int32
    private var done = false

    init(destination: String) throws {
        self.destination = destination
        var generator = SystemRandomNumberGenerator()
        let alphabet = Array("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789".utf8)
        for _ in 0..<100 {
            let suffix = String(decoding: (0..<6).map { _ in alphabet.randomElement(using: &generator) ?? 0x61 }, as: UTF8.self)
            let candidate = destination + ".tmp-" + suffix
            // 0o666 minus the umask, like any other new file (mkstemp would force 0600).
            let descriptor = open(candidate, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o666)
            if descriptor >= 0 {
                self.fd = descriptor
                self.temporaryPath = candidate
                NPYTemporaryFiles.didCreate(candidate)
                return
            }
            if errno != EEXIST {
                throw NPYError.io(path: destination, operation: "create temporary file", errno: errno)
            }
        }
        throw NPYError.io(path: destination, operation: "create temporary file", errno: EEXIST)
    }

    deinit {
        discard()
    }

    /// Writes all of `bytes` at the current position.
    func write(_ bytes: UnsafeRawBufferPointer) throws {
        guard !done else { throw NPYError.writerClosed(path: destination) }
        guard var base = bytes.baseAddress else { return }
        var remaining = bytes.count
        while remaining > 0 {
            let written = Glibc_write(fd, base, remaining)
            if written < 0 {
                if errno == EINTR { continue }
                throw NPYError.io(path: destination, operation: "write", errno: errno)
            }
            base += written
            remaining -= written
        }
    }

    /// Writes all of `bytes` at `offset` without moving the current position.
    func write(_ bytes: UnsafeRawBufferPointer, at offset: Int) throws {
        guard !done else { throw NPYError.writerClosed(path: destination) }
        guard var base = bytes.baseAddress else { return }
        var remaining = bytes.count
        var position = off_t(offset)
        while remaining > 0 {
            let written = pwrite(fd, base, remaining, position)
            if written < 0 {
                if errno == EINTR { continue }
                throw NPYError.io(path: destination, operation: "write", errno: errno)
            }
            base += written
            remaining -= written
            position += off_t(written)
        }
    }

    /// Flushes the file to disk and renames it to `destination`.
    func commit() throws {
        guard !done else { throw NPYError.writerClosed(path: destination) }
        if fsync(fd) != 0 {
            let code = errno
            discard()
            throw NPYError.io(path: destination, operation: "fsync", errno: code)
        }
        if close(fd) != 0 {
            let code = errno
            fd = -1
            discard()
            throw NPYError.io(path: destination, operation: "close", errno: code)
        }
        fd = -1
        if rename(temporaryPath, destination) != 0 {
            let code = errno
            discard()
            throw NPYError.io(path: destination, operation: "rename", errno: code)
        }
        done = true
        NPYTemporaryFiles.didFinish(temporaryPath)
        // Make the rename itself durable; failure here cannot un-write the file, so it is ignored.
        let directory = Self.directory(of: destination)
        let directoryFD = open(directory, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        if directoryFD >= 0 {
            _ = fsync(directoryFD)
            _ = close(directoryFD)
        }
    }

    /// Closes and removes the temporary file; a no-op after ``commit()``.
    func discard() {
        guard !done else { return }
        done = true
        if fd >= 0 {
            _ = close(fd)
            fd = -1
        }
        _ = unlink(temporaryPath)
        NPYTemporaryFiles.didFinish(temporaryPath)
    }

    private static func directory(of path: String) -> String {
        guard let slash = path.lastIndex(of: "/") else { return "." }
        return slash == path.startIndex ? "/" : String(path[..<slash])
    }
}

#if canImport(Glibc)
private let Glibc_write = Glibc.write
#elseif canImport(Darwin)
private let Glibc_write = Darwin.write
#endif
