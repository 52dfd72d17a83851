import ModelIR
import ONNXProto

/// ONNX Gemm and MatMul → IR `linear`; the normalizations → IR `normalization`. Weights stay
/// operands in ONNX's order (constant or not).
extension ONNXImporter {
    func importLinear(_ ctx: _NodeContext) throws -> Node {
        let a = ctx.attributes
        if ctx.op == "Einsum" {
            try ctx.arity(1...Int(Int32.max))
            try a.allow(["equation"])
            guard let equation = try a.string("equation") else { throw ctx.error("needs its equation") }
            return ctx.node(.linear(.einsum(equation: equation)), ctx.inputs)
        }
        if ctx.op == "MatMul" {
            try ctx.arity(2...2)
            try a.allow([])
            return ctx.node(.linear(.matMul), [ctx.input(0), ctx.input(1)])
        }
        try ctx.arity(2...3)
        // `broadcast` (Gemm before opset 7) asked for the NumPy broadcasting of C that is now the rule.
        try a.allow(["alpha", "beta", "transA", "transB", "broadcast"])
        let attributes = GemmAttributes(alpha: try a.float("alpha", default: 1), beta: try a.float("beta", default: 1),
                                        transA: try a.bool("transA", default: false), transB: try a.bool("transB", default: false))
        return ctx.node(.linear(.gemm(attributes)), [ctx.input(0), ctx.input(1), ctx.input(2)])
    }

    /// LayerNormalization whose Mean or InvStdDev output is read: its ONNX function body in IR
    /// ops (statistics in float32, `stash_type` 1, as onnxruntime computes them).
    private func layerNormalizationWithStatistics(_ ctx: _NodeContext, axes: [Int], epsilon: Float) throws -> [Node] {
        if try ctx.attributes.int("stash_type", default: 1) != 1 { throw _Carry("stash_type other than float32 is not interpreted") }
        guard let dtype = ctx.operand(0)?.dtype, dtype.isFloatingPoint else { throw ctx.error("the input must be floating point") }
        var nodes: [Node] = []
        let base = ctx.outputs[0]
        func step(_ suffix: String, _ op: Op, _ inputs: [String], output: String? = nil) -> String {
            let out = output ?? uniqueValueName("\(base)::\(suffix)")
            nodes.append(Node(name: uniqueNodeName("\(ctx.name)/\(suffix)"), op: op, inputs: inputs, outputs: [out]))
            return out
        }
        func named(_ i: Int, _ suffix: String) -> String? { ctx.isUsed(output: i) ? ctx.proto.output[i] : nil }
        let mean = ReduceAttributes(function: .mean, axes: axes, keepDims: true)
        let x = dtype == .float32 ? ctx.input(0) : step("cast", .tensor(.cast(to: .float32)), [ctx.input(0)])
        let m = step("mean", .reduction(.reduce(mean)), [x], output: named(1, "mean"))
        let d = step("centered", .elementwise(.binary(.sub)), [x, m])
        let dd = step("squared", .elementwise(.variadic(.mul)), [d, d])
        let variance = step("variance", .reduction(.reduce(mean)), [dd])
        let eps = uniqueValueName("\(base)::epsilon")
        addWeight(eps, Tensor.scalar(epsilon), trainable: false, source: "epsilon of node '\(ctx.name)'")
        let shifted = step("variance_eps", .elementwise(.variadic(.add)), [variance, eps])
        let std = step("std", .elementwise(.unary(.sqrt)), [shifted])
        let inv = step("inv_std", .elementwise(.unary(.reciprocal)), [std], output: named(2, "inv_std"))
        var y = step("normalized", .elementwise(.variadic(.mul)), [d, inv])
        if dtype != .float32 { y = step("cast_back", .tensor(.cast(to: dtype)), [y]) }
        let scaled = step("scaled", .elementwise(.variadic(.mul)), [y, ctx.input(1)], output: ctx.has(2) ? nil : base)
        if ctx.has(2) { _ = step("biased", .elementwise(.variadic(.add)), [scaled, ctx.input(2)], output: base) }
        // The last node carries the ONNX node's own name.
        if let last = nodes.indices.last { nodes[last].name = ctx.name }
        return nodes
    }

    /// LayerNormalization: `axis` k normalizes axes k…rank−1.
    func importLayerNormalization(_ ctx: _NodeContext) throws -> [Node] {
        let a = ctx.attributes
        try ctx.arity(2...3, outputs: 1...3)
        try a.allow(["axis", "epsilon", "stash_type"])
        let axis = try a.int("axis", default: -1)
        let axes: [Int]
        if axis < 0 {
            guard axis >= -8 else { throw ctx.error("axis \(axis) is out of range") }
            axes = Array(axis..<0)
        } else {
            guard let rank = ctx.shape(0)?.count else { throw _Carry("the input's rank is not known at import") }
            guard axis < rank else { throw ctx.error("axis \(axis) is out of range for rank \(rank)") }
            axes = Array(axis..<rank)
        }
        let attributes = LayerNormAttributes(axes: axes, epsilon: try a.float("epsilon", default: 1e-5))
        if ctx.isUsed(output: 1) || ctx.isUsed(output: 2) {
            return try layerNormalizationWithStatistics(ctx, axes: axes, epsilon: attributes.epsilon)
        }
        return [ctx.node(.normalization(.layer(attributes)), [ctx.input(0), ctx.input(1), ctx.input(2)], outputCount: 1)]
    }

    /// BatchNormalization; in training mode (opset 14's `training_mode`) its ONNX function body.
    func importBatchNormalization(_ ctx: _NodeContext) throws -> [Node] {
        let a = ctx.attributes
        try ctx.arity(5...5, outputs: 1...5)
        try a.allow(["epsilon", "momentum", "spatial", "training_mode", "is_test", "consumed_inputs"])
        if try a.int("spatial", default: 1) != 1 { throw _Carry("spatial=0 (per-element statistics) is not interpreted") }
        let attributes = BatchNormAttributes(epsilon: try a.float("epsilon", default: 1e-5), axis: 1)
        if try a.bool("training_mode", default: false) {
            return try batchNormalizationTraining(ctx, attributes, momentum: try a.float("momentum", default: 0.9))
        }
        // Before opset 14 the outputs after Y (running and saved statistics) meant training.
        try ctx.requireUnusedOutputs(from: 1, "training statistics")
        return [ctx.node(.normalization(.batch(attributes)), Array(ctx.inputs.prefix(5)), outputCount: 1)]
    }

    /// BatchNormalization in training mode, as ONNX's function body: the batch's mean and
    /// (biased) variance over every axis but 1 normalize Y; the running statistics, outputs 1 and 2,
    /// are `input · momentum + batch · (1 − momentum)`.
    private func batchNormalizationTraining(_ ctx: _NodeContext, _ attributes: BatchNormAttributes, momentum: Float) throws -> [Node] {
        guard let rank = ctx.shape(0)?.count else { throw _Carry("training mode needs the input's rank at import") }
        guard rank >= 2 else { throw ctx.error("the input has rank \(rank); training mode needs a channel axis") }
        guard let dtype = ctx.operand(0)?.dtype, dtype.isFloatingPoint else { throw ctx.error("the input must be floating point") }
        try ctx.requireUnusedOutputs(from: 3, "saved statistics")
        var nodes: [Node] = []
        let base = ctx.outputs[0]
        func step(_ suffix: String, _ op: Op, _ inputs: [String], output: String? = nil, name: String? = nil) -> String {
            let out = output ?? uniqueValueName("\(base)::\(suffix)")
            nodes.append(Node(name: name ?? uniqueNodeName("\(ctx.name)/\(suffix)"), op: op, inputs: inputs, outputs: [out]))
            return out
        }
        let axes = [0] + Array(2..<rank)
        let meanKept = step("mean", .reduction(.reduce(ReduceAttributes(function: .mean, axes: axes, keepDims: true))), [ctx.input(0)])
        let centered = step("centered", .elementwise(.binary(.sub)), [ctx.input(0), meanKept])
        let squared = step("squared", .elementwise(.variadic(.mul)), [centered, centered])
        let variance = step("variance", .reduction(.reduce(ReduceAttributes(function: .mean, axes: axes, keepDims: false))), [squared])
        let mean = step("channel_mean", .tensor(.reshape(ReshapeAttributes(shape: [-1]))), [meanKept])
        _ = step("", .normalization(.batch(attributes)), [ctx.input(0), ctx.input(1), ctx.input(2), mean, variance], output: base,
                 name: ctx.name)
        for (i, batch) in [(3, mean), (4, variance)] where ctx.isUsed(output: i - 2) {
            let running = ctx.input(i), what = i == 3 ? "mean" : "var"
            guard let type = ctx.operand(i)?.dtype, type.isFloatingPoint else { throw ctx.error("input_\(what) must be floating point") }
            func constant(_ value: Float, _ suffix: String) -> String {
                let name = uniqueValueName("\(base)::\(suffix)")
                addWeight(name, Tensor(shape: [], doubles: [Double(value)], dtype: type), trainable: false,
                          source: "momentum of node '\(ctx.name)'")
                return name
            }
            let statistic = type == dtype ? batch : step("\(what)_cast", .tensor(.cast(to: type)), [batch])
            let kept = step("running_\(what)_kept", .elementwise(.variadic(.mul)), [running, constant(momentum, "momentum")])
            let added = step("running_\(what)_batch", .elementwise(.variadic(.mul)), [statistic, constant(1 - momentum, "one_minus_momentum")])
            _ = step("running_\(what)", .elementwise(.variadic(.add)), [kept, added], output: ctx.proto.output[i - 2])
        }
        return nodes
    }

    func importNormalization(_ ctx: _NodeContext) throws -> Node {
        let a = ctx.attributes
        switch ctx.op {
        case "InstanceNormalization":
            try ctx.arity(3...3)
            try a.allow(["epsilon"])
            let attributes = InstanceNormAttributes(epsilon: try a.float("epsilon", default: 1e-5), layout: .channelsFirst)
            return ctx.node(.normalization(.instance(attributes)), ctx.inputs)
        case "GroupNormalization":
            try ctx.arity(3...3)
            try a.allow(["num_groups", "epsilon", "stash_type"])
            guard let groups = try a.int("num_groups"), groups > 0 else { throw ctx.error("needs a positive num_groups") }
            let attributes = GroupNormAttributes(groups: groups, axis: 1, epsilon: try a.float("epsilon", default: 1e-5))
            var operands = [ctx.input(0), ctx.input(1), ctx.input(2)]
            if ctx.opset < 21 {
                // GroupNormalization-18 scales per group; the IR (and opset 21) per channel.
                guard let c = ctx.shape(0).flatMap({ $0.count > 1 ? $0[1] : nil }), c > 0, c % groups == 0,
                      let scale = ctx.value(1), let bias = ctx.value(2), scale.shape == [groups], bias.shape == [groups] else {
                    throw _Carry("per-group scale and bias (GroupNormalization-18) must be constants with a known channel count")
                }
                operands[1] = perChannel(scale, repeat: c / groups, name: "\(ctx.name)/scale")
                operands[2] = perChannel(bias, repeat: c / groups, name: "\(ctx.name)/bias")
            }
            return ctx.node(.normalization(.group(attributes)), operands)
        case "LpNormalization":
            try ctx.arity(1...1)
            try a.allow(["axis", "p"])
            let p = try a.int("p", default: 2)
            guard p == 1 || p == 2 else { throw _Carry("p=\(p) is not interpreted (1 or 2)") }
            return ctx.node(.normalization(.lp(LpNormAttributes(axis: try a.int("axis", default: -1), p: p))), [ctx.input(0)])
        default:  // LRN
            try ctx.arity(1...1)
            try a.allow(["size", "alpha", "beta", "bias"])
            guard let size = try a.int("size"), size > 0 else { throw ctx.error("needs a positive size") }
            let attributes = LRNAttributes(size: size, alpha: try a.float("alpha", default: 1e-4), beta: try a.float("beta", default: 0.75),
                                           bias: try a.float("bias", default: 1), layout: .channelsFirst)
            return ctx.node(.normalization(.localResponse(attributes)), [ctx.input(0)])
        }
    }

    /// A constant with each element repeated `count` times, as a new weight.
    private func perChannel(_ t: Tensor, repeat count: Int, name base: String) -> String {
        var name = base, i = 1
        while known[name] != nil {
            name = "\(base)_\(i)"
            i += 1
        }
        let size = t.dtype.byteSize
        let n = t.shape[0]
        let expanded = Tensor(dtype: t.dtype, shape: [n * count]) { raw in
            guard let dst = raw.baseAddress, let src = t.data.bytes.baseAddress else { return }
            for g in 0..<n { for k in 0..<count { (dst + (g * count + k) * size).copyMemory(from: src + g * size, byteCount: size) } }
        }
        addWeight(name, expanded, trainable: true, source: base)
        return name
    }
}
