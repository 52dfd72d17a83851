import FileSupport
import Foundation
import ZIPFoundation

/// Reading and writing `.npz` archives: a zip of `.npy` members, one per named array, as
/// `np.savez` (stored) and `np.savez_compressed` (deflated) write them. Member `x.npy` is the
/// array named `x`; names keep their order.
public enum NPZFile {
    /// The most bytes an archive's members may inflate to in total; a zip bomb gets an error
    /// before anything is inflated.
    public static let maxInflatedBytes: UInt64 = 1 << 34

    /// Reads every `.npy` member of `url`, in archive order.
    /// - Throws: ``NPYError/badArchive(path:reason:)`` for a damaged archive, a member that is not
    ///   `.npy` or claims more than ``maxInflatedBytes``; the `.npy` parser's errors, naming the member.
    public static func read(contentsOf url: URL) throws -> [(name: String, array: NPYArray)] {
        let path = url.path
        let file = try NPYError.translating { try RegularFile(path: path) }
        let bytes = try NPYError.translating { try file.read(at: 0, count: file.size) }
        let archive: Archive
        do {
            archive = try Archive(data: Data(bytes), accessMode: .read)
        } catch {
            throw NPYError.badArchive(path: path, reason: "not a readable .npz (zip) archive")
        }
        var total: UInt64 = 0
        var out: [(String, NPYArray)] = []
        for entry in archive where entry.type == .file {
            guard entry.path.hasSuffix(".npy") else {
                throw NPYError.badArchive(path: path, reason: "member '\(entry.path)' is not a .npy array")
            }
            total += entry.uncompressedSize
            guard total <= maxInflatedBytes else {
                throw NPYError.badArchive(path: path, reason: "the members claim more than \(maxInflatedBytes >> 30) GiB")
            }
            var data = Data()
            // Grown as the bytes come, not reserved for what the entry claims.
            data.reserveCapacity(Int(min(entry.uncompressedSize, 64 << 20)))
            let member = "\(path)[\(entry.path)]"
            let headerBytes = Int(min(entry.uncompressedSize, UInt64(12 + NPYHeader.maxHeaderLength)))
            var headerChecked = false
            do {
                _ = try archive.extract(entry, skipCRC32: false) { chunk in
                    data.append(chunk)
                    if UInt64(data.count) > entry.uncompressedSize {
                        throw NPYError.badArchive(path: path, reason: "member '\(entry.path)' inflates past its declared size")
                    }
                    // The .npy header says how many bytes the array has: check it against the
                    // entry's size as soon as it has arrived, before inflating the rest (a bomb
                    // of zeros has no header; a lying one declares a size that does not match).
                    if !headerChecked, data.count >= headerBytes {
                        headerChecked = true
                        let header = try data.withUnsafeBytes { try NPYHeader.parse(UnsafeRawBufferPointer(rebasing: $0.prefix(headerBytes)), path: member) }
                        let (size, overflow) = header.dataOffset.addingReportingOverflow(header.dataByteCount)
                        guard !overflow, UInt64(size) == entry.uncompressedSize else {
                            throw NPYError.badArchive(path: path, reason: "member '\(entry.path)' declares \(header.shape) but holds \(entry.uncompressedSize) bytes")
                        }
                    }
                }
            } catch let error as NPYError {
                throw error
            } catch {
                throw NPYError.badArchive(path: path, reason: "member '\(entry.path)' is damaged (\(error))")
            }
            let array = try data.withUnsafeBytes { try NPYArray(npyBytes: $0, path: member) }
            out.append((String(entry.path.dropLast(4)), array))
        }
        return out
    }

    /// Writes `arrays` as an uncompressed `.npz` (what `np.savez` writes), atomically; an
    /// existing file is replaced only with `overwrite`.
    /// - Throws: ``NPYError/badArchive(path:reason:)`` for duplicate or empty names, I/O errors.
    public static func write(_ arrays: [(name: String, array: NPYArray)], to url: URL, overwrite: Bool = true) throws {
        let path = url.path
        var seen = Set<String>()
        for (name, _) in arrays where name.isEmpty || !seen.insert(name).inserted {
            throw NPYError.badArchive(path: path, reason: name.isEmpty ? "an array has an empty name" : "two arrays are named '\(name)'")
        }
        let archive: Archive
        do {
            archive = try Archive(accessMode: .create)
            for (name, array) in arrays {
                let bytes = Data(try array.npyBytes())
                try archive.addEntry(with: name + ".npy", type: .file, uncompressedSize: Int64(bytes.count),
                                     compressionMethod: .none) { position, size in
                    bytes.subdata(in: Int(position)..<(Int(position) + size))
                }
            }
        } catch let error as NPYError {
            throw error
        } catch {
            throw NPYError.badArchive(path: path, reason: "cannot build the archive (\(error))")
        }
        guard let data = archive.data else { throw NPYError.badArchive(path: path, reason: "cannot build the archive") }
        try NPYError.translating {
            let file = try AtomicOutput(destination: path, overwrite: overwrite, permissions: nil)
            try data.withUnsafeBytes { try file.write($0) }
            try file.commit()
        }
    }
}
