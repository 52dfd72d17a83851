import ModelIR

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
        case "hard_sigmoid": return .hardSigmoid
        case "tanh": return .tanh
        case "softmax": return .softmax(axis: -1)
        case "swish", "silu": return .swish
        case "elu": return .elu(alpha: 1)
        case "selu": return .selu
        case "softplus": return .softplus
        case "gelu": return .gelu
        default: throw KerasError.unsupportedOption(layer: layer, detail: "activation '\(name)' is not supported")
        }
    }

    static func padding(_ c: LayerConfig) throws -> Padding2D {
        switch try c.string("padding", default: "valid").lowercased() {
        case "same": return .same
        case "valid": return .valid
        case let other: throw KerasError.unsupportedOption(layer: c.layer, detail: "padding '\(other)' is not supported")
        }
    }

    static func requireChannelsLast(_ c: LayerConfig) throws {
        let format = try c.string("data_format", default: "channels_last")
        guard format == "channels_last" else {
            throw KerasError.unsupportedOption(layer: c.layer, detail: "data_format '\(format)' is not supported (only channels_last)")
        }
    }

    /// The op for a layer of class `className`, or an `unsupportedLayer` error naming it.
    static func op(className: String, config c: LayerConfig) throws -> Op {
        switch className {
        case "Conv2D", "Convolution2D":
            try requireChannelsLast(c)
            return .conv2D(Conv2DAttributes(
                filters: try c.int("filters"), kernelSize: try c.ints("kernel_size", count: 2),
                strides: try c.ints("strides", count: 2, default: [1, 1]),
                dilations: try c.ints("dilation_rate", count: 2, default: [1, 1]),
                padding: try padding(c), groups: try c.int("groups", default: 1),
                useBias: try c.bool("use_bias", default: true), activation: try activation(c.values["activation"], layer: c.layer)))
        case "DepthwiseConv2D":
            try requireChannelsLast(c)
            return .depthwiseConv2D(DepthwiseConv2DAttributes(
                depthMultiplier: try c.int("depth_multiplier", default: 1), kernelSize: try c.ints("kernel_size", count: 2),
                strides: try c.ints("strides", count: 2, default: [1, 1]),
                dilations: try c.ints("dilation_rate", count: 2, default: [1, 1]), padding: try padding(c),
                useBias: try c.bool("use_bias", default: true), activation: try activation(c.values["activation"], layer: c.layer)))
        case "SeparableConv2D", "SeparableConvolution2D":
            try requireChannelsLast(c)
            return .separableConv2D(SeparableConv2DAttributes(
                filters: try c.int("filters"), depthMultiplier: try c.int("depth_multiplier", default: 1),
                kernelSize: try c.ints("kernel_size", count: 2), strides: try c.ints("strides", count: 2, default: [1, 1]),
                dilations: try c.ints("dilation_rate", count: 2, default: [1, 1]), padding: try padding(c),
                useBias: try c.bool("use_bias", default: true), activation: try activation(c.values["activation"], layer: c.layer)))
        case "Dense":
            return .dense(DenseAttributes(units: try c.int("units"), useBias: try c.bool("use_bias", default: true),
                                          activation: try activation(c.values["activation"], layer: c.layer)))
        case "MaxPooling2D", "MaxPool2D", "AveragePooling2D", "AvgPool2D":
            try requireChannelsLast(c)
            let pool = try c.ints("pool_size", count: 2, default: [2, 2])
            let attrs = Pool2DAttributes(poolSize: pool, strides: try c.ints("strides", count: 2, default: pool),
                                         padding: try padding(c), countIncludePad: false)
            return className.hasPrefix("Max") ? .maxPool2D(attrs) : .averagePool2D(attrs)
        case "GlobalAveragePooling2D", "GlobalAvgPool2D", "GlobalMaxPooling2D", "GlobalMaxPool2D":
            try requireChannelsLast(c)
            let keep = try c.bool("keepdims", default: false)
            return className.contains("Max") ? .globalMaxPool2D(keepDims: keep) : .globalAveragePool2D(keepDims: keep)
        case "BatchNormalization":
            let axis: Int
            if let a = c.values["axis"]?.int { axis = a }
            else if let list = c.values["axis"]?.array, list.count == 1, let a = list[0].int { axis = a }
            else { axis = -1 }
            // Channels-last NHWC: axis 3 is the channel axis of 4-D inputs; the IR checks rank.
            return .batchNormalization(BatchNormAttributes(
                epsilon: Float(try c.double("epsilon", default: 1e-3)), center: try c.bool("center", default: true),
                scale: try c.bool("scale", default: true), axis: axis == 3 || axis == 1 ? -1 : axis))
        case "ZeroPadding2D":
            try requireChannelsLast(c)
            let p = c.values["padding"]
            if let i = p?.int { return .zeroPadding2D(top: i, bottom: i, left: i, right: i) }
            if let pair = p?.array, pair.count == 2 {
                if let h = pair[0].int, let w = pair[1].int { return .zeroPadding2D(top: h, bottom: h, left: w, right: w) }
                if let hs = pair[0].array?.compactMap(\.int), let ws = pair[1].array?.compactMap(\.int), hs.count == 2, ws.count == 2 {
                    return .zeroPadding2D(top: hs[0], bottom: hs[1], left: ws[0], right: ws[1])
                }
            }
            throw KerasError.badConfig("layer '\(c.layer)': unreadable ZeroPadding2D padding")
        case "Flatten":
            try requireChannelsLast(c)
            return .flatten
        case "Reshape":
            guard let target = c.values["target_shape"]?.array?.compactMap(\.int), !target.isEmpty else {
                throw KerasError.badConfig("layer '\(c.layer)': Reshape needs target_shape")
            }
            return .reshape(targetShape: target)
        case "Dropout", "SpatialDropout2D", "GaussianDropout", "GaussianNoise", "AlphaDropout":
            return .dropout(rate: Float(try c.double("rate", default: 0)))
        case "Activation":
            return .activation(try activation(c.values["activation"], layer: c.layer))
        case "ReLU":
            let maxValue = try c.optionalDouble("max_value")
            let slope = Float(try c.double("negative_slope", default: 0))
            let threshold = Float(try c.double("threshold", default: 0))
            if maxValue == nil, slope == 0, threshold == 0 { return .activation(.relu) }
            return .activation(.clippedReLU(maxValue: maxValue.map(Float.init), negativeSlope: slope, threshold: threshold))
        case "LeakyReLU":
            let alpha = try c.optionalDouble("negative_slope") ?? c.optionalDouble("alpha") ?? 0.3
            return .activation(.leakyReLU(alpha: Float(alpha)))
        case "Softmax":
            return .activation(.softmax(axis: try c.int("axis", default: -1)))
        case "Add":
            return .add
        case "Multiply":
            return .multiply
        case "Concatenate":
            return .concatenate(axis: try c.int("axis", default: -1))
        default:
            throw KerasError.unsupportedLayer(name: c.layer, className: className)
        }
    }

    /// Which of an op's weights training updates (BatchNormalization's moving statistics are not).
    static func trainableRoles(_ op: Op) -> [Bool] {
        op.weightRoles.map { $0 != "moving_mean" && $0 != "moving_variance" }
    }

    /// Layout tag for each weight of an op.
    static func layouts(_ op: Op) -> [Layout] {
        op.weightRoles.map { role in
            switch (op, role) {
            case (.conv2D, "kernel"), (.separableConv2D, "pointwise_kernel"): .hwio
            case (_, "depthwise_kernel"): .hwcm
            case (.dense, "kernel"): .io
            default: .channel
            }
        }
    }
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
        case .clippedReLU: nil
        case .leakyReLU: nil
        case .sigmoid: "sigmoid"
        case .hardSigmoid: "hard_sigmoid"
        case .tanh: "tanh"
        case .softmax(-1): "softmax"
        case .softmax: nil
        case .swish: "swish"
        case .elu(1): "elu"
        case .elu: nil
        case .selu: "selu"
        case .softplus: "softplus"
        case .gelu: "gelu"
        }
    }

    /// A standalone activation layer: the class `Op.kerasClassName` names for `.activation(a)`.
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
                throw KerasError.unsupportedOption(layer: node, detail: "activation \(activation) has no Keras layer that wtool reads back")
            }
            return KerasLayerSpec(className: "Activation", config: ["activation": .string(name)])
        }
    }

    /// Keras's `padding` for a window op, and the explicit pads a `ZeroPadding2D` must add first
    /// when the op's pads are neither `valid` nor what `same` gives for `inputShape` (NHWC).
    private static func windowPadding(_ padding: Padding2D, kernel: [Int], strides: [Int], dilations: [Int],
                                      inputShape: [Int]?) -> (keras: String, pads: (Int, Int, Int, Int)?) {
        switch padding {
        case .same: return ("same", nil)
        case let .explicit(top, bottom, left, right):
            if padding.isValid { return ("valid", nil) }
            if let shape = inputShape, shape.count == 4, shape[1] > 0, shape[2] > 0, kernel.count == 2, strides.count == 2, dilations.count == 2 {
                let same = Padding2D.same.resolve(height: shape[1], width: shape[2], kernel: (kernel[0], kernel[1]),
                                                  stride: (strides[0], strides[1]), dilation: (dilations[0], dilations[1]))
                if same == (top, bottom, left, right) { return ("same", nil) }
            }
            return ("valid", (top, bottom, left, right))
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

    /// The Keras layer(s) computing `op`, for a node whose input has shape `inputShape` (used to
    /// recognise explicit pads that equal `same`).
    /// - Throws: `KerasError.unsupportedOption` naming `node` when Keras has no exact equivalent.
    static func spelling(for op: Op, node: String, inputShape: [Int]?, target: KerasTarget) throws -> KerasLayerSpelling {
        let channelsLast: JSONValue = .string("channels_last")
        switch op {
        case .conv2D(let a):
            let (padding, pads) = windowPadding(a.padding, kernel: a.kernelSize, strides: a.strides, dilations: a.dilations, inputShape: inputShape)
            let (activation, after) = try fused(a.activation, node: node, target: target)
            return KerasLayerSpelling(padding: pads.map(zeroPadding), layer: KerasLayerSpec(className: "Conv2D", config: [
                "filters": .int(a.filters), "kernel_size": .ints(a.kernelSize), "strides": .ints(a.strides), "padding": .string(padding),
                "data_format": channelsLast, "dilation_rate": .ints(a.dilations), "groups": .int(a.groups),
                "activation": activation, "use_bias": .bool(a.useBias),
            ]), activation: after)
        case .depthwiseConv2D(let a):
            let (padding, pads) = windowPadding(a.padding, kernel: a.kernelSize, strides: a.strides, dilations: a.dilations, inputShape: inputShape)
            let (activation, after) = try fused(a.activation, node: node, target: target)
            return KerasLayerSpelling(padding: pads.map(zeroPadding), layer: KerasLayerSpec(className: "DepthwiseConv2D", config: [
                "kernel_size": .ints(a.kernelSize), "strides": .ints(a.strides), "padding": .string(padding),
                "depth_multiplier": .int(a.depthMultiplier), "data_format": channelsLast, "dilation_rate": .ints(a.dilations),
                "activation": activation, "use_bias": .bool(a.useBias),
            ]), activation: after)
        case .separableConv2D(let a):
            let (padding, pads) = windowPadding(a.padding, kernel: a.kernelSize, strides: a.strides, dilations: a.dilations, inputShape: inputShape)
            let (activation, after) = try fused(a.activation, node: node, target: target)
            return KerasLayerSpelling(padding: pads.map(zeroPadding), layer: KerasLayerSpec(className: "SeparableConv2D", config: [
                "filters": .int(a.filters), "kernel_size": .ints(a.kernelSize), "strides": .ints(a.strides), "padding": .string(padding),
                "depth_multiplier": .int(a.depthMultiplier), "data_format": channelsLast, "dilation_rate": .ints(a.dilations),
                "activation": activation, "use_bias": .bool(a.useBias),
            ]), activation: after)
        case .dense(let a):
            let (activation, after) = try fused(a.activation, node: node, target: target)
            return KerasLayerSpelling(padding: nil, layer: KerasLayerSpec(className: "Dense", config: [
                "units": .int(a.units), "activation": activation, "use_bias": .bool(a.useBias),
            ]), activation: after)
        case .maxPool2D(let a), .averagePool2D(let a):
            let isMax: Bool
            if case .maxPool2D = op { isMax = true } else { isMax = false }
            var (padding, pads) = windowPadding(a.padding, kernel: a.poolSize, strides: a.strides, dilations: [1, 1], inputShape: inputShape)
            if !isMax, a.countIncludePad, padding == "same" {
                // Keras's `same` average leaves padded cells out of the divisor; counting them is
                // zero padding followed by a `valid` average, which needs the pads spelled out.
                guard let shape = inputShape, shape.count == 4, shape[1] > 0, shape[2] > 0 else {
                    throw KerasError.unsupportedOption(layer: node, detail: "average pooling that counts padded cells needs a known input size to be written for Keras")
                }
                let p = a.padding.resolve(height: shape[1], width: shape[2], kernel: (a.poolSize[0], a.poolSize[1]),
                                          stride: (a.strides[0], a.strides[1]), dilation: (1, 1))
                (padding, pads) = ("valid", (p.top, p.bottom, p.left, p.right))
            }
            if pads != nil, isMax || !a.countIncludePad {
                throw KerasError.unsupportedOption(layer: node, detail: "\(isMax ? "max" : "average") pooling with explicit padding \(a.padding) has no Keras equivalent")
            }
            return KerasLayerSpelling(padding: pads.map(zeroPadding), layer: KerasLayerSpec(className: isMax ? "MaxPooling2D" : "AveragePooling2D", config: [
                "pool_size": .ints(a.poolSize), "strides": .ints(a.strides), "padding": .string(padding), "data_format": channelsLast,
            ]), activation: nil)
        case .globalAveragePool2D(let keep), .globalMaxPool2D(let keep):
            let isMax: Bool
            if case .globalMaxPool2D = op { isMax = true } else { isMax = false }
            return KerasLayerSpelling(padding: nil, layer: KerasLayerSpec(className: isMax ? "GlobalMaxPooling2D" : "GlobalAveragePooling2D", config: [
                "data_format": channelsLast, "keepdims": .bool(keep),
            ]), activation: nil)
        case .batchNormalization(let a):
            return KerasLayerSpelling(padding: nil, layer: KerasLayerSpec(className: "BatchNormalization", config: [
                "axis": .int(a.axis), "epsilon": .float(a.epsilon), "center": .bool(a.center), "scale": .bool(a.scale),
                "momentum": .number(0.99),
            ]), activation: nil)
        case let .zeroPadding2D(top, bottom, left, right):
            return KerasLayerSpelling(padding: nil, layer: zeroPadding((top, bottom, left, right)), activation: nil)
        case .flatten:
            return KerasLayerSpelling(padding: nil, layer: KerasLayerSpec(className: "Flatten", config: ["data_format": channelsLast]), activation: nil)
        case .reshape(let target):
            return KerasLayerSpelling(padding: nil, layer: KerasLayerSpec(className: "Reshape", config: ["target_shape": .ints(target)]), activation: nil)
        case .dropout(let rate):
            return KerasLayerSpelling(padding: nil, layer: KerasLayerSpec(className: "Dropout", config: ["rate": .float(rate)]), activation: nil)
        case .activation(let a):
            return KerasLayerSpelling(padding: nil, layer: try activationLayer(a, node: node, target: target), activation: nil)
        case .add:
            return KerasLayerSpelling(padding: nil, layer: KerasLayerSpec(className: "Add", config: [:]), activation: nil)
        case .multiply:
            return KerasLayerSpelling(padding: nil, layer: KerasLayerSpec(className: "Multiply", config: [:]), activation: nil)
        case .concatenate(let axis):
            return KerasLayerSpelling(padding: nil, layer: KerasLayerSpec(className: "Concatenate", config: ["axis": .int(axis)]), activation: nil)
        }
    }
}
