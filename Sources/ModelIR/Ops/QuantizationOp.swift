/// Linear quantization (ONNX's QDQ form): `q = saturate(round(x / scale) + zero_point)`,
/// `x = (q − zero_point) · scale`, rounding half to even. The scale and zero point are one value
/// (per tensor), one per index of `axis` (per axis), or, with a `blockSize`, one per block of
/// that many consecutive indices of `axis` and per index of every other axis (blocked, ONNX 21).
///
/// The integer products of onnxruntime's quantizers (ONNX ConvInteger, MatMulInteger, QLinearConv,
/// QLinearMatMul) are exact: operands minus their zero points multiply and sum in integers (int32
/// results); the QLinear forms then requantize as onnxruntime does (see `qLinearConv`).
public enum QuantizationOp: Sendable, Equatable {
    /// `[x, y_scale, y_zero_point?]` → int8/uint8 (the zero point's type; uint8 without one).
    case quantizeLinear(QuantizeAttributes)
    /// `[x, x_scale, x_zero_point?]` → float32 (the scale's type).
    case dequantizeLinear(QuantizeAttributes)
    /// `[x]` → `[y uint8, y_scale, y_zero_point]`: onnxruntime's dynamic quantization.
    case dynamicQuantizeLinear
    /// `[a, b, a_zero_point?, b_zero_point?]` → int32: NumPy `matmul` of `a − a_zero_point` and
    /// `b − b_zero_point`, exact. A zero point is one value, one per row of `a` (`[M]`, or `[…, M, 1]`)
    /// or one per column of `b` (`[N]`, or `[…, 1, N]`). ONNX MatMulInteger.
    case matMulInteger
    /// `[x, w, x_zero_point?, w_zero_point?]` → int32: the convolution of `x − x_zero_point` (one
    /// value) with `w − w_zero_point` (one value, or one per output channel), exact; the attributes
    /// are the convolution's (channels first, OIHW kernel; no activation). ONNX ConvInteger.
    case convInteger(ConvAttributes)
    /// `[x, x_scale, x_zero_point, w, w_scale, w_zero_point, y_scale, y_zero_point, bias?]` → the
    /// zero point's type: ConvInteger's sum plus the int32 bias, requantized as onnxruntime does:
    /// `clamp(rint(Float(sum) · s) + y_zero_point)` with `s = x_scale · w_scale / y_scale` in
    /// float32 (one per output channel for per-channel weights), rounding half to even. ONNX QLinearConv.
    case qLinearConv(ConvAttributes)
    /// `[a, a_scale, a_zero_point, b, b_scale, b_zero_point, y_scale, y_zero_point]`: MatMulInteger's
    /// sum requantized as `qLinearConv`'s (a scale per column of `b` where `b_scale` has one). ONNX QLinearMatMul.
    case qLinearMatMul
    /// `[x, x_scale, x_zero_point, y_scale, y_zero_point]` → x's type, spatial axes reduced to 1:
    /// onnxruntime's com.microsoft QLinearGlobalAveragePool, `sum(x) − x_zero_point · size`
    /// requantized as `qLinearConv` with `scale = x_scale / (y_scale · size)` in float32.
    case qLinearGlobalAveragePool(QLinearPoolAttributes)
    /// `[x, x_scale, x_zero_point?, y_scale, y_zero_point?]` → x's type: onnxruntime's
    /// com.microsoft QLinearSoftmax, through its table of 256 float32 exponentials (see the evaluator).
    case qLinearSoftmax(QLinearSoftmaxAttributes)

    public var kind: String {
        switch self {
        case .quantizeLinear: "quantize_linear"
        case .dequantizeLinear: "dequantize_linear"
        case .dynamicQuantizeLinear: "dynamic_quantize_linear"
        case .matMulInteger: "matmul_integer"
        case .convInteger: "conv_integer"
        case .qLinearConv: "qlinear_conv"
        case .qLinearMatMul: "qlinear_matmul"
        case .qLinearGlobalAveragePool: "qlinear_global_average_pool"
        case .qLinearSoftmax: "qlinear_softmax"
        }
    }

    public var inputRoles: [String] {
        switch self {
        case .quantizeLinear: ["x", "scale", "zero_point?"]
        case .dequantizeLinear: ["x", "scale", "zero_point?"]
        case .dynamicQuantizeLinear: ["x"]
        case .matMulInteger: ["a", "b", "a_zero_point?", "b_zero_point?"]
        case .convInteger: ["input", "kernel", "input_zero_point?", "kernel_zero_point?"]
        case .qLinearConv: ["input", "input_scale", "input_zero_point", "kernel", "kernel_scale", "kernel_zero_point",
                            "output_scale", "output_zero_point", "bias?"]
        case .qLinearMatMul: ["a", "a_scale", "a_zero_point", "b", "b_scale", "b_zero_point", "output_scale", "output_zero_point"]
        case .qLinearGlobalAveragePool: ["input", "input_scale", "input_zero_point", "output_scale", "output_zero_point"]
        case .qLinearSoftmax: ["input", "input_scale", "input_zero_point?", "output_scale", "output_zero_point?"]
        }
    }

    public var displayName: String {
        switch self {
        case .quantizeLinear: "QuantizeLinear"
        case .dequantizeLinear: "DequantizeLinear"
        case .dynamicQuantizeLinear: "DynamicQuantizeLinear"
        case .matMulInteger: "MatMulInteger"
        case .convInteger: "ConvInteger"
        case .qLinearConv: "QLinearConv"
        case .qLinearMatMul: "QLinearMatMul"
        case .qLinearGlobalAveragePool: "QLinearGlobalAveragePool"
        case .qLinearSoftmax: "QLinearSoftmax"
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

/// onnxruntime's QLinearGlobalAveragePool: channels first (NCHW) or, with `channelsLast`, NHWC.
public struct QLinearPoolAttributes: Sendable, Equatable, Codable {
    public var channelsLast: Bool

    public init(channelsLast: Bool = false) { self.channelsLast = channelsLast }
}

/// onnxruntime's QLinearSoftmax: the axis and the ONNX Softmax version it follows (`opset`
/// below 13: the input flattened from `axis` on, as Softmax-1/11; 13 on: `axis` alone).
public struct QLinearSoftmaxAttributes: Sendable, Equatable, Codable {
    public var axis: Int
    public var opset: Int

    public init(axis: Int, opset: Int) {
        self.axis = axis
        self.opset = opset
    }
}
