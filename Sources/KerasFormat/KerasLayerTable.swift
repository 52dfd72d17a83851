import ModelIR

/// One Keras layer read into the IR: its op, and its weights in Keras's order (the order of
/// `weight_names` in a legacy `.h5` and of `vars/<i>` in a Keras 3 file), each with the operand
/// role it fills, its layout tag and whether training updates it.
struct KerasLayer {
    var op: Op
    var weights: [(role: String, layout: Layout, trainable: Bool)]
    /// The data operands when they are not simply the tensors the call reads, in order (an
    /// operation's literal arguments are attributes, a `TFOpLambda`'s tensors may be keywords).
    var dataInputs: [String]? = nil
    /// A carried layer: its weights are read from the file (`weights` is empty).
    var discoversWeights = false
}

/// Which Keras wrote a model: Keras 1/2 and tf_keras, or Keras 3. A few names mean different
/// things (`hard_sigmoid` is `clip(0.2·x + 0.5, 0, 1)` in Keras 2, `relu6(x + 3) / 6` in Keras 3),
/// and the file says which one it meant.
enum KerasDialect: Equatable, Sendable {
    case keras2
    case keras3

    /// From the file's `keras_version` when there is one ("2.0.5", "2.15.0", "3.15.1"), else from
    /// the config's spelling (Keras 3's `batch_shape` and `{"args", "kwargs"}` inbound nodes).
    init(version: String?, config: JSONValue) {
        if let version, let major = Int(version.prefix { $0.isNumber }) {
            self = major >= 3 ? .keras3 : .keras2
            return
        }
        self = Self.looksLikeKeras3(config) ? .keras3 : .keras2
    }

    private static func looksLikeKeras3(_ v: JSONValue) -> Bool {
        if v["batch_shape"] != nil || v["args"] != nil { return true }
        if v["batch_input_shape"] != nil { return false }
        if let o = v.object { return o.values.contains(where: looksLikeKeras3) }
        if let a = v.array { return a.contains(where: looksLikeKeras3) }
        return false
    }
}

/// The Keras ↔ IR layer table, in one place: which Keras classes wtool reads, and the `Op` each
/// becomes. Keras 2 and Keras 3 configs differ only in a few key names, handled here. A class not
/// in the table is carried (`KerasCarriedLayer`), not refused.
enum KerasLayerTable {
    /// Classes that are containers of other layers (nested models).
    static let modelClasses: Set<String> = ["Functional", "Model", "Sequential"]

    /// Classes that compute the identity at inference: noise, dropout and regularization layers.
    static let identityClasses: Set<String> = [
        "Dropout", "SpatialDropout1D", "SpatialDropout2D", "SpatialDropout3D", "GaussianDropout", "GaussianNoise",
        "AlphaDropout", "ActivityRegularization", "StochasticDepth",
    ]

    /// The activation a Keras name denotes (`activations.get(name)`), in `dialect`'s meaning.
    /// - Throws: `unsupportedOption` for a name wtool does not compute (the layer is then carried).
    static func activation(_ value: JSONValue?, layer: String, dialect: KerasDialect) throws -> Activation {
        guard let value, !value.isNull else { return .linear }
        // Keras 3 may serialize a built-in activation as {"class_name": "function", "config": "relu", …}.
        let name = value.string ?? value["config"]?.string ?? value["class_name"]?.string
        guard let name else { throw KerasError.badConfig("layer '\(layer)': activation should be a name") }
        switch name {
        case "linear", "None": return .linear
        case "relu": return .relu
        case "relu6": return .relu6
        case "sigmoid": return .sigmoid
        // tf_keras and Keras 1/2: clip(0.2·x + 0.5, 0, 1); Keras 3: relu6(x + 3) / 6.
        case "hard_sigmoid": return dialect == .keras3 ? .kerasHardSigmoid : .hardSigmoid(alpha: 0.2, beta: 0.5)
        case "hard_silu", "hard_swish": return .hardSwish
        case "tanh": return .tanh
        case "softmax": return .softmax(axis: -1)
        case "log_softmax": return .logSoftmax(axis: -1)
        case "swish", "silu": return .swish
        case "elu": return .elu(alpha: 1)
        case "selu": return .seluDefault
        case "celu": return .celu(alpha: 1)
        case "softplus": return .softplus
        case "softsign": return .softsign
        case "gelu": return .gelu(approximate: false)
        case "mish": return .mish
        case "exponential": return .exponential
        // Keras 3's `activations.leaky_relu(x, negative_slope=0.2)`.
        case "leaky_relu": return .leakyReLU(alpha: 0.2)
        default: throw KerasError.unsupportedOption(layer: layer, detail: "activation '\(name)' is not one wtool computes")
        }
    }

    static func padding(_ c: LayerConfig, causal: (kernel: [Int], dilations: [Int])? = nil) throws -> Padding {
        switch try c.string("padding", default: "valid").lowercased() {
        case "same": return .same
        case "valid": return .valid
        case "causal" where causal != nil:
            // Conv1D's causal padding: (k − 1)·d zeros before, none after.
            let (k, d) = causal!
            return .explicit(begin: zip(k, d).map { ($0 - 1) * $1 }, end: k.map { _ in 0 })
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
        zip(roles, layout).map { ($0, $1, isTrainableRole($0)) }
    }

    /// The spatial rank a class name ends with (`Conv1D` → 1, `UpSampling3D` → 3), or nil.
    static func spatialRank(_ className: String) -> Int? {
        for n in 1...3 where className.contains("\(n)D") { return n }
        return nil
    }

    /// An axis setting: an int, a one-element list, or a list (Keras 3 LayerNormalization).
    static func axes(_ c: LayerConfig, _ key: String, default value: [Int]) throws -> [Int] {
        guard let v = c.values[key], !v.isNull else { return value }
        if let i = v.int { return [i] }
        if let list = v.array, case let ints = list.compactMap(\.int), ints.count == list.count { return ints }
        throw KerasError.badConfig("layer '\(c.layer)': '\(key)' should be an integer or a list of integers")
    }

    /// A number or a list of numbers (Rescaling's `scale`, Normalization's `mean`), flattened
    /// row-major, with the shape its nesting gives (`[]` for a number).
    static func numbers(_ v: JSONValue?) -> (values: [Double], shape: [Int])? {
        guard let v, !v.isNull else { return nil }
        if let d = v.double { return ([d], []) }
        guard let items = v.array, !items.isEmpty else { return nil }
        let parts = items.map(numbers)
        guard parts.allSatisfy({ $0 != nil }), let first = parts[0], parts.allSatisfy({ $0!.shape == first.shape }) else { return nil }
        return (parts.flatMap { $0!.values }, [items.count] + first.shape)
    }

    /// The pads of a ZeroPadding/Cropping layer of spatial rank `n` as ONNX-order pads of the
    /// channels-last tensor (batch and channel axes unpadded): `1` → 1 everywhere, `(a, b)` →
    /// per axis (for 1-D: before and after), `((a, b), (c, d))` → before and after per axis.
    static func spatialPads(_ v: JSONValue?, rank n: Int, layer: String, key: String, layout: DataLayout = .channelsLast) throws -> [Int] {
        var begin: [Int]?, end: [Int]?
        if let i = v?.int { begin = Array(repeating: i, count: n); end = begin }
        if let list = v?.array {
            if n == 1, list.count == 2, let a = list[0].int, let b = list[1].int { begin = [a]; end = [b] }
            else if list.count == n, case let ints = list.compactMap(\.int), ints.count == n { begin = ints; end = ints }
            else if list.count == n, case let pairs = list.compactMap({ $0.array?.compactMap(\.int) }), pairs.count == n,
                    pairs.allSatisfy({ $0.count == 2 }) {
                begin = pairs.map { $0[0] }; end = pairs.map { $0[1] }
            }
        }
        guard let begin, let end, (begin + end).allSatisfy({ $0 >= 0 }) else {
            throw KerasError.badConfig("layer '\(layer)': unreadable '\(key)'")
        }
        return layout == .channelsFirst ? [0, 0] + begin + [0, 0] + end : [0] + begin + [0, 0] + end + [0]
    }

    /// The IR form of a layer of class `className`.
    /// - Throws: `unsupportedLayer` for a class wtool has no semantics for and `unsupportedOption`
    ///   for an option it does not compute (the parser carries such layers), `badConfig` for a
    ///   config Keras itself would not read.
    static func layer(className: String, config c: LayerConfig, dialect: KerasDialect = .keras3) throws -> KerasLayer {
        let useBias = try c.bool("use_bias", default: true)
        func plain(_ op: Op) -> KerasLayer { KerasLayer(op: op, weights: []) }
        func activation() throws -> Activation { try Self.activation(c.values["activation"], layer: c.layer, dialect: dialect) }
        let rank = spatialRank(className)
        let kernelLayout: Layout = rank == 2 ? .hwio : .unspecified
        switch className {
        case "Conv1D", "Convolution1D", "Conv2D", "Convolution2D", "Conv3D", "Convolution3D":
            let n = rank ?? 2
            let kernel = try c.ints("kernel_size", count: n)
            let dilations = try c.ints("dilation_rate", count: n, default: Array(repeating: 1, count: n))
            let op = Op.conv(.conv(ConvAttributes(
                filters: try c.int("filters"), kernelSize: kernel, strides: try c.ints("strides", count: n, default: Array(repeating: 1, count: n)),
                dilations: dilations, padding: try padding(c, causal: n == 1 ? (kernel, dilations) : nil), groups: try c.int("groups", default: 1),
                activation: try activation(), layout: try dataLayout(c), kernelLayout: .spatialFirst)))
            return KerasLayer(op: op, weights: weights(useBias ? ["kernel", "bias"] : ["kernel"], [kernelLayout, .channel]))
        case "Conv1DTranspose", "Convolution1DTranspose", "Conv2DTranspose", "Convolution2DTranspose", "Deconvolution2D",
             "Conv3DTranspose", "Convolution3DTranspose", "Deconvolution3D":
            let n = rank ?? 2
            let kernel = try c.ints("kernel_size", count: n)
            let strides = try c.ints("strides", count: n, default: Array(repeating: 1, count: n))
            let dilations = try c.ints("dilation_rate", count: n, default: Array(repeating: 1, count: n))
            let outputPadding = c.values["output_padding"].flatMap { $0.isNull ? nil : $0 } == nil ? nil
                : try c.ints("output_padding", count: n)
            let (padding, extra) = try transposedPadding(try c.string("padding", default: "valid").lowercased(), kernel: kernel,
                                                         strides: strides, dilations: dilations, outputPadding: outputPadding, layer: c.layer)
            let op = Op.conv(.transposed(ConvTransposeAttributes(
                filters: try c.int("filters"), kernelSize: kernel, strides: strides, dilations: dilations, padding: padding,
                outputPadding: extra, activation: try activation(), layout: try dataLayout(c), kernelLayout: .spatialFirst)))
            return KerasLayer(op: op, weights: weights(useBias ? ["kernel", "bias"] : ["kernel"], [.unspecified, .channel]))
        case "DepthwiseConv1D", "DepthwiseConv2D":
            let n = rank ?? 2
            let op = Op.conv(.depthwise(DepthwiseConvAttributes(
                depthMultiplier: try c.int("depth_multiplier", default: 1), kernelSize: try c.ints("kernel_size", count: n),
                strides: try c.ints("strides", count: n, default: Array(repeating: 1, count: n)),
                dilations: try c.ints("dilation_rate", count: n, default: Array(repeating: 1, count: n)), padding: try padding(c),
                activation: try activation(), layout: try dataLayout(c))))
            return KerasLayer(op: op, weights: weights(useBias ? ["depthwise_kernel", "bias"] : ["depthwise_kernel"],
                                                       [n == 2 ? .hwcm : .unspecified, .channel]))
        case "SeparableConv1D", "SeparableConvolution1D", "SeparableConv2D", "SeparableConvolution2D":
            let n = rank ?? 2
            let op = Op.conv(.separable(SeparableConvAttributes(
                filters: try c.int("filters"), depthMultiplier: try c.int("depth_multiplier", default: 1),
                kernelSize: try c.ints("kernel_size", count: n), strides: try c.ints("strides", count: n, default: Array(repeating: 1, count: n)),
                dilations: try c.ints("dilation_rate", count: n, default: Array(repeating: 1, count: n)), padding: try padding(c),
                activation: try activation(), layout: try dataLayout(c))))
            return KerasLayer(op: op, weights: weights(useBias ? ["depthwise_kernel", "pointwise_kernel", "bias"]
                                                               : ["depthwise_kernel", "pointwise_kernel"],
                                                       [n == 2 ? .hwcm : .unspecified, kernelLayout, .channel]))
        case "Dense":
            let op = Op.linear(.dense(DenseAttributes(units: try c.int("units"), activation: try activation())))
            return KerasLayer(op: op, weights: weights(useBias ? ["kernel", "bias"] : ["kernel"], [.io, .channel]))
        case "MaxPooling1D", "MaxPool1D", "AveragePooling1D", "AvgPool1D", "MaxPooling2D", "MaxPool2D", "AveragePooling2D", "AvgPool2D",
             "MaxPooling3D", "MaxPool3D", "AveragePooling3D", "AvgPool3D":
            let n = rank ?? 2
            let pool = try c.ints("pool_size", count: n, default: Array(repeating: 2, count: n))
            let attrs = PoolAttributes(poolSize: pool, strides: try c.ints("strides", count: n, default: pool),
                                       padding: try padding(c), countIncludePad: false, layout: try dataLayout(c))
            return plain(className.hasPrefix("Max") ? .pool(.max(attrs)) : .pool(.average(attrs)))
        case "GlobalAveragePooling1D", "GlobalAvgPool1D", "GlobalMaxPooling1D", "GlobalMaxPool1D",
             "GlobalAveragePooling2D", "GlobalAvgPool2D", "GlobalMaxPooling2D", "GlobalMaxPool2D",
             "GlobalAveragePooling3D", "GlobalAvgPool3D", "GlobalMaxPooling3D", "GlobalMaxPool3D":
            let attrs = GlobalPoolAttributes(keepDims: try c.bool("keepdims", default: false), layout: try dataLayout(c))
            return plain(className.contains("Max") ? .pool(.globalMax(attrs)) : .pool(.globalAverage(attrs)))
        case "BatchNormalization":
            // Keras 1's mode 1 and 2 normalise with each batch's own statistics, also at inference.
            if let mode = c.values["mode"]?.int, mode != 0 {
                throw KerasError.unsupportedOption(layer: c.layer, detail: "Keras 1 BatchNormalization(mode=\(mode)) uses batch statistics at inference")
            }
            let axis = try axes(c, "axis", default: [-1])
            guard axis.count == 1 else { throw KerasError.unsupportedOption(layer: c.layer, detail: "BatchNormalization over \(axis.count) axes") }
            let op = Op.normalization(.batch(BatchNormAttributes(epsilon: Float(try c.double("epsilon", default: 1e-3)), axis: axis[0])))
            let roles = (try c.bool("scale", default: true) ? ["gamma"] : []) + (try c.bool("center", default: true) ? ["beta"] : [])
                + ["moving_mean", "moving_variance"]
            return KerasLayer(op: op, weights: weights(roles, roles.map { _ in .channel }))
        case "LayerNormalization":
            let rms = try c.bool("rms_scaling", default: false)
            let op = Op.normalization(.layer(LayerNormAttributes(axes: try axes(c, "axis", default: [-1]),
                                                                 epsilon: Float(try c.double("epsilon", default: 1e-3)), rmsScaling: rms)))
            // Keras 3's rms_scaling has no beta whatever `center` says.
            let roles = (try c.bool("scale", default: true) ? ["gamma"] : []) + (try c.bool("center", default: true) && !rms ? ["beta"] : [])
            return KerasLayer(op: op, weights: weights(roles, roles.map { _ in .unspecified }))
        case "GroupNormalization":
            let op = Op.normalization(.group(GroupNormAttributes(groups: try c.int("groups", default: 32), axis: try c.int("axis", default: -1),
                                                                 epsilon: Float(try c.double("epsilon", default: 1e-3)))))
            let roles = (try c.bool("scale", default: true) ? ["gamma"] : []) + (try c.bool("center", default: true) ? ["beta"] : [])
            return KerasLayer(op: op, weights: weights(roles, roles.map { _ in .channel }))
        case "Normalization":
            // `axis=None` keeps no axis: one mean and variance for everything.
            let kept = c.values["axis"]?.isNull == true ? [] : try axes(c, "axis", default: [-1])
            let invert = try c.bool("invert", default: false)
            if let mean = numbers(c.values["mean"]), let variance = numbers(c.values["variance"]) {
                guard mean.shape == variance.shape else { throw KerasError.badConfig("layer '\(c.layer)': mean and variance differ in shape") }
                return plain(.normalization(.standardize(StandardizeAttributes(axes: kept, invert: invert, mean: mean.values,
                                                                               variance: variance.values, statisticsShape: mean.shape))))
            }
            return KerasLayer(op: .normalization(.standardize(StandardizeAttributes(axes: kept, invert: invert))),
                              weights: [("mean", .unspecified, false), ("variance", .unspecified, false), ("count", .unspecified, false)])
        case "Rescaling":
            guard let scale = numbers(c.values["scale"]), scale.shape.count <= 1 else {
                throw KerasError.unsupportedOption(layer: c.layer, detail: "Rescaling scale should be a number or a list of numbers")
            }
            let offset = numbers(c.values["offset"]) ?? ([0], [])
            guard offset.shape.count <= 1 else { throw KerasError.unsupportedOption(layer: c.layer, detail: "Rescaling offset should be a number or a list") }
            return plain(.normalization(.rescale(RescaleAttributes(scale: scale.values.map(Float.init), offset: offset.values.map(Float.init)))))
        case "ZeroPadding1D", "ZeroPadding2D", "ZeroPadding3D":
            let n = rank ?? 2
            return plain(.tensor(.pad(PadAttributes(pads: try spatialPads(c.values["padding"] ?? .int(1), rank: n, layer: c.layer, key: "padding",
                                                                         layout: try dataLayout(c))))))
        case "Cropping1D", "Cropping2D", "Cropping3D":
            let n = rank ?? 2
            let pads = try spatialPads(c.values["cropping"] ?? .int(n == 1 ? 1 : 0), rank: n, layer: c.layer, key: "cropping",
                                       layout: try dataLayout(c))
            return plain(.tensor(.pad(PadAttributes(pads: pads.map { -$0 }))))
        case "UpSampling1D", "UpSampling2D", "UpSampling3D":
            let n = rank ?? 2
            let size = n == 1 ? [try c.int("size", default: 2)] : try c.ints("size", count: n, default: Array(repeating: 2, count: n))
            let layout = try dataLayout(c)
            let factors = (layout == .channelsLast ? [1] + size + [1] : [1, 1] + size).map(Float.init)
            switch try c.string("interpolation", default: "nearest") {
            case "nearest":
                // `ops.repeat` along each axis (Keras 3), tf.image.resize nearest (tf_keras): the same.
                return plain(.tensor(.resize(ResizeAttributes(mode: .nearest, coordinateTransformation: .asymmetric, nearestMode: .floor,
                                                              scales: factors))))
            case "bilinear" where n == 2:
                // tf.image.resize(method="bilinear", antialias=False): half-pixel centres.
                return plain(.tensor(.resize(ResizeAttributes(mode: .linear, coordinateTransformation: .halfPixel, scales: factors))))
            case let other:
                throw KerasError.unsupportedOption(layer: c.layer, detail: "UpSampling interpolation '\(other)' is not one wtool computes")
            }
        case "Flatten":
            try requireChannelsLast(c)
            return plain(.tensor(.flatten(axis: 1)))
        case "Reshape":
            guard let target = c.values["target_shape"]?.array?.compactMap(\.int), !target.isEmpty,
                  target.allSatisfy({ $0 == -1 || $0 > 0 }) else {
                throw KerasError.badConfig("layer '\(c.layer)': Reshape needs target_shape of positive sizes (or one -1)")
            }
            return plain(.tensor(.reshape(ReshapeAttributes(shape: [0] + target))))
        case "Permute":
            guard let dims = c.values["dims"]?.array?.compactMap(\.int), !dims.isEmpty, Set(dims) == Set(1...dims.count) else {
                throw KerasError.badConfig("layer '\(c.layer)': Permute needs dims, a permutation of 1…n")
            }
            return plain(.tensor(.transpose(perm: [0] + dims)))
        case "RepeatVector":
            return plain(.tensor(.repeatVector(n: try c.int("n"))))
        case "Identity":
            return plain(.tensor(.identity))
        case _ where identityClasses.contains(className):
            // Identity at inference; the rate (GaussianNoise's stddev, StochasticDepth's
            // drop_path_rate) is kept for writers.
            let rate = try c.optionalDouble("rate") ?? c.optionalDouble("stddev") ?? c.optionalDouble("drop_path_rate") ?? 0
            return plain(.tensor(.dropout(rate: Float(rate))))
        case "Activation":
            return plain(.activation(try activation()))
        case "ReLU":
            let maxValue = try c.optionalDouble("max_value")
            let slope = Float(try c.double("negative_slope", default: 0))
            let threshold = Float(try c.double("threshold", default: 0))
            if maxValue == nil, slope == 0, threshold == 0 { return plain(.activation(.relu)) }
            return plain(.activation(.clippedReLU(maxValue: maxValue.map(Float.init), negativeSlope: slope, threshold: threshold)))
        case "LeakyReLU":
            let alpha = try c.optionalDouble("negative_slope") ?? c.optionalDouble("alpha") ?? 0.3
            return plain(.activation(.leakyReLU(alpha: Float(alpha))))
        case "ELU":
            return plain(.activation(.elu(alpha: Float(try c.double("alpha", default: 1)))))
        case "ThresholdedReLU":
            return plain(.activation(.thresholdedReLU(alpha: Float(try c.double("theta", default: 1)))))
        case "Softmax":
            let axis = try axes(c, "axis", default: [-1])
            guard axis.count == 1 else { throw KerasError.unsupportedOption(layer: c.layer, detail: "Softmax over \(axis.count) axes") }
            return plain(.activation(.softmax(axis: axis[0])))
        case "PReLU":
            // alpha is shaped like the input without the batch axis, 1 along `shared_axes`:
            // NumPy broadcasting from the end lays it over the input.
            return KerasLayer(op: .elementwise(.prelu), weights: [("alpha", .unspecified, true)])
        case "Add":
            return plain(.elementwise(.variadic(.add)))
        case "Multiply":
            return plain(.elementwise(.variadic(.mul)))
        case "Maximum":
            return plain(.elementwise(.variadic(.max)))
        case "Minimum":
            return plain(.elementwise(.variadic(.min)))
        case "Average":
            return plain(.elementwise(.variadic(.mean)))
        case "Subtract":
            return plain(.elementwise(.binary(.sub)))
        case "Concatenate":
            return plain(.tensor(.concat(axis: try c.int("axis", default: -1))))
        case "Merge":
            // Keras 1's merge layer of several tensors.
            switch try c.string("mode", default: "sum") {
            case "sum": return plain(.elementwise(.variadic(.add)))
            case "mul": return plain(.elementwise(.variadic(.mul)))
            case "ave": return plain(.elementwise(.variadic(.mean)))
            case "max": return plain(.elementwise(.variadic(.max)))
            case "concat": return plain(.tensor(.concat(axis: try c.int("concat_axis", default: -1))))
            case let mode: throw KerasError.unsupportedOption(layer: c.layer, detail: "Merge mode '\(mode)' is not one wtool computes")
            }
        case "Dot":
            // Only the batched matrix product: Dot(axes=(2, 1)) of rank-3 tensors, without
            // normalization; other contractions are carried.
            let axes = try axes(c, "axes", default: [])
            guard axes == [2, 1], try !c.bool("normalize", default: false) else {
                throw KerasError.unsupportedOption(layer: c.layer, detail: "Dot over axes \(axes) is not one wtool computes (only (2, 1))")
            }
            return plain(.linear(.matMul))
        case "CustomScaleLayer", "Custom>CustomScaleLayer":
            // keras.applications.inception_resnet_v2: `inputs[0] + inputs[1] * scale`. tf_keras
            // registers it in the default package, so its files name it "Custom>CustomScaleLayer".
            guard let scale = try c.optionalDouble("scale") else { throw KerasError.badConfig("layer '\(c.layer)': CustomScaleLayer needs 'scale'") }
            return plain(.elementwise(.scaledAdd(scale: scale)))
        case "LayerScale":
            // keras.applications.convnext: `x * gamma`, gamma of shape (projection_dim,).
            return KerasLayer(op: .elementwise(.scale), weights: [("gamma", .channel, true)])
        default:
            throw KerasError.unsupportedLayer(name: c.layer, className: className)
        }
    }

    /// Keras's transposed-convolution padding in the IR's terms. Keras computes the output length
    /// (`compute_conv_transpose_output_shape`) and TensorFlow derives the padding from it:
    /// - `same` without `output_padding`: `in · stride` — the IR's `same`;
    /// - `valid` without it: `in · stride + max(k − stride, 0)` — `valid`, plus `stride − k`
    ///   output padding when the kernel is smaller than the stride;
    /// - with `output_padding` p: `(in − 1) · stride + k − 2·pad + p`, pad = k // 2 for `same`
    ///   (k the dilated kernel), 0 for `valid`; TensorFlow takes the `2·pad − p` rows this
    ///   trims, the smaller half first.
    static func transposedPadding(_ padding: String, kernel: [Int], strides: [Int], dilations: [Int], outputPadding: [Int]?,
                                  layer: String) throws -> (Padding, [Int]) {
        let effective = zip(kernel, dilations).map { ($0 - 1) * $1 + 1 }
        guard padding == "same" || padding == "valid" else {
            throw KerasError.unsupportedOption(layer: layer, detail: "padding '\(padding)' is not supported")
        }
        guard let outputPadding else {
            if padding == "same" { return (.same, kernel.map { _ in 0 }) }
            return (.valid, zip(effective, strides).map { max($1 - $0, 0) })
        }
        if padding == "valid" { return (.valid, outputPadding) }
        var begin: [Int] = [], end: [Int] = [], extra: [Int] = []
        for (k, p) in zip(effective, outputPadding) {
            let total = 2 * (k / 2) - p
            if total >= 0 {
                begin.append(total / 2); end.append(total - total / 2); extra.append(0)
            } else {
                begin.append(0); end.append(0); extra.append(-total)
            }
        }
        return (Padding.explicit(begin: begin, end: end).normalized, extra)
    }

    /// The Keras weights of a node: its present parameter operands (after the data operands), in
    /// operand order — which is Keras's weight order for every layer in the table — with roles.
    static func parameters(of node: Node) -> [(name: String, role: String)] {
        let roles = node.op.inputRoles.map { $0.filter { $0 != "?" } }
        return node.inputs.enumerated().dropFirst(node.op.dataInputCount).compactMap { i, name in
            name.isEmpty ? nil : (name, i < roles.count ? roles[i] : "weight_\(i)")
        }
    }

    /// Whether training updates a weight of this role (BatchNormalization's moving statistics and
    /// Normalization's adapted statistics: no).
    static func isTrainableRole(_ role: String) -> Bool { !["moving_mean", "moving_variance", "mean", "variance", "count"].contains(role) }
}

