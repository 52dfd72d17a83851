/// Element types a tensor can hold. Raw values are the `.swm` dtype codes (schemas/swm.md §3) and
/// never change once released.
public enum DType: UInt8, Sendable, Codable, CaseIterable, CustomStringConvertible {
    case float32 = 1
    case float16 = 2
    case bfloat16 = 3
    case int8 = 4
    case int32 = 5
    case int64 = 6
    case uint8 = 7
    case bool = 8
    case float64 = 9

    /// Bytes per element.
    public var byteSize: Int {
        switch self {
        case .int8, .uint8, .bool: 1
        case .float16, .bfloat16: 2
        case .float32, .int32: 4
        case .int64, .float64: 8
        }
    }

    public var isFloatingPoint: Bool {
        switch self {
        case .float32, .float16, .bfloat16, .float64: true
        default: false
        }
    }

    /// Short lowercase name used on the command line and in JSON (`f32`, `f16`, `bf16`, …).
    public var shortName: String {
        switch self {
        case .float32: "f32"
        case .float16: "f16"
        case .bfloat16: "bf16"
        case .int8: "i8"
        case .int32: "i32"
        case .int64: "i64"
        case .uint8: "u8"
        case .bool: "bool"
        case .float64: "f64"
        }
    }

    public init?(shortName: String) {
        guard let match = DType.allCases.first(where: { $0.shortName == shortName.lowercased() }) else { return nil }
        self = match
    }

    public var description: String { shortName }
}

/// What the axes of a tensor mean. The IR has one canonical layout per kind of tensor: NHWC
/// activations, HWIO convolution kernels, HWCM depthwise kernels, IO dense kernels (Keras's own).
public enum Layout: UInt8, Sendable, Codable, CustomStringConvertible {
    case unspecified = 0
    /// Activations: batch, height, width, channels.
    case nhwc = 1
    /// Convolution kernel: kernel height, kernel width, input channels (per group), output channels.
    case hwio = 2
    /// Depthwise kernel: kernel height, kernel width, input channels, depth multiplier.
    case hwcm = 3
    /// Dense kernel: input features, output features.
    case io = 4
    /// A 1-D per-channel vector (bias, batch-norm statistics).
    case channel = 5

    public var description: String {
        switch self {
        case .unspecified: "-"
        case .nhwc: "NHWC"
        case .hwio: "HWIO"
        case .hwcm: "HWCM"
        case .io: "IO"
        case .channel: "C"
        }
    }
}
