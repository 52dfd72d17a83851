import ModelIR

/// Math written on tensors inside a functional model, as each Keras saves it:
/// - Keras 3 records each call of a `keras.ops` function (and each `+`, `*` … on a tensor) as an
///   operation node: a layer entry whose `module` is `keras.src.ops.<family>`, whose class is the
///   operation's (`Add`, `Mean`, `Relu`), whose `config` holds the options (`axis`, `keepdims`)
///   and whose call holds the operands, Python numbers among them (`{"args": [<x>, 3.0]}`).
///   Operations are not layers (`model.layers` leaves them out), so they have no weights.
/// - tf_keras wraps each TensorFlow function called on a Keras tensor in a `TFOpLambda` layer
///   whose `config.function` names it (`math.multiply`, `__operators__.add`, `nn.relu6`); the
///   first positional argument is in the call entry, the others are keywords (`y`, `axis`).
///
/// Each becomes the IR op computing the same; one that is not listed here is carried.
enum KerasOperations {
    /// Whether a layer entry of a Keras 3 config is an operation node: its `module` says so
    /// (`.keras` and `get_config()`); a legacy `.h5` drops `module`, but an operation's config has
    /// neither of the `trainable` and `dtype` keys every Keras 3 layer's config has.
    static func isOperation(entry: JSONValue, dialect: KerasDialect) -> Bool {
        if let module = entry["module"]?.string { return module.hasPrefix("keras.src.ops.") || module.hasPrefix("keras.ops.") }
        guard dialect == .keras3, let config = entry["config"]?.object, let cls = entry["class_name"]?.string,
              cls != "InputLayer", !KerasLayerTable.modelClasses.contains(cls) else { return false }
        return config["trainable"] == nil && config["dtype"] == nil
    }

    private typealias Resolve = (KerasCall.Reference) -> String

    /// A Keras 3 operation node.
    static func operation(className: String, config c: LayerConfig, call: KerasCall,
                          value: (KerasCall.Reference) -> String) throws -> KerasLayer {
        // Options can be in the config (the operation's constructor) or in the call's keywords.
        func option(_ key: String) -> JSONValue? {
            if case .literal(let v) = call.kwarg(key) { return v }
            return c.values[key]
        }
        let positional = call.args
        switch className {
        case "Add", "Subtract", "Multiply", "Divide", "TrueDivide", "Power", "Maximum", "Minimum":
            let function: ScalarArithmetic = switch className {
            case "Add": .add
            case "Subtract": .sub
            case "Multiply": .mul
            case "Divide", "TrueDivide": .div
            case "Power": .pow
            case "Maximum": .max
            default: .min
            }
            return try binary(function, positional, layer: c.layer, value: value)
        case "Negative":
            return try unary(.elementwise(.unary(.neg)), positional, c, value)
        case "Absolute", "Abs":
            return try unary(.elementwise(.unary(.abs)), positional, c, value)
        case "Sqrt":
            return try unary(.elementwise(.unary(.sqrt)), positional, c, value)
        case "Exp":
            return try unary(.elementwise(.unary(.exp)), positional, c, value)
        case "Log":
            return try unary(.elementwise(.unary(.log)), positional, c, value)
        case "Square":
            return try square(positional, c, value)
        case "Rsqrt":
            return try unary(.elementwise(.unary(.reciprocal)), positional, c, value, after: .sqrt)
        case "Relu": return try unary(.activation(.relu), positional, c, value)
        case "Relu6": return try unary(.activation(.relu6), positional, c, value)
        case "Sigmoid": return try unary(.activation(.sigmoid), positional, c, value)
        case "Tanh": return try unary(.activation(.tanh), positional, c, value)
        case "Silu", "Swish": return try unary(.activation(.swish), positional, c, value)
        case "HardSigmoid": return try unary(.activation(.kerasHardSigmoid), positional, c, value)
        case "HardSilu", "HardSwish": return try unary(.activation(.hardSwish), positional, c, value)
        case "Softplus": return try unary(.activation(.softplus), positional, c, value)
        case "Softsign": return try unary(.activation(.softsign), positional, c, value)
        case "Mish": return try unary(.activation(.mish), positional, c, value)
        case "Selu": return try unary(.activation(.seluDefault), positional, c, value)
        case "Elu": return try unary(.activation(.elu(alpha: Float(option("alpha")?.double ?? 1))), positional, c, value)
        case "Celu": return try unary(.activation(.celu(alpha: Float(option("alpha")?.double ?? 1))), positional, c, value)
        case "LeakyRelu":
            return try unary(.activation(.leakyReLU(alpha: Float(option("negative_slope")?.double ?? 0.2))), positional, c, value)
        case "Gelu":
            return try unary(.activation(.gelu(approximate: option("approximate")?.bool ?? true)), positional, c, value)
        case "Softmax", "LogSoftmax":
            let axis = option("axis")?.int ?? -1
            return try unary(.activation(className == "Softmax" ? .softmax(axis: axis) : .logSoftmax(axis: axis)), positional, c, value)
        case "Mean", "Sum", "Max", "Min", "Prod", "Amax", "Amin":
            let function: ReduceFunction = switch className {
            case "Mean": .mean
            case "Sum": .sum
            case "Max", "Amax": .max
            case "Min", "Amin": .min
            default: .prod
            }
            return try reduce(function, axis: option("axis"), keepDims: option("keepdims")?.bool ?? false, positional, c, value)
        case "Reshape":
            guard let shape = option("newshape")?.array?.compactMap(\.int) ?? option("new_shape")?.array?.compactMap(\.int) else {
                throw KerasError.unsupportedOption(layer: c.layer, detail: "reshape without a literal shape")
            }
            return try reshape(shape, positional, c, value)
        case "Transpose":
            let axes = option("axes")?.array?.compactMap(\.int)
            return try unary(.tensor(.transpose(perm: axes)), positional, c, value)
        case "ExpandDims":
            return try unary(.tensor(.unsqueeze(axes: try axisList(option("axis"), c))), positional, c, value)
        case "Squeeze":
            let axis = option("axis")
            return try unary(.tensor(.squeeze(axes: axis == nil || axis!.isNull ? nil : try axisList(axis, c))), positional, c, value)
        case "Concatenate":
            guard case .tensors(let refs)? = positional.first else {
                throw KerasError.unsupportedOption(layer: c.layer, detail: "concatenate of something other than a list of tensors")
            }
            return KerasLayer(op: .tensor(.concat(axis: option("axis")?.int ?? 0)), weights: [], dataInputs: refs.map(value))
        case "Clip":
            return try unary(.elementwise(.clip(ClipAttributes(min: option("x_min")?.double, max: option("x_max")?.double))), positional, c, value)
        case "Matmul":
            let refs = positional.flatMap(\.references)
            guard refs.count == 2, positional.count == 2 else {
                throw KerasError.unsupportedOption(layer: c.layer, detail: "matmul with a literal operand")
            }
            return KerasLayer(op: .linear(.matMul), weights: [], dataInputs: refs.map(value))
        case "Identity":
            return try unary(.tensor(.identity), positional, c, value)
        case "Cast":
            guard option("dtype")?.string == "float32" || option("dtype")?["config"]?["name"]?.string == "float32" else {
                throw KerasError.unsupportedOption(layer: c.layer, detail: "a cast to other than float32")
            }
            return try unary(.tensor(.identity), positional, c, value)
        default:
            throw KerasError.unsupportedLayer(name: c.layer, className: className)
        }
    }

    /// A tf_keras `TFOpLambda` layer, by `config.function`.
    static func tfOpLambda(config c: LayerConfig, call: KerasCall, value: (KerasCall.Reference) -> String) throws -> KerasLayer {
        let function = try c.string("function")
        func kw(_ key: String) -> JSONValue? {
            if case .literal(let v) = call.kwarg(key) { return v }
            return nil
        }
        // The second operand of a binary function: positional, or the keyword `y`.
        var operands = call.args
        if operands.count < 2, let y = call.kwarg("y") { operands.append(y) }
        switch function {
        case "__operators__.add", "math.add", "__operators__.radd":
            return try binary(.add, operands, layer: c.layer, value: value)
        case "math.subtract", "__operators__.sub":
            return try binary(.sub, operands, layer: c.layer, value: value)
        case "math.multiply", "__operators__.mul":
            return try binary(.mul, operands, layer: c.layer, value: value)
        case "math.truediv", "math.divide", "__operators__.truediv":
            return try binary(.div, operands, layer: c.layer, value: value)
        case "math.pow", "__operators__.pow":
            return try binary(.pow, operands, layer: c.layer, value: value)
        case "math.maximum":
            return try binary(.max, operands, layer: c.layer, value: value)
        case "math.minimum":
            return try binary(.min, operands, layer: c.layer, value: value)
        case "math.negative", "__operators__.neg": return try unary(.elementwise(.unary(.neg)), call.args, c, value)
        case "math.abs": return try unary(.elementwise(.unary(.abs)), call.args, c, value)
        case "math.sqrt": return try unary(.elementwise(.unary(.sqrt)), call.args, c, value)
        case "math.exp": return try unary(.elementwise(.unary(.exp)), call.args, c, value)
        case "math.log": return try unary(.elementwise(.unary(.log)), call.args, c, value)
        case "math.reciprocal": return try unary(.elementwise(.unary(.reciprocal)), call.args, c, value)
        case "math.rsqrt": return try unary(.elementwise(.unary(.reciprocal)), call.args, c, value, after: .sqrt)
        case "math.square": return try square(call.args, c, value)
        case "nn.relu": return try unary(.activation(.relu), call.args, c, value)
        case "nn.relu6": return try unary(.activation(.relu6), call.args, c, value)
        case "math.sigmoid", "nn.sigmoid", "sigmoid": return try unary(.activation(.sigmoid), call.args, c, value)
        case "math.tanh", "nn.tanh", "tanh": return try unary(.activation(.tanh), call.args, c, value)
        case "nn.silu", "nn.swish": return try unary(.activation(.swish), call.args, c, value)
        case "nn.elu": return try unary(.activation(.elu(alpha: 1)), call.args, c, value)
        case "nn.selu": return try unary(.activation(.seluDefault), call.args, c, value)
        case "math.softplus", "nn.softplus": return try unary(.activation(.softplus), call.args, c, value)
        case "nn.softsign", "math.softsign": return try unary(.activation(.softsign), call.args, c, value)
        case "nn.leaky_relu": return try unary(.activation(.leakyReLU(alpha: Float(kw("alpha")?.double ?? 0.2))), call.args, c, value)
        case "nn.gelu": return try unary(.activation(.gelu(approximate: kw("approximate")?.bool ?? false)), call.args, c, value)
        case "nn.softmax", "math.softmax":
            return try unary(.activation(.softmax(axis: kw("axis")?.int ?? -1)), call.args, c, value)
        case "nn.log_softmax", "math.log_softmax":
            return try unary(.activation(.logSoftmax(axis: kw("axis")?.int ?? -1)), call.args, c, value)
        case "math.reduce_mean", "reduce_mean", "math.reduce_sum", "reduce_sum", "math.reduce_max", "reduce_max",
             "math.reduce_min", "reduce_min", "math.reduce_prod", "reduce_prod":
            let f: ReduceFunction = function.hasSuffix("mean") ? .mean : function.hasSuffix("sum") ? .sum
                : function.hasSuffix("max") ? .max : function.hasSuffix("min") ? .min : .prod
            return try reduce(f, axis: kw("axis"), keepDims: kw("keepdims")?.bool ?? false, call.args, c, value)
        case "reshape", "compat.v1.reshape":
            guard let shape = kw("shape")?.array?.compactMap(\.int) else {
                throw KerasError.unsupportedOption(layer: c.layer, detail: "tf.reshape without a literal shape")
            }
            return try reshape(shape, call.args, c, value)
        case "transpose", "compat.v1.transpose":
            return try unary(.tensor(.transpose(perm: kw("perm")?.array?.compactMap(\.int))), call.args, c, value)
        case "expand_dims", "compat.v1.expand_dims":
            return try unary(.tensor(.unsqueeze(axes: try axisList(kw("axis"), c))), call.args, c, value)
        case "squeeze", "compat.v1.squeeze":
            let axis = kw("axis") ?? kw("squeeze_dims")
            return try unary(.tensor(.squeeze(axes: axis == nil || axis!.isNull ? nil : try axisList(axis, c))), call.args, c, value)
        case "concat":
            // tf.concat([a, b], axis): the list is spread over the call's entries.
            let refs = call.args.flatMap(\.references)
            guard refs.count == call.args.count, !refs.isEmpty, let axis = kw("axis")?.int else {
                throw KerasError.unsupportedOption(layer: c.layer, detail: "tf.concat of other than tensors along a literal axis")
            }
            return KerasLayer(op: .tensor(.concat(axis: axis)), weights: [], dataInputs: refs.map(value))
        case "clip_by_value":
            return try unary(.elementwise(.clip(ClipAttributes(min: kw("clip_value_min")?.double, max: kw("clip_value_max")?.double))),
                             call.args, c, value)
        case "identity":
            return try unary(.tensor(.identity), call.args, c, value)
        case "linalg.matmul", "matmul":
            let refs = operands.flatMap(\.references)
            guard refs.count == 2, kw("transpose_a")?.bool != true, kw("transpose_b")?.bool != true else {
                throw KerasError.unsupportedOption(layer: c.layer, detail: "tf.matmul with transposes or a literal operand")
            }
            return KerasLayer(op: .linear(.matMul), weights: [], dataInputs: refs.map(value))
        default:
            throw KerasError.unsupportedLayer(name: c.layer, className: "TFOpLambda(\(function))")
        }
    }

    // MARK: - Shared forms

    /// `f(a, b)`: both tensors (variadic or binary IR ops), or one a Python number (`.scalar`).
    private static func binary(_ f: ScalarArithmetic, _ args: [KerasCall.Argument], layer: String, value: Resolve) throws -> KerasLayer {
        guard args.count == 2 else { throw KerasError.unsupportedOption(layer: layer, detail: "\(f.displayName) of \(args.count) operands") }
        switch (args[0], args[1]) {
        case let (.tensor(a), .tensor(b)):
            let op: Op = switch f {
            case .add: .elementwise(.variadic(.add))
            case .mul: .elementwise(.variadic(.mul))
            case .max: .elementwise(.variadic(.max))
            case .min: .elementwise(.variadic(.min))
            case .sub: .elementwise(.binary(.sub))
            case .div: .elementwise(.binary(.div))
            case .pow: .elementwise(.binary(.pow))
            }
            return KerasLayer(op: op, weights: [], dataInputs: [value(a), value(b)])
        case let (.tensor(a), .literal(v)):
            guard let number = v.double else { throw KerasError.unsupportedOption(layer: layer, detail: "\(f.displayName) with a non-scalar constant") }
            return KerasLayer(op: .elementwise(.scalar(ScalarOperation(function: f, value: number))), weights: [], dataInputs: [value(a)])
        case let (.literal(v), .tensor(b)):
            guard let number = v.double else { throw KerasError.unsupportedOption(layer: layer, detail: "\(f.displayName) with a non-scalar constant") }
            return KerasLayer(op: .elementwise(.scalar(ScalarOperation(function: f, value: number, constantFirst: true))), weights: [],
                              dataInputs: [value(b)])
        default:
            throw KerasError.unsupportedOption(layer: layer, detail: "\(f.displayName) of operands that are not one or two tensors")
        }
    }

    private enum Then { case sqrt }

    /// An op of one tensor, the call's first positional argument. `after: .sqrt` is rsqrt, which
    /// one IR op cannot express: it is refused (carried) rather than approximated.
    private static func unary(_ op: Op, _ args: [KerasCall.Argument], _ c: LayerConfig, _ value: Resolve, after: Then? = nil) throws -> KerasLayer {
        guard after == nil else { throw KerasError.unsupportedOption(layer: c.layer, detail: "rsqrt is not one op wtool computes") }
        guard case .tensor(let x)? = args.first else {
            throw KerasError.unsupportedOption(layer: c.layer, detail: "an operation whose first operand is not a tensor")
        }
        return KerasLayer(op: op, weights: [], dataInputs: [value(x)])
    }

    /// `x²` as `x · x` (TensorFlow's Square is one multiplication).
    private static func square(_ args: [KerasCall.Argument], _ c: LayerConfig, _ value: Resolve) throws -> KerasLayer {
        guard case .tensor(let x)? = args.first else { throw KerasError.unsupportedOption(layer: c.layer, detail: "square of a non-tensor") }
        return KerasLayer(op: .elementwise(.variadic(.mul)), weights: [], dataInputs: [value(x), value(x)])
    }

    private static func reduce(_ f: ReduceFunction, axis: JSONValue?, keepDims: Bool, _ args: [KerasCall.Argument], _ c: LayerConfig,
                               _ value: Resolve) throws -> KerasLayer {
        let axes = axis == nil || axis!.isNull ? nil : try axisList(axis, c)
        return try unary(.reduction(.reduce(ReduceAttributes(function: f, axes: axes, keepDims: keepDims))), args, c, value)
    }

    /// A reshape of the whole tensor (batch axis included, as ops.reshape and tf.reshape take it).
    private static func reshape(_ shape: [Int], _ args: [KerasCall.Argument], _ c: LayerConfig, _ value: Resolve) throws -> KerasLayer {
        guard shape.allSatisfy({ $0 >= -1 }), shape.filter({ $0 == -1 }).count <= 1 else {
            throw KerasError.badConfig("layer '\(c.layer)': reshape to \(shape)")
        }
        return try unary(.tensor(.reshape(ReshapeAttributes(shape: shape, allowZero: true))), args, c, value)
    }

    private static func axisList(_ v: JSONValue?, _ c: LayerConfig) throws -> [Int] {
        if let i = v?.int { return [i] }
        if let list = v?.array, case let ints = list.compactMap(\.int), ints.count == list.count { return ints }
        throw KerasError.unsupportedOption(layer: c.layer, detail: "an axis that is not a literal integer or list")
    }
}
