/// Linear quantization (ONNX's QDQ form): `q = saturate(round(x / scale) + zero_point)`,
/// `x = (q − zero_point) · scale`, rounding half to even. The scale and zero point are one value
/// (per tensor), one per index of `axis` (per axis), or, with a `blockSize`, one per block of
/// that many consecutive indices of `axis` and per index of every other axis (blocked, ONNX 21).
public enum QuantizationOp: Sendable, Equatable {
    /// `[x, y_scale, y_zero_point?]` → int8/uint8 (the zero point's type; uint8 without one).
    case quantizeLinear(QuantizeAttributes)
    /// `[x, x_scale, x_zero_point?]` → float32 (the scale's type).
    case dequantizeLinear(QuantizeAttributes)
    /// `[x]` → `[y uint8, y_scale, y_zero_point]`: onnxruntime's dynamic quantization.
    case dynamicQuantizeLinear

    public var kind: String {
        switch self {
        case .quantizeLinear: "quantize_linear"
        case .dequantizeLinear: "dequantize_linear"
        case .dynamicQuantizeLinear: "dynamic_quantize_linear"
        }
    }

    public var inputRoles: [String] {
        switch self {
        case .quantizeLinear: ["x", "scale", "zero_point?"]
        case .dequantizeLinear: ["x", "scale", "zero_point?"]
        case .dynamicQuantizeLinear: ["x"]
        }
    }

    public var displayName: String {
        switch self {
        case .quantizeLinear: "QuantizeLinear"
        case .dequantizeLinear: "DequantizeLinear"
        case .dynamicQuantizeLinear: "DynamicQuantizeLinear"
        }
    }
}

public struct QuantizeAttributes: Sendable, Equatable, Codable {
    /// The axis a per-axis scale runs along (ignored for a scalar scale).
    public var axis: Int
    /// ONNX `saturate` (float8 only); kept for writers.
    public var saturate: Bool
    /// The quantized type when there is no zero point to say it (ONNX `output_dtype`); nil: uint8.
    public var outputType: DType?
    /// Blocked quantization's block length along `axis` (ONNX `block_size`); nil: per tensor or
    /// per axis. The scale then has the input's shape but `ceil(size / blockSize)` along `axis`.
    public var blockSize: Int?

    public init(axis: Int = 1, saturate: Bool = true, outputType: DType? = nil, blockSize: Int? = nil) {
        self.axis = axis
        self.saturate = saturate
        self.outputType = outputType
        self.blockSize = blockSize
    }
}
