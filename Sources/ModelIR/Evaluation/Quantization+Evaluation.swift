import Foundation

/// ONNX QuantizeLinear, DequantizeLinear (per tensor or per axis) and DynamicQuantizeLinear,
/// bit-exact with the ONNX reference implementation: `x / scale` is divided in the input's own
/// precision (float32 for float32, as NumPy does), rounded half to even, offset by the zero
/// point and saturated to the quantized type; dequantization subtracts in integers and
/// multiplies once, rounding once to the scale's type.
extension QuantizationOp {
    func evaluate(_ ctx: EvaluationContext) throws -> [Tensor] {
        let x = try ctx.operand(0)
        switch self {
        case .quantizeLinear(let a):
            return [try Self.quantize(x, scale: try ctx.operand(1), zeroPoint: ctx.optional(2), a, ctx)]
        case .dequantizeLinear(let a):
            return [try Self.dequantize(x, scale: try ctx.operand(1), zeroPoint: ctx.optional(2), a, ctx)]
        case .dynamicQuantizeLinear:
            return try Self.dynamicQuantize(x, ctx)
        }
    }

    /// For every element of `shape`, the index into a scale or zero point: 0 for a one-element
    /// parameter, the coordinate along `axis` for a 1-D parameter as long as that axis.
    static func parameterIndex(_ parameter: Tensor, role: String, shape: [Int], axis: Int, _ ctx: EvaluationContext) throws
        -> (Int) -> Int {
        if parameter.elementCount == 1, parameter.shape.count <= 1 { return { _ in 0 } }
        guard parameter.shape.count == 1 else {
            throw ctx.unsupported("\(role) of shape \(parameter.shape): blocked quantization (ONNX block_size) is not defined here, only per-tensor and per-axis")
        }
        guard let ax = Shape.normalizedAxis(axis, rank: shape.count) else {
            throw ctx.error("axis \(axis) is out of range for rank \(shape.count)")
        }
        guard parameter.shape[0] == shape[ax] else {
            throw ctx.error("\(role) has \(parameter.shape[0]) values for axis \(ax) of \(shape)")
        }
        let inner = shape[(ax + 1)...].reduce(1, *), n = shape[ax]
        return { i in (i / inner) % n }
    }

    static func quantize(_ x: Tensor, scale: Tensor, zeroPoint: Tensor?, _ a: QuantizeAttributes, _ ctx: EvaluationContext) throws -> Tensor {
        let outType = ctx.outputType()
        let (shape, count) = try ctx.resultShape()
        guard x.dtype.isFloatingPoint || x.dtype == .int32 else { throw ctx.error("cannot quantize \(x.dtype)") }
        if let zeroPoint, zeroPoint.dtype != outType { throw ctx.error("the zero point is \(zeroPoint.dtype), the result \(outType)") }
        let scaleAt = try parameterIndex(scale, role: "the scale", shape: x.shape, axis: a.axis, ctx)
        let zeroAt = try zeroPoint.map { try parameterIndex($0, role: "the zero point", shape: x.shape, axis: a.axis, ctx) }
        if let zeroPoint, zeroPoint.elementCount != scale.elementCount, zeroPoint.elementCount != 1 {
            throw ctx.error("the zero point has \(zeroPoint.elementCount ?? 0) elements, the scale \(scale.elementCount ?? 0)")
        }
        let scales = scale.doubles, zeros = zeroPoint?.integers ?? [0]
        let bounds = _IntegerBounds(outType)
        // NumPy divides in the promoted type of input and scale: float64 when either is float64
        // (or the input int32), float16 or bfloat16 when both are, else float32. A float32
        // division then one rounding gives the float16/bfloat16 quotient exactly.
        let narrow: DType? = x.dtype == .float64 || x.dtype == .int32 || scale.dtype == .float64 ? nil
            : x.dtype == scale.dtype ? x.dtype : .float32
        let values = x.doubles
        return Tensor(dtype: outType, shape: shape) { raw in
            guard let dst = raw.baseAddress else { return }
            for i in 0..<count {
                let s = scales[scaleAt(i)]
                let q = narrow.map { Self.rounded(Double(Float(values[i]) / Float(s)), to: $0) } ?? values[i] / s
                // NaN quantizes to the zero point (NumPy's rint(NaN) cast to int32 is undefined).
                let r = q.isNaN ? 0 : q.rounded(.toNearestOrEven)
                let v = min(max(r + Double(zeros[zeroAt?(i) ?? 0]), bounds.min), bounds.max)
                DTypeConversion.store(v, dst, i, outType)
            }
        }
    }

    /// `value` rounded to `dtype` (float16, bfloat16 or float32) and widened back.
    static func rounded(_ value: Double, to dtype: DType) -> Double {
        switch dtype {
        case .float16: Double(DTypeConversion.halfToFloat(DTypeConversion.doubleToHalf(value)))
        case .bfloat16: Double(Float(bitPattern: UInt32(DTypeConversion.floatToBFloat16(Float(value))) << 16))
        default: Double(Float(value))
        }
    }

    static func dequantize(_ x: Tensor, scale: Tensor, zeroPoint: Tensor?, _ a: QuantizeAttributes, _ ctx: EvaluationContext) throws -> Tensor {
        let outType = ctx.outputType()
        let (shape, count) = try ctx.resultShape()
        guard x.dtype.isInteger else { throw ctx.unsupported("DequantizeLinear of \(x.dtype) (only integer types are defined here)") }
        guard scale.dtype.isFloatingPoint else { throw ctx.error("the scale must be floating point, not \(scale.dtype)") }
        if let zeroPoint, zeroPoint.dtype != x.dtype { throw ctx.error("the zero point is \(zeroPoint.dtype), the input \(x.dtype)") }
        let scaleAt = try parameterIndex(scale, role: "the scale", shape: x.shape, axis: a.axis, ctx)
        let zeroAt = try zeroPoint.map { try parameterIndex($0, role: "the zero point", shape: x.shape, axis: a.axis, ctx) }
        let scales = scale.doubles, zeros = zeroPoint?.integers ?? [0], values = x.integers
        let unsigned = x.dtype == .uint64, wide = x.dtype.byteSize == 8
        return Tensor(dtype: outType, shape: shape) { raw in
            guard let dst = raw.baseAddress else { return }
            for i in 0..<count {
                let (v, z) = (values[i], zeros[zeroAt?(i) ?? 0])
                // Narrower integers subtract exactly in Int64; 64-bit ones go through Double.
                let difference = wide ? (unsigned ? Double(UInt64(bitPattern: v)) - Double(UInt64(bitPattern: z)) : Double(v) - Double(z))
                    : Double(v - z)
                DTypeConversion.store(difference * scales[scaleAt(i)], dst, i, outType)
            }
        }
    }

    /// onnxruntime's DynamicQuantizeLinear, in float32 throughout as the ONNX reference computes it:
    /// the range is widened to include 0, `scale = (max − min) / 255` (1/255 when the range is empty),
    /// `zero_point = rint(clamp(−min / scale, 0, 255))`, `y = clamp(rint(x / scale) + zero_point, 0, 255)`.
    static func dynamicQuantize(_ x: Tensor, _ ctx: EvaluationContext) throws -> [Tensor] {
        guard x.dtype == .float32 else { throw ctx.error("DynamicQuantizeLinear takes float32, not \(x.dtype)") }
        let (shape, count) = try ctx.resultShape()
        var (low, high): (Float, Float) = (0, 0)
        x.withFloats { v in
            for e in v {
                // NaN poisons the range as NumPy's min and max do.
                if e.isNaN || low.isNaN { low = .nan } else { low = Swift.min(low, e) }
                if e.isNaN || high.isNaN { high = .nan } else { high = Swift.max(high, e) }
            }
        }
        let scale: Float = (high == low ? 1 : high - low) / 255
        let initial: Float = 0 - low / scale
        let zero = Swift.max(0, Swift.min(255, initial)).rounded(.toNearestOrEven)
        let y = x.withFloats { v in
            Tensor(dtype: .uint8, shape: shape) { raw in
                for i in 0..<count {
                    let q = (v[i] / scale).rounded(.toNearestOrEven) + zero
                    raw[i] = q.isNaN ? 0 : UInt8(Swift.max(0, Swift.min(255, q)))
                }
            }
        }
        let zeroPoint = zero.isNaN ? 0 : UInt8(zero)
        return [y, Tensor.scalar(scale), Tensor(dtype: .uint8, shape: [], data: TensorData(copying: [zeroPoint]))].prefix(ctx.outputTypes.count).map { $0 }
    }
}
