import ModelIR

/// The element types the safetensors format names, in the reference implementation's order
/// (`Dtype` in `safetensors/src/tensor.rs`: increasing alignment, which its writer sorts by).
/// wtool reads and writes the ones the IR has; the others (fp8, fp6, fp4, complex) are validated
/// like any tensor and refused only when a model needs their values.
public enum SafetensorsDType: String, CaseIterable, Sendable, Comparable {
    case bool = "BOOL"
    case f4 = "F4"
    case f6e2m3 = "F6_E2M3"
    case f6e3m2 = "F6_E3M2"
    case u8 = "U8"
    case i8 = "I8"
    case f8e5m2 = "F8_E5M2"
    case f8e4m3 = "F8_E4M3"
    case f8e8m0 = "F8_E8M0"
    case f8e4m3fnuz = "F8_E4M3FNUZ"
    case f8e5m2fnuz = "F8_E5M2FNUZ"
    case i16 = "I16"
    case u16 = "U16"
    case f16 = "F16"
    case bf16 = "BF16"
    case i32 = "I32"
    case u32 = "U32"
    case f32 = "F32"
    case c64 = "C64"
    case f64 = "F64"
    case i64 = "I64"
    case u64 = "U64"

    /// Bits per element (sub-byte types pack several elements per byte).
    public var bitSize: Int {
        switch self {
        case .f4: 4
        case .f6e2m3, .f6e3m2: 6
        case .bool, .u8, .i8, .f8e5m2, .f8e4m3, .f8e8m0, .f8e4m3fnuz, .f8e5m2fnuz: 8
        case .i16, .u16, .f16, .bf16: 16
        case .i32, .u32, .f32: 32
        case .c64, .f64, .i64, .u64: 64
        }
    }

    /// Position in the reference's enum: its writer stores tensors by descending rank, then name.
    var rank: Int { Self.allCases.firstIndex(of: self) ?? 0 }

    public static func < (a: SafetensorsDType, b: SafetensorsDType) -> Bool { a.rank < b.rank }

    /// The IR's type for these elements, or nil for the types wtool has no arithmetic for.
    public var modelType: DType? {
        switch self {
        case .bool: .bool
        case .u8: .uint8
        case .i8: .int8
        case .i16: .int16
        case .u16: .uint16
        case .f16: .float16
        case .bf16: .bfloat16
        case .i32: .int32
        case .u32: .uint32
        case .f32: .float32
        case .f64: .float64
        case .i64: .int64
        case .u64: .uint64
        case .f4, .f6e2m3, .f6e3m2, .f8e5m2, .f8e4m3, .f8e8m0, .f8e4m3fnuz, .f8e5m2fnuz, .c64: nil
        }
    }

    /// The format's name for an IR type (every IR type has one).
    public init(_ dtype: DType) {
        switch dtype {
        case .float32: self = .f32
        case .float16: self = .f16
        case .bfloat16: self = .bf16
        case .float64: self = .f64
        case .int8: self = .i8
        case .int16: self = .i16
        case .int32: self = .i32
        case .int64: self = .i64
        case .uint8: self = .u8
        case .uint16: self = .u16
        case .uint32: self = .u32
        case .uint64: self = .u64
        case .bool: self = .bool
        }
    }
}
