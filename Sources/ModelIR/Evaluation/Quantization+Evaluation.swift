import Foundation

/// ONNX QuantizeLinear, DequantizeLinear (per tensor, per axis or blocked) and DynamicQuantizeLinear,
/// bit-exact with the ONNX reference implementation: `x / scale` is divided in the input's own
/// precision (float32 for float32, as NumPy does), rounded half to even, offset by the zero
/// point and saturated to the quantized type; dequantization subtracts in integers and
/// multiplies once, rounding once to the scale's type.
extension QuantizationOp {
    func evaluate(_ ctx: EvaluationContext) throws -> [Tensor] {
        let x = try ctx.operand(0)
        try ctx.checkExtents()
        // Inputs other than float32 are read widened to 8 bytes.
        if x.dtype != .float32 { _ = try ctx.checkedCount(x.shape, elementBytes: 8, what: "the widened input") }
        switch self {
        case .quantizeLinear(let a):
            return [try Self.quantize(x, scale: try ctx.operand(1), zeroPoint: ctx.optional(2), a, ctx)]
        case .dequantizeLinear(let a):
            return [try Self.dequantize(x, scale: try ctx.operand(1), zeroPoint: ctx.optional(2), a, ctx)]
        case .dynamicQuantizeLinear:
            return try Self.dynamicQuantize(x, ctx)
        case .matMulInteger, .convInteger, .qLinearConv, .qLinearMatMul, .qLinearGlobalAveragePool, .qLinearSoftmax:
            return try Self.integerProduct(self, ctx)
        }
    }

    /// How a scale and zero point apply to an input of `shape`: the input seen as
    /// `[outer, channels, inner]`, with one scale and zero point per channel (one channel when
    /// both are per tensor; a one-element parameter repeats over the channels), or, blocked, one
    /// per `[outer, channel block, inner]` element.
    struct Layout {
        var outer = 1, channels = 1, inner = 1
        /// The block length along the channels (0: not blocked).
        var block = 0
        var scales: [Double] = []
        var zeros: [Int64] = []

        /// Where the parameters of channel `c` of outer index `o` start, and their step along
        /// the inner elements: one per channel, or a row of `inner` per block.
        @inline(__always) func parameters(_ o: Int, _ c: Int) -> (index: Int, step: Int) {
            block == 0 ? (c, 0) : ((o * ((channels + block - 1) / block) + c / block) * inner, 1)
        }
    }

    static func layout(_ shape: [Int], count: Int, scale: Tensor, zeroPoint: Tensor?, axis: Int, blockSize: Int?,
                       _ ctx: EvaluationContext) throws -> Layout {
        let parameters = [("the scale", scale)] + (zeroPoint.map { [("the zero point", $0)] } ?? [])
        var l = Layout(inner: count)
        for (role, p) in parameters where !(p.elementCount == 1 && p.shape.count <= 1) {
            guard let ax = Shape.normalizedAxis(axis, rank: shape.count) else {
                throw ctx.error("axis \(axis) is out of range for rank \(shape.count)")
            }
            l = Layout(outer: shape[..<ax].reduce(1, *), channels: shape[ax], inner: shape[(ax + 1)...].reduce(1, *))
            if let block = blockSize {
                guard block > 0 else { throw ctx.error("block_size \(block) is not positive") }
                var expected = shape
                expected[ax] = shape[ax] / block + (shape[ax] % block == 0 ? 0 : 1)
                guard p.shape == expected else {
                    throw ctx.error("\(role) has shape \(p.shape); blocks of \(block) along axis \(ax) of \(shape) need \(expected)")
                }
                l.block = block
            } else {
                guard p.shape.count == 1 else {
                    throw ctx.error("\(role) has shape \(p.shape): per-axis parameters are 1-D (a block_size makes them blocked)")
                }
                guard p.shape[0] == shape[ax] else { throw ctx.error("\(role) has \(p.shape[0]) values for axis \(ax) of \(shape)") }
            }
        }
        let s = scale.doubles, z = zeroPoint?.integers ?? [0]
        let n = l.block == 0 ? l.channels : l.outer * ((l.channels + l.block - 1) / l.block) * l.inner
        l.scales = s.count == 1 ? Array(repeating: s[0], count: n) : s
        l.zeros = z.count == 1 ? Array(repeating: z[0], count: n) : z
        return l
    }

    static func quantize(_ x: Tensor, scale: Tensor, zeroPoint: Tensor?, _ a: QuantizeAttributes, _ ctx: EvaluationContext) throws -> Tensor {
        let outType = ctx.outputType()
        let (shape, count) = try ctx.resultShape()
        guard x.dtype.isFloatingPoint || x.dtype == .int32 else { throw ctx.error("cannot quantize \(x.dtype)") }
        if let zeroPoint, zeroPoint.dtype != outType { throw ctx.error("the zero point is \(zeroPoint.dtype), the result \(outType)") }
        let l = try layout(x.shape, count: count, scale: scale, zeroPoint: zeroPoint, axis: a.axis, blockSize: a.blockSize, ctx)
        // NumPy divides in the promoted type of input and scale: float64 when either is float64
        // (or the input int32), float16 or bfloat16 when both are, else float32. A float32
        // division then one rounding gives the float16/bfloat16 quotient exactly.
        let narrow: DType? = x.dtype == .float64 || x.dtype == .int32 || scale.dtype == .float64 ? nil
            : x.dtype == scale.dtype ? x.dtype : .float32
        return Tensor(dtype: outType, shape: shape) { raw in
            switch outType {
            case .uint8: Self.quantizeLoop(UInt8.self, x, l, narrow: narrow, into: raw)
            case .int8: Self.quantizeLoop(Int8.self, x, l, narrow: narrow, into: raw)
            case .uint16: Self.quantizeLoop(UInt16.self, x, l, narrow: narrow, into: raw)
            case .int16: Self.quantizeLoop(Int16.self, x, l, narrow: narrow, into: raw)
            default: Self.quantizeLoop(Int32.self, x, l, narrow: narrow, into: raw)
            }
        }
    }

    /// `Q(clamp(rint(x / scale) + zero_point))` for every element, the quotient rounded to `narrow`.
    static func quantizeLoop<Q: FixedWidthInteger>(_: Q.Type, _ x: Tensor, _ l: Layout, narrow: DType?, into raw: UnsafeMutableRawBufferPointer) {
        let dst = raw.bindMemory(to: Q.self)
        let (low, high) = (Double(Q.min), Double(Q.max))
        @inline(__always) func store(_ q: Double, _ zero: Double, _ i: Int) {
            // NaN quantizes to the zero point (NumPy's rint(NaN) cast to int32 is undefined).
            let r = q.isNaN ? 0 : q.rounded(.toNearestOrEven)
            dst[i] = Q(min(max(r + zero, low), high))
        }
        let zeros = l.zeros.map(Double.init)
        if narrow == .float32, x.dtype == .float32 {
            let scales = l.scales.map(Float.init)
            x.withFloats { v in
                for o in 0..<l.outer {
                    for c in 0..<l.channels {
                        let (p, step) = l.parameters(o, c)
                        let base = (o * l.channels + c) * l.inner
                        for k in 0..<l.inner { store(Double(v[base + k] / scales[p + k * step]), zeros[p + k * step], base + k) }
                    }
                }
            }
            return
        }
        let values = x.doubles
        for o in 0..<l.outer {
            for c in 0..<l.channels {
                let (p, step) = l.parameters(o, c)
                let base = (o * l.channels + c) * l.inner
                for k in 0..<l.inner {
                    let (i, s) = (base + k, l.scales[p + k * step])
                    store(narrow.map { Self.rounded(Double(Float(values[i]) / Float(s)), to: $0) } ?? values[i] / s, zeros[p + k * step], i)
                }
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
        let l = try layout(x.shape, count: count, scale: scale, zeroPoint: zeroPoint, axis: a.axis, blockSize: a.blockSize, ctx)
        let values = x.integers
        let unsigned = x.dtype == .uint64, wide = x.dtype.byteSize == 8
        return Tensor(dtype: outType, shape: shape) { raw in
            guard let dst = raw.baseAddress else { return }
            for o in 0..<l.outer {
                for c in 0..<l.channels {
                    let (p, step) = l.parameters(o, c)
                    let base = (o * l.channels + c) * l.inner
                    for k in 0..<l.inner {
                        let (i, s, z) = (base + k, l.scales[p + k * step], l.zeros[p + k * step])
                        let v = values[i]
                        // Narrower integers subtract exactly in Int64; 64-bit ones go through Double.
                        let difference = wide ? (unsigned ? Double(UInt64(bitPattern: v)) - Double(UInt64(bitPattern: z)) : Double(v) - Double(z))
                            : Double(v - z)
                        DTypeConversion.store(difference * s, dst, i, outType)
                    }
                }
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
