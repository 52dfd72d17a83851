import Foundation

/// Every model file format wtool knows, detected from content (magic bytes), not the extension
/// (ONNX, which has no magic, is recognised by its first protobuf fields or its `.onnx` name).
///
/// Detection reads magic bytes only: deciding which Keras flavour an HDF5 file is means parsing it
/// with libhdf5, which happens in the isolated reader, never here.
public enum ModelFormat: Equatable, Sendable, CustomStringConvertible {
    /// wtool's own mappable format (schemas/swm.md).
    case swm
    /// A Keras HDF5 file (`.h5`, `.weights.h5`) or `.keras` zip; the flavour is found when read.
    case keras(KerasContainer)
    /// An ONNX `ModelProto`.
    case onnx

    /// The container a Keras model comes in.
    public enum KerasContainer: String, Sendable {
        /// HDF5: legacy `.h5` (full model or weights only) or Keras 3 `.weights.h5`.
        case hdf5
        /// The Keras 3 `.keras` zip archive.
        case zip
    }

    /// Detects the format of an existing file.
    /// - Throws: `WToolError.unreadable` or `.unknownFormat`.
    public static func detect(path: String) throws -> ModelFormat {
        let head = try readHead(path: path, count: 16)
        if head.isEmpty { throw WToolError.unknownFormat(path: path, detail: "the file is empty") }
        if head.starts(with: [0x89, 0x53, 0x57, 0x4D]) { return .swm }
        if head.starts(with: [0x89, 0x48, 0x44, 0x46, 0x0D, 0x0A, 0x1A, 0x0A]) { return .keras(.hdf5) }
        if head.starts(with: [0x50, 0x4B, 0x03, 0x04]) { return .keras(.zip) }
        if looksLikeONNX(head) || path.lowercased().hasSuffix(".onnx") { return .onnx }
        throw WToolError.unknownFormat(path: path, detail: "not a .swm, Keras (.h5/.weights.h5/.keras) or ONNX (.onnx) file")
    }

    /// The first `count` bytes of a regular file (fewer if it is shorter).
    ///
    /// Opened with `O_NONBLOCK` and checked with `fstat` before reading: a FIFO with no writer
    /// would otherwise block the open forever, and a device would be read as if it were a model.
    static func readHead(path: String, count: Int) throws -> [UInt8] {
        let fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK)
        guard fd >= 0 else {
            let code = errno
            let detail = switch code {
            case ENOENT: "no such file"
            case EACCES: "permission denied"
            default: String(cString: strerror(code))
            }
            throw WToolError.unreadable(path: path, detail: detail)
        }
        defer { close(fd) }
        var info = stat()
        guard fstat(fd, &info) == 0 else {
            throw WToolError.unreadable(path: path, detail: String(cString: strerror(errno)))
        }
        switch info.st_mode & S_IFMT {
        case S_IFREG: break
        case S_IFDIR: throw WToolError.unreadable(path: path, detail: "is a directory, not a model file")
        default: throw WToolError.unreadable(path: path, detail: "is not a regular file (a FIFO, socket or device)")
        }
        var head = [UInt8](repeating: 0, count: count)
        var filled = 0
        while filled < count {
            let n = head.withUnsafeMutableBytes { read(fd, $0.baseAddress! + filled, count - filled) }
            if n < 0, errno == EINTR { continue }
            guard n >= 0 else { throw WToolError.unreadable(path: path, detail: String(cString: strerror(errno))) }
            if n == 0 { break }
            filled += n
        }
        return Array(head.prefix(filled))
    }

    /// An ONNX `ModelProto` starts with `ir_version` (field 1, a small varint), then another
    /// top-level field: producer_name (2) … graph (7), opset_import (8) or metadata_props (14). A
    /// `.onnx` name alone also counts, so a damaged model gets the ONNX reader's precise error.
    static func looksLikeONNX(_ head: [UInt8]) -> Bool {
        guard head.count >= 3, head[0] == 0x08, (1...64).contains(head[1]) else { return false }
        return [0x12, 0x1A, 0x22, 0x28, 0x32, 0x3A, 0x42, 0x72].contains(head[2])
    }

    /// A short name: `swm`, `keras-hdf5`, `keras-zip`, `onnx`.
    public var description: String {
        switch self {
        case .swm: "swm"
        case .keras(.hdf5): "keras-hdf5"
        case .keras(.zip): "keras-zip"
        case .onnx: "onnx"
        }
    }
}
