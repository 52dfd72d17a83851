import Foundation

extension ElementwiseOp {
    func evaluate(_ ctx: EvaluationContext) throws -> Tensor {
        let shape = try ctx.outputShape()
        let outType = ctx.outputType()
        switch self {
        case .unary(let f):
            return try Self.unary(f, try ctx.operand(0), shape: shape, outType: outType, ctx)
        case .binary(let f):
            return try Self.binary(f, try ctx.operand(0), try ctx.operand(1), shape: shape, outType: outType, ctx)
        case .variadic(let f):
            let operands = try (0..<ctx.operands.count).map { try ctx.operand($0) }
            var acc = operands[0]
            if operands.count == 1 { return acc }
            for next in operands.dropFirst() {
                let s = Shape.broadcast([acc.shape, next.shape]) ?? shape
                acc = try Self.combine(f == .mean ? .add : f, acc, next, shape: s, ctx)
            }
            if f == .mean {
                let n = Double(operands.count)
                acc = Self.map(acc, outType: acc.dtype) { $0 / n } integer: { $0 / Int64(operands.count) }
            }
            return acc
        case .select:
            let c = try ctx.operand(0), a = try ctx.operand(1), b = try ctx.operand(2)
            let runs = BroadcastRuns(outputShape: shape, operandShapes: [c.shape, a.shape, b.shape])
            let size = outType.byteSize
            return Tensor(dtype: outType, shape: shape) { raw in
                guard let dst = raw.baseAddress, let cp = c.data.bytes.baseAddress else { return }
                let ap = a.data.bytes.baseAddress, bp = b.data.bytes.baseAddress
                runs.forEach { out, count, offsets, steps in
                    for j in 0..<count {
                        let take = cp.load(fromByteOffset: offsets[0] + j * steps[0], as: UInt8.self) != 0
                        let (src, o) = take ? (ap, offsets[1] + j * steps[1]) : (bp, offsets[2] + j * steps[2])
                        if let src { (dst + (out + j) * size).copyMemory(from: src + o * size, byteCount: size) }
                    }
                }
            }
        case .clip(let a):
            let x = try ctx.operand(0)
            let low = a.min ?? ctx.optional(1)?.doubles.first
            let high = a.max ?? ctx.optional(2)?.doubles.first
            if x.dtype.isInteger {
                // An attribute bound is a Double (Clip-6's defaults are ±FLT_MAX): clamped into
                // Int64, not converted with a trap. uint64 compares unsigned.
                let lo = a.min.map(DTypeConversion.clampToInt64) ?? ctx.optional(1)?.integers.first
                let hi = a.max.map(DTypeConversion.clampToInt64) ?? ctx.optional(2)?.integers.first
                let unsigned = x.dtype == .uint64
                let below: (Int64, Int64) -> Bool = unsigned ? { UInt64(bitPattern: $0) < UInt64(bitPattern: $1) } : { $0 < $1 }
                return Self.map(x, outType: x.dtype) { $0 } integer: { v in
                    var y = v
                    if let lo, below(y, lo) { y = lo }
                    if let hi, below(hi, y) { y = hi }
                    return y
                }
            }
            if x.dtype == .float32 {
                let lo = low.map(Float.init), hi = high.map(Float.init)
                return Self.mapFloat(x) { v in
                    var y = v
                    if let lo, y < lo { y = lo }
                    if let hi, y > hi { y = hi }
                    return y
                }
            }
            return Self.map(x, outType: x.dtype) { v in
                var y = v
                if let low, y < low { y = low }
                if let high, y > high { y = high }
                return y
            } integer: { $0 }
        case .prelu:
            let x = try ctx.operand(0), slope = try ctx.operand(1)
            if x.dtype == .float32, slope.dtype == .float32 {
                return Self.zipFloat(x, slope, shape: shape) { v, s in v < 0 ? s * v : v }
            }
            return try Self.combineWide(x, slope, shape: shape, outType: x.dtype, ctx) { v, s in v < 0 ? s * v : v } integer: { v, s in v < 0 ? s &* v : v }
        case .scalar(let s):
            // The number becomes a scalar of x's type first, as TensorFlow converts a Python number.
            let x = try ctx.operand(0)
            let c = Tensor(shape: [], doubles: [s.value], dtype: x.dtype)
            let (a, b) = s.constantFirst ? (c, x) : (x, c)
            switch s.function {
            case .add: return try Self.combine(.add, a, b, shape: shape, ctx)
            case .mul: return try Self.combine(.mul, a, b, shape: shape, ctx)
            case .max: return try Self.combine(.max, a, b, shape: shape, ctx)
            case .min: return try Self.combine(.min, a, b, shape: shape, ctx)
            case .sub: return try Self.binary(.sub, a, b, shape: shape, outType: outType, ctx)
            case .div: return try Self.binary(.div, a, b, shape: shape, outType: outType, ctx)
            case .pow: return try Self.binary(.pow, a, b, shape: shape, outType: outType, ctx)
            }
        case .scaledAdd(let scale):
            // CustomScaleLayer: `inputs[0] + inputs[1] * scale`, the product rounded first.
            let x = try ctx.operand(0), residual = try ctx.operand(1)
            if x.dtype == .float32 {
                let s = Float(scale)
                return Self.zipFloat(x, residual, shape: shape) { a, r in
                    let scaled = r * s
                    return a + scaled
                }
            }
            let s = Tensor(shape: [], doubles: [scale], dtype: x.dtype)
            let scaled = try Self.combine(.mul, residual, s, shape: residual.shape, ctx)
            return try Self.combine(.add, x, scaled, shape: shape, ctx)
        case .scale:
            return try Self.combine(.mul, try ctx.operand(0), try ctx.operand(1), shape: shape, ctx)
        }
    }

    // MARK: - Unary

    static func unary(_ f: UnaryFunction, _ x: Tensor, shape: [Int], outType: DType, _ ctx: EvaluationContext) throws -> Tensor {
        if x.dtype.isInteger || x.dtype == .bool {
            switch f {
            case .neg: return map(x, outType: outType) { -$0 } integer: { 0 &- $0 }
            case .abs: return map(x, outType: outType) { Swift.abs($0) } integer: { x.dtype.isUnsigned ? $0 : ($0 < 0 ? 0 &- $0 : $0) }
            case .sign: return map(x, outType: outType) { $0 } integer: { $0 > 0 ? 1 : ($0 < 0 ? -1 : 0) }
            case .not: return map(x, outType: .bool) { $0 } integer: { $0 == 0 ? 1 : 0 }
            case .bitwiseNot: return map(x, outType: outType) { $0 } integer: { ~$0 }
            default: throw ctx.unsupported("\(f.displayName) of \(x.dtype)")
            }
        }
        let g: (Double) -> Double
        switch f {
        case .neg: g = { -$0 }
        case .abs: g = { Swift.abs($0) }
        case .sqrt: g = { Foundation.sqrt($0) }
        case .exp: g = { Foundation.exp($0) }
        case .log: g = { Foundation.log($0) }
        case .reciprocal: g = { 1 / $0 }
        case .erf: g = { Foundation.erf($0) }
        case .floor: g = { $0.rounded(.down) }
        case .ceil: g = { $0.rounded(.up) }
        case .round: g = { $0.rounded(.toNearestOrEven) }
        case .sign: g = { $0 > 0 ? 1 : ($0 < 0 ? -1 : 0) }
        case .sin: g = { Foundation.sin($0) }
        case .cos: g = { Foundation.cos($0) }
        case .tan: g = { Foundation.tan($0) }
        case .asin: g = { Foundation.asin($0) }
        case .acos: g = { Foundation.acos($0) }
        case .atan: g = { Foundation.atan($0) }
        case .sinh: g = { Foundation.sinh($0) }
        case .cosh: g = { Foundation.cosh($0) }
        case .asinh: g = { Foundation.asinh($0) }
        case .acosh: g = { Foundation.acosh($0) }
        case .atanh: g = { Foundation.atanh($0) }
        case .isNaN: return map(x, outType: .bool) { $0.isNaN ? 1 : 0 } integer: { _ in 0 }
        case .isInf: return map(x, outType: .bool) { $0.isInfinite ? 1 : 0 } integer: { _ in 0 }
        case .isPosInf: return map(x, outType: .bool) { $0 == .infinity ? 1 : 0 } integer: { _ in 0 }
        case .isNegInf: return map(x, outType: .bool) { $0 == -.infinity ? 1 : 0 } integer: { _ in 0 }
        case .not, .bitwiseNot: throw ctx.unsupported("\(f.displayName) of \(x.dtype)")
        }
        if x.dtype == .float32 {
            // float32 math in float32, as frameworks compute it.
            let h: (Float) -> Float
            switch f {
            case .neg: h = { -$0 }
            case .abs: h = { Swift.abs($0) }
            case .sqrt: h = { $0.squareRoot() }
            case .exp: h = { Foundation.exp($0) }
            case .log: h = { Foundation.log($0) }
            case .reciprocal: h = { 1 / $0 }
            case .erf: h = { Foundation.erf($0) }
            case .floor: h = { $0.rounded(.down) }
            case .ceil: h = { $0.rounded(.up) }
            case .round: h = { $0.rounded(.toNearestOrEven) }
            default: h = { Float(g(Double($0))) }
            }
            return mapFloat(x, h)
        }
        return map(x, outType: outType, g) { $0 }
    }

    // MARK: - Binary

    static func binary(_ f: BinaryFunction, _ a: Tensor, _ b: Tensor, shape: [Int], outType: DType,
                       _ ctx: EvaluationContext) throws -> Tensor {
        let unsigned = a.dtype.isUnsigned
        switch f {
        case .sub:
            if a.dtype == .float32 { return zipFloat(a, b, shape: shape) { $0 - $1 } }
            return try combineWide(a, b, shape: shape, outType: outType, ctx) { $0 - $1 } integer: { $0 &- $1 }
        case .div:
            if a.dtype == .float32 { return zipFloat(a, b, shape: shape) { $0 / $1 } }
            return try combineWide(a, b, shape: shape, outType: outType, ctx) { $0 / $1 } integer: { x, y in
                if y == 0 { return 0 }
                if unsigned { return Int64(bitPattern: UInt64(bitPattern: x) / UInt64(bitPattern: y)) }
                // NumPy/ONNX integer division truncates toward zero for Div.
                return x == .min && y == -1 ? .min : x / y
            }
        case .pow:
            if a.dtype == .float32 {
                let e = b.converted(to: .float32)
                return zipFloat(a, e, shape: shape) { Foundation.pow($0, $1) }
            }
            let bw = b.dtype.isFloatingPoint ? b.converted(to: .float64) : b
            return try combineWide(a, bw, shape: shape, outType: outType, ctx) { Foundation.pow($0, $1) } integer: { x, y in
                Int64(exactly: Foundation.pow(Double(x), Double(y)).rounded(.towardZero)) ?? 0
            }
        case .mod:
            return try combineWide(a, b, shape: shape, outType: outType, ctx) { x, y in
                let r = x.truncatingRemainder(dividingBy: y)
                return r != 0 && (r < 0) != (y < 0) ? r + y : r
            } integer: { x, y in
                if y == 0 { return 0 }
                if unsigned { return Int64(bitPattern: UInt64(bitPattern: x) % UInt64(bitPattern: y)) }
                let r = x % y
                return r != 0 && (r < 0) != (y < 0) ? r + y : r
            }
        case .fmod:
            return try combineWide(a, b, shape: shape, outType: outType, ctx) { $0.truncatingRemainder(dividingBy: $1) } integer: { x, y in
                y == 0 ? 0 : (unsigned ? Int64(bitPattern: UInt64(bitPattern: x) % UInt64(bitPattern: y)) : x % y)
            }
        case .equal, .less, .lessOrEqual, .greater, .greaterOrEqual:
            let compare: (Double, Double) -> Bool
            let compareInt: (Int64, Int64) -> Bool
            switch f {
            case .equal: compare = { $0 == $1 }; compareInt = { $0 == $1 }
            case .less: compare = { $0 < $1 }; compareInt = unsigned ? { UInt64(bitPattern: $0) < UInt64(bitPattern: $1) } : { $0 < $1 }
            case .lessOrEqual: compare = { $0 <= $1 }; compareInt = unsigned ? { UInt64(bitPattern: $0) <= UInt64(bitPattern: $1) } : { $0 <= $1 }
            case .greater: compare = { $0 > $1 }; compareInt = unsigned ? { UInt64(bitPattern: $0) > UInt64(bitPattern: $1) } : { $0 > $1 }
            default: compare = { $0 >= $1 }; compareInt = unsigned ? { UInt64(bitPattern: $0) >= UInt64(bitPattern: $1) } : { $0 >= $1 }
            }
            return try combineWide(a, b, shape: shape, outType: .bool, ctx) { compare($0, $1) ? 1 : 0 } integer: { compareInt($0, $1) ? 1 : 0 }
        case .and: return try combineWide(a, b, shape: shape, outType: .bool, ctx) { _, _ in 0 } integer: { $0 != 0 && $1 != 0 ? 1 : 0 }
        case .or: return try combineWide(a, b, shape: shape, outType: .bool, ctx) { _, _ in 0 } integer: { $0 != 0 || $1 != 0 ? 1 : 0 }
        case .xor: return try combineWide(a, b, shape: shape, outType: .bool, ctx) { _, _ in 0 } integer: { ($0 != 0) != ($1 != 0) ? 1 : 0 }
        case .bitwiseAnd: return try combineWide(a, b, shape: shape, outType: outType, ctx) { _, _ in 0 } integer: { $0 & $1 }
        case .bitwiseOr: return try combineWide(a, b, shape: shape, outType: outType, ctx) { _, _ in 0 } integer: { $0 | $1 }
        case .bitwiseXor: return try combineWide(a, b, shape: shape, outType: outType, ctx) { _, _ in 0 } integer: { $0 ^ $1 }
        case .shiftLeft, .shiftRight:
            let bits = UInt64(a.dtype.byteSize * 8)
            let left = f == .shiftLeft
            let signed = !a.dtype.isUnsigned
            return try combineWide(a, b, shape: shape, outType: outType, ctx) { _, _ in 0 } integer: { x, y in
                // Signed right shifts are arithmetic (opset 28): a shift of the width or more, or
                // a negative one, leaves only the sign. `x` arrives sign-extended to 64 bits.
                if signed, !left {
                    guard y >= 0, UInt64(y) < bits else { return x < 0 ? -1 : 0 }
                    return x >> y
                }
                let n = UInt64(bitPattern: y)
                guard n < bits else { return 0 }
                let ux = UInt64(bitPattern: x) & (bits == 64 ? .max : (1 << bits) - 1)
                return Int64(bitPattern: left ? ux << n : ux >> n)
            }
        }
    }

    /// One step of a variadic fold.
    static func combine(_ f: VariadicFunction, _ a: Tensor, _ b: Tensor, shape: [Int], _ ctx: EvaluationContext) throws -> Tensor {
        let unsigned = a.dtype.isUnsigned
        if a.dtype == .float32 {
            switch f {
            case .add, .mean: return zipFloat(a, b, shape: shape) { $0 + $1 }
            case .mul: return zipFloat(a, b, shape: shape) { $0 * $1 }
            // NaN propagates, as NumPy's maximum and onnxruntime do.
            case .max: return zipFloat(a, b, shape: shape) { $0.isNaN || $1.isNaN ? .nan : Swift.max($0, $1) }
            case .min: return zipFloat(a, b, shape: shape) { $0.isNaN || $1.isNaN ? .nan : Swift.min($0, $1) }
            }
        }
        switch f {
        case .add, .mean: return try combineWide(a, b, shape: shape, outType: a.dtype, ctx) { $0 + $1 } integer: { $0 &+ $1 }
        case .mul: return try combineWide(a, b, shape: shape, outType: a.dtype, ctx) { $0 * $1 } integer: { $0 &* $1 }
        case .max:
            return try combineWide(a, b, shape: shape, outType: a.dtype, ctx) { $0.isNaN || $1.isNaN ? .nan : Swift.max($0, $1) } integer: {
                unsigned ? (UInt64(bitPattern: $0) >= UInt64(bitPattern: $1) ? $0 : $1) : Swift.max($0, $1)
            }
        case .min:
            return try combineWide(a, b, shape: shape, outType: a.dtype, ctx) { $0.isNaN || $1.isNaN ? .nan : Swift.min($0, $1) } integer: {
                unsigned ? (UInt64(bitPattern: $0) <= UInt64(bitPattern: $1) ? $0 : $1) : Swift.min($0, $1)
            }
        }
    }

    // MARK: - Loops

    /// `f` over a float32 tensor, in float32.
    static func mapFloat(_ x: Tensor, _ f: (Float) -> Float) -> Tensor {
        let count = x.elementCount ?? 0
        return x.withFloats { src in
            Tensor(dtype: .float32, shape: x.shape) { raw in
                let dst = raw.bindMemory(to: Float.self)
                for i in 0..<count { dst[i] = f(src[i]) }
            }
        }
    }

    /// `float` (floating types, via Double) or `integer` (integers and bool, via Int64) over `x`,
    /// stored as `outType`.
    static func map(_ x: Tensor, outType: DType, _ float: (Double) -> Double, integer: (Int64) -> Int64) -> Tensor {
        let count = x.elementCount ?? 0
        return Tensor(dtype: outType, shape: x.shape) { raw in
            guard let dst = raw.baseAddress, let src = x.data.bytes.baseAddress else { return }
            if x.dtype.isFloatingPoint {
                for i in 0..<count {
                    let v = float(DTypeConversion.double(src, i, x.dtype))
                    if outType == .bool { DTypeConversion.store(Int64(v != 0 ? 1 : 0), dst, i, outType) } else { DTypeConversion.store(v, dst, i, outType) }
                }
            } else {
                for i in 0..<count { DTypeConversion.store(integer(DTypeConversion.int64(src, i, x.dtype)), dst, i, outType) }
            }
        }
    }

    /// `f(a, b)` with broadcasting, both float32.
    static func zipFloat(_ a: Tensor, _ b: Tensor, shape: [Int], _ f: (Float, Float) -> Float) -> Tensor {
        let runs = BroadcastRuns(outputShape: shape, operandShapes: [a.shape, b.shape])
        return a.withFloats { pa in
            b.withFloats { pb in
                Tensor(dtype: .float32, shape: shape) { raw in
                    let dst = raw.bindMemory(to: Float.self)
                    runs.forEach { out, count, offsets, steps in
                        var ia = offsets[0], ib = offsets[1]
                        for j in 0..<count {
                            dst[out + j] = f(pa[ia], pb[ib])
                            ia += steps[0]
                            ib += steps[1]
                        }
                    }
                }
            }
        }
    }

    /// `float(a, b)` for floating operands (via Double) or `integer(a, b)` (via Int64), with
    /// broadcasting, stored as `outType`.
    static func combineWide(_ a: Tensor, _ b: Tensor, shape: [Int], outType: DType, _ ctx: EvaluationContext,
                            _ float: (Double, Double) -> Double, integer: (Int64, Int64) -> Int64) throws -> Tensor {
        let runs = BroadcastRuns(outputShape: shape, operandShapes: [a.shape, b.shape])
        let floating = a.dtype.isFloatingPoint
        return Tensor(dtype: outType, shape: shape) { raw in
            guard let dst = raw.baseAddress, let pa = a.data.bytes.baseAddress, let pb = b.data.bytes.baseAddress else { return }
            runs.forEach { out, count, offsets, steps in
                var ia = offsets[0], ib = offsets[1]
                for j in 0..<count {
                    if floating {
                        let v = float(DTypeConversion.double(pa, ia, a.dtype), DTypeConversion.double(pb, ib, b.dtype))
                        if outType == .bool { DTypeConversion.store(Int64(v != 0 ? 1 : 0), dst, out + j, outType) }
                        else { DTypeConversion.store(v, dst, out + j, outType) }
                    } else {
                        DTypeConversion.store(integer(DTypeConversion.int64(pa, ia, a.dtype), DTypeConversion.int64(pb, ib, b.dtype)),
                                              dst, out + j, outType)
                    }
                    ia += steps[0]
                    ib += steps[1]
                }
            }
        }
    }
}

