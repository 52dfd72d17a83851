import ModelIR

/// `Add`, `Mul` and `Concat`.
///
/// Two computed tensors of one shape → IR `add`/`multiply` (the IR does not broadcast). A computed
/// tensor and a per-channel constant right after a Conv/Gemm/MatMul (how exporters write a bias, or
/// a scale) are folded into that node's weights. `Mul(x, Sigmoid(x))` is Keras's `swish`.
extension ONNXImporter {
    func importBinary(_ ctx: _NodeContext) throws {
        try ctx.attributes.allow(opset < 7 ? ["axis", "broadcast", "consumed_inputs"] : [])
        try expectArity(ctx, inputs: 2...2)
        let isAdd = ctx.op == "Add"
        switch (isConstant(ctx, 0), isConstant(ctx, 1)) {
        case (true, true):
            throw ctx.unsupported("\(ctx.op) of two constants")
        case (false, false):
            let a = try value(ctx, 0), b = try value(ctx, 1)
            if !isAdd, try importSwish(ctx, a, b) { return }
            guard a.perm == b.perm, a.featureOrder == b.featureOrder else {
                throw ctx.unsupported("inputs in different axis orders (\(a.perm) and \(b.perm))")
            }
            let sa = irShape(a), sb = irShape(b)
            guard sa.count == sb.count, zip(sa, sb).allSatisfy({ $0 == $1 || $0 < 0 || $1 < 0 }) else {
                throw ctx.unsupported("broadcasting between shapes \(onnxShape(a)) and \(onnxShape(b))")
            }
            try emit(ctx, isAdd ? .add : .multiply, inputs: [a.ir, b.ir], perm: a.perm, featureOrder: a.featureOrder)
        default:
            let xi = isConstant(ctx, 0) ? 1 : 0
            let x = try value(ctx, xi)
            guard let k = try constant(ctx, 1 - xi) else { throw ctx.error("input \(1 - xi) is missing") }
            try foldAffine(ctx, x: x, xName: ctx.inputs[xi], constant: k, isAdd: isAdd)
        }
    }

    /// `Mul(x, Sigmoid(x))` where the Sigmoid has no other reader → one `swish` activation.
    private func importSwish(_ ctx: _NodeContext, _ a: _ValueState, _ b: _ValueState) throws -> Bool {
        for (s, x, sName) in [(a, b, ctx.inputs[0]), (b, a, ctx.inputs[1])] {
            guard let p = producer[s.ir], case .activation(.sigmoid) = nodes[p].op, nodes[p].inputs == [x.ir],
                  s.perm == x.perm, s.featureOrder == x.featureOrder, isSoleUse(of: s, by: sName) else { continue }
            removeNode(at: p)
            try emit(ctx, .activation(.swish), inputs: [x.ir], perm: x.perm, featureOrder: x.featureOrder)
            return true
        }
        return false
    }

    func removeNode(at index: Int) {
        for o in nodes[index].outputs { shapes[o] = nil }
        nodes.remove(at: index)
        producer = [:]
        for (i, n) in nodes.enumerated() { for o in n.outputs { producer[o] = i } }
    }

    /// Folds `x + k` or `x · k` (k per output channel, or one value) into the Conv/Dense producing x.
    private func foldAffine(_ ctx: _NodeContext, x: _ValueState, xName: String, constant k: _ConstTensor, isAdd: Bool) throws {
        func refuse() -> ONNXError {
            ctx.unsupported("\(isAdd ? "adding" : "multiplying by") constant '\(k.name)' \(k.dims) other than as a per-channel bias or scale right after a Conv, Gemm or MatMul")
        }
        guard k.dtype.isFloatingPoint, let p = producer[x.ir], isSoleUse(of: x, by: xName), x.featureOrder == nil else { throw refuse() }
        var node = nodes[p]
        let roles = node.op.weightRoles
        let channels: Int, kernelRole: String
        switch node.op {
        case .conv2D(let a) where a.activation == .linear: (channels, kernelRole) = (a.filters, "kernel")
        case .depthwiseConv2D(let a) where a.activation == .linear:
            (channels, kernelRole) = ((irShape(x).last ?? 0), "depthwise_kernel")
        case .dense(let a) where a.activation == .linear: (channels, kernelRole) = (a.units, "kernel")
        default: throw refuse()
        }
        // Broadcast check, numpy style (right-aligned): only the channel axis may be longer than 1.
        guard k.dims.count <= x.rank, channels > 0 else { throw refuse() }
        let channelAxis = x.perm.firstIndex(of: x.rank - 1) ?? -1
        let padded = [Int](repeating: 1, count: x.rank - k.dims.count) + k.dims
        for (i, d) in padded.enumerated() where d != 1 && !(i == channelAxis && d == channels) { throw refuse() }
        let raw = k.floats()
        let values = raw.count == 1 ? [Float](repeating: raw[0], count: channels) : raw
        guard values.count == channels else { throw refuse() }

        func floats(_ role: String) -> [Float]? {
            guard let i = roles.firstIndex(of: role), i < node.weights.count, let w = weights[node.weights[i]] else { return nil }
            return w.data.floatArray(as: w.info.dtype)
        }
        let oldBias = floats("bias")
        var bias = oldBias ?? [Float](repeating: 0, count: channels)
        var weightNames = node.weights
        if isAdd {
            for c in 0..<channels { bias[c] += values[c] }
        } else {
            guard let kernelIndex = roles.firstIndex(of: kernelRole), let kernelWeight = weights[node.weights[kernelIndex]],
                  var kernel = floats(kernelRole), kernel.count % channels == 0 else { throw refuse() }
            // The output channel is the fastest axis of HWIO, HWCM (C·M) and IO kernels.
            for i in 0..<kernel.count { kernel[i] *= values[i % channels] }
            for c in 0..<channels { bias[c] *= values[c] }
            weightNames[kernelIndex] = newWeight("\(kernelWeight.info.name)*\(k.name)", floats: kernel, shape: kernelWeight.info.shape,
                                                 layout: kernelWeight.info.layout, source: "\(kernelWeight.source ?? kernelWeight.info.name) × \(k.name)")
        }
        if isAdd || oldBias != nil {
            let base = oldBias == nil ? k.name : "\(weightNames.last ?? "bias")\(isAdd ? "+" : "*")\(k.name)"
            let biasName = newWeight(base, floats: bias, shape: [channels], layout: .channel, source: oldBias == nil ? k.source : base)
            if oldBias == nil { weightNames.append(biasName) } else { weightNames[weightNames.count - 1] = biasName }
        }
        switch node.op {
        case .conv2D(var a): a.useBias = a.useBias || isAdd; node.op = .conv2D(a)
        case .depthwiseConv2D(var a): a.useBias = a.useBias || isAdd; node.op = .depthwiseConv2D(a)
        case .dense(var a): a.useBias = a.useBias || isAdd; node.op = .dense(a)
        default: break
        }
        node.weights = weightNames
        nodes[p] = node
        setValue(ctx.outputs[0], x)
    }

    func importConcat(_ ctx: _NodeContext) throws {
        try ctx.attributes.allow(["axis"])
        guard !ctx.inputs.isEmpty else { throw ctx.error("has no inputs") }
        try expectArity(ctx, inputs: 1...Int.max)
        let values = try (0..<ctx.inputs.count).map { try value(ctx, $0) }
        let first = values[0]
        guard values.allSatisfy({ $0.perm == first.perm && $0.featureOrder == nil }) else {
            throw ctx.unsupported("inputs in different axis orders")
        }
        guard let axis = try ctx.attributes.int("axis") else { throw ctx.error("axis is required") }
        let rank = first.rank
        guard axis >= -rank, axis < rank else { throw ctx.error("axis \(axis) is out of range for rank \(rank)") }
        let irAxis = first.perm[axis < 0 ? axis + rank : axis]
        guard irAxis != 0 else { throw ctx.unsupported("concatenating along the batch axis") }
        try emit(ctx, .concatenate(axis: irAxis == rank - 1 ? -1 : irAxis), inputs: values.map(\.ir), perm: first.perm)
    }
}
