import ModelIR

/// Layout and shape ops: `Transpose` and `Identity` become bookkeeping (no IR node), `Flatten`,
/// `Reshape`, `Squeeze` and `Unsqueeze` become IR `flatten`/`reshape` (which keep the element
/// order), `Dropout` is kept as Keras's inference-time identity layer, `Constant` is a constant.
extension ONNXImporter {
    func importTranspose(_ ctx: _NodeContext) throws {
        try ctx.attributes.allow(["perm"])
        try expectArity(ctx, inputs: 1...1)
        if isConstant(ctx, 0), let c = try constant(ctx, 0) {
            let perm = try ctx.attributes.ints("perm") ?? Array((0..<c.dims.count).reversed())
            guard _Transpose.isPermutation(perm, rank: c.dims.count) else { throw ctx.error("perm \(perm) does not fit rank \(c.dims.count)") }
            let data = _Transpose.apply(c.data.bytes, dims: c.dims, perm: perm, elementSize: c.dtype.byteSize)
            entries[ctx.outputs[0]] = .constant(_ConstTensor(name: ctx.outputs[0], dtype: c.dtype, dims: perm.map { c.dims[$0] },
                                                             data: data, source: c.source))
            return
        }
        let x = try value(ctx, 0)
        let perm = try ctx.attributes.ints("perm") ?? Array((0..<x.rank).reversed())
        guard _Transpose.isPermutation(perm, rank: x.rank) else { throw ctx.error("perm \(perm) does not fit rank \(x.rank)") }
        guard x.featureOrder == nil || perm == [0, 1] else { throw ctx.unsupported("transposing flattened features") }
        // No data moves: the output is the same IR value seen through one more permutation.
        setValue(ctx.outputs[0], _ValueState(ir: x.ir, perm: perm.map { x.perm[$0] }, featureOrder: x.featureOrder))
    }

    func importIdentity(_ ctx: _NodeContext) throws {
        try ctx.attributes.allow([])
        try expectArity(ctx, inputs: 1...1)
        switch entries[ctx.inputs[0]] {
        case .constant(let c)?: entries[ctx.outputs[0]] = .constant(c)
        default: setValue(ctx.outputs[0], try value(ctx, 0))
        }
    }

    func importDropout(_ ctx: _NodeContext) throws {
        try ctx.attributes.allow(opset < 12 ? ["ratio", "is_test", "seed"] : ["seed"])
        try expectArity(ctx, inputs: opset < 12 ? 1...1 : 1...3, outputs: 1...2)
        if try ctx.attributes.int("is_test", default: 1) != 1 { throw ctx.unsupported("is_test 0") }
        var rate = try ctx.attributes.float("ratio", default: 0.5)
        if opset >= 12 {
            if let r = try constant(ctx, 1) {
                guard r.elementCount == 1, r.dtype.isFloatingPoint else { throw ctx.error("ratio must be one floating-point value") }
                rate = r.floats()[0]
            }
            if let t = try constant(ctx, 2) {
                guard t.elementCount == 1, let v = t.integers() else { throw ctx.error("training_mode must be one boolean") }
                if v[0] != 0 { throw ctx.unsupported("training_mode true") }
            }
        }
        guard rate.isFinite, rate >= 0, rate < 1 else { throw ctx.error("ratio \(rate) is not in [0, 1)") }
        let x = try value(ctx, 0)
        try emit(ctx, .dropout(rate: rate), inputs: [x.ir], perm: x.perm, featureOrder: x.featureOrder)
    }

    func importConstant(_ ctx: _NodeContext) throws {
        let a = ctx.attributes
        try a.allow(["value", "value_float", "value_floats", "value_int", "value_ints", "sparse_value", "value_string", "value_strings"])
        try expectArity(ctx, inputs: 0...0)
        let out = ctx.outputs[0]
        let c: _ConstTensor
        if let t = try a.tensor("value") {
            c = try loader.load(t, name: out, source: "\(ctx.name)")
        } else if let f = try a.float("value_float") {
            c = _ConstTensor(name: out, dtype: .float32, dims: [], data: TensorData(floats: [f]), source: ctx.name)
        } else if let fs = try a.floats("value_floats") {
            c = _ConstTensor(name: out, dtype: .float32, dims: [fs.count], data: TensorData(floats: fs), source: ctx.name)
        } else if let i = try a.int("value_int") {
            c = _ConstTensor(name: out, dtype: .int64, dims: [], data: [Int64(i)].withUnsafeBytes { TensorData(copying: $0) }, source: ctx.name)
        } else if let i = try a.ints("value_ints") {
            c = _ConstTensor(name: out, dtype: .int64, dims: [i.count], data: i.map(Int64.init).withUnsafeBytes { TensorData(copying: $0) },
                             source: ctx.name)
        } else {
            throw ctx.unsupported("a Constant without a tensor, float(s) or int(s) value")
        }
        entries[out] = .constant(c)
    }

    /// `Flatten(axis = 1)`: IR `flatten` (which flattens NHWC in H, W, C order). When ONNX flattens
    /// a permuted view (NCHW: C, H, W order) with more than one non-unit axis, the output carries
    /// the feature permutation for the Gemm/MatMul that reads it.
    func importFlatten(_ ctx: _NodeContext) throws {
        try ctx.attributes.allow(["axis"])
        try expectArity(ctx, inputs: 1...1)
        let x = try value(ctx, 0)
        let axis = try ctx.attributes.int("axis", default: 1)
        guard axis == 1 || (axis == 1 - x.rank && x.rank == 2) else { throw ctx.unsupported("Flatten with axis \(axis) (only 1)") }
        if x.rank == 2 {
            setValue(ctx.outputs[0], x)
            return
        }
        guard x.featureOrder == nil else { throw ctx.unsupported("flattening flattened features") }
        let order = try featureOrder(ctx, x)
        try emit(ctx, .flatten, inputs: [x.ir], perm: [0, 1], featureOrder: order)
    }

    /// Where each ONNX-order feature of a flattened value lives in IR (NHWC) order; nil when the
    /// orders agree.
    private func featureOrder(_ ctx: _NodeContext, _ x: _ValueState) throws -> [Int]? {
        let ir = irShape(x)
        let nonUnit = ir.dropFirst().filter { $0 != 1 }.count
        if x.isIdentity || nonUnit <= 1 { return nil }
        let dims = Array(ir.dropFirst())
        guard dims.allSatisfy({ $0 > 0 }), let count = Shape.elementCount(dims), count <= 1 << 28 else {
            throw ctx.unsupported("flattening a permuted tensor of unknown or huge size \(ir)")
        }
        // IR strides of the non-batch axes, then walk the ONNX order.
        let rank = ir.count
        var irStrides = [Int](repeating: 1, count: rank)
        for i in stride(from: rank - 2, through: 1, by: -1) { irStrides[i] = irStrides[i + 1] * ir[i + 1] }
        let onnxAxes = Array(x.perm.dropFirst())   // IR axis of each ONNX non-batch axis
        let onnxDims = onnxAxes.map { ir[$0] }
        var order = [Int](repeating: 0, count: count)
        var index = [Int](repeating: 0, count: onnxDims.count)
        for f in 0..<count {
            var offset = 0
            for (j, i) in index.enumerated() { offset += i * irStrides[onnxAxes[j]] }
            order[f] = offset
            var j = index.count - 1
            while j >= 0 {
                index[j] += 1
                if index[j] < onnxDims[j] { break }
                index[j] = 0
                j -= 1
            }
        }
        return order
    }

    /// `Reshape` with a constant shape → IR `reshape` of the non-batch axes. The input must be in
    /// IR order, or have at most one non-unit axis besides the batch (then order does not matter).
    func importReshape(_ ctx: _NodeContext) throws {
        try ctx.attributes.allow(opset < 5 ? ["shape"] : ["allowzero"])
        try expectArity(ctx, inputs: opset < 5 ? 1...1 : 2...2)
        let x = try value(ctx, 0)
        var target: [Int]
        if opset < 5 {
            guard let s = try ctx.attributes.ints("shape") else { throw ctx.error("shape is required") }
            target = s
        } else {
            guard let s = try constant(ctx, 1), s.dims.count == 1, let ints = s.integers() else {
                throw ctx.error("shape must be a 1-D integer constant")
            }
            target = ints
        }
        let allowZero = try ctx.attributes.bool("allowzero", default: false)
        let input = onnxShape(x)
        guard !target.isEmpty, target.count <= 8 else { throw ctx.unsupported("reshaping to rank \(target.count)") }
        let batchCopied = target[0] == 0 && !allowZero
        for (i, d) in target.enumerated() {
            if d == 0 {
                guard !allowZero else { throw ctx.unsupported("allowzero with a 0 in shape \(target)") }
                guard i < input.count else { throw ctx.error("shape \(target) copies axis \(i) of a rank-\(input.count) input") }
                target[i] = input[i]
            } else if d < -1 || d > Int(Int32.max) {
                throw ctx.error("shape \(target) has an invalid dimension \(d)")
            }
        }
        var rest = Array(target.dropFirst())
        guard rest.filter({ $0 == -1 }).count <= 1 else { throw ctx.error("shape \(target) has more than one -1") }
        let inputFeatures = Shape.elementCount(Array(input.dropFirst()))
        // The batch must stay the batch: copied (0), or inferred (-1) / fixed with the same
        // features per sample.
        if !batchCopied {
            let restCount = rest.contains(-1) ? nil : Shape.elementCount(rest)
            guard let f = inputFeatures, let r = restCount, f == r else {
                throw ctx.unsupported("a reshape to \(target) that may change the batch axis of \(input)")
            }
        }
        if let f = inputFeatures, let i = rest.firstIndex(of: -1) {
            let known = Shape.elementCount(rest.filter { $0 != -1 }) ?? 0
            guard known > 0, f % known == 0 else { throw ctx.error("cannot reshape \(input) to \(target)") }
            rest[i] = f / known
        }
        if let f = inputFeatures, !rest.contains(-1), Shape.elementCount(rest) != f {
            throw ctx.error("cannot reshape \(input) to \(target)")
        }
        guard x.featureOrder == nil, x.isIdentity || irShape(x).dropFirst().filter({ $0 != 1 }).count <= 1 else {
            throw ctx.unsupported("reshaping a tensor held in another axis order (\(x.perm); NCHW data order would differ)")
        }
        // Unit axes make the order free: a rank-4 result with its one non-unit axis at position 1
        // ([N, C, 1, 1]) is taken as NCHW, so the Conv that usually follows sees NHWC.
        var irRest = rest
        var perm = Array(0...rest.count)
        let nonUnit = rest.enumerated().filter { $0.element != 1 }.map(\.offset)
        if rest.count == 3, nonUnit == [0] {
            irRest = [1, 1, rest[0]]
            perm = _ValueState.nchwView
        }
        try emit(ctx, .reshape(targetShape: irRest), inputs: [x.ir], perm: perm)
    }

    /// `Squeeze`/`Unsqueeze` (axes an attribute before opset 13, an input from 13) → IR `reshape`
    /// that drops or adds unit axes, which never moves data. Squeezing H and W right after a
    /// global pool makes the pool's `keepDims` false instead (Keras's GlobalAveragePooling2D).
    func importSqueeze(_ ctx: _NodeContext) throws {
        let squeeze = ctx.op == "Squeeze"
        try ctx.attributes.allow(opset < 13 ? ["axes"] : [])
        try expectArity(ctx, inputs: opset < 13 ? 1...1 : (squeeze ? 1...2 : 2...2))
        let x = try value(ctx, 0)
        guard x.featureOrder == nil else { throw ctx.unsupported("\(ctx.op) of flattened features") }
        var axes: [Int]?
        if opset < 13 {
            axes = try ctx.attributes.ints("axes")
        } else if let c = try constant(ctx, 1) {
            guard c.dims.count == 1, let ints = c.integers() else { throw ctx.error("axes must be a 1-D integer constant") }
            axes = ints
        }
        let input = onnxShape(x)
        let outRank = squeeze ? x.rank : x.rank + (axes?.count ?? 0)
        guard let rawAxes = axes ?? (squeeze ? input.enumerated().filter { $0.element == 1 }.map(\.offset) : nil) else {
            throw ctx.error("axes are required")
        }
        var normalized = Set<Int>()
        for a in rawAxes {
            let ax = a < 0 ? a + outRank : a
            guard (0..<outRank).contains(ax), normalized.insert(ax).inserted else { throw ctx.error("axes \(rawAxes) are out of range or repeated") }
        }
        guard !normalized.contains(0) else { throw ctx.unsupported("\(ctx.op) of the batch axis") }
        let irIn = irShape(x)
        if squeeze {
            for a in normalized where input[a] != 1 { throw ctx.error("cannot squeeze axis \(a) of size \(input[a])") }
            if normalized.isEmpty {
                setValue(ctx.outputs[0], x)
                return
            }
            let droppedIR = Set(normalized.map { x.perm[$0] })
            // Global pool → squeeze H, W: the pool drops them itself.
            if droppedIR == [1, 2], x.rank == 4, let p = producer[x.ir], isSoleUse(of: x, by: ctx.inputs[0]) {
                var pool = nodes[p]
                switch pool.op {
                case .globalAveragePool2D(true): pool.op = .globalAveragePool2D(keepDims: false)
                case .globalMaxPool2D(true): pool.op = .globalMaxPool2D(keepDims: false)
                default: break
                }
                if pool.op != nodes[p].op {
                    nodes[p] = pool
                    shapes[x.ir] = [irIn[0], irIn[3]]
                    setValue(ctx.outputs[0], _ValueState(ir: x.ir, perm: [0, 1]))
                    return
                }
            }
            let keptIR = (0..<x.rank).filter { !droppedIR.contains($0) }
            let keptONNX = (0..<x.rank).filter { !normalized.contains($0) }
            let perm = keptONNX.map { keptIR.firstIndex(of: x.perm[$0]) ?? 0 }
            try emitReshape(ctx, x, to: keptIR.map { irIn[$0] }, perm: perm)
        } else {
            // New unit axes: in place when the input is in IR order, else appended to the IR value.
            var perm: [Int] = []
            var irOut = irIn
            var next = 0
            for j in 0..<outRank {
                if normalized.contains(j) {
                    if x.isIdentity {
                        perm.append(j)
                    } else {
                        perm.append(irOut.count)
                        irOut.append(1)
                    }
                } else {
                    perm.append(x.isIdentity ? j : x.perm[next])
                    next += 1
                }
            }
            if x.isIdentity {
                var shape: [Int] = []
                var k = 0
                for j in 0..<outRank {
                    if normalized.contains(j) { shape.append(1) } else { shape.append(input[k]); k += 1 }
                }
                irOut = shape
            }
            try emitReshape(ctx, x, to: irOut, perm: perm)
        }
    }

    private func emitReshape(_ ctx: _NodeContext, _ x: _ValueState, to irShape: [Int], perm: [Int]) throws {
        let rest = Array(irShape.dropFirst())
        guard rest.filter({ $0 < 0 }).count <= 1 else { throw ctx.unsupported("\(ctx.op) with more than one unknown dimension") }
        try emit(ctx, .reshape(targetShape: rest.map { $0 < 0 ? -1 : $0 }), inputs: [x.ir], perm: perm)
    }
}
