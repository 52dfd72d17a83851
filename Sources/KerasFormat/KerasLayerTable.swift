import ModelIR

/// One Keras layer read into the IR: its op, and its weights in Keras's order (the order of
/// `weight_names` in a legacy `.h5` and of `vars/<i>` in a Keras 3 file), each with the operand
/// role it fills, its layout tag and whether training updates it.
struct KerasLayer {
    var op: Op
    var weights: [(role: String, layout: Layout, trainable: Bool)]
}

/// The Keras ↔ IR layer table, in one place: which Keras classes wtool reads, and the `Op` each
/// becomes. Keras 2 and Keras 3 configs differ only in a few key names, handled here.
enum KerasLayerTable {
    /// Classes that are containers of other layers (nested models).
    static let modelClasses: Set<String> = ["Functional", "Model", "Sequential"]

    static func activation(_ value: JSONValue?, layer: String) throws -> Activation {
        guard let value, !value.isNull else { return .linear }
        // Keras 3 may serialize a built-in activation as {"class_name": "function", "config": "relu", …}.
        let name = value.string ?? value["config"]?.string ?? value["class_name"]?.string
        guard let name else { throw KerasError.badConfig("layer '\(layer)': activation should be a name") }
        switch name {
        case "linear", "None": return .linear
        case "relu": return .relu
        case "relu6": return .relu6
        case "sigmoid": return .sigmoid
        case "hard_sigmoid": return .kerasHardSigmoid
        case "tanh": return .tanh
        case "softmax": return .softmax(axis: -1)
        case "swish", "silu": return .swish
        case "elu": return .elu(alpha: 1)
        case "selu": return .seluDefault
        case "softplus": return .softplus
        case "gelu": return .gelu(approximate: false)
        default: throw KerasError.unsupportedOption(layer: layer, detail: "activation '\(name)' is not supported")
        }
    }

    static func padding(_ c: LayerConfig) throws -> Padding {
        switch try c.string("padding", default: "valid").lowercased() {
        case "same": return .same
        case "valid": return .valid
        case let other: throw KerasError.unsupportedOption(layer: c.layer, detail: "padding '\(other)' is not supported")
        }
    }

    static func dataLayout(_ c: LayerConfig) throws -> DataLayout {
        switch try c.string("data_format", default: "channels_last") {
        case "channels_last": return .channelsLast
        case "channels_first": return .channelsFirst
        case let other: throw KerasError.unsupportedOption(layer: c.layer, detail: "data_format '\(other)' is not supported")
        }
    }

    static func requireChannelsLast(_ c: LayerConfig) throws {
        guard try dataLayout(c) == .channelsLast else {
            throw KerasError.unsupportedOption(layer: c.layer, detail: "data_format 'channels_first' is not supported for this layer")
        }
    }

    private static func weights(_ roles: [String], _ layout: [Layout]) -> [(role: String, layout: Layout, trainable: Bool)] {
        zip(roles, layout).map { ($0, $1, $0 != "moving_mean" && $0 != "moving_variance") }
    }

    /// The IR form of a layer of class `className`, or an `unsupportedLayer` error naming it.
    static func layer(className: String, config c: LayerConfig) throws -> KerasLayer {
        let useBias = try c.bool("use_bias", default: true)
        func plain(_ op: Op) -> KerasLayer { KerasLayer(op: op, weights: []) }
        switch className {
        case "Conv2D", "Convolution2D":
            let layout = try dataLayout(c)
            let op = Op.conv(.conv(ConvAttributes(
                filters: try c.int("filters"), kernelSize: try c.ints("kernel_size", count: 2),
                strides: try c.ints("strides", count: 2, default: [1, 1]),
                dilations: try c.ints("dilation_rate", count: 2, default: [1, 1]),
                padding: try padding(c), groups: try c.int("groups", default: 1),
                activation: try activation(c.values["activation"], layer: c.layer), layout: layout, kernelLayout: .spatialFirst)))
            return KerasLayer(op: op, weights: weights(useBias ? ["kernel", "bias"] : ["kernel"], [.hwio, .channel]))
        case "DepthwiseConv2D":
            let op = Op.conv(.depthwise(DepthwiseConvAttributes(
                depthMultiplier: try c.int("depth_multiplier", default: 1), kernelSize: try c.ints("kernel_size", count: 2),
                strides: try c.ints("strides", count: 2, default: [1, 1]),
                dilations: try c.ints("dilation_rate", count: 2, default: [1, 1]), padding: try padding(c),
                activation: try activation(c.values["activation"], layer: c.layer), layout: try dataLayout(c))))
            return KerasLayer(op: op, weights: weights(useBias ? ["depthwise_kernel", "bias"] : ["depthwise_kernel"], [.hwcm, .channel]))
        case "SeparableConv2D", "SeparableConvolution2D":
            let op = Op.conv(.separable(SeparableConvAttributes(
                filters: try c.int("filters"), depthMultiplier: try c.int("depth_multiplier", default: 1),
                kernelSize: try c.ints("kernel_size", count: 2), strides: try c.ints("strides", count: 2, default: [1, 1]),
                dilations: try c.ints("dilation_rate", count: 2, default: [1, 1]), padding: try padding(c),
                activation: try activation(c.values["activation"], layer: c.layer), layout: try dataLayout(c))))
            return KerasLayer(op: op, weights: weights(useBias ? ["depthwise_kernel", "pointwise_kernel", "bias"]
                                                               : ["depthwise_kernel", "pointwise_kernel"], [.hwcm, .hwio, .channel]))
        case "Dense":
            let op = Op.linear(.dense(DenseAttributes(units: try c.int("units"), activation: try activation(c.values["activation"], layer: c.layer))))
            return KerasLayer(op: op, weights: weights(useBias ? ["kernel", "bias"] : ["kernel"], [.io, .channel]))
        case "MaxPooling2D", "MaxPool2D", "AveragePooling2D", "AvgPool2D":
            let pool = try c.ints("pool_size", count: 2, default: [2, 2])
            let attrs = PoolAttributes(poolSize: pool, strides: try c.ints("strides", count: 2, default: pool),
                                       padding: try padding(c), countIncludePad: false, layout: try dataLayout(c))
            return plain(className.hasPrefix("Max") ? .pool(.max(attrs)) : .pool(.average(attrs)))
        case "GlobalAveragePooling2D", "GlobalAvgPool2D", "GlobalMaxPooling2D", "GlobalMaxPool2D":
            let attrs = GlobalPoolAttributes(keepDims: try c.bool("keepdims", default: false), layout: try dataLayout(c))
            return plain(className.contains("Max") ? .pool(.globalMax(attrs)) : .pool(.globalAverage(attrs)))
        case "BatchNormalization":
            let axis: Int
            if let a = c.values["axis"]?.int { axis = a }
            else if let list = c.values["axis"]?.array, list.count == 1, let a = list[0].int { axis = a }
            else { axis = -1 }
            let op = Op.normalization(.batch(BatchNormAttributes(epsilon: Float(try c.double("epsilon", default: 1e-3)), axis: axis)))
            let roles = (try c.bool("scale", default: true) ? ["gamma"] : []) + (try c.bool("center", default: true) ? ["beta"] : [])
                + ["moving_mean", "moving_variance"]
            return KerasLayer(op: op, weights: weights(roles, roles.map { _ in .channel }))
        case "ZeroPadding2D":
            try requireChannelsLast(c)
            let p = c.values["padding"]
            var pads: (Int, Int, Int, Int)?
            if let i = p?.int { pads = (i, i, i, i) }
            if let pair = p?.array, pair.count == 2 {
                if let h = pair[0].int, let w = pair[1].int { pads = (h, h, w, w) }
                if let hs = pair[0].array?.compactMap(\.int), let ws = pair[1].array?.compactMap(\.int), hs.count == 2, ws.count == 2 {
                    pads = (hs[0], hs[1], ws[0], ws[1])
                }
            }
            guard let (t, b, l, r) = pads else { throw KerasError.badConfig("layer '\(c.layer)': unreadable ZeroPadding2D padding") }
            return plain(.tensor(.pad(PadAttributes(pads: [0, t, l, 0, 0, b, r, 0]))))
        case "Flatten":
            try requireChannelsLast(c)
            return plain(.tensor(.flatten(axis: 1)))
        case "Reshape":
            guard let target = c.values["target_shape"]?.array?.compactMap(\.int), !target.isEmpty,
                  target.allSatisfy({ $0 == -1 || $0 > 0 }) else {
                throw KerasError.badConfig("layer '\(c.layer)': Reshape needs target_shape of positive sizes (or one -1)")
            }
            return plain(.tensor(.reshape(ReshapeAttributes(shape: [0] + target))))
        case "Dropout", "SpatialDropout2D", "GaussianDropout", "GaussianNoise", "AlphaDropout":
            return plain(.tensor(.dropout(rate: Float(try c.double("rate", default: 0)))))
        case "Activation":
            return plain(.activation(try activation(c.values["activation"], layer: c.layer)))
        case "ReLU":
            let maxValue = try c.optionalDouble("max_value")
            let slope = Float(try c.double("negative_slope", default: 0))
            let threshold = Float(try c.double("threshold", default: 0))
            if maxValue == nil, slope == 0, threshold == 0 { return plain(.activation(.relu)) }
            return plain(.activation(.clippedReLU(maxValue: maxValue.map(Float.init), negativeSlope: slope, threshold: threshold)))
        case "LeakyReLU":
            let alpha = try c.optionalDouble("negative_slope") ?? c.optionalDouble("alpha") ?? 0.3
            return plain(.activation(.leakyReLU(alpha: Float(alpha))))
        case "Softmax":
            return plain(.activation(.softmax(axis: try c.int("axis", default: -1))))
        case "Add":
            return plain(.elementwise(.variadic(.add)))
        case "Multiply":
            return plain(.elementwise(.variadic(.mul)))
        case "Concatenate":
            return plain(.tensor(.concat(axis: try c.int("axis", default: -1))))
        default:
            throw KerasError.unsupportedLayer(name: c.layer, className: className)
        }
    }

    /// The Keras weights of a node: its present parameter operands (after the data operands), in
    /// operand order — which is Keras's weight order for every layer in the table — with roles.
    static func parameters(of node: Node) -> [(name: String, role: String)] {
        let roles = node.op.inputRoles.map { $0.replacingOccurrences(of: "?", with: "") }
        return node.inputs.enumerated().dropFirst(node.op.dataInputCount).compactMap { i, name in
            name.isEmpty ? nil : (name, i < roles.count ? roles[i] : "weight_\(i)")
        }
    }

    /// Whether training updates a weight of this role (BatchNormalization's moving statistics: no).
    static func isTrainableRole(_ role: String) -> Bool { role != "moving_mean" && role != "moving_variance" }
}

// MARK: - IR → Keras (the reverse of `op(className:config:)`, used by `KerasH5Writer`)

/// One Keras layer to write: its class and the config keys that define it. `name`, `trainable`
/// and `dtype` are added by the writer.
struct KerasLayerSpec: Equatable {
    var className: String
    var config: [String: JSONValue]
}

/// How one IR op is spelled in Keras: the layer itself, plus a `ZeroPadding2D` before it when
/// its explicit padding has no Keras form, plus an activation layer after it when its fused
/// activation has no Keras name (ops imported from ONNX can have both).
struct KerasLayerSpelling {
    var padding: KerasLayerSpec?
    var layer: KerasLayerSpec
    var activation: KerasLayerSpec?
}

extension KerasLayerTable {
    /// The `activation` string both Keras 3 and tf_keras resolve to `activation`, or nil when it
    /// needs its own layer (`LeakyReLU`, `ReLU(max_value:)`, `Softmax(axis:)` …).
    static func activationName(_ activation: Activation) -> String? {
        switch activation {
        case .linear: "linear"
        case .relu: "relu"
        case .clippedReLU(6, 0, 0): "relu6"
        case .sigmoid: "sigmoid"
        case .hardSigmoid where activation == .kerasHardSigmoid: "hard_sigmoid"
        case .tanh: "tanh"
        case .softmax(-1): "softmax"
        case .swish: "swish"
        case .elu(1): "elu"
        case .selu where activation == .seluDefault: "selu"
        case .softplus: "softplus"
        case .gelu(false): "gelu"
        default: nil
        }
    }

    /// A standalone activation layer: the class `Activation.displayName` names.
    static func activationLayer(_ activation: Activation, node: String, target: KerasTarget) throws -> KerasLayerSpec {
        switch activation {
        case let .clippedReLU(maxValue, slope, threshold):
            return KerasLayerSpec(className: "ReLU", config: [
                "max_value": maxValue.map(JSONValue.float) ?? .null, "negative_slope": .float(slope), "threshold": .float(threshold),
            ])
        case .leakyReLU(let alpha):
            // tf_keras knows only `alpha`; Keras 3 renamed it `negative_slope` and still accepts `alpha`.
            return KerasLayerSpec(className: "LeakyReLU", config: [target == .keras3 ? "negative_slope" : "alpha": .float(alpha)])
        case .softmax(let axis):
            return KerasLayerSpec(className: "Softmax", config: ["axis": .int(axis)])
        default:
            guard let name = activationName(activation) else {
                throw KerasError.unsupportedOption(layer: node, detail: "activation \(activation.kerasName) has no Keras layer that wtool writes")
            }
            return KerasLayerSpec(className: "Activation", config: ["activation": .string(name)])
        }
    }

    /// Keras's `padding` for a 2-D window op, and the explicit pads a `ZeroPadding2D` must add
    /// first when the op's pads are neither `valid` nor what `same` gives for `inputShape` (NHWC).
    private static func windowPadding(_ padding: Padding, kernel: [Int], strides: [Int], dilations: [Int],
                                      inputShape: [Int]?, node: String) throws -> (keras: String, pads: (Int, Int, Int, Int)?) {
        switch padding {
        case .same: return ("same", nil)
        case .valid: return ("valid", nil)
        case .sameLower:
            throw KerasError.unsupportedOption(layer: node, detail: "SAME_LOWER padding has no Keras equivalent")
        case let .explicit(begin, end):
            guard begin.count == 2, end.count == 2 else {
                throw KerasError.unsupportedOption(layer: node, detail: "explicit padding of \(begin.count) axes")
            }
            if let shape = inputShape, shape.count == 4, shape[1] > 0, shape[2] > 0 {
                let same = Padding.same.resolve(sizes: [shape[1], shape[2]], kernel: kernel, strides: strides, dilations: dilations)
                if same.begin == begin, same.end == end { return ("same", nil) }
            }
            return ("valid", (begin[0], end[0], begin[1], end[1]))
        }
    }

    private static func zeroPadding(_ pads: (Int, Int, Int, Int)) -> KerasLayerSpec {
        KerasLayerSpec(className: "ZeroPadding2D", config: [
            "padding": .array([.ints([pads.0, pads.1]), .ints([pads.2, pads.3])]), "data_format": .string("channels_last"),
        ])
    }

    /// The fused activation's Keras name, or `linear` plus a separate layer.
    private static func fused(_ activation: Activation, node: String, target: KerasTarget) throws -> (JSONValue, KerasLayerSpec?) {
        if let name = activationName(activation) { return (.string(name), nil) }
        return (.string("linear"), try activationLayer(activation, node: node, target: target))
    }

    /// Keras's `data_format` for a layout; Keras kernels are always spatial-first (HWIO).
    private static func dataFormat(_ layout: DataLayout) -> JSONValue {
        .string(layout == .channelsLast ? "channels_last" : "channels_first")
    }

    /// The Keras layer(s) computing `node`'s op, for a node whose input has shape `inputShape`
    /// (used to recognise explicit pads that equal `same`).
    /// - Throws: `KerasError.unsupportedOption` naming the node when Keras has no exact equivalent.
    static func spelling(for node: Node, inputShape: [Int]?, target: KerasTarget) throws -> KerasLayerSpelling {
        let name = node.name
        let useBias = node.input("bias") != nil
        func unsupported(_ detail: String) -> KerasError { .unsupportedOption(layer: name, detail: detail) }
        func single(_ spec: KerasLayerSpec) -> KerasLayerSpelling { KerasLayerSpelling(padding: nil, layer: spec, activation: nil) }
        switch node.op {
        case .conv(let conv):
            guard conv.spatialRank == 2 else { throw unsupported("\(conv.displayName) is not written to Keras yet") }
            switch conv {
            case .conv(let a):
                guard a.kernelLayout == .spatialFirst else { throw unsupported("an OIHW kernel (an ONNX convolution) has no Keras layer that wtool writes") }
                let (padding, pads) = try windowPadding(a.padding, kernel: a.kernelSize, strides: a.strides, dilations: a.dilations,
                                                        inputShape: inputShape, node: name)
                if pads != nil, a.layout != .channelsLast { throw unsupported("explicit padding of a channels-first convolution") }
                let (activation, after) = try fused(a.activation, node: name, target: target)
                return KerasLayerSpelling(padding: pads.map(zeroPadding), layer: KerasLayerSpec(className: "Conv2D", config: [
                    "filters": .int(a.filters), "kernel_size": .ints(a.kernelSize), "strides": .ints(a.strides), "padding": .string(padding),
                    "data_format": dataFormat(a.layout), "dilation_rate": .ints(a.dilations), "groups": .int(a.groups),
                    "activation": activation, "use_bias": .bool(useBias),
                ]), activation: after)
            case .depthwise(let a):
                let (padding, pads) = try windowPadding(a.padding, kernel: a.kernelSize, strides: a.strides, dilations: a.dilations,
                                                        inputShape: inputShape, node: name)
                let (activation, after) = try fused(a.activation, node: name, target: target)
                return KerasLayerSpelling(padding: pads.map(zeroPadding), layer: KerasLayerSpec(className: "DepthwiseConv2D", config: [
                    "kernel_size": .ints(a.kernelSize), "strides": .ints(a.strides), "padding": .string(padding),
                    "depth_multiplier": .int(a.depthMultiplier), "data_format": dataFormat(a.layout), "dilation_rate": .ints(a.dilations),
                    "activation": activation, "use_bias": .bool(useBias),
                ]), activation: after)
            case .separable(let a):
                let (padding, pads) = try windowPadding(a.padding, kernel: a.kernelSize, strides: a.strides, dilations: a.dilations,
                                                        inputShape: inputShape, node: name)
                let (activation, after) = try fused(a.activation, node: name, target: target)
                return KerasLayerSpelling(padding: pads.map(zeroPadding), layer: KerasLayerSpec(className: "SeparableConv2D", config: [
                    "filters": .int(a.filters), "kernel_size": .ints(a.kernelSize), "strides": .ints(a.strides), "padding": .string(padding),
                    "depth_multiplier": .int(a.depthMultiplier), "data_format": dataFormat(a.layout), "dilation_rate": .ints(a.dilations),
                    "activation": activation, "use_bias": .bool(useBias),
                ]), activation: after)
            case .transposed:
                throw unsupported("Conv2DTranspose is not written to Keras yet")
            }
        case .linear(.dense(let a)):
            let (activation, after) = try fused(a.activation, node: name, target: target)
            return KerasLayerSpelling(padding: nil, layer: KerasLayerSpec(className: "Dense", config: [
                "units": .int(a.units), "activation": activation, "use_bias": .bool(useBias),
            ]), activation: after)
        case .pool(let pool):
            switch pool {
            case .max(let a), .average(let a):
                let isMax: Bool = if case .max = pool { true } else { false }
                guard a.poolSize.count == 2, a.dilations.allSatisfy({ $0 == 1 }), !a.ceilMode else {
                    throw unsupported("pooling with dilations, ceil mode or other than 2 spatial axes has no Keras equivalent")
                }
                var (padding, pads) = try windowPadding(a.padding, kernel: a.poolSize, strides: a.strides, dilations: [1, 1],
                                                        inputShape: inputShape, node: name)
                if !isMax, a.countIncludePad, padding == "same" {
                    // Keras's `same` average leaves padded cells out of the divisor; counting them is
                    // zero padding followed by a `valid` average, which needs the pads spelled out.
                    guard let shape = inputShape, shape.count == 4, shape[1] > 0, shape[2] > 0 else {
                        throw unsupported("average pooling that counts padded cells needs a known input size to be written for Keras")
                    }
                    let p = a.padding.resolve(sizes: [shape[1], shape[2]], kernel: a.poolSize, strides: a.strides, dilations: [1, 1])
                    (padding, pads) = ("valid", (p.begin[0], p.end[0], p.begin[1], p.end[1]))
                }
                if pads != nil, isMax || !a.countIncludePad {
                    throw unsupported("\(isMax ? "max" : "average") pooling with explicit padding \(a.padding) has no Keras equivalent")
                }
                return KerasLayerSpelling(padding: pads.map(zeroPadding), layer: KerasLayerSpec(className: isMax ? "MaxPooling2D" : "AveragePooling2D", config: [
                    "pool_size": .ints(a.poolSize), "strides": .ints(a.strides), "padding": .string(padding), "data_format": dataFormat(a.layout),
                ]), activation: nil)
            case .globalAverage(let a), .globalMax(let a):
                let isMax: Bool = if case .globalMax = pool { true } else { false }
                return single(KerasLayerSpec(className: isMax ? "GlobalMaxPooling2D" : "GlobalAveragePooling2D", config: [
                    "data_format": dataFormat(a.layout), "keepdims": .bool(a.keepDims),
                ]))
            case .lp, .globalLp:
                throw unsupported("Lp pooling has no Keras layer")
            }
        case .normalization(.batch(let a)):
            return single(KerasLayerSpec(className: "BatchNormalization", config: [
                "axis": .int(a.axis), "epsilon": .float(a.epsilon), "center": .bool(node.input("beta") != nil),
                "scale": .bool(node.input("gamma") != nil), "momentum": .number(0.99),
            ]))
        case .tensor(.pad(let a)):
            guard a.mode == .constant, (a.value ?? 0) == 0, a.axes == nil, let p = a.pads, p.count == 8,
                  p[0] == 0, p[3] == 0, p[4] == 0, p[7] == 0, p.allSatisfy({ $0 >= 0 }) else {
                throw unsupported("only zero padding of the spatial axes of an NHWC tensor has a Keras layer (ZeroPadding2D)")
            }
            return single(zeroPadding((p[1], p[5], p[2], p[6])))
        case .tensor(.flatten(let axis)):
            guard axis == 1 else { throw unsupported("Flatten from axis \(axis) has no Keras layer") }
            return single(KerasLayerSpec(className: "Flatten", config: ["data_format": .string("channels_last")]))
        case .tensor(.reshape(let a)):
            guard let shape = a.shape, shape.first == 0, !a.allowZero, shape.dropFirst().allSatisfy({ $0 == -1 || $0 > 0 }) else {
                throw unsupported("a reshape that changes the batch axis (or is known only at run time) has no Keras layer")
            }
            return single(KerasLayerSpec(className: "Reshape", config: ["target_shape": .ints(Array(shape.dropFirst()))]))
        case .tensor(.dropout(let rate, _)):
            return single(KerasLayerSpec(className: "Dropout", config: ["rate": .float(rate)]))
        case .activation(let a):
            return single(try activationLayer(a, node: name, target: target))
        case .elementwise(.variadic(.add)):
            return single(KerasLayerSpec(className: "Add", config: [:]))
        case .elementwise(.variadic(.mul)):
            return single(KerasLayerSpec(className: "Multiply", config: [:]))
        case .tensor(.concat(let axis)):
            return single(KerasLayerSpec(className: "Concatenate", config: ["axis": .int(axis)]))
        default:
            throw unsupported("\(node.typeName) has no Keras layer that wtool writes")
        }
    }
}
