import Foundation
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// Transformed kernels kept on disk between processes: a load that finds its entry maps it
/// (zero-copy, the pages shared through the page cache) instead of transforming the kernel again.
/// The runtime reaches it only through its `KernelStore` protocol (the WTool library declares the
/// conformance), so it knows no file.
///
/// One file per kernel, `<FNV-1a of the key>.wk`:
///
/// | offset | bytes | field |
/// |---|---|---|
/// | 0 | 8 | magic `89 57 54 4B 0D 0A 1A 0A` (`\x89WTK\r\n\x1a\n`) |
/// | 8 | 4 | format version (u32 LE), 2 |
/// | 12 | 4 | key length in bytes (u32 LE) |
/// | 16 | 8 | float count (u64 LE) |
/// | 24 | 8 | XXH64 of the floats' bytes (u64 LE) |
/// | 32 | key length | the key, UTF-8 |
/// | 4096 | 4 × count | the floats (native float32) |
///
/// **Nothing unchecked is used.** An entry is used only if its size, magic, version, key and count
/// match what the load asks for *and* its floats hash to the stored XXH64, verified every time it
/// is mapped. XXH64 in Swift measured 6.9 GB/s on this machine: 18 ms for the 120 MiB of VGG16's
/// entries, against ~70 ms to transform them (zlib's CRC-32: 40 ms; see `_XXH64`). An entry
/// whose floats do not match (a flipped bit, a torn file) is removed, reported through `warn`, and
/// a miss: the runtime transforms again and stores a good one. Another version's entry, or another
/// key's (a hash collision), is a quiet miss and replaced.
///
/// **Only the user's own files.** The directory is created 0700; a directory, or an entry, that is
/// not owned by the effective user, or that group or others may write, is never used (the cache
/// runs as if absent, with one warning), nor is an entry that is a symbolic link. The checksum
/// catches corruption; these rules keep out a forger, which no fast hash could.
///
/// **Concurrent writers are safe.** Each store writes its own unnamed file (`AtomicOutput`) and
/// renames it over the entry's name: two processes filling one entry each install a complete
/// file, and a reader maps one or the other, never a mix. Entries are not fsynced (a cache can be
/// rebuilt; a torn one fails its checksum). The caller's key names the source bytes, the transform
/// and the shape; `version` changes whenever the bytes a transform produces do.
public final class DiskKernelCache: Sendable {
    /// The directory holding the entries (created 0700 on the first store).
    public let directory: String
    /// Bytes of entries the directory keeps; the least recently used go beyond it.
    public let capacity: Int
    /// Receives one line for each entry discarded and for a directory refused (once per cache).
    public let warn: @Sendable (String) -> Void
    private let refusedDirectory = _Once()
    /// Bytes of entries this process believes the directory holds: nil until the first prune
    /// scans it, then grown by each store, so that a load storing many kernels scans the
    /// directory once, and again only when the estimate passes `capacity`.
    private let estimatedBytes = Mutex<Int?>(nil)

    /// Bump when the bytes a transform produces change (coefficients, layout) or the entry format does.
    static let version: UInt32 = 2
    static let magic: [UInt8] = [0x89, 0x57, 0x54, 0x4B, 0x0D, 0x0A, 0x1A, 0x0A]
    static let checksumOffset = 24
    static let keyOffset = 32
    static let dataOffset = 4096
    static let suffix = ".wk"

    /// A cache in `directory` holding at most `capacity` bytes (4 GiB by default).
    /// - Parameter warn: where the one-line reports of discarded entries go (nowhere by default;
    ///   wtool prints them on stderr).
    public init(directory: String, capacity: Int = 4 << 30, warn: @escaping @Sendable (String) -> Void = { _ in }) {
        self.directory = directory
        self.capacity = capacity
        self.warn = warn
    }

    /// The entry's path: a 64-bit FNV-1a hash of the key (the key itself is checked on load).
    func path(for key: String) -> String {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in key.utf8 {
            hash ^= UInt64(byte)
            hash = hash &* 0x0000_0100_0000_01b3
        }
        let hex = String(hash, radix: 16)
        return (directory as NSString).appendingPathComponent(String(repeating: "0", count: 16 - hex.count) + hex + Self.suffix)
    }

    /// Why a file the cache holds cannot be trusted, or nil: not the user's, writable by others.
    static func ownershipProblem(_ info: stat) -> String? {
        if info.st_uid != geteuid() { return "owned by uid \(info.st_uid), not by this user (\(geteuid()))" }
        if info.st_mode & 0o022 != 0 { return String(format: "writable by group or others (mode %o)", info.st_mode & 0o7777) }
        return nil
    }

    /// Nil when the directory may be used (it exists, is the user's, and no one else may write
    /// it); otherwise why not. A missing directory is not a problem (`exists` false).
    private func directoryProblem() -> (exists: Bool, problem: String?) {
        var info = stat()
        guard stat(directory, &info) == 0 else { return (false, nil) }
        guard info.st_mode & S_IFMT == S_IFDIR else { return (true, "not a directory") }
        return (true, Self.ownershipProblem(info))
    }

    /// Warns once, then reports the directory unusable.
    private func directoryUsable() -> Bool {
        guard let problem = directoryProblem().problem else { return true }
        refusedDirectory.run { warn("kernel cache \(directory): \(problem); not used (transformed kernels are not kept)") }
        return false
    }

    /// The cached floats for `key`, mapped and verified, or nil on a miss.
    /// - Returns: the floats and the mapping that keeps them valid.
    public func load(key: String, count: Int) -> (floats: UnsafeBufferPointer<Float>, owner: AnyObject)? {
        let path = path(for: key)
        guard count >= 0, directoryUsable() else { return nil }
        guard let file = try? RegularFile(path: path, followSymlinks: false) else { return nil }
        if let problem = Self.ownershipProblem(file.status) {
            discard(path, "\(problem); never used")
            return nil
        }
        guard let mapping = try? MappedFile(file: file), let base = mapping.bytes.baseAddress else { return nil }
        let header = Self.header(key: key, count: count, checksum: 0)
        guard mapping.bytes.count >= Self.keyOffset,
              header[..<Self.checksumOffset].elementsEqual(mapping.bytes[..<Self.checksumOffset]),
              header[Self.keyOffset...].elementsEqual(mapping.bytes[Self.keyOffset..<min(mapping.bytes.count, header.count)]) else {
            return nil  // another version's or another key's entry (or garbage): replaced by the store
        }
        let (expectedSize, overflow) = (count * MemoryLayout<Float>.stride).addingReportingOverflow(Self.dataOffset)
        guard !overflow, mapping.bytes.count == expectedSize else {
            discard(path, "\(mapping.bytes.count) bytes where \(expectedSize) were expected (truncated or damaged); discarded, the kernel is transformed again")
            return nil
        }
        let stored = UInt64(littleEndian: base.loadUnaligned(fromByteOffset: Self.checksumOffset, as: UInt64.self))
        let data = UnsafeRawBufferPointer(rebasing: mapping.bytes[Self.dataOffset...])
        guard _XXH64.hash(data) == stored else {
            discard(path, "checksum mismatch (the entry is damaged); discarded, the kernel is transformed again")
            return nil
        }
        // Mark it recently used for pruning.
        _ = utimensat(AT_FDCWD, path, nil, 0)
        return (UnsafeBufferPointer(start: (base + Self.dataOffset).assumingMemoryBound(to: Float.self), count: count), mapping)
    }

    private func discard(_ path: String, _ why: String) {
        unlink(path)
        warn("kernel cache entry \(path): \(why)")
    }

    /// Writes `floats` as the entry for `key`. Failures (a read-only or full disk, a directory
    /// that is not the user's) are ignored: the next load transforms again.
    public func store(key: String, floats: UnsafeBufferPointer<Float>) {
        var header = Self.header(key: key, count: floats.count, checksum: _XXH64.hash(UnsafeRawBufferPointer(floats)))
        guard header.count <= Self.dataOffset else { return }
        header += [UInt8](repeating: 0, count: Self.dataOffset - header.count)
        do {
            try Self.makeDirectory(directory)
            guard directoryUsable() else { return }
            let output = try AtomicOutput(destination: path(for: key), overwrite: true, permissions: 0o600)
            output.startsWriteback = false  // not durable: the page cache may keep it
            try output.write(header)
            try output.write(UnsafeRawBufferPointer(floats))
            try output.commit(durable: false)
        } catch {
            return
        }
        let stored = Self.dataOffset + floats.count * MemoryLayout<Float>.size
        let total = estimatedBytes.withLock { estimate in
            if let known = estimate { estimate = known + stored }
            return estimate
        }
        if total.map({ $0 > capacity }) ?? true { prune() }
    }

    /// `mkdir -p` with mode 0700 for every directory it creates (the umask cannot widen it).
    static func makeDirectory(_ path: String) throws {
        var info = stat()
        if stat(path, &info) == 0 { return }
        let parent = (path as NSString).deletingLastPathComponent
        if !parent.isEmpty, parent != path { try makeDirectory(parent) }
        if mkdir(path, 0o700) != 0, errno != EEXIST {
            throw FileError.system(path: path, operation: .create, errno: errno)
        }
    }

    /// Magic, version, key length, count, checksum and key: the bytes before the padding.
    private static func header(key: String, count: Int, checksum: UInt64) -> [UInt8] {
        func le<T: FixedWidthInteger>(_ value: T) -> [UInt8] { withUnsafeBytes(of: value.littleEndian) { Array($0) } }
        let keyBytes = Array(key.utf8)
        return magic + le(version) + le(UInt32(truncatingIfNeeded: keyBytes.count)) + le(UInt64(count)) + le(checksum) + keyBytes
    }

    /// Removes the least recently used entries until the rest fit in `capacity`, and temporary
    /// files an interrupted store left (named ones, on filesystems without `O_TMPFILE`) once they
    /// are ten minutes old.
    public func prune() {
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: directory) else { return }
        var entries: [(path: String, size: Int, used: Int)] = []
        let now = Int(Date().timeIntervalSince1970)
        for name in names {
            let path = (directory as NSString).appendingPathComponent(name)
            var info = stat()
            guard lstat(path, &info) == 0 else { continue }
            if name.contains(Self.suffix + ".tmp-") {
                if now - Int(info.st_mtim.tv_sec) > 600 { unlink(path) }
                continue
            }
            guard name.hasSuffix(Self.suffix) else { continue }
            entries.append((path, Int(info.st_size), Int(info.st_mtim.tv_sec) * 1_000_000_000 + Int(info.st_mtim.tv_nsec)))
        }
        var kept = 0, keptBytes = 0
        for entry in entries.sorted(by: { $0.used > $1.used }) {
            kept += entry.size
            if kept > capacity { unlink(entry.path) } else { keptBytes = kept }
        }
        estimatedBytes.withLock { $0 = keptBytes }
    }
}

extension DiskKernelCache {
    /// What ``verify()`` found.
    public struct Report: Sendable {
        /// The directory's own problem (not the user's, writable by others), if any.
        public var directoryProblem: String?
        /// Entries whose checksum and header hold.
        public var good = 0
        /// Bytes in good entries.
        public var goodBytes = 0
        /// Entries of another format version: never used, replaced when their kernel is stored.
        public var stale = 0
        /// Entries that would be refused or discarded, with why: `(path, detail)`.
        public var damaged: [(path: String, detail: String)] = []
        /// True when nothing needs attention.
        public var isClean: Bool { directoryProblem == nil && damaged.isEmpty }
    }

    /// Checks every entry as a load would (ownership, mode, header, size, checksum) without
    /// removing anything: `wtool check --kernel-cache`.
    /// - Parameter progress: called with (entries checked, entries).
    /// - Throws: ``FileError`` when the directory cannot be listed (a missing one is empty).
    public func verify(progress: (Int, Int) -> Void = { _, _ in }) throws -> Report {
        var report = Report()
        let (exists, problem) = directoryProblem()
        report.directoryProblem = problem
        guard exists else { return report }
        let names: [String]
        do {
            names = try FileManager.default.contentsOfDirectory(atPath: directory).filter { $0.hasSuffix(Self.suffix) }.sorted()
        } catch {
            throw FileError.system(path: directory, operation: .read, errno: (error as NSError).code == 0 ? EIO : EACCES)
        }
        for (index, name) in names.enumerated() {
            let path = (directory as NSString).appendingPathComponent(name)
            switch Self.check(entry: path) {
            case let .good(bytes):
                report.good += 1
                report.goodBytes += bytes
            case .stale: report.stale += 1
            case let .bad(detail): report.damaged.append((path, detail))
            }
            progress(index + 1, names.count)
        }
        return report
    }

    private enum EntryCheck { case good(Int), stale, bad(String) }

    private static func check(entry path: String) -> EntryCheck {
        let file: RegularFile
        do {
            file = try RegularFile(path: path, followSymlinks: false)
        } catch let error as FileError {
            if case .system(_, _, ELOOP) = error { return .bad("a symbolic link") }
            return .bad(error.detail)
        } catch {
            return .bad("\(error)")
        }
        if let problem = ownershipProblem(file.status) { return .bad(problem) }
        guard let mapping = try? MappedFile(file: file), let base = mapping.bytes.baseAddress,
              mapping.bytes.count >= keyOffset, mapping.bytes.prefix(8).elementsEqual(magic) else {
            return .bad("not a kernel-cache entry")
        }
        func u32(_ at: Int) -> UInt32 { UInt32(littleEndian: base.loadUnaligned(fromByteOffset: at, as: UInt32.self)) }
        func u64(_ at: Int) -> UInt64 { UInt64(littleEndian: base.loadUnaligned(fromByteOffset: at, as: UInt64.self)) }
        guard u32(8) == version else { return .stale }
        let count = u64(16)
        guard Int(u32(12)) <= dataOffset - keyOffset, count <= UInt64(Int.max / 4 - dataOffset),
              mapping.bytes.count == dataOffset + Int(count) * 4 else {
            return .bad("\(mapping.bytes.count) bytes, which its header does not describe (truncated or damaged)")
        }
        guard _XXH64.hash(UnsafeRawBufferPointer(rebasing: mapping.bytes[dataOffset...])) == u64(checksumOffset) else {
            return .bad("checksum mismatch (damaged)")
        }
        return .good(mapping.bytes.count)
    }
}

/// Runs a closure the first time only (a warning printed once per cache).
private final class _Once: @unchecked Sendable {
    private let lock = NSLock()
    private var done = false
    func run(_ body: () -> Void) {
        let first = lock.withLock { () -> Bool in
            defer { done = true }
            return !done
        }
        if first { body() }
    }
}
