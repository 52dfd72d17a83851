import FileSupport
import Foundation
import SWMFormat
import SafetensorsFormat

/// A `.swm` file validated completely: header, tensor table, graph and every tensor's checksum
/// (`wtool check`). Opening a `.swm` checks everything but the checksums, which cost a read of
/// every byte; this reads them all.
///
/// A safetensors file gets the checks its format allows (it has no checksums): the header rules,
/// then wtool's embedded graph bound to the tensors and validated, or, for a weights-only file,
/// every tensor of a type wtool reads.
public enum ModelCheck {
    /// What a sound file holds.
    public struct Report: Sendable {
        /// Number of tensors.
        public var tensorCount: Int
        /// File size in bytes.
        public var fileSize: Int
        /// The format version, `major.minor` for a `.swm`; for safetensors what the file holds
        /// (`safetensors + wtool graph 1`, `safetensors, weights only`).
        public var version: String
        /// Tensors whose bytes are not aligned to their element size (safetensors written with an
        /// unpadded header): reading copies them instead of mapping them.
        public var misalignedTensors: [String] = []
    }

    /// Checks the `.swm` at `path`.
    /// - Parameter progress: called with (tensors checked, tensors) as checksums are recomputed.
    /// - Throws: ``WToolError`` naming the file: not a `.swm`, a rule the file breaks, or the first
    ///   tensor whose bytes do not match their CRC-32.
    public static func check(path: String, progress: ((Int, Int) -> Void)? = nil) throws -> Report {
        let file = try ModelLoader.open(path)
        let format = try ModelFormat.detect(file: file)
        if format == .safetensors { return try checkSafetensors(file, path: path) }
        guard format == .swm else {
            throw WToolError.unknownFormat(path: path, detail: "not a .swm file or a .safetensors file (what wtool check validates)")
        }
        do {
            let swm = try SWMFile(file: file)
            _ = try swm.graph()
            try verifyChecksums(of: swm, path: path, progress: progress)
            return Report(tensorCount: swm.tensors.count, fileSize: swm.fileSize,
                          version: "\(swm.header.majorVersion).\(swm.header.minorVersion)")
        } catch {
            throw WToolError.wrap(error, path: path)
        }
    }

    private static func checkSafetensors(_ file: RegularFile, path: String) throws -> Report {
        do {
            let safetensors = try SafetensorsFile(file: file)
            let version: String
            if safetensors.hasGraph {
                _ = try safetensors.graph()
                version = "safetensors + wtool graph \(safetensors.metadata?[SafetensorsModelMetadata.versionKey] ?? "?")"
            } else {
                _ = try safetensors.weights()
                version = "safetensors, weights only"
            }
            return Report(tensorCount: safetensors.tensors.count, fileSize: safetensors.fileSize, version: version,
                          misalignedTensors: safetensors.misalignedTensors)
        } catch {
            throw WToolError.wrap(error, path: path)
        }
    }

    /// Recomputes every tensor's CRC-32; throws naming the first tensor that fails.
    static func verifyChecksums(of file: SWMFile, path: String, progress: ((Int, Int) -> Void)? = nil) throws {
        let failures = file.verifyChecksums(progress: progress)
        if let first = failures.first {
            let more = failures.count > 1 ? " (and \(failures.count - 1) more)" : ""
            throw WToolError.invalid(path: path, detail: String(format: "tensor '%@' fails its checksum (stored %08x, computed %08x)%@",
                                                                 first.tensor, first.expected, first.actual, more))
        }
    }
}
