import ModelIR

/// ONNX `TensorProto.DataType` codes ↔ IR dtypes. Every ONNX type the IR has maps both ways;
/// the others (strings, complex, float8/6/4, 4- and 2-bit integers) have a name for messages.
enum _DataType {
    static func dtype(_ code: Int32) -> DType? {
        switch code {
        case 1: .float32
        case 2: .uint8
        case 3: .int8
        case 4: .uint16
        case 5: .int16
        case 6: .int32
        case 7: .int64
        case 9: .bool
        case 10: .float16
        case 11: .float64
        case 12: .uint32
        case 13: .uint64
        case 16: .bfloat16
        default: nil
        }
    }

    static func code(_ dtype: DType) -> Int32 {
        switch dtype {
        case .float32: 1
        case .uint8: 2
        case .int8: 3
        case .uint16: 4
        case .int16: 5
        case .int32: 6
        case .int64: 7
        case .bool: 9
        case .float16: 10
        case .float64: 11
        case .uint32: 12
        case .uint64: 13
        case .bfloat16: 16
        }
    }

    static func name(_ code: Int32) -> String {
        let names: [Int32: String] = [
            0: "UNDEFINED", 1: "FLOAT", 2: "UINT8", 3: "INT8", 4: "UINT16", 5: "INT16", 6: "INT32", 7: "INT64", 8: "STRING",
            9: "BOOL", 10: "FLOAT16", 11: "DOUBLE", 12: "UINT32", 13: "UINT64", 14: "COMPLEX64", 15: "COMPLEX128",
            16: "BFLOAT16", 17: "FLOAT8E4M3FN", 18: "FLOAT8E4M3FNUZ", 19: "FLOAT8E5M2", 20: "FLOAT8E5M2FNUZ",
            21: "UINT4", 22: "INT4", 23: "FLOAT4E2M1", 24: "FLOAT8E8M0", 25: "UINT2", 26: "INT2", 27: "FLOAT6E2M3",
            28: "FLOAT6E3M2",
        ]
        return names[code] ?? "type \(code)"
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
            guard count > 0, let s = src.baseAddress, let d = dst.baseAddress else { return }
            var index = [Int](repeating: 0, count: rank)
            var offset = 0
            for o in 0..<count {
                (d + o * elementSize).copyMemory(from: s + offset * elementSize, byteCount: elementSize)
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

    /// `tensor` permuted by `perm` (a new tensor).
    static func apply(_ tensor: Tensor, perm: [Int]) -> Tensor {
        Tensor(dtype: tensor.dtype, shape: perm.map { tensor.shape[$0] },
               data: apply(tensor.data.bytes, dims: tensor.shape, perm: perm, elementSize: tensor.dtype.byteSize))
    }
}
