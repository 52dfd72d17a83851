import Foundation
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
/// | 8 | 4 | format version (u32 LE) |
/// | 12 | 4 | key length in bytes (u32 LE) |
/// | 16 | 8 | float count (u64 LE) |
/// | 24 | key length | the key, UTF-8 |
/// | 4096 | 4 × count | the floats (native float32) |
///
/// A file is used only if its size, magic, version, key and count all match what the load asks
/// for; anything else is a miss, and the store that follows replaces it. Entries are written
/// through `AtomicOutput` (never seen half-written) without fsync: a cache can be rebuilt. The
/// caller's key names the source bytes, the transform and the shape; `version` changes whenever
/// the bytes a transform produces do. Entries carry no checksum (hashing them would cost what the
/// cache saves): the directory must be one only its user can write to.
public final class DiskKernelCache: Sendable {
    /// The directory holding the entries (created on the first store).
    public let directory: String
    /// Bytes of entries the directory keeps; the least recently used go beyond it.
    public let capacity: Int

    /// Bump when the bytes a transform produces change (coefficients, layout).
    static let version: UInt32 = 1
    static let magic: [UInt8] = [0x89, 0x57, 0x54, 0x4B, 0x0D, 0x0A, 0x1A, 0x0A]
    static let dataOffset = 4096
    static let suffix = ".wk"

    /// A cache in `directory` holding at most `capacity` bytes (4 GiB by default).
    public init(directory: String, capacity: Int = 4 << 30) {
        self.directory = directory
        self.capacity = capacity
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

    /// The cached floats for `key`, mapped, or nil on a miss.
    /// - Returns: the floats and the mapping that keeps them valid.
    public func load(key: String, count: Int) -> (floats: UnsafeBufferPointer<Float>, owner: AnyObject)? {
        let path = path(for: key)
        let header = Self.header(key: key, count: count)
        guard let file = try? MappedFile(path: path), let base = file.bytes.baseAddress,
              file.bytes.count == Self.dataOffset + count * MemoryLayout<Float>.stride,
              header.elementsEqual(file.bytes.prefix(header.count)) else { return nil }
        // Mark it recently used for pruning.
        _ = utimensat(AT_FDCWD, path, nil, 0)
        return (UnsafeBufferPointer(start: (base + Self.dataOffset).assumingMemoryBound(to: Float.self), count: count), file)
    }

    /// Writes `floats` as the entry for `key`. Failures (a read-only or full disk) are ignored:
    /// the next load transforms again.
    public func store(key: String, floats: UnsafeBufferPointer<Float>) {
        var header = Self.header(key: key, count: floats.count)
        guard header.count <= Self.dataOffset else { return }
        header += [UInt8](repeating: 0, count: Self.dataOffset - header.count)
        do {
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
            let output = try AtomicOutput(destination: path(for: key), overwrite: true)
            try output.write(header)
            try output.write(UnsafeRawBufferPointer(floats))
            try output.commit(durable: false)
        } catch {
            return
        }
        prune()
    }

    /// Magic, version, key length, count and key: the bytes before the padding to `dataOffset`.
    private static func header(key: String, count: Int) -> [UInt8] {
        func le<T: FixedWidthInteger>(_ value: T) -> [UInt8] { withUnsafeBytes(of: value.littleEndian) { Array($0) } }
        let keyBytes = Array(key.utf8)
        return magic + le(version) + le(UInt32(keyBytes.count)) + le(UInt64(count)) + keyBytes
    }

    /// Removes the least recently used entries until the rest fit in `capacity`.
    public func prune() {
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: directory) else { return }
        var entries: [(path: String, size: Int, used: Int)] = []
        for name in names where name.hasSuffix(Self.suffix) {
            let path = (directory as NSString).appendingPathComponent(name)
            var info = stat()
            guard stat(path, &info) == 0 else { continue }
            entries.append((path, Int(info.st_size), Int(info.st_mtim.tv_sec) * 1_000_000_000 + Int(info.st_mtim.tv_nsec)))
        }
        var kept = 0
        for entry in entries.sorted(by: { $0.used > $1.used }) {
            kept += entry.size
            if kept > capacity { unlink(entry.path) }
        }
    }
}
