import FileSupport
import Foundation
import ModelIR
import ONNXProto
import SwiftProtobuf

/// Reads ONNX models into the IR: NHWC activations, HWIO kernels, tf2onnx's Transpose pairs folded
/// away (see `ONNXImporter`).
///
/// Parsing is pure Swift (SwiftProtobuf), so unlike HDF5 it needs no isolated child process; what
/// it needs is limits: the file must fit protobuf's 2 GiB, nesting is bounded, every size is checked
/// before it is used, and a field of the wrong wire type is an error rather than a silent default.
///
/// ```swift
/// let graph = try ONNXReader.read(path: "vgg16.onnx")
/// ```
public enum ONNXReader {
    /// Largest `.onnx` file accepted: protobuf messages cannot exceed 2 GiB (bigger weights go to
    /// external data files).
    public static let maximumModelBytes = Int(Int32.max)

    /// Reads the model at `path`; external data is resolved relative to its folder.
    /// - Throws: `ONNXError` (without the path; callers add it).
    public static func read(path: String) throws -> Graph {
        let file: RegularFile
        do { file = try RegularFile(path: path) } catch let e as FileError { throw ONNXError.io(path: path, detail: e.detail) }
        return try read(file: file)
    }

    /// Reads a model the caller has already opened (one open serves its format check and this
    /// mapping); external data is resolved relative to its folder.
    /// - Throws: `ONNXError` (without the path; callers add it).
    public static func read(file regular: RegularFile) throws -> Graph {
        let path = regular.path
        let file: MappedFile
        do { file = try MappedFile(file: regular) } catch let e as FileError { throw ONNXError.io(path: path, detail: e.detail) }
        guard file.bytes.count <= maximumModelBytes else {
            throw ONNXError.malformed(detail: "the file is \(file.bytes.count) bytes, over protobuf's 2 GiB limit")
        }
        let base = (path as NSString).deletingLastPathComponent
        let name = ((path as NSString).lastPathComponent as NSString).deletingPathExtension
        let graph = try read(bytes: file.bytes, baseDirectory: base.isEmpty ? "." : base, name: name)
        Diagnostics.note("validate", path: path)  // the importer validated what it built
        return graph
    }

    /// Reads a serialized `ModelProto`.
    /// - Parameters:
    ///   - baseDirectory: where external data files live; nil refuses external data.
    ///   - name: the graph's name when the model gives none.
    public static func read(bytes: UnsafeRawBufferPointer, baseDirectory: String? = nil, name: String = "model") throws -> Graph {
        guard bytes.count <= maximumModelBytes else {
            throw ONNXError.malformed(detail: "\(bytes.count) bytes is over protobuf's 2 GiB limit")
        }
        guard !bytes.isEmpty, let base = bytes.baseAddress else { throw ONNXError.malformed(detail: "the file is empty") }
        let model = try decode(Data(bytesNoCopy: UnsafeMutableRawPointer(mutating: base), count: bytes.count, deallocator: .none))
        return try ONNXImporter(model: model, baseDirectory: baseDirectory).run(name: name)
    }

    /// Decodes and checks the protobuf layer.
    static func decode(_ data: Data) throws -> Onnx_ModelProto {
        var options = BinaryDecodingOptions()
        options.messageDepthLimit = 64
        let model: Onnx_ModelProto
        do {
            model = try Onnx_ModelProto(serializedBytes: data, options: options)
        } catch let e as BinaryDecodingError {
            throw ONNXError.malformed(detail: describe(e))
        } catch {
            throw ONNXError.malformed(detail: "\(error)")
        }
        try _ProtoValidation.check(model: model)
        return model
    }

    private static func describe(_ e: BinaryDecodingError) -> String {
        switch e {
        case .truncated: "the data is truncated"
        case .malformedProtobuf: "malformed protobuf data"
        case .trailingGarbage: "trailing garbage after the message"
        case .invalidUTF8: "a string field is not valid UTF-8"
        case .missingRequiredFields: "required fields are missing"
        case .messageDepthLimit: "messages nest too deeply"
        default: "\(e)"
        }
    }
}
