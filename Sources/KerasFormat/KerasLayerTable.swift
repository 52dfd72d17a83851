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
