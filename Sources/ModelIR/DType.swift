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
    case int16 = 10
    case uint16 = 11
    case uint32 = 12
    case uint64 = 13

    /// Bytes per element.
    public var byteSize: Int {
        switch self {
        case .int8, .uint8, .bool: 1
        case .float16, .bfloat16, .int16, .uint16: 2
        case .float32, .int32, .uint32: 4
        case .int64, .float64, .uint64: 8
        }
    }

    public var isFloatingPoint: Bool {
        switch self {
        case .float32, .float16, .bfloat16, .float64: true
        default: false
        }
    }

    /// Signed or unsigned integers (not bool).
    public var isInteger: Bool { !isFloatingPoint && self != .bool }

    public var isUnsigned: Bool {
        switch self {
        case .uint8, .uint16, .uint32, .uint64: true
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
        case .int16: "i16"
        case .int32: "i32"
        case .int64: "i64"
        case .uint8: "u8"
        case .uint16: "u16"
        case .uint32: "u32"
        case .uint64: "u64"
        case .bool: "bool"
        case .float64: "f64"
        }
    }

    /// NumPy's name for the type (`float32`, `int64`, `bool`, …), used in messages.
    public var numpyName: String {
        switch self {
        case .float32: "float32"
        case .float16: "float16"
        case .bfloat16: "bfloat16"
        case .float64: "float64"
        case .int8: "int8"
        case .int16: "int16"
        case .int32: "int32"
        case .int64: "int64"
        case .uint8: "uint8"
        case .uint16: "uint16"
        case .uint32: "uint32"
        case .uint64: "uint64"
        case .bool: "bool"
        }
    }

    public init?(shortName: String) {
        let lower = shortName.lowercased()
        guard let match = DType.allCases.first(where: { $0.shortName == lower || $0.numpyName == lower }) else { return nil }
        self = match
    }

    public var description: String { shortName }
}

/// What the axes of a tensor mean: a tag for messages, summaries and writers. The IR keeps each
/// source's own layouts (NHWC and HWIO from Keras, NCHW and OIHW from ONNX); kernels that want
/// another layout get it from a graph pass, never from the importer.
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
    /// Activations: batch, channels, height, width (ONNX, PyTorch).
    case nchw = 6
    /// Convolution kernel: output channels, input channels (per group), kernel height, width.
    case oihw = 7

    public var description: String {
        switch self {
        case .unspecified: "-"
        case .nhwc: "NHWC"
        case .hwio: "HWIO"
        case .hwcm: "HWCM"
        case .io: "IO"
        case .channel: "C"
        case .nchw: "NCHW"
        case .oihw: "OIHW"
        }
    }
}

/// Where the channel axis of an activation is: last (Keras, TensorFlow: NHWC, NWC, NDHWC) or
/// right after the batch axis (ONNX, PyTorch: NCHW, NCW, NCDHW).
public enum DataLayout: String, Sendable, Codable, Equatable {
    case channelsLast
    case channelsFirst

    /// The channel axis of a rank-`rank` activation.
    public func channelAxis(rank: Int) -> Int { self == .channelsLast ? rank - 1 : 1 }

    /// The spatial axes of a rank-`rank` activation, outermost first.
    public func spatialAxes(rank: Int) -> [Int] {
        self == .channelsLast ? Array(1..<max(rank - 1, 1)) : Array(2..<max(rank, 2))
    }
}

/// How a convolution kernel's axes are ordered.
public enum KernelLayout: String, Sendable, Codable, Equatable {
    /// Spatial axes, then input channels per group, then output channels: Keras's HWIO (and for a
    /// transposed convolution Keras's HWOI: spatial, output, input).
    case spatialFirst
    /// Output channels, input channels per group, then spatial axes: ONNX's OIHW (for a transposed
    /// convolution ONNX's IOHW: input, output per group, spatial).
    case spatialLast
}
