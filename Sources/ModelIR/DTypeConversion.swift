/// Element conversions between storage dtypes, in IEEE round-to-nearest-even where a float is
/// narrowed. Wide representations: `Double` for arithmetic on floats, `Int64` for integers (bit
/// patterns for `uint64`, so wrapping arithmetic stays exact).
public enum DTypeConversion {
    /// Element `i` of `dtype` storage as a `Double` (integers exactly up to 2⁵³; `uint64` as unsigned).
    @inline(__always)
    public static func double(_ src: UnsafeRawPointer, _ i: Int, _ dtype: DType) -> Double {
        switch dtype {
        case .float32: Double(src.loadUnaligned(fromByteOffset: i * 4, as: Float.self))
        case .float64: src.loadUnaligned(fromByteOffset: i * 8, as: Double.self)
        case .float16: Double(halfToFloat(src.loadUnaligned(fromByteOffset: i * 2, as: UInt16.self)))
        case .bfloat16: Double(Float(bitPattern: UInt32(src.loadUnaligned(fromByteOffset: i * 2, as: UInt16.self)) << 16))
        case .int8: Double(src.load(fromByteOffset: i, as: Int8.self))
        case .uint8, .bool: Double(src.load(fromByteOffset: i, as: UInt8.self))
        case .int16: Double(src.loadUnaligned(fromByteOffset: i * 2, as: Int16.self))
        case .uint16: Double(src.loadUnaligned(fromByteOffset: i * 2, as: UInt16.self))
        case .int32: Double(src.loadUnaligned(fromByteOffset: i * 4, as: Int32.self))
        case .uint32: Double(src.loadUnaligned(fromByteOffset: i * 4, as: UInt32.self))
        case .int64: Double(src.loadUnaligned(fromByteOffset: i * 8, as: Int64.self))
        case .uint64: Double(src.loadUnaligned(fromByteOffset: i * 8, as: UInt64.self))
        }
    }

    /// Element `i` as an `Int64`: integers sign- or zero-extended (`uint64` as its bit pattern),
    /// floats truncated toward zero and clamped to the `Int64` range (NaN gives 0).
    @inline(__always)
    public static func int64(_ src: UnsafeRawPointer, _ i: Int, _ dtype: DType) -> Int64 {
        switch dtype {
        case .int8: Int64(src.load(fromByteOffset: i, as: Int8.self))
        case .uint8, .bool: Int64(src.load(fromByteOffset: i, as: UInt8.self))
        case .int16: Int64(src.loadUnaligned(fromByteOffset: i * 2, as: Int16.self))
        case .uint16: Int64(src.loadUnaligned(fromByteOffset: i * 2, as: UInt16.self))
        case .int32: Int64(src.loadUnaligned(fromByteOffset: i * 4, as: Int32.self))
        case .uint32: Int64(src.loadUnaligned(fromByteOffset: i * 4, as: UInt32.self))
        case .int64: src.loadUnaligned(fromByteOffset: i * 8, as: Int64.self)
        case .uint64: Int64(bitPattern: src.loadUnaligned(fromByteOffset: i * 8, as: UInt64.self))
        default: clampToInt64(double(src, i, dtype))
        }
    }

    /// `value` truncated toward zero into the `Int64` range; NaN gives 0.
    @inline(__always)
    public static func clampToInt64(_ value: Double) -> Int64 {
        if value.isNaN { return 0 }
        if value >= 9.2233720368547758e18 { return .max }
        if value <= -9.2233720368547758e18 { return .min }
        return Int64(value.rounded(.towardZero))
    }

    /// Stores `value` as element `i` of `dtype` storage: floats rounded to nearest even, integers
    /// truncated toward zero then wrapped to the type's width (C's and NumPy's cast), bool as ≠ 0.
    @inline(__always)
    public static func store(_ value: Double, _ dst: UnsafeMutableRawPointer, _ i: Int, _ dtype: DType) {
        switch dtype {
        case .float32: dst.storeBytes(of: Float(value), toByteOffset: i * 4, as: Float.self)
        case .float64: dst.storeBytes(of: value, toByteOffset: i * 8, as: Double.self)
        case .float16: dst.storeBytes(of: doubleToHalf(value), toByteOffset: i * 2, as: UInt16.self)
        case .bfloat16: dst.storeBytes(of: floatToBFloat16(Float(value)), toByteOffset: i * 2, as: UInt16.self)
        case .bool: dst.storeBytes(of: value != 0 ? 1 : 0, toByteOffset: i, as: UInt8.self)
        case .uint64 where value >= 9.2233720368547758e18:
            dst.storeBytes(of: value >= 1.8446744073709552e19 ? UInt64.max : UInt64(value), toByteOffset: i * 8, as: UInt64.self)
        default: store(clampToInt64(value), dst, i, dtype)
        }
    }

    /// Stores an integer as element `i`, wrapped to the width of an integer `dtype` (bool: ≠ 0;
    /// floats: the nearest value).
    @inline(__always)
    public static func store(_ value: Int64, _ dst: UnsafeMutableRawPointer, _ i: Int, _ dtype: DType) {
        switch dtype {
        case .int8: dst.storeBytes(of: Int8(truncatingIfNeeded: value), toByteOffset: i, as: Int8.self)
        case .uint8: dst.storeBytes(of: UInt8(truncatingIfNeeded: value), toByteOffset: i, as: UInt8.self)
        case .bool: dst.storeBytes(of: value != 0 ? 1 : 0, toByteOffset: i, as: UInt8.self)
        case .int16: dst.storeBytes(of: Int16(truncatingIfNeeded: value), toByteOffset: i * 2, as: Int16.self)
        case .uint16: dst.storeBytes(of: UInt16(truncatingIfNeeded: value), toByteOffset: i * 2, as: UInt16.self)
        case .int32: dst.storeBytes(of: Int32(truncatingIfNeeded: value), toByteOffset: i * 4, as: Int32.self)
        case .uint32: dst.storeBytes(of: UInt32(truncatingIfNeeded: value), toByteOffset: i * 4, as: UInt32.self)
        case .int64: dst.storeBytes(of: value, toByteOffset: i * 8, as: Int64.self)
        case .uint64: dst.storeBytes(of: UInt64(bitPattern: value), toByteOffset: i * 8, as: UInt64.self)
        case .float32, .float64, .float16, .bfloat16: store(Double(value), dst, i, dtype)
        }
    }

    public static func toFloat32(_ src: UnsafeRawBufferPointer, dtype: DType, into dst: UnsafeMutableBufferPointer<Float>) {
        let n = min(dst.count, src.count / dtype.byteSize)
        guard n > 0, let base = src.baseAddress else { return }
        switch dtype {
        case .float32:
            for i in 0..<n { dst[i] = base.loadUnaligned(fromByteOffset: i * 4, as: Float.self) }
        case .float16:
            for i in 0..<n { dst[i] = halfToFloat(base.loadUnaligned(fromByteOffset: i * 2, as: UInt16.self)) }
        case .bfloat16:
            for i in 0..<n { dst[i] = Float(bitPattern: UInt32(base.loadUnaligned(fromByteOffset: i * 2, as: UInt16.self)) << 16) }
        default:
            for i in 0..<n { dst[i] = Float(double(base, i, dtype)) }
        }
    }

    /// Converts f32 elements to `dtype` storage (f32, f16 or bf16; other types as `store`).
    public static func fromFloat32(_ src: UnsafeBufferPointer<Float>, to dtype: DType, into dst: UnsafeMutableRawBufferPointer) {
        guard let base = dst.baseAddress else { return }
        switch dtype {
        case .float16:
            for (i, v) in src.enumerated() { base.storeBytes(of: floatToHalf(v), toByteOffset: i * 2, as: UInt16.self) }
        case .bfloat16:
            for (i, v) in src.enumerated() { base.storeBytes(of: floatToBFloat16(v), toByteOffset: i * 2, as: UInt16.self) }
        case .float32:
            for (i, v) in src.enumerated() { base.storeBytes(of: v, toByteOffset: i * 4, as: Float.self) }
        default:
            for (i, v) in src.enumerated() { store(Double(v), base, i, dtype) }
        }
    }

    /// Copies `count` elements from `src` (`from`) to `dst` (`to`) with Cast semantics: floats
    /// round to nearest, float → integer truncates toward zero, integers wrap, bool is ≠ 0.
    public static func convert(_ src: UnsafeRawPointer, from: DType, _ dst: UnsafeMutableRawPointer, to: DType, count: Int) {
        if from == to {
            dst.copyMemory(from: src, byteCount: count * from.byteSize)
            return
        }
        if from == .float32 && to == .float16 {
            for i in 0..<count { dst.storeBytes(of: floatToHalf(src.loadUnaligned(fromByteOffset: i * 4, as: Float.self)), toByteOffset: i * 2, as: UInt16.self) }
        } else if from.isInteger || from == .bool {
            if to.isFloatingPoint, from == .uint64 {
                for i in 0..<count { store(double(src, i, from), dst, i, to) }
            } else {
                for i in 0..<count { store(int64(src, i, from), dst, i, to) }
            }
        } else {
            for i in 0..<count { store(double(src, i, from), dst, i, to) }
        }
    }

    public static func halfToFloat(_ bits: UInt16) -> Float {
        #if arch(arm64)
        return Float(Float16(bitPattern: bits))
        #else
        let sign = UInt32(bits & 0x8000) << 16
        let exponent = Int(bits >> 10) & 0x1f
        let mantissa = UInt32(bits & 0x3ff)
        if exponent == 0 {
            // Zero or subnormal: value = mantissa × 2^-24.
            let magnitude = Float(mantissa) * Float(sign: .plus, exponent: -24, significand: 1)
            return sign == 0 ? magnitude : -magnitude
        }
        if exponent == 31 {
            return Float(bitPattern: sign | 0x7f80_0000 | (mantissa << 13))
        }
        return Float(bitPattern: sign | UInt32(exponent - 15 + 127) << 23 | (mantissa << 13))
        #endif
    }

    /// A double rounded once to half precision, to nearest even (narrowing through Float first
    /// could round twice).
    public static func doubleToHalf(_ value: Double) -> UInt16 {
        let bits = value.bitPattern
        let sign = UInt16((bits >> 48) & 0x8000)
        let exponent = Int((bits >> 52) & 0x7ff)
        var mantissa = bits & 0xf_ffff_ffff_ffff
        if exponent == 0x7ff { return sign | 0x7c00 | (mantissa != 0 ? 0x200 : 0) }
        let e = exponent - 1023 + 15
        if e >= 31 { return sign | 0x7c00 }
        if e <= 0 {
            if e < -10 { return sign }
            mantissa |= 1 << 52
            let shift = UInt64(43 - e)
            var half = mantissa >> shift
            let remainder = mantissa & ((1 << shift) - 1)
            let halfway = UInt64(1) << (shift - 1)
            if remainder > halfway || (remainder == halfway && (half & 1) == 1) { half += 1 }
            return sign | UInt16(half)
        }
        var half = UInt64(e) << 10 | (mantissa >> 42)
        let remainder = mantissa & ((1 << 42) - 1)
        let halfway = UInt64(1) << 41
        if remainder > halfway || (remainder == halfway && (half & 1) == 1) { half += 1 }
        return sign | UInt16(truncatingIfNeeded: half)
    }

    public static func floatToHalf(_ value: Float) -> UInt16 {
        let bits = value.bitPattern
        let sign = UInt16((bits >> 16) & 0x8000)
        let exponent = Int((bits >> 23) & 0xff)
        var mantissa = bits & 0x7f_ffff
        if exponent == 0xff { // inf or nan
            return sign | 0x7c00 | (mantissa != 0 ? 0x200 : 0)
        }
        let e = exponent - 127 + 15
        if e >= 31 { return sign | 0x7c00 }
        if e <= 0 {
            if e < -10 { return sign }
            mantissa |= 0x80_0000
            let shift = UInt32(14 - e)
            var half = mantissa >> shift
            let remainder = mantissa & ((1 << shift) - 1)
            let halfway = UInt32(1) << (shift - 1)
            if remainder > halfway || (remainder == halfway && (half & 1) == 1) { half += 1 }
            return sign | UInt16(half)
        }
        var half = UInt32(e) << 10 | (mantissa >> 13)
        let remainder = mantissa & 0x1fff
        if remainder > 0x1000 || (remainder == 0x1000 && (half & 1) == 1) { half += 1 }
        return sign | UInt16(truncatingIfNeeded: half)
    }

    public static func floatToBFloat16(_ value: Float) -> UInt16 {
        let bits = value.bitPattern
        if value.isNaN { return UInt16(bits >> 16) | 0x40 }
        let rounding = UInt32(0x7fff) + ((bits >> 16) & 1)
        return UInt16((bits &+ rounding) >> 16)
    }
}
