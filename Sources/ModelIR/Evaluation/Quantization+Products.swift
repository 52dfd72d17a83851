import Foundation

/// ONNX ConvInteger, MatMulInteger, QLinearConv and QLinearMatMul (and onnxruntime's
/// QLinearGlobalAveragePool and QLinearSoftmax, at the end), exact in integers: each
/// operand minus its zero point is held as a Double (every value and every partial sum is an
/// integer far below 2^53, so the float64 convolution and matmul kernels add them without
/// rounding, in any order), the sum is read back as the int32 onnxruntime accumulates, and the
/// QLinear forms requantize it with onnxruntime's arithmetic (MLAS `MlasRequantizeOutput`):
/// `scale = x_scale · w_scale / y_scale` in float32, `Float(sum + bias) · scale` clamped to the
/// type's range less the zero point, rounded half to even, plus the zero point. float16 scales
/// (ONNX 21; onnxruntime has no such kernel) follow the ONNX reference instead: the scale in
/// float16, the product in float64.
extension QuantizationOp {
    static func integerProduct(_ op: QuantizationOp, _ ctx: EvaluationContext) throws -> [Tensor] {
        switch op {
        case .matMulInteger:
            let (sums, shape) = try matMulSums(ctx, a: 0, aZero: 2, b: 1, bZero: 3)
            return [Tensor(dtype: .int32, shape: shape) { raw in
                let out = raw.bindMemory(to: Int32.self)
                for i in sums.indices { out[i] = Int32(truncatingIfNeeded: Int64(sums[i])) }
            }]
        case .convInteger(let a):
            let (sums, shape) = try convSums(ctx, a, x: 0, xZero: 2, w: 1, wZero: 3)
            return [Tensor(dtype: .int32, shape: shape) { raw in
                let out = raw.bindMemory(to: Int32.self)
                for i in sums.indices { out[i] = Int32(truncatingIfNeeded: Int64(sums[i])) }
            }]
        case .qLinearConv(let a):
            let (sums, shape) = try convSums(ctx, a, x: 0, xZero: 2, w: 3, wZero: 5)
            let filters = shape[1], plane = shape.dropFirst(2).reduce(1, *)
            let bias = ctx.optional(8)?.integers
            if let bias, bias.count != filters { throw ctx.error("the bias has \(bias.count) values for \(filters) filters") }
            let (scales, wide) = try outputScales(ctx, input: 1, weights: 4, output: 6, channels: filters)
            return [try requantize(sums, shape: shape, wide: wide, zeroPoint: try ctx.operand(7), ctx) { i in
                let f = (i / plane) % filters
                return (Int32(truncatingIfNeeded: bias?[f] ?? 0), scales[f])
            }]
        case .qLinearMatMul:
            let (sums, shape) = try matMulSums(ctx, a: 0, aZero: 2, b: 3, bZero: 5)
            let columns = try ctx.operand(3).shape.last ?? 1
            let (scales, wide) = try outputScales(ctx, input: 1, weights: 4, output: 6, channels: columns)
            return [try requantize(sums, shape: shape, wide: wide, zeroPoint: try ctx.operand(7), ctx) { i in (0, scales[i % columns]) }]
        case .qLinearGlobalAveragePool(let a):
            return [try globalAveragePool(a, ctx)]
        case .qLinearSoftmax(let a):
            return [try softmax(a, ctx)]
        default:
            throw ctx.error("\(op.displayName) is not an integer product")
        }
    }

    /// onnxruntime's per-channel requantization scales, `x_scale · w_scale[c] / y_scale` in float32
    /// (in float16 for float16 scales, `wide`: their products are then taken in float64).
    private static func outputScales(_ ctx: EvaluationContext, input: Int, weights: Int, output: Int, channels: Int) throws
        -> (scales: [Float], wide: Bool) {
        let xs = try ctx.operand(input), ws = try ctx.operand(weights), ys = try ctx.operand(output)
        guard xs.elementCount == 1, ys.elementCount == 1 else { throw ctx.error("the input and output scales must be single values") }
        guard ws.elementCount == 1 || (ws.shape.count == 1 && ws.elementCount == channels) else {
            throw ctx.error("the kernel scale has shape \(ws.shape): one value or one per output channel (\(channels))")
        }
        let x = Float(xs.doubles[0]), y = Float(ys.doubles[0])
        let w = ws.doubles.map(Float.init)
        guard xs.dtype == .float16 else { return ((0..<channels).map { c in x * w[w.count == 1 ? 0 : c] / y }, false) }
        let half = { (v: Float) in DTypeConversion.halfToFloat(DTypeConversion.floatToHalf(v)) }
        return ((0..<channels).map { c in half(half(x * w[w.count == 1 ? 0 : c]) / y) }, true)
    }

    /// `clamp(rint(Float(sum + bias) · scale) + zero_point)` per element (`parameters(i)` gives
    /// element i's bias and scale), in the output zero point's type.
    private static func requantize(_ sums: [Double], shape: [Int], wide: Bool, zeroPoint: Tensor, _ ctx: EvaluationContext,
                                   _ parameters: (Int) -> (bias: Int32, scale: Float)) throws -> Tensor {
        guard zeroPoint.elementCount == 1 else { throw ctx.error("the output zero point must be a single value") }
        let zero = zeroPoint.integers[0]
        let (low, high): (Int64, Int64) = zeroPoint.dtype == .int8 ? (-128, 127) : (0, 255)
        let (lowF, highF) = (Float(low - zero), Float(high - zero))
        return Tensor(dtype: zeroPoint.dtype, shape: shape) { raw in
            for i in sums.indices {
                let (bias, scale) = parameters(i)
                let sum = Int32(truncatingIfNeeded: Int64(sums[i])) &+ bias
                let value = wide ? Swift.min(Swift.max(Double(sum) * Double(scale), Double(lowF)), Double(highF)).rounded(.toNearestOrEven)
                    : Double(Swift.min(Swift.max(Float(sum) * scale, lowF), highF).rounded(.toNearestOrEven))
                let q = Int64(value) + zero
                raw[i] = zeroPoint.dtype == .int8 ? UInt8(bitPattern: Int8(q)) : UInt8(q)
            }
        }
    }

    /// onnxruntime's QLinearGlobalAveragePool (MLAS `MlasQLinearGlobalAveragePoolNchw`/`Nhwc`):
    /// per image and channel the int32 `sum(x) − x_zero_point · size`, requantized with
    /// `x_scale / (y_scale · Float(size))` in float32.
    private static func globalAveragePool(_ a: QLinearPoolAttributes, _ ctx: EvaluationContext) throws -> Tensor {
        let x = try ctx.operand(0)
        let (shape, _) = try ctx.resultShape()
        let rank = x.shape.count
        let batch = x.shape[0], channels = a.channelsLast ? x.shape[rank - 1] : x.shape[1]
        let size = a.channelsLast ? x.shape[1..<(rank - 1)].reduce(1, *) : x.shape[2...].reduce(1, *)
        for i in [1, 2, 3, 4] where ctx.optional(i)?.elementCount != 1 {
            throw ctx.error("\(ctx.node.op.inputRoles[i]) must be a single value")
        }
        let zero = try ctx.operand(2).integers[0]
        let scale = Float(try ctx.operand(1).doubles[0]) / (Float(try ctx.operand(3).doubles[0]) * Float(size))
        let values = x.integers
        var sums = [Double](repeating: 0, count: batch * channels)
        for n in 0..<batch {
            for c in 0..<channels {
                var sum = Int32(truncatingIfNeeded: -zero * Int64(size))
                for p in 0..<size {
                    let i = a.channelsLast ? (n * size + p) * channels + c : (n * channels + c) * size + p
                    sum &+= Int32(values[i])
                }
                sums[n * channels + c] = Double(sum)
            }
        }
        return try requantize(sums, shape: shape, wide: false, zeroPoint: try ctx.operand(4), ctx) { _ in (0, scale) }
    }

    /// onnxruntime's QLinearSoftmax (`qlinear_softmax.cc`): a table of 256 float32 values
    /// `exp((i − 255 + shift) · x_scale)` (computed in double, `shift = max(0, ln(FLT_MAX / D) − 5) /
    /// x_scale` for rows of D values), indexed by each value's distance below the row's maximum
    /// (for int8, after moving the maximum to 127); a row's entries summed in order in float32;
    /// `y = nearbyint(entry · floor(1 / y_scale) / sum) + y_zero_point`, above 255 stored as 255's
    /// bits, otherwise wrapped to the 8-bit type as onnxruntime's cast does.
    private static func softmax(_ a: QLinearSoftmaxAttributes, _ ctx: EvaluationContext) throws -> Tensor {
        let x = try ctx.operand(0)
        let rank = x.shape.count
        guard let axis = Shape.normalizedAxis(a.axis, rank: rank) else { throw ctx.error("axis \(a.axis) is out of range") }
        for i in [1, 3] where ctx.optional(i)?.elementCount != 1 { throw ctx.error("\(ctx.node.op.inputRoles[i]) must be a single value") }
        let signed = x.dtype == .int8
        let xScale = Float(try ctx.operand(1).doubles[0])
        let yScale = (1 / Float(try ctx.operand(3).doubles[0])).rounded(.down)
        let zero = ctx.optional(4)?.integers.first ?? 0
        // Rows of D values along the last axis; before opset 13 the input flattened from `axis`
        // on, from 13 the axis alone (moved last and back, as onnxruntime transposes).
        let flattened = a.opset < 13
        let d = flattened ? x.shape[axis...].reduce(1, *) : x.shape[axis]
        let inner = flattened ? 1 : x.shape[(axis + 1)...].reduce(1, *)
        let outer = (x.shape.reduce(1, *)) / Swift.max(d * inner, 1)
        var shift = log(Double(Float.greatestFiniteMagnitude / Float(d)))
        shift = Swift.max(0, shift - 5) / Double(xScale)
        var table = [Float](repeating: 0, count: 256)
        for i in 0..<256 {
            let index = signed ? UInt8(truncatingIfNeeded: i - 128) : UInt8(i)
            table[Int(index)] = Float(exp((Double(i) - 255 + shift) * Double(xScale)))
        }
        let values = x.integers
        return Tensor(dtype: x.dtype, shape: x.shape) { raw in
            var row = [Int](repeating: 0, count: d)
            for o in 0..<outer {
                for k in 0..<inner {
                    for j in 0..<d { row[j] = Int(values[(o * d + j) * inner + k]) }
                    let top = row.max() ?? 0
                    // The table entry of each value: uint8 reads table[255 − top + v], int8
                    // table[UInt8(127 − top + v)].
                    let entry = { (v: Int) -> Float in
                        signed ? table[Int(UInt8(truncatingIfNeeded: 127 - top + v))] : table[255 - top + v]
                    }
                    var sum: Float = 0
                    for v in row { sum += entry(v) }
                    guard sum != 0 else { continue }
                    for j in 0..<d {
                        let q = Int64((entry(row[j]) * yScale / sum).rounded(.toNearestOrEven)) + zero
                        let i = (o * d + j) * inner + k
                        raw[i] = q > 255 ? 255 : UInt8(truncatingIfNeeded: q)
                    }
                }
            }
        }
    }

    /// The exact sums of the convolution of `x − x_zero_point` with `w − w_zero_point`, and their shape.
    private static func convSums(_ ctx: EvaluationContext, _ a: ConvAttributes, x: Int, xZero: Int, w: Int, wZero: Int) throws
        -> (sums: [Double], shape: [Int]) {
        let input = try ctx.operand(x), kernel = try ctx.operand(w)
        let xz = try zeroPoints(ctx, xZero, count: 1, what: "the input zero point (one value)")
        let filters = kernel.shape.first ?? 0
        let wz = try zeroPoints(ctx, wZero, count: filters, what: "the kernel zero point (one value or one per output channel)")
        let perFilter = filters > 0 ? (kernel.elementCount ?? 0) / filters : 0
        let xd = input.integers.map { Double($0 - xz[0]) }
        let wi = kernel.integers
        let wd = wi.indices.map { Double(wi[$0] - wz[wz.count == 1 ? 0 : $0 / Swift.max(perFilter, 1)]) }
        let node = Node(name: ctx.node.name, op: .conv(.conv(a)), inputs: ["x", "w"], outputs: ["y"])
        let y = try Evaluator.evaluate(node, [Tensor(shape: input.shape, doubles: xd, dtype: .float64),
                                              Tensor(shape: kernel.shape, doubles: wd, dtype: .float64)])[0]
        return (y.doubles, y.shape)
    }

    /// The exact sums of NumPy `matmul` of `a − a_zero_point` with `b − b_zero_point`, and their shape.
    private static func matMulSums(_ ctx: EvaluationContext, a: Int, aZero: Int, b: Int, bZero: Int) throws -> (sums: [Double], shape: [Int]) {
        let left = try ctx.operand(a), right = try ctx.operand(b)
        let ad = try shifted(left, by: ctx.optional(aZero), rowwise: true, ctx)
        let bd = try shifted(right, by: ctx.optional(bZero), rowwise: false, ctx)
        let node = Node(name: ctx.node.name, op: .linear(.matMul), inputs: ["a", "b"], outputs: ["y"])
        let y = try Evaluator.evaluate(node, [Tensor(shape: left.shape, doubles: ad, dtype: .float64),
                                              Tensor(shape: right.shape, doubles: bd, dtype: .float64)])[0]
        return (y.doubles, y.shape)
    }

    /// `x − zero` as Doubles, the zero point broadcast NumPy's way after a 1-D one is read per row
    /// (`rowwise`: `[M]` as `[M, 1]`) or per column (`[N]`).
    private static func shifted(_ x: Tensor, by zero: Tensor?, rowwise: Bool, _ ctx: EvaluationContext) throws -> [Double] {
        let values = x.integers
        guard let zero, zero.elementCount != 1 || zero.shape.count > x.shape.count else {
            let z = zero?.integers.first ?? 0
            return values.map { Double($0 - z) }
        }
        var zshape = zero.shape
        if zshape.count == 1, rowwise, x.shape.count >= 2 { zshape = [zshape[0], 1] }
        guard zshape.count <= x.shape.count,
              zip(zshape.reversed(), x.shape.reversed()).allSatisfy({ $0 == 1 || $0 == $1 }) else {
            throw ctx.error("a zero point of shape \(zero.shape) does not apply to an operand of shape \(x.shape)")
        }
        let aligned = [Int](repeating: 1, count: x.shape.count - zshape.count) + zshape
        // Strides of the zero point along the operand's axes (0 where it broadcasts).
        var strides = [Int](repeating: 0, count: aligned.count), step = 1
        for axis in stride(from: aligned.count - 1, through: 0, by: -1) {
            strides[axis] = aligned[axis] == 1 ? 0 : step
            step *= aligned[axis]
        }
        let zs = zero.integers
        var out = [Double](repeating: 0, count: values.count)
        var index = [Int](repeating: 0, count: x.shape.count), offset = 0
        for i in values.indices {
            out[i] = Double(values[i] - zs[offset])
            var axis = x.shape.count - 1
            while axis >= 0 {
                index[axis] += 1
                offset += strides[axis]
                if index[axis] < x.shape[axis] { break }
                offset -= strides[axis] * index[axis]
                index[axis] = 0
                axis -= 1
            }
        }
        return out
    }

    /// Zero point operand `i` as integers: `[0]` when absent; one value or `count` values.
    private static func zeroPoints(_ ctx: EvaluationContext, _ i: Int, count: Int, what: String) throws -> [Int64] {
        guard let z = ctx.optional(i) else { return [0] }
        guard z.elementCount == 1 || (z.shape.count == 1 && z.elementCount == count) else {
            throw ctx.error("\(what) has shape \(z.shape)")
        }
        return z.integers
    }
}
