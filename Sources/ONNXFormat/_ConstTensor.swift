import ModelIR

/// ONNX `TensorProto.DataType` codes ↔ IR dtypes (the ones wtool stores).
enum _ONNXDataType {
    static func dtype(_ code: Int32) -> DType? {
        switch code {
        case 1: .float32
        case 2: .uint8
        case 3: .int8
        case 6: .int32
        case 7: .int64
        case 9: .bool
        case 10: .float16
        case 11: .float64
        case 16: .bfloat16
        default: nil
        }
    }

    static func code(_ dtype: DType) -> Int32 {
        switch dtype {
        case .float32: 1
        case .uint8: 2
        case .int8: 3
        case .int32: 6
        case .int64: 7
        case .bool: 9
        case .float16: 10
        case .float64: 11
        case .bfloat16: 16
        }
    }

    static func name(_ code: Int32) -> String {
        let names: [Int32: String] = [
            0: "UNDEFINED", 1: "FLOAT", 2: "UINT8", 3: "INT8", 4: "UINT16", 5: "INT16", 6: "INT32", 7: "INT64", 8: "STRING",
            9: "BOOL", 10: "FLOAT16", 11: "DOUBLE", 12: "UINT32", 13: "UINT64", 14: "COMPLEX64", 15: "COMPLEX128",
            16: "BFLOAT16", 17: "FLOAT8E4M3FN", 18: "FLOAT8E4M3FNUZ", 19: "FLOAT8E5M2", 20: "FLOAT8E5M2FNUZ",
            21: "UINT4", 22: "INT4", 23: "FLOAT4E2M1",
        ]
        return names[code] ?? "type \(code)"
    }
}

/// A constant: an initializer or a `Constant` node's value, with its bytes (little-endian, row-major).
struct _ConstTensor {
    var name: String
    var dtype: DType
    var dims: [Int]
    var data: TensorData
    /// Where it came from, for `Weight.source`.
    var source: String

    var elementCount: Int { data.count / dtype.byteSize }

    func floats() -> [Float] { data.floatArray(as: dtype) }

    /// Integer elements (INT64/INT32/INT8/UINT8); nil for floating types.
    func integers() -> [Int]? {
        let n = elementCount
        switch dtype {
        case .int64: return (0..<n).map { Int(data.bytes.loadUnaligned(fromByteOffset: $0 * 8, as: Int64.self)) }
        case .int32: return (0..<n).map { Int(data.bytes.loadUnaligned(fromByteOffset: $0 * 4, as: Int32.self)) }
        case .int8: return (0..<n).map { Int(data.bytes.load(fromByteOffset: $0, as: Int8.self)) }
        case .uint8, .bool: return (0..<n).map { Int(data.bytes[$0]) }
        default: return nil
        }
    }
}

/// Row-major transposition of raw elements: `out` axis i is `dims` axis `perm[i]`.
enum _Transpose {
    static func apply(_ src: UnsafeRawBufferPointer, dims: [Int], perm: [Int], elementSize: Int) -> TensorData {
        let rank = dims.count
        let count = dims.reduce(1, *)
        var strides = [Int](repeating: 1, count: rank)
        for i in stride(from: rank - 2, through: 0, by: -1) { strides[i] = strides[i + 1] * dims[i + 1] }
        let outDims = perm.map { dims[$0] }
        let inStrides = perm.map { strides[$0] }
        return TensorData(byteCount: count * elementSize) { dst in
            guard count > 0 else { return }
            var index = [Int](repeating: 0, count: rank)
            var offset = 0
            for o in 0..<count {
                switch elementSize {
                case 4: dst.storeBytes(of: src.loadUnaligned(fromByteOffset: offset * 4, as: UInt32.self), toByteOffset: o * 4, as: UInt32.self)
                case 2: dst.storeBytes(of: src.loadUnaligned(fromByteOffset: offset * 2, as: UInt16.self), toByteOffset: o * 2, as: UInt16.self)
                case 8: dst.storeBytes(of: src.loadUnaligned(fromByteOffset: offset * 8, as: UInt64.self), toByteOffset: o * 8, as: UInt64.self)
                default:
                    for b in 0..<elementSize { dst[o * elementSize + b] = src[offset * elementSize + b] }
                }
                // Advance the output multi-index (last axis fastest) and the input offset with it.
                var axis = rank - 1
                while axis >= 0 {
                    index[axis] += 1
                    offset += inStrides[axis]
                    if index[axis] < outDims[axis] { break }
                    offset -= inStrides[axis] * outDims[axis]
                    index[axis] = 0
                    axis -= 1
                }
            }
        }
    }

    /// `perm` is a permutation of `0..<rank`.
    static func isPermutation(_ perm: [Int], rank: Int) -> Bool {
        perm.count == rank && Set(perm) == Set(0..<rank)
    }
}
