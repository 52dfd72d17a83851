import FileSupport
import Foundation
import KerasFormat
import SWMFormat
import SafetensorsFormat

/// Every model file format wtool knows, detected from content (magic bytes), not the extension
/// (ONNX, which has no magic, is recognised by its first protobuf fields or its `.onnx` name;
/// safetensors, which has none either, by its 8-byte header length and `{`, or its
/// `.safetensors` name).
///
/// Detection reads magic bytes only: deciding which Keras flavour an HDF5 file is means parsing it
/// with libhdf5, which happens in the isolated reader, never here. Each format's magic lives in
/// its own module (`SWMFile.hasMagic`, `KerasContainer(magic:)`); this type composes them.
public enum ModelFormat: Equatable, Sendable, CustomStringConvertible {
    /// wtool's own mappable format (schemas/swm.md).
    case swm
    /// A Keras HDF5 file (`.h5`, `.weights.h5`) or `.keras` zip; the flavour is found when read.
    case keras(KerasContainer)
    /// An ONNX `ModelProto`.
    case onnx
    /// A safetensors file: tensors, and the graph when wtool wrote it.
    case safetensors

    /// The container a Keras model comes in: HDF5 or the `.keras` zip.
    public typealias KerasContainer = KerasFormat.KerasContainer

    /// Detects the format of an existing file.
    /// - Throws: `WToolError.unreadable` or `.unknownFormat`.
    public static func detect(path: String) throws -> ModelFormat {
        try detect(file: try ModelLoader.open(path))
    }

    /// Detects the format of a file already open; the same descriptor then serves the reader, so
    /// a pipeline opens each input once.
    /// - Throws: `WToolError.unreadable` or `.unknownFormat`.
    public static func detect(file: RegularFile) throws -> ModelFormat {
        let path = file.path
        Diagnostics.note("detect", path: path)
        let head: [UInt8]
        do {
            head = try file.readPrefix(16)
        } catch let error as FileError {
            throw WToolError.unreadable(path: path, detail: describe(error))
        }
        if head.isEmpty { throw WToolError.unknownFormat(path: path, detail: "the file is empty") }
        if SWMFile.hasMagic(head) { return .swm }
        if let container = KerasContainer(magic: head) { return .keras(container) }
        if SafetensorsFile.hasMagic(head) { return .safetensors }
        if looksLikeONNX(head) || path.lowercased().hasSuffix(".onnx") { return .onnx }
        if path.lowercased().hasSuffix(".safetensors") { return .safetensors }
        throw WToolError.unknownFormat(path: path, detail: "not a .swm, Keras (.h5/.weights.h5/.keras), ONNX (.onnx) or .safetensors file")
    }

    /// How a model file that cannot be read is described: plain words for the common cases.
    static func describe(_ error: FileError) -> String {
        switch error {
        case .system(_, .open, ENOENT): "no such file"
        case .system(_, .open, EACCES): "permission denied"
        case .system(_, _, let code): String(cString: strerror(code))
        case .notRegularFile(_, isDirectory: true): "is a directory, not a model file"
        case .notRegularFile(_, isDirectory: false): "is not a regular file (a FIFO, socket or device)"
        case .tooLarge, .exists: error.detail
        }
    }

    /// An ONNX `ModelProto` starts with `ir_version` (field 1, a small varint), then another
    /// top-level field: producer_name (2) … graph (7), opset_import (8) or metadata_props (14). A
    /// `.onnx` name alone also counts, so a damaged model gets the ONNX reader's precise error.
    static func looksLikeONNX(_ head: [UInt8]) -> Bool {
        guard head.count >= 3, head[0] == 0x08, (1...64).contains(head[1]) else { return false }
        return [0x12, 0x1A, 0x22, 0x28, 0x32, 0x3A, 0x42, 0x72].contains(head[2])
    }

    /// A short name: `swm`, `keras-hdf5`, `keras-zip`, `onnx`, `safetensors`.
    public var description: String {
        switch self {
        case .swm: "swm"
        case .keras(.hdf5): "keras-hdf5"
        case .keras(.zip): "keras-zip"
        case .onnx: "onnx"
        case .safetensors: "safetensors"
        }
    }
}
