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
        self.temporaryPath = String(decoding: template.dropLast().map { UInt8(bitPattern: $0) }, as: UTF8.self)
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

    /// Makes the file durable and visible under its final name. A cache that can be rebuilt passes
    /// `durable: false`: the rename is still atomic, without waiting for the disk.
    public func commit(durable: Bool = true) throws {
        guard !durable || fsync(fd) == 0 else { throw Failure(path: destination, detail: "fsync failed: \(String(cString: strerror(errno)))") }
        Glibc.close(fd)
        fd = -1
        guard rename(temporaryPath, destination) == 0 else {
            throw Failure(path: destination, detail: "rename failed: \(String(cString: strerror(errno)))")
        }
        committed = true
        guard durable else { return }
        let directory = (destination as NSString).deletingLastPathComponent
        let dfd = Glibc.open(directory.isEmpty ? "." : directory, O_RDONLY | O_DIRECTORY)
        if dfd >= 0 {
            fsync(dfd)
            Glibc.close(dfd)
        }
    }
}

/// Temporary outputs in flight, so a SIGINT/SIGTERM handler can remove them before exiting.
///
/// `AtomicOutput` registers its files itself; other writers (NPY's, which depends on nothing)
/// register theirs through a hook the application installs. Once `removeAll()` has run, the
/// process is going away: a file registered after that is removed at once, so a writer racing
/// the signal handler cannot leave one behind.
public final class TemporaryFiles: @unchecked Sendable {
    public static let shared = TemporaryFiles()
    private let lock = NSLock()
    private var paths = Set<String>()
    private var actions: [Int: @Sendable () -> Void] = [:]
    private var nextAction = 0
    private var interrupted = false

    /// Tracks `path` until `unregister(_:)`.
    public func register(_ path: String) {
        lock.withLock {
            if interrupted { unlink(path) } else { paths.insert(path) }
        }
    }

    /// Stops tracking `path` (it was renamed into place or removed).
    public func unregister(_ path: String) { lock.withLock { _ = paths.remove(path) } }

    /// Adds work for `removeAll()` to do first, e.g. killing a child process that is writing a
    /// file of its own. Returns a token for `cancel(_:)`.
    public func onInterrupt(_ action: @escaping @Sendable () -> Void) -> Int {
        lock.withLock {
            nextAction += 1
            actions[nextAction] = action
            return nextAction
        }
    }

    /// Drops an action added with `onInterrupt(_:)`.
    public func cancel(_ token: Int) { lock.withLock { _ = actions.removeValue(forKey: token) } }

    /// Runs the interrupt actions, then removes every registered temporary file (called on
    /// SIGINT/SIGTERM). Later registrations are removed as they come.
    public func removeAll() {
        lock.withLock {
            interrupted = true
            for (_, action) in actions.sorted(by: { $0.key < $1.key }) { action() }
            actions.removeAll()
            for p in paths { unlink(p) }
            paths.removeAll()
        }
    }
}
