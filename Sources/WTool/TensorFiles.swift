import FileSupport
import Foundation
import ModelIR
import NPY

/// `.npy` and `.npz` files as named tensors: what `wtool run --input`, `--out` and
/// `verify --reference` read and write. Every NumPy type the IR holds maps one to one
/// (float16/32/64, int8/16/32/64, uint8/16/32/64, bool); others are one-line errors naming the
/// file and the type.
public enum TensorFiles {
    /// The IR type of a NumPy type.
    public static func dtype(_ type: NPYDType) -> DType {
        switch type {
        case .float16: .float16
        case .float32: .float32
        case .float64: .float64
        case .int8: .int8
        case .int16: .int16
        case .int32: .int32
        case .int64: .int64
        case .uint8: .uint8
        case .uint16: .uint16
        case .uint32: .uint32
        case .uint64: .uint64
        case .bool: .bool
        }
    }

    /// The NumPy type of an IR type (the inverse of ``dtype(_:)``); bfloat16 has none.
    public static func npyType(_ dtype: DType) -> NPYDType? {
        NPYDType.allCases.first { Self.dtype($0) == dtype }
    }

    /// The tensor an array holds (its bytes copied once).
    public static func tensor(_ array: NPYArray) -> Tensor {
        Tensor(dtype: dtype(array.dtype), shape: array.shape, data: TensorData(copying: array.data))
    }

    /// The array a tensor becomes; bfloat16 is widened to float32 (NumPy has no bfloat16).
    public static func array(_ tensor: Tensor) throws -> NPYArray {
        let t = npyType(tensor.dtype) == nil ? tensor.converted(to: .float32) : tensor
        guard let type = npyType(t.dtype) else { throw WToolError.unsupported(path: "<tensor>", detail: "no NumPy type for \(tensor.dtype)") }
        return try NPYArray(shape: t.shape, dtype: type, data: Array(t.data.bytes))
    }

    /// The tensors in a `.npy` (one, named "") or `.npz` (named by member) file, in file order.
    /// - Throws: ``WToolError`` naming the file: unreadable, not NumPy, an unsupported dtype.
    public static func read(_ path: String) throws -> [(name: String, tensor: Tensor)] {
        let url = URL(fileURLWithPath: path)
        do {
            if try isArchive(path) {
                return try NPZFile.read(contentsOf: url).map { ($0.name, tensor($0.array)) }
            }
            return [("", tensor(try NPYFile.read(contentsOf: url)))]
        } catch {
            throw WToolError.wrap(error, path: path)
        }
    }

    /// Writes named tensors: a single unnamed-or-named tensor to `.npy` unless `path` ends in
    /// `.npz`; several always to `.npz` (keyed by name). The file appears only when complete.
    /// - Throws: ``WToolError/usage(_:)`` for several tensors and a `.npy` path; write errors.
    public static func write(_ tensors: [(name: String, tensor: Tensor)], to path: String, overwrite: Bool) throws {
        let archive = path.lowercased().hasSuffix(".npz")
        do {
            if !overwrite, FileManager.default.fileExists(atPath: path) {
                throw WToolError.usage("\(path): already exists (use --force to overwrite)")
            }
            if archive {
                try NPZFile.write(try tensors.map { ($0.name, try array($0.tensor)) }, to: URL(fileURLWithPath: path), overwrite: overwrite)
            } else {
                guard tensors.count == 1, let only = tensors.first else {
                    throw WToolError.usage("\(path): the model has \(tensors.count) outputs (\(tensors.map(\.name).joined(separator: ", "))); write them to a .npz")
                }
                try NPYFile.write(try array(only.tensor), to: URL(fileURLWithPath: path))
            }
        } catch let error as WToolError {
            throw error
        } catch {
            throw WToolError.wrap(error, path: path)
        }
    }

    /// Whether the file is a zip (a `.npz`), by its magic bytes.
    static func isArchive(_ path: String) throws -> Bool {
        let file = try ModelLoader.open(path)
        let head: [UInt8]
        do { head = try file.readPrefix(4) } catch let error as FileError {
            throw WToolError.unreadable(path: path, detail: ModelFormat.describe(error))
        }
        return head.starts(with: [0x50, 0x4B, 0x03, 0x04]) || head.starts(with: [0x50, 0x4B, 0x05, 0x06])
    }
}
