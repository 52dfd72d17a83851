extension TensorOp {
    func infer(_ ctx: InferenceContext) throws -> [Operand] {
        let x = try ctx.operand(0)
        func result(_ shape: [Int]?, _ dtype: DType? = nil) -> [Operand] {
            [Operand(type: ValueType(dtype: dtype ?? x.dtype, shape: shape))]
        }
        /// An integer list from the attribute or, failing that, operand `i` (nil: unknown until run time).
        func list(_ attribute: [Int]?, operand i: Int) throws -> [Int]? {
            if let attribute { return attribute }
            return try ctx.integers(i)
        }
        switch self {
        case .reshape(let a):
            guard let target = try list(a.shape, operand: 1) else {
                if let s = ctx.optional(1)?.shape, s.count == 1, s[0] >= 0 { return result([Int](repeating: -1, count: s[0])) }
                return result(nil)
            }
            return result(try Self.reshape(ctx, x.shape, target, allowZero: a.allowZero))
        case .flatten(let axis):
            guard let shape = x.shape else { return result(nil) }
            guard axis >= -shape.count, axis <= shape.count else { throw ctx.invalid("axis \(axis) is out of range for rank \(shape.count)") }
            let a = axis < 0 ? axis + shape.count : axis
            return result([Shape.elementCount(Array(shape[..<a])) ?? -1, Shape.elementCount(Array(shape[a...])) ?? -1])
        case .transpose(let perm):
            guard let shape = x.shape else { return result(nil) }
            let p = perm ?? Array((0..<shape.count).reversed())
            guard p.count == shape.count, Set(p) == Set(0..<shape.count) else {
                throw ctx.invalid("perm \(p) is not a permutation of \(shape.count) axes")
            }
            return result(p.map { shape[$0] })
        case .squeeze(let attribute):
            guard let shape = x.shape else { return result(nil) }
            let axes = try list(attribute, operand: 1)
            if axes == nil, ctx.isDynamic(1) { return result(nil) }
            guard let axes, !axes.isEmpty else {
                if shape.contains(-1) { return result(nil) }
                return result(shape.filter { $0 != 1 })
            }
            let drop = Set(try axes.map { try ctx.axis($0, rank: shape.count) })
            for a in drop where shape[a] >= 0 && shape[a] != 1 { throw ctx.error("cannot squeeze axis \(a) of size \(shape[a])") }
            return result(shape.enumerated().filter { !drop.contains($0.offset) }.map(\.element))
        case .unsqueeze(let attribute):
            guard let shape = x.shape else { return result(nil) }
            guard let axes = try list(attribute, operand: 1) else { return result(nil) }
            let rank = shape.count + axes.count
            let inserted = try axes.map { try ctx.axis($0, rank: rank) }
            guard Set(inserted).count == inserted.count else { throw ctx.invalid("repeated axes \(axes)") }
            var out: [Int] = []
            var rest = shape[...]
            for i in 0..<rank { out.append(inserted.contains(i) ? 1 : rest.popFirst() ?? 1) }
            return result(out)
        case .concat(let axis):
            var shapes: [[Int]] = []
            for i in 0..<ctx.count {
                let o = try ctx.operand(i)
                guard o.dtype == x.dtype else { throw ctx.error("operand types differ: \(x.dtype) and \(o.dtype)") }
                guard let s = o.shape else { return result(nil) }
                shapes.append(s)
            }
            guard let first = shapes.first else { throw ctx.error("needs at least one operand") }
            let ax = try ctx.axis(axis, rank: first.count)
            var out = first
            for s in shapes.dropFirst() {
                guard s.count == first.count else { throw ctx.error("operands have different ranks") }
                for i in 0..<s.count where i != ax {
                    if out[i] < 0 { out[i] = s[i] } else if s[i] >= 0, s[i] != out[i] {
                        throw ctx.error("operands \(Shape.kerasString(first)) and \(Shape.kerasString(s)) differ off the concatenation axis")
                    }
                }
                guard out[ax] >= 0, s[ax] >= 0 else { out[ax] = -1; continue }
                out[ax] += s[ax]
                guard out[ax] <= ShapeInference.maxExtent else { throw ctx.error("the concatenated axis is over 2^60") }
            }
            return result(out)
        case .split(let a):
            let n = ctx.node.outputs.count
            guard let shape = x.shape else { return Array(repeating: Operand(type: ValueType(dtype: x.dtype, shape: nil)), count: n) }
            let axis = try ctx.axis(a.axis, rank: shape.count)
            let sizes: [Int]
            if let given = try list(a.sizes, operand: 1) {
                sizes = given
                guard sizes.count == n, sizes.allSatisfy({ $0 >= 0 && $0 <= ShapeInference.maxExtent }) else {
                    throw ctx.invalid("split sizes \(sizes) for \(n) outputs")
                }
                if shape[axis] >= 0, sizes.reduce(0, +) != shape[axis] {
                    throw ctx.error("split sizes \(sizes) do not add up to \(shape[axis])")
                }
            } else if ctx.isDynamic(1) || shape[axis] < 0 {
                sizes = [Int](repeating: -1, count: n)
            } else {
                sizes = Self.equalSplit(shape[axis], parts: n)
            }
            return sizes.map { size in
                var s = shape
                s[axis] = size
                return Operand(type: ValueType(dtype: x.dtype, shape: s))
            }
        case .slice(let a):
            guard let shape = x.shape else { return result(nil) }
            guard let starts = try list(a.starts, operand: 1), let ends = try list(a.ends, operand: 2) else {
                return result(shape.map { _ in -1 })
            }
            let axes = try list(a.axes, operand: 3), steps = try list(a.steps, operand: 4)
            if (axes == nil && ctx.isDynamic(3)) || (steps == nil && ctx.isDynamic(4)) { return result(shape.map { _ in -1 }) }
            let ranges = try Self.sliceRanges(ctx, shape: shape, starts: starts, ends: ends, axes: axes, steps: steps)
            return result(ranges.map(\.count))
        case .gather(let axis):
            let indices = try ctx.operand(1)
            guard indices.dtype.isInteger else { throw ctx.error("indices must be integers, not \(indices.dtype)") }
            guard let shape = x.shape, let ishape = indices.shape else { return result(nil) }
            let a = try ctx.axis(axis, rank: shape.count)
            return result(Array(shape[..<a]) + ishape + Array(shape[(a + 1)...]))
        case .gatherElements(let axis):
            let indices = try ctx.operand(1)
            guard indices.dtype.isInteger else { throw ctx.error("indices must be integers, not \(indices.dtype)") }
            if let shape = x.shape {
                let a = try ctx.axis(axis, rank: shape.count)
                if let ishape = indices.shape {
                    guard ishape.count == shape.count else { throw ctx.error("indices of rank \(ishape.count) for data of rank \(shape.count)") }
                    for k in 0..<shape.count where k != a && shape[k] >= 0 && ishape[k] > shape[k] {
                        throw ctx.error("indices of shape \(Shape.kerasString(ishape)) exceed data of shape \(Shape.kerasString(shape)) on axis \(k)")
                    }
                }
            }
            return result(indices.shape)
        case .scatterND, .scatterElements:
            let indices = try ctx.operand(1), updates = try ctx.operand(2)
            guard indices.dtype.isInteger else { throw ctx.error("indices must be integers, not \(indices.dtype)") }
            guard updates.dtype == x.dtype else { throw ctx.error("updates are \(updates.dtype), the data \(x.dtype)") }
            if let shape = x.shape, let ishape = indices.shape, let ushape = updates.shape {
                let expected: [Int]
                if case .scatterElements(let axis, _) = self {
                    _ = try ctx.axis(axis, rank: shape.count)
                    guard ishape.count == shape.count else { throw ctx.error("indices of rank \(ishape.count) for data of rank \(shape.count)") }
                    expected = ishape
                } else {
                    guard let k = ishape.last, ishape.count >= 1 else { throw ctx.error("indices must have at least one axis") }
                    guard k < 0 || k <= shape.count else { throw ctx.error("index tuples of \(k) for data of rank \(shape.count)") }
                    expected = k < 0 ? ushape : Array(ishape.dropLast()) + Array(shape[k...])
                }
                guard ushape.count == expected.count, zip(ushape, expected).allSatisfy({ $0 < 0 || $1 < 0 || $0 == $1 }) else {
                    throw ctx.error("updates of shape \(Shape.kerasString(ushape)) where \(Shape.kerasString(expected)) is expected")
                }
            }
            return result(x.shape)
        case .expand(let attribute):
            guard let shape = x.shape, let target = try list(attribute, operand: 1) else {
                if let s = ctx.optional(1)?.shape, s.count == 1, let r = x.shape?.count { return result([Int](repeating: -1, count: max(r, s[0]))) }
                return result(nil)
            }
            guard target.allSatisfy({ $0 >= 0 && $0 <= ShapeInference.maxExtent }) else { throw ctx.invalid("bad expand shape \(target)") }
            guard let out = Shape.broadcast([shape, target]) else { throw ctx.error("cannot expand \(shape) to \(target)") }
            return result(out)
        case .tile(let attribute):
            guard let shape = x.shape else { return result(nil) }
            guard let repeats = try list(attribute, operand: 1) else { return result(shape.map { _ in -1 }) }
            guard repeats.count == shape.count, repeats.allSatisfy({ $0 >= 0 }) else {
                throw ctx.invalid("repeats \(repeats) for rank \(shape.count)")
            }
            return result(try zip(shape, repeats).map { d, r in
                if d < 0 { return -1 }
                let (p, o) = d.multipliedReportingOverflow(by: r)
                guard !o, p <= ShapeInference.maxExtent else { throw ctx.error("tiled size is over 2^60") }
                return p
            })
        case .pad(let a):
            guard let shape = x.shape else { return result(nil) }
            guard let pads = try list(a.pads, operand: 1) else { return result(shape.map { _ in -1 }) }
            let axes = try (try list(a.axes, operand: 3) ?? Array(0..<shape.count)).map { try ctx.axis($0, rank: shape.count) }
            guard pads.count == 2 * axes.count, Set(axes).count == axes.count else {
                throw ctx.invalid("\(pads.count) pads for axes \(axes)")
            }
            guard pads.allSatisfy({ $0 >= -ShapeInference.maxExtent && $0 <= ShapeInference.maxExtent }) else { throw ctx.invalid("padding over 2^60") }
            var out = shape
            for (k, axis) in axes.enumerated() where out[axis] >= 0 {
                let (b, e) = (pads[k], pads[k + axes.count])
                // Negative pads crop first; what is kept is then padded.
                let kept = shape[axis] + min(b, 0) + min(e, 0)
                guard kept >= 0 else { throw ctx.error("padding \(pads) crops axis \(axis) below zero") }
                if a.mode != .constant, kept == 0, max(b, 0) + max(e, 0) > 0 { throw ctx.error("cannot \(a.mode.rawValue)-pad an empty axis") }
                out[axis] = kept + max(b, 0) + max(e, 0)
                guard out[axis] <= ShapeInference.maxExtent else { throw ctx.error("the padded axis is over 2^60") }
            }
            return result(out)
        case .resize(let a):
            guard let shape = x.shape else { return result(nil) }
            return result(try Self.resizeShape(ctx, a, shape: shape))
        case .depthToSpace(let a):
            guard let shape = x.shape else { return result(nil) }
            guard shape.count == 4, a.blockSize > 0, a.blockSize <= 1 << 30 else { throw ctx.invalid("DepthToSpace takes NCHW and a block size in 1…2^30") }
            let b2 = a.blockSize * a.blockSize
            for d in shape[2...] where d > ShapeInference.maxExtent / a.blockSize { throw ctx.error("the output is over 2^60") }
            guard shape[1] < 0 || shape[1] % b2 == 0 else { throw ctx.error("channels \(shape[1]) not divisible by \(b2)") }
            return result([shape[0], shape[1] < 0 ? -1 : shape[1] / b2, shape[2] < 0 ? -1 : shape[2] * a.blockSize,
                           shape[3] < 0 ? -1 : shape[3] * a.blockSize])
        case .spaceToDepth(let a):
            let b = a.blockSize
            guard let shape = x.shape else { return result(nil) }
            guard shape.count == 4, b > 0, b <= 1 << 30 else { throw ctx.invalid("SpaceToDepth takes NCHW and a block size in 1…2^30") }
            if shape[1] > ShapeInference.maxExtent / (b * b) { throw ctx.error("the output is over 2^60") }
            for d in shape[2...] where d >= 0 && d % b != 0 { throw ctx.error("spatial size \(d) not divisible by \(b)") }
            return result([shape[0], shape[1] < 0 ? -1 : shape[1] * b * b, shape[2] < 0 ? -1 : shape[2] / b, shape[3] < 0 ? -1 : shape[3] / b])
        case let .shape(start, end):
            guard let shape = x.shape else { return [Operand(type: ValueType(dtype: .int64, shape: [-1]))] }
            let r = shape.count
            let s = min(max(start < 0 ? start + r : start, 0), r)
            let e = min(max((end ?? r) < 0 ? (end ?? r) + r : (end ?? r), 0), r)
            let dims = s < e ? Array(shape[s..<e]) : []
            let type = ValueType(dtype: .int64, shape: [dims.count])
            if dims.allSatisfy({ $0 >= 0 }) { return [Operand(type: type, value: Tensor(shape: [dims.count], integers: dims.map(Int64.init)))] }
            return [Operand(type: type)]
        case .size:
            let type = ValueType(dtype: .int64, shape: [])
            if let n = x.type.concreteShape.flatMap(Shape.elementCount) { return [Operand(type: type, value: Tensor(shape: [], integers: [Int64(n)]))] }
            return [Operand(type: type)]
        case .cast(let to):
            return result(x.shape, to)
        case .castLike:
            return result(x.shape, try ctx.operand(1).dtype)
        case .constantOfShape(let value):
            guard x.dtype.isInteger else { throw ctx.error("the shape must be int64, not \(x.dtype)") }
            if let dims = try ctx.integers(0) {
                guard dims.allSatisfy({ $0 >= 0 && $0 <= ShapeInference.maxExtent }) else { throw ctx.error("bad shape \(dims)") }
                return result(dims, value.dtype)
            }
            if let s = x.shape, s.count == 1, s[0] >= 0 { return result([Int](repeating: -1, count: s[0]), value.dtype) }
            return result(nil, value.dtype)
        case .range:
            let limit = try ctx.operand(1), delta = try ctx.operand(2)
            guard limit.dtype == x.dtype, delta.dtype == x.dtype else { throw ctx.error("start, limit and delta must share a type") }
            for o in [x, limit, delta] {
                if let s = o.shape, Shape.elementCount(s) != 1 { throw ctx.error("start, limit and delta must be scalars, got shape \(s)") }
            }
            guard let sv = x.value, let lv = limit.value, let dv = delta.value else { return result([-1]) }
            return result([try Self.rangeCount(ctx, start: sv, limit: lv, delta: dv)])
        case .identity:
            return [Operand(type: x.type, value: x.value)]
        case .dropout(let rate, _):
            // In training mode (a training_mode operand not known false, and a ratio not known 0)
            // the result is random: its value is not known before running. The ratio operand,
            // when present, overrides the attribute.
            let training = ctx.optional(2).map { $0.value?.integers.first.map { $0 != 0 } ?? true } ?? false
            let ratioZero = ctx.optional(1).map { $0.value?.doubles.first == 0 } ?? (rate == 0)
            let value = training && !ratioZero ? nil : x.value
            return [Operand(type: x.type, value: value), Operand(type: ValueType(dtype: .bool, shape: x.shape))]
        case .repeatVector(let n):
            guard let shape = x.shape else { return result(nil) }
            guard shape.count == 2 else { throw ModelIRError.inputRankMismatch(node: ctx.node.name, expected: 2, actual: shape) }
            guard n >= 0, n <= ShapeInference.maxExtent else { throw ctx.invalid("RepeatVector count \(n) is not in 0…2^60") }
            return result([shape[0], n, shape[1]])
        }
    }

    /// Parts of `size` for `parts` outputs: equal, the last smaller when it does not divide (ONNX Split-18).
    public static func equalSplit(_ size: Int, parts: Int) -> [Int] {
        guard parts > 0 else { return [] }
        let chunk = (size + parts - 1) / parts
        return (0..<parts).map { i in max(min(chunk, size - i * chunk), 0) }
    }

    /// ONNX Reshape's output shape (0 copies unless `allowZero`, one -1 inferred).
    public static func reshape(_ ctx: InferenceContext, _ input: [Int]?, _ target: [Int], allowZero: Bool) throws -> [Int]? {
        guard target.filter({ $0 == -1 }).count <= 1, target.allSatisfy({ $0 >= -1 && $0 <= ShapeInference.maxExtent }) else {
            throw ctx.invalid("bad reshape target \(target)")
        }
        if allowZero, target.contains(0), target.contains(-1) { throw ctx.invalid("reshape target \(target) has both 0 and -1") }
        guard let input else { return target.map { $0 == 0 && !allowZero ? -1 : $0 } }
        var out = try target.enumerated().map { i, d -> Int in
            guard d == 0, !allowZero else { return d }
            guard i < input.count else { throw ctx.error("target \(target) copies axis \(i), which \(Shape.kerasString(input)) lacks") }
            return input[i] < 0 ? -2 : input[i]   // -2: copied unknown
        }
        let total = Shape.elementCount(input)
        if let hole = out.firstIndex(of: -1) {
            // An unknown axis copied in place (Keras's batch axis) cancels out of both sides.
            let copied = Set(out.indices.filter { out[$0] == -2 })
            let rest = input.enumerated().filter { !copied.contains($0.offset) }.map(\.element)
            let known = out.enumerated().filter { $0.offset != hole && !copied.contains($0.offset) }.map(\.element)
            if let size = Shape.elementCount(rest), let k = Shape.elementCount(known) {
                guard k > 0, size % k == 0 else { throw ctx.error("cannot reshape \(Shape.kerasString(input)) to \(target)") }
                out[hole] = size / k
            }
        } else if let total, !out.contains(-2), let k = Shape.elementCount(out), k != total {
            throw ctx.error("cannot reshape \(Shape.kerasString(input)) (\(total) elements) to \(target)")
        }
        return out.map { $0 < 0 ? -1 : $0 }
    }

    /// Start, step and element count of a slice on every axis, with ONNX's clamping.
    public static func sliceRanges(_ ctx: InferenceContext, shape: [Int], starts: [Int], ends: [Int], axes: [Int]?,
                                   steps: [Int]?) throws -> [(start: Int, step: Int, count: Int)] {
        let axes = try (axes ?? Array(0..<starts.count)).map { try ctx.axis($0, rank: shape.count) }
        let steps = steps ?? axes.map { _ in 1 }
        guard starts.count == axes.count, ends.count == axes.count, steps.count == axes.count, Set(axes).count == axes.count else {
            throw ctx.invalid("slice starts/ends/axes/steps have different lengths or repeat an axis")
        }
        var out = shape.map { (start: 0, step: 1, count: $0) }
        for (k, axis) in axes.enumerated() {
            let dim = shape[axis], step = steps[k]
            guard step != 0 else { throw ctx.invalid("a slice step is 0") }
            guard dim >= 0 else { out[axis] = (0, step, -1); continue }
            var start = starts[k] < 0 ? starts[k] &+ dim : starts[k]
            var end = ends[k] < 0 ? ends[k] &+ dim : ends[k]
            // Counts as (distance − 1) / |step| + 1: a step near Int.min or Int.max cannot overflow.
            if step > 0 {
                start = min(max(start, 0), dim)
                end = min(max(end, 0), dim)
                out[axis] = (start, step, end > start ? (end - start - 1) / step + 1 : 0)
            } else {
                start = min(max(start, 0), dim - 1)
                end = min(max(end, -1), dim - 1)
                let magnitude = step == .min ? Int.max : -step
                out[axis] = (start, step, start > end ? (start - end - 1) / magnitude + 1 : 0)
            }
        }
        return out
    }

    /// ONNX Resize's output shape from sizes or scales (over `axes`, or all axes).
    public static func resizeShape(_ ctx: InferenceContext, _ a: ResizeAttributes, shape: [Int]) throws -> [Int] {
        var sizes = a.sizes
        var scales = a.scales
        if sizes == nil, let given = try ctx.integers(3), !given.isEmpty { sizes = given }
        if scales == nil, sizes == nil, let o = ctx.optional(2), let v = o.value, v.elementCount ?? 0 > 0 { scales = v.floats }
        if sizes == nil, scales == nil {
            if ctx.isDynamic(2) || ctx.isDynamic(3) { return shape.map { _ in -1 } }
            throw ctx.invalid("Resize needs scales or sizes")
        }
        var out = shape
        for t in try resizeTargets(ctx, a, shape: shape, sizes: sizes, scales: scales) { out[t.axis] = t.size }
        return out
    }

    /// Per resized axis (of `axes`, or all): its output size (-1 when unknown) and the scale that
    /// maps coordinates, as ONNX Resize-19 derives them: from `sizes` (stretched, or one scale for
    /// every axis with a `keep_aspect_ratio_policy`, sizes rounded half up) or from `scales`
    /// (sizes rounded down).
    public static func resizeTargets(_ ctx: InferenceContext, _ a: ResizeAttributes, shape: [Int], sizes: [Int]?,
                                     scales: [Float]?) throws -> [(axis: Int, size: Int, scale: Double)] {
        let rank = shape.count
        let axes = try (a.axes ?? Array(0..<rank)).map { try ctx.axis($0, rank: rank) }
        guard Set(axes).count == axes.count else { throw ctx.invalid("axes \(axes) repeat an axis") }
        if let sizes {
            guard sizes.count == axes.count, sizes.allSatisfy({ $0 >= 0 && $0 <= ShapeInference.maxExtent }) else {
                throw ctx.invalid("\(sizes.count) sizes for \(axes.count) axes")
            }
            switch a.keepAspectRatioPolicy {
            case "stretch":
                return try zip(axes, sizes).map { ax, s in
                    if shape[ax] == 0, s > 0 { throw ctx.error("cannot resize axis \(ax), which is empty, to \(s)") }
                    return (ax, s, Double(s) / Double(shape[ax]))
                }
            case "not_larger", "not_smaller":
                let ratios = zip(axes, sizes).compactMap { ax, s in shape[ax] > 0 ? Double(s) / Double(shape[ax]) : nil }
                let scale = (a.keepAspectRatioPolicy == "not_larger" ? ratios.min() : ratios.max()) ?? 1
                return try axes.map { ax in
                    guard shape[ax] >= 0 else { return (ax, -1, scale) }
                    let size = scale * Double(shape[ax]) + 0.5
                    guard size <= Double(ShapeInference.maxExtent) else { throw ctx.error("the resized size is over 2^60") }
                    return (ax, Int(size), scale)
                }
            default:
                throw ctx.invalid("unknown keep_aspect_ratio_policy '\(a.keepAspectRatioPolicy)'")
            }
        }
        guard let scales, scales.count == axes.count, scales.allSatisfy({ $0 > 0 && $0.isFinite }) else {
            throw ctx.invalid("\(scales?.count ?? 0) scales for \(axes.count) axes, each positive")
        }
        return try zip(axes, scales).map { ax, s in
            guard shape[ax] >= 0 else { return (ax, -1, Double(s)) }
            let size = (Double(shape[ax]) * Double(s)).rounded(.down)
            guard size <= Double(ShapeInference.maxExtent) else { throw ctx.error("the resized size is over 2^60") }
            return (ax, Int(size), Double(s))
        }
    }

    /// ONNX Range's element count, `max(ceil((limit − start) / delta), 0)`: exact for integers,
    /// in Double for floats.
    static func rangeCount(_ ctx: InferenceContext, start: Tensor, limit: Tensor, delta: Tensor) throws -> Int {
        if start.dtype.isInteger, let s = start.integers.first, let l = limit.integers.first, let d = delta.integers.first {
            guard d != 0 else { throw ctx.error("delta is 0") }
            // The distance in the direction of delta, as a magnitude (it may need all 64 bits).
            let distance: UInt64, step: UInt64
            if start.dtype == .uint64 {
                guard UInt64(bitPattern: l) > UInt64(bitPattern: s) else { return 0 }
                (distance, step) = (UInt64(bitPattern: l) - UInt64(bitPattern: s), UInt64(bitPattern: d))
            } else {
                guard d > 0 ? l > s : l < s else { return 0 }
                (distance, step) = (UInt64(bitPattern: d > 0 ? l &- s : s &- l), d.magnitude)
            }
            let count = (distance - 1) / step + 1
            guard count <= UInt64(ShapeInference.maxExtent) else { throw ctx.error("the range has too many elements") }
            return Int(count)
        }
        guard let s = start.doubles.first, let l = limit.doubles.first, let d = delta.doubles.first else { throw ctx.error("empty range operand") }
        guard d != 0 else { throw ctx.error("delta is 0") }
        let count = ((l - s) / d).rounded(.up)
        guard !count.isNaN, count <= Double(ShapeInference.maxExtent) else { throw ctx.error("the range has too many elements") }
        return count > 0 ? Int(count) : 0
    }
}
