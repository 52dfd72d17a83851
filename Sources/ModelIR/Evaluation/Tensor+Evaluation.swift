import Foundation

/// Shape and data movement (ONNX semantics). Results that only relabel the bytes (reshape,
/// flatten, squeeze, unsqueeze, identity) share them; the others copy raw bytes of any dtype
/// through `_IndexedCopy`, except Resize's interpolating modes, Cast and Range, which compute.
extension TensorOp {
    func evaluate(_ ctx: EvaluationContext) throws -> [Tensor] {
        let x = try ctx.operand(0)
        try ctx.checkExtents()
        switch self {
        case .reshape, .flatten, .squeeze, .unsqueeze, .identity, .dropout, .shape, .size, .cast, .castLike:
            break
        default:
            if let empty = ctx.emptyResults() { return empty }
        }
        switch self {
        case .reshape, .flatten, .squeeze, .unsqueeze:
            let shape = try ctx.outputShape()
            guard Shape.elementCount(shape) == x.elementCount else {
                throw ctx.error("cannot view \(x.shape) as \(shape)")
            }
            return [x.reshaped(shape)]
        case .identity:
            return [x]
        case .dropout(let rate, _):
            return try Self.dropout(x, rate: rate, ctx)
        case .transpose(let perm):
            let p = perm ?? Array((0..<x.shape.count).reversed())
            guard p.count == x.shape.count, Set(p) == Set(0..<x.shape.count) else {
                throw ctx.error("perm \(p) is not a permutation of \(x.shape.count) axes")
            }
            let (shape, _) = try ctx.resultShape()
            return [x.gathered(.transposed(x.shape, perm: p), shape: shape)]
        case .concat(let axis):
            return [try Self.concat(axis: axis, ctx)]
        case .split(let a):
            return try Self.split(x, a, ctx)
        case .slice(let a):
            return [try Self.slice(x, a, ctx)]
        case .gather(let axis):
            return [try Self.gather(x, try ctx.operand(1), axis: axis, ctx)]
        case .gatherElements(let axis):
            return [try Self.gatherElements(x, try ctx.operand(1), axis: axis, ctx)]
        case .scatterND(let reduction):
            let updates = try ctx.operand(2)
            return [try Self.scatter(x, updates, to: try Self.scatterNDTargets(x, try ctx.operand(1), updates, ctx), reduction, ctx)]
        case let .scatterElements(axis, reduction):
            let updates = try ctx.operand(2)
            let targets = try Self.scatterElementsTargets(x, try ctx.operand(1), updates, axis: axis, ctx)
            return [try Self.scatter(x, updates, to: targets, reduction, ctx)]
        case .expand:
            let (shape, _) = try ctx.resultShape()
            return [x.gathered(try Self.broadcastCopy(x.shape, to: shape, ctx), shape: shape)]
        case .tile(let attribute):
            guard let repeats = attribute ?? ctx.integers(1) else { throw ctx.error("needs its repeats operand") }
            return [try Self.tile(x, repeats: repeats, ctx)]
        case .pad(let a):
            return [try Self.pad(x, a, ctx)]
        case .resize(let a):
            return [try _Resize.evaluate(x, a, ctx)]
        case .depthToSpace(let a):
            let (shape, _) = try ctx.resultShape()
            let (n, c, h, w, b) = (x.shape[0], x.shape[1], x.shape[2], x.shape[3], a.blockSize)
            let copy: _IndexedCopy = a.columnRowDepth
                ? .transposed([n, c / (b * b), b, b, h, w], perm: [0, 1, 4, 2, 5, 3])
                : .transposed([n, b, b, c / (b * b), h, w], perm: [0, 3, 4, 1, 5, 2])
            return [x.gathered(copy, shape: shape)]
        case .spaceToDepth(let a):
            let (shape, _) = try ctx.resultShape()
            let (n, c, h, w, b) = (x.shape[0], x.shape[1], x.shape[2], x.shape[3], a.blockSize)
            // [n, c, h/b, i, w/b, j] → DCR [n, i, j, c, h/b, w/b], CRD [n, c, i, j, h/b, w/b].
            let perm = a.columnRowDepth ? [0, 1, 3, 5, 2, 4] : [0, 3, 5, 1, 2, 4]
            return [x.gathered(.transposed([n, c, h / b, b, w / b, b], perm: perm), shape: shape)]
        case let .shape(start, end):
            let r = x.shape.count
            let s = min(max(start < 0 ? start + r : start, 0), r)
            let e = min(max((end ?? r) < 0 ? (end ?? r) + r : (end ?? r), 0), r)
            let dims = s < e ? Array(x.shape[s..<e]) : []
            return [Tensor(shape: [dims.count], integers: dims.map(Int64.init))]
        case .size:
            guard let n = x.elementCount else { throw ctx.error("shape \(x.shape) has no element count") }
            return [Tensor(shape: [], integers: [Int64(n)])]
        case .cast(let to):
            _ = try ctx.resultShape()   // a wider type may not fit
            return [x.converted(to: to)]
        case .castLike:
            _ = try ctx.resultShape()
            return [x.converted(to: try ctx.operand(1).dtype)]
        case .constantOfShape(let value):
            guard value.bytes.count == value.dtype.byteSize else {
                throw ctx.error("the fill value holds \(value.bytes.count) bytes, not one \(value.dtype)")
            }
            let (shape, _) = try ctx.resultShape()
            return [Tensor.filled(value.bytes, dtype: value.dtype, shape: shape)]
        case .range:
            return [try Self.range(x, try ctx.operand(1), try ctx.operand(2), ctx)]
        case .repeatVector(let n):
            let (shape, _) = try ctx.resultShape()
            guard x.shape.count == 2 else { throw ModelIRError.inputRankMismatch(node: ctx.node.name, expected: 2, actual: x.shape) }
            let features = x.shape[1]
            let copy = _IndexedCopy(tables: [_IndexedCopy.affine(count: x.shape[0], stride: features), [Int](repeating: 0, count: n),
                                             _IndexedCopy.affine(count: features, stride: 1)])
            return [x.gathered(copy, shape: shape)]
        }
    }

    // MARK: - Joining and cutting

    static func concat(axis: Int, _ ctx: EvaluationContext) throws -> Tensor {
        let parts = try (0..<ctx.operands.count).map { try ctx.operand($0) }
        let (shape, _) = try ctx.resultShape()
        guard let first = parts.first, let ax = Shape.normalizedAxis(axis, rank: shape.count) else {
            throw ctx.error("axis \(axis) is out of range for rank \(shape.count)")
        }
        let outStrides = Shape.strides(shape)
        var total = 0
        for p in parts {
            guard p.dtype == first.dtype, p.shape.count == shape.count,
                  p.shape.indices.allSatisfy({ $0 == ax || p.shape[$0] == shape[$0] }) else {
                throw ctx.error("operand \(p.dtype) \(p.shape) does not fit the concatenation \(shape)")
            }
            total += p.shape[ax]
        }
        guard total == shape[ax] else { throw ctx.error("the operands add up to \(total) along axis \(ax), not \(shape[ax])") }
        return Tensor(dtype: first.dtype, shape: shape) { raw in
            guard let dst = raw.baseAddress else { return }
            var offset = 0
            for p in parts {
                if let src = p.data.bytes.baseAddress {
                    let copy = _IndexedCopy(tables: Self.contiguousTables(p.shape), destinationStrides: outStrides,
                                            destinationBase: offset * outStrides[ax])
                    copy.run(from: src, to: dst, elementSize: first.dtype.byteSize)
                }
                offset += p.shape[ax]
            }
        }
    }

    static func split(_ x: Tensor, _ a: SplitAttributes, _ ctx: EvaluationContext) throws -> [Tensor] {
        guard let axis = Shape.normalizedAxis(a.axis, rank: x.shape.count) else {
            throw ctx.error("axis \(a.axis) is out of range for rank \(x.shape.count)")
        }
        let strides = Shape.strides(x.shape)
        var offset = 0
        var results: [Tensor] = []
        for i in ctx.outputTypes.indices {
            let (shape, count) = try ctx.resultShape(i)
            guard shape.count == x.shape.count, offset + shape[axis] <= x.shape[axis] else {
                throw ctx.error("result \(i) of shape \(shape) does not fit in \(x.shape)")
            }
            if count == 0 {
                results.append(Tensor(zeros: x.dtype, shape: shape))
                offset += shape[axis]
                continue
            }
            var tables = Self.contiguousTables(x.shape)
            tables[axis] = _IndexedCopy.affine(count: shape[axis], stride: strides[axis], start: offset * strides[axis])
            results.append(x.gathered(_IndexedCopy(tables: tables), shape: shape))
            offset += shape[axis]
        }
        return results
    }

    static func slice(_ x: Tensor, _ a: SliceAttributes, _ ctx: EvaluationContext) throws -> Tensor {
        guard let starts = a.starts ?? ctx.integers(1), let ends = a.ends ?? ctx.integers(2) else {
            throw ctx.error("needs its starts and ends operands")
        }
        let ranges = try Self.sliceRanges(ctx.inference, shape: x.shape, starts: starts, ends: ends,
                                          axes: a.axes ?? ctx.integers(3), steps: a.steps ?? ctx.integers(4))
        let (shape, _) = try ctx.resultShape()
        guard ranges.map(\.count) == shape else { throw ctx.error("slice of \(x.shape) gives \(ranges.map(\.count)), not \(shape)") }
        let strides = Shape.strides(x.shape)
        // A step is used only between elements, so it is at most the dimension when it matters.
        let tables = ranges.indices.map { k in
            _IndexedCopy.affine(count: ranges[k].count, stride: ranges[k].count > 1 ? ranges[k].step * strides[k] : 0,
                                start: ranges[k].count > 0 ? ranges[k].start * strides[k] : 0)
        }
        return x.gathered(_IndexedCopy(tables: tables), shape: shape)
    }

    // MARK: - Indexing

    static func gather(_ x: Tensor, _ indices: Tensor, axis: Int, _ ctx: EvaluationContext) throws -> Tensor {
        guard let ax = Shape.normalizedAxis(axis, rank: x.shape.count) else {
            throw ctx.error("axis \(axis) is out of range for rank \(x.shape.count)")
        }
        guard indices.dtype.isInteger else { throw ctx.error("indices must be integers, not \(indices.dtype)") }
        let (shape, _) = try ctx.resultShape()
        let dim = x.shape[ax]
        let inner = Shape.elementCount(Array(x.shape[(ax + 1)...])) ?? 0
        let outer = Shape.elementCount(Array(x.shape[..<ax])) ?? 0
        let picks = try Self.normalizedIndices(indices, dim: dim, ctx).map { $0 * inner }
        let copy = _IndexedCopy(tables: [_IndexedCopy.affine(count: outer, stride: dim * inner), picks,
                                         _IndexedCopy.affine(count: inner, stride: 1)])
        return x.gathered(copy, shape: shape)
    }

    /// ONNX GatherElements: `out[i…] = data[i… with i[axis] replaced by indices[i…]]`. Every axis of
    /// `indices` but `axis` is at most as long as the data's.
    static func gatherElements(_ x: Tensor, _ indices: Tensor, axis: Int, _ ctx: EvaluationContext) throws -> Tensor {
        let rank = x.shape.count
        guard let ax = Shape.normalizedAxis(axis, rank: rank) else { throw ctx.error("axis \(axis) is out of range for rank \(rank)") }
        guard indices.dtype.isInteger else { throw ctx.error("indices must be integers, not \(indices.dtype)") }
        guard indices.shape.count == rank, (0..<rank).allSatisfy({ $0 == ax || indices.shape[$0] <= x.shape[$0] }) else {
            throw ctx.error("indices of shape \(indices.shape) do not fit data of shape \(x.shape) off axis \(ax)")
        }
        let (shape, count) = try ctx.resultShape()
        let picks = try Self.normalizedIndices(indices, dim: x.shape[ax], ctx)
        let strides = Shape.strides(x.shape)
        let size = x.dtype.byteSize
        return Tensor(dtype: x.dtype, shape: shape) { raw in
            guard count > 0, let dst = raw.baseAddress, let src = x.data.bytes.baseAddress else { return }
            var index = [Int](repeating: 0, count: rank)
            var offset = 0   // of `index` in the data, without the axis term
            for i in 0..<count {
                (dst + i * size).copyMemory(from: src + (offset + picks[i] * strides[ax]) * size, byteCount: size)
                var k = rank - 1
                while k >= 0 {
                    index[k] += 1
                    if k != ax { offset += strides[k] }
                    if index[k] < shape[k] { break }
                    if k != ax { offset -= strides[k] * index[k] }
                    index[k] = 0
                    k -= 1
                }
            }
        }
    }

    /// ONNX ScatterND's destinations: for each update element, the data element it lands on.
    /// `indices` is `[..., k]`, each k-tuple indexing the leading k axes of `data`; `updates` is
    /// `indices.shape[:-1] + data.shape[k:]`.
    static func scatterNDTargets(_ x: Tensor, _ indices: Tensor, _ updates: Tensor, _ ctx: EvaluationContext) throws -> [Int] {
        guard indices.dtype.isInteger else { throw ctx.error("indices must be integers, not \(indices.dtype)") }
        guard let k = indices.shape.last, k <= x.shape.count else {
            throw ctx.error("indices of shape \(indices.shape) do not index data of shape \(x.shape)")
        }
        let tuples = Array(indices.shape.dropLast()), slice = Array(x.shape[k...])
        guard updates.shape == tuples + slice else {
            throw ctx.error("updates of shape \(updates.shape) where \(tuples + slice) is expected")
        }
        _ = try ctx.checkedCount(updates.shape, elementBytes: 8, what: "the scatter's destinations")
        let raw = indices.integers, strides = Shape.strides(x.shape)
        let sliceCount = Shape.elementCount(slice) ?? 0, tupleCount = Shape.elementCount(tuples) ?? 0
        var targets: [Int] = []
        targets.reserveCapacity(tupleCount * sliceCount)
        for t in 0..<tupleCount {
            var base = 0
            for j in 0..<k {
                let dim = x.shape[j], v = Int(raw[t * k + j])
                let i = v < 0 ? v + dim : v
                guard i >= 0, i < dim else { throw ctx.error("index \(v) is out of range for a dimension of \(dim)") }
                base += i * strides[j]
            }
            for e in 0..<sliceCount { targets.append(base + e) }
        }
        return targets
    }

    /// ONNX ScatterElements' destinations: update `u[i…]` lands on `data[i… with i[axis] =
    /// indices[i…]]`; `indices` and `updates` have one shape, of the data's rank.
    static func scatterElementsTargets(_ x: Tensor, _ indices: Tensor, _ updates: Tensor, axis: Int,
                                       _ ctx: EvaluationContext) throws -> [Int] {
        let rank = x.shape.count
        guard let ax = Shape.normalizedAxis(axis, rank: rank) else { throw ctx.error("axis \(axis) is out of range for rank \(rank)") }
        guard indices.dtype.isInteger else { throw ctx.error("indices must be integers, not \(indices.dtype)") }
        guard indices.shape == updates.shape, indices.shape.count == rank,
              (0..<rank).allSatisfy({ $0 == ax || indices.shape[$0] <= x.shape[$0] }) else {
            throw ctx.error("indices \(indices.shape) and updates \(updates.shape) do not fit data of shape \(x.shape)")
        }
        let picks = try Self.normalizedIndices(indices, dim: x.shape[ax], ctx)
        let strides = Shape.strides(x.shape)
        var index = [Int](repeating: 0, count: rank)
        var targets = [Int](repeating: 0, count: picks.count)
        for n in 0..<picks.count {
            var offset = picks[n] * strides[ax]
            for k in 0..<rank where k != ax { offset += index[k] * strides[k] }
            targets[n] = offset
            var k = rank - 1
            while k >= 0 {
                index[k] += 1
                if index[k] < indices.shape[k] { break }
                index[k] = 0
                k -= 1
            }
        }
        return targets
    }

    /// `data` with `updates[i]` put at element `targets[i]`, in order (so with `none` the last of
    /// several updates to one element wins, as onnxruntime does), or combined with what is there.
    static func scatter(_ x: Tensor, _ updates: Tensor, to targets: [Int], _ reduction: ScatterReduction,
                        _ ctx: EvaluationContext) throws -> Tensor {
        guard updates.dtype == x.dtype else { throw ctx.error("updates are \(updates.dtype), the data \(x.dtype)") }
        switch reduction {
        case .none:
            let size = x.dtype.byteSize
            return Tensor(dtype: x.dtype, shape: x.shape) { raw in
                guard let dst = raw.baseAddress, let src = x.data.bytes.baseAddress else { return }
                dst.copyMemory(from: src, byteCount: raw.count)
                guard let u = updates.data.bytes.baseAddress else { return }
                for (i, t) in targets.enumerated() { (dst + t * size).copyMemory(from: u + i * size, byteCount: size) }
            }
        case .add, .mul, .max, .min:
            if x.dtype.isFloatingPoint {
                // One operation in double, rounded once to the dtype: what the dtype's own
                // arithmetic gives (a double holds the exact sum or product of two floats).
                var values = x.doubles
                let u = updates.doubles
                for (i, t) in targets.enumerated() {
                    switch reduction {
                    case .add: values[t] += u[i]
                    case .mul: values[t] *= u[i]
                    case .max: values[t] = Swift.max(values[t], u[i])
                    default: values[t] = Swift.min(values[t], u[i])
                    }
                    values[t] = rounded(values[t], to: x.dtype)
                }
                return Tensor(shape: x.shape, doubles: values, dtype: x.dtype)
            }
            guard x.dtype.isInteger else { throw ctx.error("reduction '\(reduction.rawValue)' on \(x.dtype) data") }
            var values = x.integers
            let u = updates.integers
            let unsigned = x.dtype.isUnsigned
            for (i, t) in targets.enumerated() {
                let a = values[t], b = u[i]
                switch reduction {
                case .add: values[t] = a &+ b
                case .mul: values[t] = a &* b
                case .max: values[t] = unsigned ? Int64(bitPattern: Swift.max(UInt64(bitPattern: a), UInt64(bitPattern: b))) : Swift.max(a, b)
                default: values[t] = unsigned ? Int64(bitPattern: Swift.min(UInt64(bitPattern: a), UInt64(bitPattern: b))) : Swift.min(a, b)
                }
            }
            return Tensor(shape: x.shape, integers: values, dtype: x.dtype)
        }
    }

    /// `value` rounded to the nearest value `dtype` holds (as storing it would).
    static func rounded(_ value: Double, to dtype: DType) -> Double {
        guard dtype != .float64 else { return value }
        var slot: UInt64 = 0
        return withUnsafeMutableBytes(of: &slot) { raw in
            guard let p = raw.baseAddress else { return value }
            DTypeConversion.store(value, p, 0, dtype)
            return DTypeConversion.double(p, 0, dtype)
        }
    }

    /// Index values made non-negative (ONNX counts negative ones from the end), each checked.
    static func normalizedIndices(_ indices: Tensor, dim: Int, _ ctx: EvaluationContext) throws -> [Int] {
        _ = try ctx.checkedCount(indices.shape, elementBytes: 8, what: "the widened indices")
        let unsigned = indices.dtype.isUnsigned
        return try indices.integers.map { raw in
            let v = unsigned && raw < 0 ? Int.max : Int(raw)
            let i = v < 0 ? v + dim : v
            guard i >= 0, i < dim else { throw ctx.error("index \(unsigned ? String(UInt64(bitPattern: raw)) : String(raw)) is out of range for a dimension of \(dim)") }
            return i
        }
    }

    // MARK: - Broadcasting, tiling, padding

    /// Reads `shape` broadcast (NumPy rules, aligned on the right) to `target`.
    static func broadcastCopy(_ shape: [Int], to target: [Int], _ ctx: EvaluationContext) throws -> _IndexedCopy {
        guard shape.count <= target.count else { throw ctx.error("cannot broadcast \(shape) to \(target)") }
        let lead = target.count - shape.count
        let strides = Shape.strides(shape)
        return _IndexedCopy(tables: try target.indices.map { k in
            guard k >= lead else { return [Int](repeating: 0, count: target[k]) }
            let d = shape[k - lead]
            if d == target[k] { return _IndexedCopy.affine(count: d, stride: strides[k - lead]) }
            guard d == 1 else { throw ctx.error("cannot broadcast \(shape) to \(target)") }
            return [Int](repeating: 0, count: target[k])
        })
    }

    static func tile(_ x: Tensor, repeats: [Int], _ ctx: EvaluationContext) throws -> Tensor {
        let (shape, count) = try ctx.resultShape()
        guard repeats.count == x.shape.count, shape.count == x.shape.count else {
            throw ctx.error("\(repeats.count) repeats for rank \(x.shape.count)")
        }
        if count == 0 { return Tensor(zeros: x.dtype, shape: shape) }
        let strides = Shape.strides(x.shape)
        let tables = x.shape.indices.map { k in
            let d = x.shape[k]
            return (0..<shape[k]).map { ($0 % d) * strides[k] }
        }
        return x.gathered(_IndexedCopy(tables: tables), shape: shape)
    }

    /// ONNX Pad: negative pads crop first, then the kept part is padded (`constant`: the value;
    /// `edge`: the border element; `reflect`: mirrored without repeating the border, as NumPy,
    /// periodically when the pad is longer than the axis; `wrap`: periodically).
    static func pad(_ x: Tensor, _ a: PadAttributes, _ ctx: EvaluationContext) throws -> Tensor {
        let rank = x.shape.count
        guard let pads = a.pads ?? ctx.integers(1) else { throw ctx.error("needs its pads operand") }
        let listed = try (a.axes ?? ctx.integers(3) ?? Array(0..<rank)).map { axis in
            guard let n = Shape.normalizedAxis(axis, rank: rank) else { throw ctx.error("axis \(axis) is out of range for rank \(rank)") }
            return n
        }
        guard pads.count == 2 * listed.count, Set(listed).count == listed.count else {
            throw ctx.error("\(pads.count) pads for axes \(listed)")
        }
        var begin = [Int](repeating: 0, count: rank), end = begin
        for (k, axis) in listed.enumerated() { (begin[axis], end[axis]) = (pads[k], pads[k + listed.count]) }
        let (shape, count) = try ctx.resultShape()
        let strides = Shape.strides(x.shape)
        // Per axis: the first kept input index and how many are kept.
        let kept = (0..<rank).map { k in (first: max(0, -begin[k]), count: x.shape[k] - max(0, -begin[k]) - max(0, -end[k])) }
        for k in 0..<rank where kept[k].count < 0 || shape[k] != kept[k].count + max(begin[k], 0) + max(end[k], 0) {
            throw ctx.error("pads \(pads) do not fit axis \(k) of \(x.shape)")
        }
        if count == 0 { return Tensor(zeros: x.dtype, shape: shape) }

        if a.mode == .constant {
            let fill = try Self.padValue(a, x.dtype, ctx)
            let outStrides = Shape.strides(shape)
            let copy = _IndexedCopy(
                tables: (0..<rank).map { _IndexedCopy.affine(count: kept[$0].count, stride: strides[$0], start: kept[$0].first * strides[$0]) },
                destinationStrides: outStrides,
                destinationBase: (0..<rank).reduce(0) { $0 + max(begin[$1], 0) * outStrides[$1] })
            return Tensor(dtype: x.dtype, shape: shape) { raw in
                _fill(raw, with: fill)
                if let src = x.data.bytes.baseAddress, let dst = raw.baseAddress { copy.run(from: src, to: dst, elementSize: x.dtype.byteSize) }
            }
        }
        let tables = try (0..<rank).map { k -> [Int] in
            let n = kept[k].count
            guard n > 0 else { throw ctx.error("cannot \(a.mode.rawValue)-pad axis \(k), which keeps no element") }
            let period = 2 * (n - 1)
            return (0..<shape[k]).map { i in
                let p = i - max(begin[k], 0)
                var q: Int
                switch a.mode {
                case .edge: q = min(max(p, 0), n - 1)
                case .wrap: q = ((p % n) + n) % n
                default:
                    if n == 1 { q = 0; break }
                    q = ((p % period) + period) % period
                    if q >= n { q = period - q }
                }
                return (kept[k].first + q) * strides[k]
            }
        }
        return x.gathered(_IndexedCopy(tables: tables), shape: shape)
    }

    /// The constant fill as one element of `dtype`: the attribute, else the `constant_value`
    /// operand (cast to `dtype`; an empty one means 0), else 0.
    static func padValue(_ a: PadAttributes, _ dtype: DType, _ ctx: EvaluationContext) throws -> [UInt8] {
        var bytes = [UInt8](repeating: 0, count: dtype.byteSize)
        if let v = a.value {
            bytes.withUnsafeMutableBytes { if let p = $0.baseAddress { DTypeConversion.store(v, p, 0, dtype) } }
        } else if let t = ctx.optional(2), t.elementCount ?? 0 > 0 {
            guard t.elementCount == 1 else { throw ctx.error("constant_value must be one element, got shape \(t.shape)") }
            bytes = Array(t.converted(to: dtype).data.bytes.prefix(dtype.byteSize))
        }
        return bytes
    }

    // MARK: - Others

    static func dropout(_ x: Tensor, rate: Float, _ ctx: EvaluationContext) throws -> [Tensor] {
        if let training = ctx.optional(2), training.integers.first.map({ $0 != 0 }) == true {
            let ratio = ctx.optional(1)?.doubles.first ?? Double(rate)
            if ratio != 0 { throw ctx.unsupported("Dropout in training mode draws random numbers; only inference (or ratio 0) is defined here") }
        }
        var results = [x]
        if ctx.outputTypes.count > 1 {
            results.append(Tensor.filled([1], dtype: .bool, shape: x.shape))
        }
        return results
    }

    /// ONNX Range: `start + i·delta` for `i` in `0..<max(ceil((limit − start) / delta), 0)`;
    /// integers exactly (wrapping), floats via Double.
    static func range(_ start: Tensor, _ limit: Tensor, _ delta: Tensor, _ ctx: EvaluationContext) throws -> Tensor {
        for t in [start, limit, delta] where t.elementCount != 1 {
            throw ctx.error("start, limit and delta must be scalars, got shape \(t.shape)")
        }
        let (shape, count) = try ctx.resultShape()
        let dtype = start.dtype
        return Tensor(dtype: dtype, shape: shape) { raw in
            guard let dst = raw.baseAddress else { return }
            if dtype.isFloatingPoint {
                let s = start.doubles[0], d = delta.doubles[0]
                for i in 0..<count { DTypeConversion.store(s + Double(i) * d, dst, i, dtype) }
            } else {
                let s = start.integers[0], d = delta.integers[0]
                var v = s
                for i in 0..<count {
                    DTypeConversion.store(v, dst, i, dtype)
                    v = v &+ d
                }
            }
        }
    }

    /// Tables that read a whole row-major `shape` in order.
    static func contiguousTables(_ shape: [Int]) -> [[Int]] {
        let strides = Shape.strides(shape)
        return shape.indices.map { _IndexedCopy.affine(count: shape[$0], stride: strides[$0]) }
    }
}
