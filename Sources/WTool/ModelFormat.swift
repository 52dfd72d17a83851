import Foundation
import KerasFormat

/// Every model file format wtool knows, detected from content (magic bytes), not the extension.
public enum ModelFormat: Equatable, Sendable, CustomStringConvertible {
    case swm
    case keras(KerasFlavour)
    case onnx

    /// Detects the format of an existing file.
    /// - Throws: `WToolError.unreadable` or `.unknownFormat`.
    public static func detect(path: String) throws -> ModelFormat {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
            throw WToolError.unreadable(path: path, detail: "no such file")
        }
        guard !isDirectory.boolValue else { throw WToolError.unreadable(path: path, detail: "is a directory, not a model file") }
        guard let handle = FileHandle(forReadingAtPath: path) else {
            throw WToolError.unreadable(path: path, detail: "permission denied")
        }
        let head = Array((try? handle.read(upToCount: 16)) ?? Data())
        try? handle.close()
        if head.isEmpty { throw WToolError.unknownFormat(path: path, detail: "the file is empty") }
        if head.starts(with: [0x89, 0x53, 0x57, 0x4D]) { return .swm }
        if head.starts(with: [0x89, 0x48, 0x44, 0x46]) || head.starts(with: [0x50, 0x4B, 0x03, 0x04]) {
            do {
                guard let flavour = try KerasReader.detect(path: path) else {
                    throw WToolError.unknownFormat(path: path, detail: "not a model file")
                }
                return .keras(flavour)
            } catch let error as WToolError {
                throw error
            } catch {
                throw WToolError.wrap(error, path: path)
            }
        }
        // ONNX is a protobuf ModelProto; its first field is usually ir_version (tag 0x08).
        if head.first == 0x08, path.lowercased().hasSuffix(".onnx") { return .onnx }
        throw WToolError.unknownFormat(path: path, detail: "not a .swm, Keras (.h5/.weights.h5/.keras) or ONNX file")
    }

    public var description: String {
        switch self {
        case .swm: "swm"
        case .keras(let f): f.rawValue
        case .onnx: "onnx"
        }
    }
}
