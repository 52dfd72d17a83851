import Foundation

/// ONNX Resize (opsets 10–19), separably: each resized axis maps its output positions to input
/// coordinates (`coordinate_transformation_mode`), then to taps — input indices and weights — as
/// the ONNX reference implementation (`onnx/reference/ops/op_resize.py`) chooses them: the `n`
/// indices nearest the coordinate (ties to the smaller), clamped to the axis (edge padding),
/// with `exclude_outside` renormalising. Nearest mode copies raw bytes through one table per
/// axis; linear and cubic interpolate axis after axis (float32 in float32, other types in Double,
/// integers rounded half to even and saturated as the reference's `saturate_cast`).
///
/// Coordinates follow the reference where it and onnxruntime differ, since the ONNX backend
/// tests are generated from it: `align_corners`, `pytorch_half_pixel` and `tf_crop_and_resize`
/// use the fractional output length `scale · length` (onnxruntime, and the specification's
/// formulas, the integer length: they differ when a scale does not give a whole length, as in
/// `test_resize_downsample_scales_linear_align_corners`), and `pytorch_half_pixel` maps a
/// length-1 output to −0.5 (onnxruntime: 0; only cubic and antialiased kernels see the
/// difference). `tf_half_pixel_for_nn` (Resize-11/13, absent from the reference) is
/// `(x + 0.5) / scale`. `antialias` widens the linear and
/// cubic kernels when downscaling as the reference does. Nearest mode ignores `antialias` (the
/// reference refuses it) and `exclude_outside` (as onnxruntime: the reference would output 0 —
/// NaN in its scalar version — where the nearest pixel is outside, there being no weight left to
/// renormalise).
enum _Resize {
    /// How one axis is resized.
    struct AxisPlan {
        var axis: Int
        var inSize: Int
        var outSize: Int
        var scale: Double
        var roi: (start: Double, end: Double)
        /// The roi came as float32: its span and offset are then computed in float32, as the
        /// reference (NumPy scalars) and onnxruntime do.
        var roiIsFloat32 = false
    }

    static func evaluate(_ x: Tensor, _ a: ResizeAttributes, _ ctx: EvaluationContext) throws -> Tensor {
        let (shape, count) = try ctx.resultShape()
        let plans = try Self.plans(x.shape, a, ctx)
        var computed = x.shape
        for p in plans { computed[p.axis] = p.outSize }
        guard computed == shape else { throw ctx.error("resize of \(x.shape) gives \(computed), not \(shape)") }
        if count == 0 { return Tensor(zeros: x.dtype, shape: shape) }
        for p in plans where p.inSize == 0 && p.outSize > 0 { throw ctx.error("cannot resize axis \(p.axis), which is empty") }
        let work = plans.filter { !Self.isIdentity($0, a) }
        if work.isEmpty { return x }

        var result: Tensor
        var extrapolated: [(axis: Int, positions: [Int])] = []
        if a.mode == .nearest {
            let strides = Shape.strides(x.shape)
            var tables = x.shape.indices.map { _IndexedCopy.affine(count: x.shape[$0], stride: strides[$0]) }
            for p in work {
                let (taps, outside) = try Self.taps(p, a, ctx)
                tables[p.axis] = taps.indices.map { $0 * strides[p.axis] }
                if !outside.isEmpty { extrapolated.append((p.axis, outside)) }
            }
            result = x.gathered(_IndexedCopy(tables: tables), shape: shape)
        } else {
            // Shrinking axes first keeps every intermediate no larger than the input or the output;
            // growing ones innermost first leaves the largest passes to the contiguous row loop.
            let ordered = work.filter { $0.outSize < $0.inSize } + work.filter { $0.outSize >= $0.inSize }.reversed()
            var axisTaps: [(AxisPlan, Taps)] = []
            for p in ordered {
                let (taps, outside) = try Self.taps(p, a, ctx)
                axisTaps.append((p, taps))
                if !outside.isEmpty { extrapolated.append((p.axis, outside)) }
            }
            if x.dtype == .float32 {
                result = Tensor(dtype: .float32, shape: shape) { raw in
                    guard let dst = raw.baseAddress?.assumingMemoryBound(to: Float.self) else { return }
                    x.withFloats { Self.interpolate($0, shape: x.shape, axisTaps, weight: { Float($0) }, into: dst) }
                }
            } else {
                _ = try ctx.checkedCount(x.shape, elementBytes: 8, what: "the resize scratch")
                _ = try ctx.checkedCount(shape, elementBytes: 8, what: "the resize scratch")
                let out = [Double](unsafeUninitializedCapacity: count) { buffer, initialized in
                    guard let dst = buffer.baseAddress else { return }
                    x.doubles.withUnsafeBufferPointer { Self.interpolate($0, shape: x.shape, axisTaps, weight: { $0 }, into: dst) }
                    initialized = count
                }
                let dtype = x.dtype
                result = Tensor(dtype: dtype, shape: shape) { raw in
                    guard let dst = raw.baseAddress else { return }
                    for (i, v) in out.enumerated() { Self.storeSaturating(v, dst, i, dtype) }
                }
            }
        }
        if !extrapolated.isEmpty { result = Self.fillExtrapolated(result, extrapolated, value: Double(a.extrapolationValue)) }
        return result
    }

    // MARK: - Plan

    /// Per resized axis: sizes, scale (`TensorOp.resizeTargets`, shared with inference) and
    /// region of interest.
    static func plans(_ shape: [Int], _ a: ResizeAttributes, _ ctx: EvaluationContext) throws -> [AxisPlan] {
        var sizes = a.sizes
        if sizes == nil, let given = ctx.integers(3), !given.isEmpty { sizes = given }
        var scales = a.scales
        if scales == nil, sizes == nil, let t = ctx.optional(2), t.elementCount ?? 0 > 0 { scales = t.floats }
        guard sizes != nil || scales != nil else { throw ctx.error("Resize needs scales or sizes") }
        var plans = try TensorOp.resizeTargets(ctx.inference, a, shape: shape, sizes: sizes, scales: scales).map {
            AxisPlan(axis: $0.axis, inSize: shape[$0.axis], outSize: $0.size, scale: $0.scale, roi: (0, 1))
        }
        let axes = plans.count
        if a.coordinateTransformation == .tfCropAndResize {
            guard let roiTensor = ctx.optional(1), case let roi = roiTensor.doubles, roi.count == 2 * axes else {
                throw ctx.error("tf_crop_and_resize needs a roi of \(2 * axes) values (starts, then ends, per axis)")
            }
            guard roi.allSatisfy(\.isFinite) else { throw ctx.error("roi \(roi) is not finite") }
            for k in plans.indices {
                plans[k].roi = (roi[k], roi[k + axes])
                plans[k].roiIsFloat32 = roiTensor.dtype == .float32
            }
        }
        return plans
    }

    /// The reference skips an axis whose scale is 1 (to 1e-9) and size unchanged.
    static func isIdentity(_ p: AxisPlan, _ a: ResizeAttributes) -> Bool {
        guard p.outSize == p.inSize, abs(p.scale - 1) <= 1e-9 * max(abs(p.scale), 1) else { return false }
        return a.coordinateTransformation != .tfCropAndResize || (p.roi.start == 0 && p.roi.end == 1)
    }

    // MARK: - Taps

    /// For every output position: `width` input indices (clamped) and their weights, row-major.
    struct Taps {
        var width: Int
        var indices: [Int]
        var weights: [Double]
    }

    /// Input coordinate of output position `y`, as the reference computes it (its `output_width`
    /// is `scale · length`, fractional when the scale does not give a whole length).
    static func coordinate(_ y: Int, _ p: AxisPlan, _ mode: CoordinateTransformation) -> Double {
        let y = Double(y), length = Double(p.inSize), scale = p.scale
        let width = scale * length
        switch mode {
        case .halfPixel: return (y + 0.5) / scale - 0.5
        case .halfPixelSymmetric:
            let adjustment = Double(p.outSize) / width
            let offset = length / 2 * (1 - adjustment)
            return offset + (y + 0.5) / scale - 0.5
        case .pytorchHalfPixel: return width == 1 ? -0.5 : (y + 0.5) / scale - 0.5
        case .alignCorners: return width == 1 ? 0 : y * (length - 1) / (width - 1)
        case .asymmetric: return y / scale
        case .tfHalfPixelForNN: return (y + 0.5) / scale
        case .tfCropAndResize:
            if p.roiIsFloat32 {
                let (start, end, last) = (Float(p.roi.start), Float(p.roi.end), Float(p.inSize - 1))
                let offset = Double(start * last)
                if width == 1 { return Double((end - start) * last / 2) + offset }
                return y * Double(end - start) * (length - 1) / (width - 1) + offset
            }
            if width == 1 { return (p.roi.end - p.roi.start) * (length - 1) / 2 + p.roi.start * (length - 1) }
            return y * (p.roi.end - p.roi.start) * (length - 1) / (width - 1) + p.roi.start * (length - 1)
        }
    }

    /// The taps of every output position of one axis, and the positions outside the input that
    /// `tf_crop_and_resize` fills with the extrapolation value.
    static func taps(_ p: AxisPlan, _ a: ResizeAttributes, _ ctx: EvaluationContext) throws -> (Taps, [Int]) {
        // Antialiasing widens the kernel by 1/scale when downscaling.
        let reach = a.antialias && a.mode != .nearest ? (a.mode == .cubic ? 2.0 : 1.0) / min(p.scale, 1) : 0
        guard reach <= Double(1 << 24) else { throw ctx.error("antialiasing a downscale by \(p.scale) needs too wide a kernel") }
        let width: Int = switch a.mode {
        case .nearest: 2
        case .linear: a.antialias ? 2 - 2 * Int((-reach).rounded(.down) + 1) : 2
        case .cubic: a.antialias ? 2 - 2 * Int((-reach).rounded(.down) + 1) : 4
        }
        _ = try ctx.checkedCount([p.outSize, width], elementBytes: 16, what: "the resize weights")
        var indices: [Int] = []
        indices.reserveCapacity(p.outSize * (a.mode == .nearest ? 1 : width))
        var weights: [Double] = []
        weights.reserveCapacity(p.outSize * width)
        var outside: [Int] = []
        let half = width / 2
        for y in 0..<p.outSize {
            let x = coordinate(y, p, a.coordinateTransformation)
            guard x.isFinite, abs(x) < 4e18 else { throw ctx.error("output position \(y) maps to input coordinate \(x)") }
            if a.coordinateTransformation == .tfCropAndResize, x < 0 || x > Double(p.inSize - 1) { outside.append(y) }
            let floor = x.rounded(.down)
            // The reference prefers the left pixel: an exact integer has ratio 1, not 0.
            let ratio = x == floor ? 1 : x - floor
            var c = coefficients(ratio, p.scale, width, a)
            let padded = x + Double(half)
            let paddedFloor = padded.rounded(.down)
            let first = Int(paddedFloor) - half + (padded == paddedFloor ? 0 : 1) - half
            var taps = (0..<width).map { first + $0 }
            if a.excludeOutside, a.mode != .nearest {
                for t in 0..<width where taps[t] < 0 || taps[t] >= p.inSize { c[t] = 0 }
                let sum = c.reduce(0, +)
                if sum != 0 { c = c.map { $0 / sum } }
            }
            for t in 0..<width { taps[t] = min(max(taps[t], 0), p.inSize - 1) }
            if a.mode == .nearest {
                indices.append(c[0] != 0 ? taps[0] : taps[1])
            } else {
                indices += taps
                weights += c
            }
        }
        return (Taps(width: a.mode == .nearest ? 1 : width, indices: indices, weights: weights), outside)
    }

    /// The reference's coefficient functions; `ratio` is in (0, 1].
    static func coefficients(_ ratio: Double, _ scale: Double, _ width: Int, _ a: ResizeAttributes) -> [Double] {
        switch a.mode {
        case .nearest:
            if ratio == 1 { return [0, 1] }
            let left: Bool = switch a.nearestMode {
            case .roundPreferFloor: ratio <= 0.5
            case .roundPreferCeil: ratio < 0.5
            case .floor: true
            case .ceil: false
            }
            return left ? [1, 0] : [0, 1]
        case .linear:
            guard a.antialias else { return [1 - ratio, ratio] }
            let s = min(scale, 1)
            let start = 1 - width / 2
            let c = (0..<width).map { t in min(max(1 - abs((Double(start + t) - ratio) * s), 0), 1) }
            let sum = c.reduce(0, +)
            return c.map { $0 / sum }
        case .cubic:
            // In float32, as onnxruntime and the reference (whose coefficient is a NumPy float32)
            // compute them; the distances are taken in Double first, as there.
            let A = a.cubicCoefficient
            guard a.antialias else {
                let (r1, r, q, q1) = (Float(ratio + 1), Float(ratio), Float(1 - ratio), Float((1 - ratio) + 1))
                return [((A * r1 - 5 * A) * r1 + 8 * A) * r1 - 4 * A,
                        ((A + 2) * r - (A + 3)) * r * r + 1,
                        ((A + 2) * q - (A + 3)) * q * q + 1,
                        ((A * q1 - 5 * A) * q1 + 8 * A) * q1 - 4 * A].map(Double.init)
            }
            let s = min(scale, 1)
            let start = 1 - width / 2
            var outside = false
            let c = (0..<width).map { t -> Float in
                let d = abs(s * (Double(start + t) - ratio))
                let (v, v2, v3) = (Float(d), Float(d * d), Float(d * d * d))
                if d <= 1 { return (A + 2) * v3 - (A + 3) * v2 + 1 }
                if d < 2 { return A * v3 - 5 * A * v2 + 8 * A * v - 4 * A }
                outside = true
                return 0
            }
            // The reference sums its list in float32 either way, but the list becomes a float64
            // array when a tap is outside (its 0.0 is a Python float), so it divides in that type.
            let sum = c.reduce(0, +)
            return outside ? c.map { Double($0) / Double(sum) } : c.map { Double($0 / sum) }
        }
    }

    // MARK: - Interpolation

    /// Resizes `values` (of `shape`) along each planned axis in turn.
    /// Resizes `values` (of `shape`) along each planned axis in turn, the last pass writing to
    /// `final` (the resized element count). Intermediates never exceed the larger of input and
    /// output (shrinking axes go first), so they fit the bound the result was checked against.
    static func interpolate<T: BinaryFloatingPoint>(_ values: UnsafeBufferPointer<T>, shape: [Int], _ axes: [(AxisPlan, Taps)],
                                                    weight: (Double) -> T, into final: UnsafeMutablePointer<T>) {
        guard let input = values.baseAddress else { return }
        var source = input
        var shape = shape
        // The previous pass's result while the next one reads it (never the caller's buffers).
        var intermediate: UnsafeMutablePointer<T>? = nil
        defer { intermediate?.deallocate() }
        for (k, (p, taps)) in axes.enumerated() {
            let outer = shape[..<p.axis].reduce(1, *), inner = shape[(p.axis + 1)...].reduce(1, *)
            shape[p.axis] = p.outSize
            let destination = k == axes.count - 1 ? final : UnsafeMutablePointer<T>.allocate(capacity: shape.reduce(1, *))
            let weights = taps.weights.map(weight)
            weights.withUnsafeBufferPointer { w in
                taps.indices.withUnsafeBufferPointer { idx in
                    guard let w = w.baseAddress, let idx = idx.baseAddress else { return }
                    Self.resample(source, destination, outer: outer, inner: inner, inSize: p.inSize, outSize: p.outSize,
                                  width: taps.width, weights: w, indices: idx)
                }
            }
            intermediate?.deallocate()
            intermediate = destination == final ? nil : destination
            source = UnsafePointer(destination)
        }
    }

    /// One axis: `[outer, inSize, inner]` to `[outer, outSize, inner]`, each output row the
    /// weighted sum of its taps' rows, accumulated left to right.
    @inline(__always)
    static func resample<T: BinaryFloatingPoint>(_ s: UnsafePointer<T>, _ d: UnsafeMutablePointer<T>, outer: Int, inner: Int, inSize: Int,
                                                 outSize: Int, width: Int, weights w: UnsafePointer<T>, indices idx: UnsafePointer<Int>) {
        if inner == 1 {
            // The innermost axis: one output element per position.
            for o in 0..<outer {
                let sBase = s + o * inSize, dBase = d + o * outSize
                if width == 2 {
                    for y in 0..<outSize { dBase[y] = w[2 * y] * sBase[idx[2 * y]] + w[2 * y + 1] * sBase[idx[2 * y + 1]] }
                    continue
                }
                for y in 0..<outSize {
                    let (wy, iy) = (w + y * width, idx + y * width)
                    var acc = wy[0] * sBase[iy[0]]
                    for t in 1..<width { acc += wy[t] * sBase[iy[t]] }
                    dBase[y] = acc
                }
            }
            return
        }
        for o in 0..<outer {
            let sBase = s + o * inSize * inner, dBase = d + o * outSize * inner
            for y in 0..<outSize {
                let (wy, iy) = (w + y * width, idx + y * width)
                // Whole rows: contiguous, so the loops vectorise; linear's two taps in one loop.
                let row = dBase + y * inner
                let w0 = wy[0], s0 = sBase + iy[0] * inner
                if width == 2 {
                    let w1 = wy[1], s1 = sBase + iy[1] * inner
                    for e in 0..<inner { row[e] = w0 * s0[e] + w1 * s1[e] }
                    continue
                }
                for e in 0..<inner { row[e] = w0 * s0[e] }
                for t in 1..<width {
                    let wt = wy[t], st = sBase + iy[t] * inner
                    for e in 0..<inner { row[e] += wt * st[e] }
                }
            }
        }
    }

    /// Stores `value` as the reference's `saturate_cast` does: integers rounded half to even and
    /// clamped to the type's range, floats rounded to the type.
    static func storeSaturating(_ value: Double, _ dst: UnsafeMutableRawPointer, _ i: Int, _ dtype: DType) {
        guard dtype.isInteger || dtype == .bool else { return DTypeConversion.store(value, dst, i, dtype) }
        let bounds = _IntegerBounds(dtype)
        let r = value.isNaN ? 0 : min(max(value.rounded(.toNearestOrEven), bounds.min), bounds.max)
        DTypeConversion.store(r, dst, i, dtype)
    }

    /// Sets every output element whose position on an axis is outside the input to `value`.
    static func fillExtrapolated(_ t: Tensor, _ axes: [(axis: Int, positions: [Int])], value: Double) -> Tensor {
        let size = t.dtype.byteSize
        var element = [UInt8](repeating: 0, count: size)
        element.withUnsafeMutableBytes { if let p = $0.baseAddress { storeSaturating(value, p, 0, t.dtype) } }
        return Tensor(dtype: t.dtype, shape: t.shape) { raw in
            guard let dst = raw.baseAddress, let src = t.data.bytes.baseAddress else { return }
            dst.copyMemory(from: src, byteCount: raw.count)
            for (axis, positions) in axes {
                let outer = t.shape[..<axis].reduce(1, *), inner = t.shape[(axis + 1)...].reduce(1, *), n = t.shape[axis]
                for o in 0..<outer {
                    for y in positions {
                        let start = ((o * n + y) * inner) * size
                        _fill(UnsafeMutableRawBufferPointer(start: dst + start, count: inner * size), with: element)
                    }
                }
            }
        }
    }
}

/// The range of an integer dtype (bool: 0…1) as Doubles.
struct _IntegerBounds {
    var min: Double
    var max: Double

    init(_ dtype: DType) {
        switch dtype {
        case .int8: (min, max) = (-128, 127)
        case .uint8: (min, max) = (0, 255)
        case .int16: (min, max) = (-32768, 32767)
        case .uint16: (min, max) = (0, 65535)
        case .int32: (min, max) = (-2_147_483_648, 2_147_483_647)
        case .uint32: (min, max) = (0, 4_294_967_295)
        case .int64: (min, max) = (-9.2233720368547758e18, 9.2233720368547758e18)
        case .uint64: (min, max) = (0, 1.8446744073709552e19)
        case .bool: (min, max) = (0, 1)
        default: (min, max) = (-.infinity, .infinity)
        }
    }
}
