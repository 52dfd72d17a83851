import ModelIR

/// Unary activations → IR `activation`; Conv/Gemm/MatMul followed by one of these is fused later
/// (`fuseActivations`). `Clip(0, max)` is Keras's `ReLU(max_value)` (`relu6` for 6) in both
/// forms: attributes `min`/`max` before opset 11, inputs from 11 on.
extension ONNXImporter {
    /// Keras's SELU constants (ONNX's defaults, rounded to float).
    static let seluAlpha: Float = 1.67326324235437728481704299167
    static let seluGamma: Float = 1.05070098735548049341933498529

    func importActivation(_ ctx: _NodeContext) throws {
        let a = ctx.attributes
        let activation: Activation
        var inputs = 1...1
        switch ctx.op {
        case "Relu":
            try a.allow(["consumed_inputs"])
            activation = .relu
        case "Sigmoid":
            try a.allow(["consumed_inputs"])
            activation = .sigmoid
        case "Tanh":
            try a.allow(["consumed_inputs"])
            activation = .tanh
        case "Softplus":
            try a.allow([])
            activation = .softplus
        case "LeakyRelu":
            try a.allow(["alpha", "consumed_inputs"])
            activation = .leakyReLU(alpha: try finite(ctx, "alpha", default: 0.01))
        case "Elu":
            try a.allow(["alpha", "consumed_inputs"])
            activation = .elu(alpha: try finite(ctx, "alpha", default: 1))
        case "Selu":
            try a.allow(["alpha", "gamma", "consumed_inputs"])
            let alpha = try finite(ctx, "alpha", default: Self.seluAlpha), gamma = try finite(ctx, "gamma", default: Self.seluGamma)
            guard abs(alpha - Self.seluAlpha) <= 1e-6 * Self.seluAlpha, abs(gamma - Self.seluGamma) <= 1e-6 * Self.seluGamma else {
                throw ctx.unsupported("Selu with alpha \(alpha), gamma \(gamma) (only the standard constants)")
            }
            activation = .selu
        case "HardSigmoid":
            try a.allow(["alpha", "beta", "consumed_inputs"])
            let alpha = try finite(ctx, "alpha", default: 0.2), beta = try finite(ctx, "beta", default: 0.5)
            // Keras 3's hard_sigmoid is relu6(x + 3) / 6, i.e. alpha 1/6, beta 0.5.
            guard abs(alpha - 1 / 6) <= 1e-6, beta == 0.5 else {
                throw ctx.unsupported("HardSigmoid with alpha \(alpha), beta \(beta) (only alpha 1/6, beta 0.5)")
            }
            activation = .hardSigmoid
        case "Gelu":
            try a.allow(["approximate"])
            let approximate = try a.string("approximate", default: "none")
            guard approximate == "none" else { throw ctx.unsupported("Gelu with approximate '\(approximate)'") }
            activation = .gelu
        case "Clip":
            try a.allow(["min", "max", "consumed_inputs"])
            inputs = 1...3
            activation = try clipActivation(ctx)
        case "Softmax":
            try a.allow(["axis"])
            try expectArity(ctx, inputs: 1...1)
            let x = try value(ctx, 0)
            guard x.featureOrder == nil else { throw ctx.unsupported("softmax over features in a permuted order") }
            let rank = x.rank
            var axis = try a.int("axis", default: opset >= 13 ? -1 : 1)
            guard axis >= -rank, axis < rank else { throw ctx.error("axis \(axis) is out of range for rank \(rank)") }
            if axis < 0 { axis += rank }
            // Before opset 13 Softmax flattened the axes from `axis` on; that is the single-axis
            // softmax only when `axis` is the last one.
            if opset < 13, axis != rank - 1 {
                throw ctx.unsupported("opset-\(opset) Softmax over axes \(axis)... of a rank-\(rank) tensor (only the last axis)")
            }
            let irAxis = x.perm[axis]
            try emit(ctx, .activation(.softmax(axis: irAxis == rank - 1 ? -1 : irAxis)), inputs: [x.ir], perm: x.perm)
            return
        default:
            throw ONNXError.unsupportedOp(node: ctx.name, op: ctx.op, domain: "")
        }
        try expectArity(ctx, inputs: inputs)
        let x = try value(ctx, 0)
        try emit(ctx, .activation(activation), inputs: [x.ir], perm: x.perm, featureOrder: x.featureOrder)
    }

    private func finite(_ ctx: _NodeContext, _ name: String, default value: Float) throws -> Float {
        let v = try ctx.attributes.float(name, default: value)
        guard v.isFinite else { throw ctx.error("attribute '\(name)' is \(v)") }
        return v
    }

    /// `Clip(x, 0, max)` → relu / clipped relu.
    private func clipActivation(_ ctx: _NodeContext) throws -> Activation {
        var low: Float?, high: Float?
        if opset < 11 {
            low = try ctx.attributes.float("min")
            high = try ctx.attributes.float("max")
        } else {
            if ctx.attributes.has("min") || ctx.attributes.has("max") {
                throw ctx.error("min/max are inputs from opset 11 on, not attributes")
            }
            func scalar(_ i: Int, _ role: String) throws -> Float? {
                guard let c = try constant(ctx, i) else { return nil }
                guard c.elementCount == 1, c.dims.count <= 1, c.dtype.isFloatingPoint else {
                    throw ctx.error("\(role) '\(c.name)' must be one floating-point value, is \(c.dtype) \(c.dims)")
                }
                return c.floats()[0]
            }
            low = try scalar(1, "min")
            high = try scalar(2, "max")
        }
        // ONNX's defaults are the float range: a bound at (or beyond) ±FLT_MAX is no bound.
        if let h = high, h >= Float.greatestFiniteMagnitude { high = nil }
        if let l = low, l <= -Float.greatestFiniteMagnitude { low = nil }
        guard let l = low, l == 0 else {
            throw ctx.unsupported("Clip with min \(low.map { "\($0)" } ?? "unset") (only min 0, as ReLU/ReLU6)")
        }
        guard let h = high else { return .relu }
        guard h.isFinite, h > 0 else { throw ctx.unsupported("Clip with max \(h)") }
        return .clippedReLU(maxValue: h, negativeSlope: 0, threshold: 0)
    }
}
