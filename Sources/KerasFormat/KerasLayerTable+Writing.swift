import ModelIR

// MARK: - IR → Keras (the reverse of `layer(className:config:)`, used by `KerasH5Writer`)

/// One Keras layer to write: its class and the config keys that define it. `name`, `trainable`
/// and `dtype` are added by the writer. `entry` holds other keys of the layer's entry (a carried
/// layer's `module` and `registered_name`).
struct KerasLayerSpec: Equatable {
    var className: String
    var config: [String: JSONValue]
    var entry: [String: JSONValue] = [:]
    /// A carried layer's config, written as it was read (its own `name`, `trainable`, `dtype`).
    var verbatim = false
}

/// How one IR op is spelled in Keras: the layer itself, plus a padding layer before it when its
/// explicit padding has no Keras form, plus an activation layer after it when its fused
/// activation has no Keras name (ops imported from ONNX can have both).
struct KerasLayerSpelling {
    var padding: KerasLayerSpec?
    var layer: KerasLayerSpec
    var activation: KerasLayerSpec?
}

extension KerasLayerTable {
    /// The `activation` string that `target`'s Keras resolves to `activation`, or nil when there is
    /// none (it then needs its own layer: `LeakyReLU`, `ReLU(max_value:)`, `Softmax(axis:)` …).
    /// `hard_sigmoid` means different functions in Keras 3 and tf_keras, so it is written only
    /// for the Keras that means this one.
    static func activationName(_ activation: Activation, target: KerasTarget = .both) -> String? {
        switch activation {
        case .linear: "linear"
        case .relu: "relu"
        case .clippedReLU(6, 0, 0): "relu6"
        case .sigmoid: "sigmoid"
        case .hardSigmoid where activation == .kerasHardSigmoid: target == .keras3 ? "hard_sigmoid" : nil
        case .hardSigmoid(0.2, 0.5): target == .keras2 ? "hard_sigmoid" : nil
        case .hardSwish: target == .keras3 ? "hard_silu" : nil
        case .tanh: "tanh"
        case .softmax(-1): "softmax"
        case .logSoftmax(-1): "log_softmax"
        case .swish: "swish"
        case .elu(1): "elu"
        case .selu where activation == .seluDefault: "selu"
        case .celu(1): target == .keras3 ? "celu" : nil
        case .softplus: "softplus"
        case .softsign: "softsign"
        case .gelu(false): "gelu"
        case .mish: "mish"
        case .exponential: "exponential"
        default: nil
        }
    }

    /// Why `activation` has no name for `target` when the other Keras has one (nil otherwise).
    private static func onlyOther(_ activation: Activation, target: KerasTarget) -> String? {
        guard activationName(activation, target: target) == nil else { return nil }
        let k2 = activationName(activation, target: .keras2) != nil, k3 = activationName(activation, target: .keras3) != nil
        switch (k2, k3) {
        case (true, true), (false, false): return nil
        case (true, false): return target == .keras3 ? "only tf_keras has it; write with --keras 2" : "only tf_keras has it; write with --keras 2"
        case (false, true): return "only Keras 3 has it; write with --keras 3"
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
        case .elu(let alpha) where alpha != 1:
            return KerasLayerSpec(className: "ELU", config: ["alpha": .float(alpha)])
        case .thresholdedReLU(let theta):
            // Both Kerases' ReLU keeps x where x > threshold (strictly), as ThresholdedReLU does;
            // Keras 3 has no ThresholdedReLU class.
            return KerasLayerSpec(className: "ReLU", config: ["max_value": .null, "negative_slope": .float(0), "threshold": .float(theta)])
        default:
            guard let name = activationName(activation, target: target) else {
                let why = onlyOther(activation, target: target).map { "; \($0)" } ?? ""
                throw KerasError.unsupportedOption(layer: node, detail: "activation \(activation.kerasName) has no Keras layer that wtool writes\(why)")
            }
            return KerasLayerSpec(className: "Activation", config: ["activation": .string(name)])
        }
    }

    /// Keras's `padding` for a window op with `n` spatial axes (channels last), and the explicit
    /// pads a ZeroPadding layer must add first when the op's pads are neither `valid` nor what
    /// `same` gives for `inputShape`. `causal` allows Conv1D's causal padding.
    private static func windowPadding(_ padding: Padding, kernel: [Int], strides: [Int], dilations: [Int], inputShape: [Int]?,
                                      node: String, causal: Bool = false) throws -> (keras: String, pads: (begin: [Int], end: [Int])?) {
        switch padding {
        case .same: return ("same", nil)
        case .valid: return ("valid", nil)
        case .sameLower:
            throw KerasError.unsupportedOption(layer: node, detail: "SAME_LOWER padding has no Keras equivalent")
        case let .explicit(begin, end):
            let n = kernel.count
            guard begin.count == n, end.count == n else {
                throw KerasError.unsupportedOption(layer: node, detail: "explicit padding of \(begin.count) axes")
            }
            if causal, n == 1, end == [0], begin == [(kernel[0] - 1) * dilations[0]] { return ("causal", nil) }
            if let shape = inputShape, shape.count == n + 2, shape[1...n].allSatisfy({ $0 > 0 }) {
                let same = Padding.same.resolve(sizes: Array(shape[1...n]), kernel: kernel, strides: strides, dilations: dilations)
                if same.begin == begin, same.end == end { return ("same", nil) }
            }
            return ("valid", (begin, end))
        }
    }

    /// `ZeroPadding{n}D` (or `Cropping{n}D` for negative pads) of channels-last spatial axes.
    private static func zeroPadding(_ pads: (begin: [Int], end: [Int]), cropping: Bool = false, channelsFirst: Bool = false) -> KerasLayerSpec {
        let n = pads.begin.count
        let sign = cropping ? -1 : 1
        let value: JSONValue = n == 1 ? .ints([sign * pads.begin[0], sign * pads.end[0]])
            : .array(zip(pads.begin, pads.end).map { .ints([sign * $0, sign * $1]) })
        return KerasLayerSpec(className: cropping ? "Cropping\(n)D" : "ZeroPadding\(n)D", config: [
            cropping ? "cropping" : "padding": value, "data_format": .string(channelsFirst ? "channels_first" : "channels_last"),
        ].filter { n > 1 || $0.key != "data_format" })
    }

    /// The fused activation's Keras name, or `linear` plus a separate layer.
    private static func fused(_ activation: Activation, node: String, target: KerasTarget) throws -> (JSONValue, KerasLayerSpec?) {
        if let name = activationName(activation, target: target) { return (.string(name), nil) }
        return (.string("linear"), try activationLayer(activation, node: node, target: target))
    }

    /// Keras's `data_format` for a layout; Keras kernels are always spatial-first (HWIO).
    private static func dataFormat(_ layout: DataLayout) -> JSONValue {
        .string(layout == .channelsLast ? "channels_last" : "channels_first")
    }

    private static func numbers(_ values: [Double]) -> JSONValue { .array(values.map(JSONValue.number)) }

    /// Nested lists of `values` shaped `shape` (a number for `[]`), as Keras configs hold tensors.
    private static func nested(_ values: [Double], shape: [Int]) -> JSONValue {
        guard let first = shape.first else { return .number(values.first ?? 0) }
        let inner = shape.dropFirst().reduce(1, *)
        return .array((0..<first).map { nested(Array(values[($0 * inner)..<(($0 + 1) * inner)]), shape: Array(shape.dropFirst())) })
    }

    /// The Keras layer(s) computing `node`'s op, for a node whose input has shape `inputShape`
    /// (used to recognise explicit pads that equal `same`, and the rank of rank-named classes) and
    /// output `outputShape`.
    /// - Throws: `KerasError.unsupportedOption` naming the node when Keras has no exact equivalent.
    static func spelling(for node: Node, inputShape: [Int]?, outputShape: [Int]? = nil, weightShapes: [String: [Int]] = [:],
                         target: KerasTarget) throws -> KerasLayerSpelling {
        let name = node.name
        let useBias = node.input("bias") != nil
        func unsupported(_ detail: String) -> KerasError { .unsupportedOption(layer: name, detail: detail) }
        func single(_ spec: KerasLayerSpec) -> KerasLayerSpelling { KerasLayerSpelling(padding: nil, layer: spec, activation: nil) }
        /// The spatial rank of a channels-last input, from its shape.
        func spatialRank(_ fallback: Int? = nil) throws -> Int {
            if let r = inputShape?.count, (3...5).contains(r) { return r - 2 }
            if let fallback { return fallback }
            throw unsupported("the input's rank is unknown, so its Keras class (1D, 2D or 3D) is too")
        }
        switch node.op {
        case .conv(let conv):
            let n = conv.spatialRank
            guard (1...3).contains(n) else { throw unsupported("\(conv.displayName) has no Keras layer") }
            switch conv {
            case .conv(let a):
                guard a.kernelLayout == .spatialFirst else { throw unsupported("an OIHW kernel (an ONNX convolution) has no Keras layer that wtool writes") }
                let (padding, pads) = try windowPadding(a.padding, kernel: a.kernelSize, strides: a.strides, dilations: a.dilations,
                                                        inputShape: inputShape, node: name, causal: true)
                if pads != nil, a.layout != .channelsLast { throw unsupported("explicit padding of a channels-first convolution") }
                let (activation, after) = try fused(a.activation, node: name, target: target)
                return KerasLayerSpelling(padding: pads.map { zeroPadding($0) }, layer: KerasLayerSpec(className: "Conv\(n)D", config: [
                    "filters": .int(a.filters), "kernel_size": .ints(a.kernelSize), "strides": .ints(a.strides), "padding": .string(padding),
                    "data_format": dataFormat(a.layout), "dilation_rate": .ints(a.dilations), "groups": .int(a.groups),
                    "activation": activation, "use_bias": .bool(useBias),
                ]), activation: after)
            case .depthwise(let a):
                guard n <= 2 else { throw unsupported("a 3-D depthwise convolution has no Keras layer") }
                let (padding, pads) = try windowPadding(a.padding, kernel: a.kernelSize, strides: a.strides, dilations: a.dilations,
                                                        inputShape: inputShape, node: name)
                let (activation, after) = try fused(a.activation, node: name, target: target)
                return KerasLayerSpelling(padding: pads.map { zeroPadding($0) }, layer: KerasLayerSpec(className: "DepthwiseConv\(n)D", config: [
                    "kernel_size": .ints(a.kernelSize), "strides": .ints(a.strides), "padding": .string(padding),
                    "depth_multiplier": .int(a.depthMultiplier), "data_format": dataFormat(a.layout), "dilation_rate": .ints(a.dilations),
                    "activation": activation, "use_bias": .bool(useBias),
                ]), activation: after)
            case .separable(let a):
                guard n <= 2 else { throw unsupported("a 3-D separable convolution has no Keras layer") }
                let (padding, pads) = try windowPadding(a.padding, kernel: a.kernelSize, strides: a.strides, dilations: a.dilations,
                                                        inputShape: inputShape, node: name)
                let (activation, after) = try fused(a.activation, node: name, target: target)
                return KerasLayerSpelling(padding: pads.map { zeroPadding($0) }, layer: KerasLayerSpec(className: "SeparableConv\(n)D", config: [
                    "filters": .int(a.filters), "kernel_size": .ints(a.kernelSize), "strides": .ints(a.strides), "padding": .string(padding),
                    "depth_multiplier": .int(a.depthMultiplier), "data_format": dataFormat(a.layout), "dilation_rate": .ints(a.dilations),
                    "activation": activation, "use_bias": .bool(useBias),
                ]), activation: after)
            case .transposed(let a):
                guard a.kernelLayout == .spatialFirst, a.groups == 1, a.outputShape == nil else {
                    throw unsupported("an ONNX ConvTranspose (IOHW kernel, groups or output_shape) has no Keras layer that wtool writes")
                }
                let (padding, outputPadding) = try transposedKerasPadding(a, node: name)
                let (activation, after) = try fused(a.activation, node: name, target: target)
                return KerasLayerSpelling(padding: nil, layer: KerasLayerSpec(className: "Conv\(n)DTranspose", config: [
                    "filters": .int(a.filters), "kernel_size": .ints(a.kernelSize), "strides": .ints(a.strides), "padding": .string(padding),
                    "output_padding": outputPadding.map(JSONValue.ints) ?? .null, "data_format": dataFormat(a.layout),
                    "dilation_rate": .ints(a.dilations), "activation": activation, "use_bias": .bool(useBias),
                ]), activation: after)
            }
        case .linear(.dense(let a)):
            let (activation, after) = try fused(a.activation, node: name, target: target)
            return KerasLayerSpelling(padding: nil, layer: KerasLayerSpec(className: "Dense", config: [
                "units": .int(a.units), "activation": activation, "use_bias": .bool(useBias),
            ]), activation: after)
        case .linear(.matMul):
            guard inputShape?.count == 3 else { throw unsupported("a matrix product of other than rank-3 tensors has no Keras layer") }
            return single(KerasLayerSpec(className: "Dot", config: ["axes": .ints([2, 1]), "normalize": .bool(false)]))
        case .pool(let pool):
            switch pool {
            case .max(let a), .average(let a):
                let isMax: Bool = if case .max = pool { true } else { false }
                let n = a.poolSize.count
                guard (1...3).contains(n), a.dilations.allSatisfy({ $0 == 1 }), !a.ceilMode else {
                    throw unsupported("pooling with dilations, ceil mode or more than 3 spatial axes has no Keras equivalent")
                }
                var (padding, pads) = try windowPadding(a.padding, kernel: a.poolSize, strides: a.strides, dilations: Array(repeating: 1, count: n),
                                                        inputShape: inputShape, node: name)
                if !isMax, a.countIncludePad, padding == "same" {
                    // Keras's `same` average leaves padded cells out of the divisor; counting them is
                    // zero padding followed by a `valid` average, which needs the pads spelled out.
                    guard let shape = inputShape, shape.count == n + 2, shape[1...n].allSatisfy({ $0 > 0 }) else {
                        throw unsupported("average pooling that counts padded cells needs a known input size to be written for Keras")
                    }
                    let p = a.padding.resolve(sizes: Array(shape[1...n]), kernel: a.poolSize, strides: a.strides, dilations: Array(repeating: 1, count: n))
                    (padding, pads) = ("valid", (p.begin, p.end))
                }
                if pads != nil, isMax || !a.countIncludePad {
                    throw unsupported("\(isMax ? "max" : "average") pooling with explicit padding \(a.padding) has no Keras equivalent")
                }
                return KerasLayerSpelling(padding: pads.map { zeroPadding($0) },
                                          layer: KerasLayerSpec(className: isMax ? "MaxPooling\(n)D" : "AveragePooling\(n)D", config: [
                    "pool_size": .ints(a.poolSize), "strides": .ints(a.strides), "padding": .string(padding), "data_format": dataFormat(a.layout),
                ]), activation: nil)
            case .globalAverage(let a), .globalMax(let a):
                let isMax: Bool = if case .globalMax = pool { true } else { false }
                let n = try spatialRank(2)
                return single(KerasLayerSpec(className: isMax ? "GlobalMaxPooling\(n)D" : "GlobalAveragePooling\(n)D", config: [
                    "data_format": dataFormat(a.layout), "keepdims": .bool(a.keepDims),
                ]))
            case .lp, .globalLp:
                throw unsupported("Lp pooling has no Keras layer")
            }
        case .normalization(let norm):
            switch norm {
            case .batch(let a):
                return single(KerasLayerSpec(className: "BatchNormalization", config: [
                    "axis": .int(a.axis), "epsilon": .float(a.epsilon), "center": .bool(node.input("beta") != nil),
                    "scale": .bool(node.input("gamma") != nil), "momentum": .number(0.99),
                ]))
            case .layer(let a):
                var config: [String: JSONValue] = [
                    "axis": a.axes.count == 1 ? .int(a.axes[0]) : .ints(a.axes), "epsilon": .float(a.epsilon),
                    "center": .bool(node.input("beta") != nil), "scale": .bool(node.input("gamma") != nil),
                ]
                if a.rmsScaling {
                    guard target == .keras3 else { throw unsupported("LayerNormalization(rms_scaling=True) exists in Keras 3 only; write with --keras 3") }
                    config["rms_scaling"] = .bool(true)
                }
                return single(KerasLayerSpec(className: "LayerNormalization", config: config))
            case .group(let a):
                return single(KerasLayerSpec(className: "GroupNormalization", config: [
                    "groups": .int(a.groups), "axis": .int(a.axis), "epsilon": .float(a.epsilon),
                    "center": .bool(node.input("beta") != nil), "scale": .bool(node.input("gamma") != nil),
                ]))
            case .standardize(let a):
                var config: [String: JSONValue] = ["axis": a.axes.count == 1 ? .int(a.axes[0]) : .ints(a.axes), "invert": .bool(a.invert)]
                if node.input("mean") == nil {
                    guard let mean = a.mean, let variance = a.variance, let shape = a.statisticsShape else {
                        throw unsupported("Normalization without statistics")
                    }
                    config["mean"] = nested(mean, shape: shape)
                    config["variance"] = nested(variance, shape: shape)
                } else {
                    guard node.input("count") != nil else { throw unsupported("Normalization weights without their count") }
                    config["mean"] = .null
                    config["variance"] = .null
                }
                return single(KerasLayerSpec(className: "Normalization", config: config))
            case .rescale(let a):
                func value(_ v: [Float]) -> JSONValue { v.count == 1 ? .float(v[0]) : .array(v.map(JSONValue.float)) }
                return single(KerasLayerSpec(className: "Rescaling", config: ["scale": value(a.scale), "offset": value(a.offset)]))
            case .instance, .lp, .localResponse:
                throw unsupported("\(node.typeName) has no Keras layer that wtool writes")
            }
        case .tensor(let t):
            switch t {
            case .pad(let a):
                guard a.mode == .constant, (a.value ?? 0) == 0, a.axes == nil, let p = a.pads, p.count % 2 == 0, (6...10).contains(p.count) else {
                    throw unsupported("only zero padding (or cropping) of the spatial axes of a channels-last tensor has a Keras layer")
                }
                let r = p.count / 2
                // Spatial axes between batch and channels (channels last), or after both (first).
                let channelsFirst = p[r - 1] != 0 || p[2 * r - 1] != 0
                let spatial = channelsFirst ? 2..<r : 1..<(r - 1)
                let begin = Array(p[spatial]), end = Array(p[(spatial.lowerBound + r)..<(spatial.upperBound + r)])
                let others = channelsFirst ? [p[0], p[1], p[r], p[r + 1]] : [p[0], p[r - 1], p[r], p[2 * r - 1]]
                guard others.allSatisfy({ $0 == 0 }) else {
                    throw unsupported("padding the batch or channel axis has no Keras layer")
                }
                if (begin + end).allSatisfy({ $0 >= 0 }) { return single(zeroPadding((begin, end), channelsFirst: channelsFirst)) }
                if (begin + end).allSatisfy({ $0 <= 0 }) { return single(zeroPadding((begin, end), cropping: true, channelsFirst: channelsFirst)) }
                throw unsupported("padding some sides and cropping others has no Keras layer")
            case .flatten(let axis):
                guard axis == 1 else { throw unsupported("Flatten from axis \(axis) has no Keras layer") }
                return single(KerasLayerSpec(className: "Flatten", config: ["data_format": .string("channels_last")]))
            case .reshape(let a):
                if let shape = a.shape, shape.first == 0 || shape.first == -1, shape.count > 1, shape.dropFirst().allSatisfy({ $0 > 0 })
                    || (shape.first == 0 && !a.allowZero && shape.dropFirst().allSatisfy({ $0 == -1 || $0 > 0 })) {
                    return single(KerasLayerSpec(className: "Reshape", config: ["target_shape": .ints(Array(shape.dropFirst()))]))
                }
                return single(try reshapeToOutput())
            case .squeeze, .unsqueeze:
                return single(try reshapeToOutput())
            case .transpose(let perm):
                guard let perm, perm.first == 0 else { throw unsupported("a transpose that moves the batch axis has no Keras layer") }
                return single(KerasLayerSpec(className: "Permute", config: ["dims": .ints(Array(perm.dropFirst()))]))
            case .repeatVector(let n):
                return single(KerasLayerSpec(className: "RepeatVector", config: ["n": .int(n)]))
            case .identity:
                return single(KerasLayerSpec(className: "Activation", config: ["activation": .string("linear")]))
            case .resize(let a):
                return single(try upSampling(a))
            case .dropout(let rate, _):
                return single(dropout(rate: rate, sourceType: node.sourceType))
            case .concat(let axis):
                return single(KerasLayerSpec(className: "Concatenate", config: ["axis": .int(axis)]))
            default:
                throw unsupported("\(node.typeName) has no Keras layer that wtool writes")
            }
        case .activation(let a):
            return single(try activationLayer(a, node: name, target: target))
        case .elementwise(let e):
            switch e {
            case .variadic(let f):
                let cls: String = switch f {
                case .add: "Add"
                case .mul: "Multiply"
                case .max: "Maximum"
                case .min: "Minimum"
                case .mean: "Average"
                }
                return single(KerasLayerSpec(className: cls, config: [:]))
            case .binary(.sub):
                return single(KerasLayerSpec(className: "Subtract", config: [:]))
            case .prelu:
                return single(KerasLayerSpec(className: "PReLU", config: ["shared_axes": try preluSharedAxes()]))
            case .scale:
                // keras.applications.convnext.LayerScale: the initial value is not kept (ConvNeXt's 1e-6).
                guard let gamma = node.input("gamma"), let shape = weightShapes[gamma], shape.count == 1 else {
                    throw unsupported("a LayerScale needs a 1-D gamma")
                }
                return single(KerasLayerSpec(className: "LayerScale", config: ["init_values": .number(1e-6), "projection_dim": .int(shape[0])]))
            case .scaledAdd(let scale):
                return single(KerasLayerSpec(className: "CustomScaleLayer", config: ["scale": .number(scale)]))
            case .scalar(let s):
                return single(try scalarLayer(s))
            case .clip(let a) where a.min == 0 && node.inputs.count == 1:
                return single(KerasLayerSpec(className: "ReLU", config: [
                    "max_value": a.max.map(JSONValue.number) ?? .null, "negative_slope": .float(0), "threshold": .float(0),
                ]))
            default:
                throw unsupported("\(node.typeName) has no Keras layer that wtool writes")
            }
        case .custom(let c):
            guard let entry = KerasCarriedLayer.entry(of: c), let cls = entry["class_name"]?.string, let config = entry["config"]?.object else {
                throw unsupported("\(node.typeName) (an op of another format) has no Keras layer")
            }
            var extra = entry.object ?? [:]
            for key in ["class_name", "config", "name", "inbound_nodes"] { extra[key] = nil }
            return single(KerasLayerSpec(className: cls, config: config, entry: extra, verbatim: true))
        default:
            throw unsupported("\(node.typeName) has no Keras layer that wtool writes")
        }

        /// A shape-only op written as `Reshape` to the output's known shape.
        func reshapeToOutput() throws -> KerasLayerSpec {
            guard let out = outputShape, out.count >= 2, out.dropFirst().allSatisfy({ $0 > 0 }) else {
                throw unsupported("a reshape whose output shape is not known has no Keras layer")
            }
            return KerasLayerSpec(className: "Reshape", config: ["target_shape": .ints(Array(out.dropFirst()))])
        }

        /// PReLU's `shared_axes`: the axes (1-based past the batch) where alpha is 1 and the input is not.
        func preluSharedAxes() throws -> JSONValue {
            guard let alpha = node.input("alpha"), let a = weightShapes[alpha], let x = inputShape, a.count == x.count - 1 else {
                throw unsupported("a PReLU whose slope is not shaped like the input without its batch axis has no Keras layer")
            }
            let shared = a.indices.filter { a[$0] == 1 && x[$0 + 1] != 1 }.map { $0 + 1 }
            return shared.isEmpty ? .null : .ints(shared)
        }

        func upSampling(_ a: ResizeAttributes) throws -> KerasLayerSpec {
            // Spatial axes between batch and channels (channels last), or after both (channels
            // first, rank 4 and 5: a 1-D UpSampling has no data_format).
            guard let scales = a.scales, a.sizes == nil, a.axes == nil, scales.count >= 3, scales.first == 1 else {
                throw unsupported("a resize by other than integer factors of the spatial axes has no Keras layer")
            }
            let channelsFirst = scales.last != 1 && scales.count >= 4 && scales[1] == 1
            let spatial = channelsFirst ? Array(scales.dropFirst(2)) : Array(scales.dropFirst().dropLast())
            let factors = spatial.map { Int($0) }
            guard channelsFirst || scales.last == 1, zip(factors, spatial).allSatisfy({ Float($0) == $1 }), factors.allSatisfy({ $0 >= 1 }) else {
                throw unsupported("a resize by other than integer factors of the spatial axes has no Keras layer")
            }
            let n = factors.count
            let dataFormat = JSONValue.string(channelsFirst ? "channels_first" : "channels_last")
            if a.mode == .nearest, a.coordinateTransformation == .asymmetric, a.nearestMode == .floor {
                return KerasLayerSpec(className: "UpSampling\(n)D", config: n == 1 ? ["size": .int(factors[0])]
                    : ["size": .ints(factors), "data_format": dataFormat, "interpolation": .string("nearest")].filter { n == 2 || $0.key != "interpolation" })
            }
            if a.mode == .linear, a.coordinateTransformation == .halfPixel, n == 2, !a.antialias {
                return KerasLayerSpec(className: "UpSampling2D", config: [
                    "size": .ints(factors), "data_format": dataFormat, "interpolation": .string("bilinear"),
                ])
            }
            throw unsupported("a \(a.mode.rawValue) resize with \(a.coordinateTransformation.rawValue) coordinates has no Keras layer")
        }

        /// `x ∘ c` as a Rescaling where that is exact: `x + c`, `x − c`, `c − x`, `x · c`.
        func scalarLayer(_ s: ScalarOperation) throws -> KerasLayerSpec {
            let (scale, offset): (Double, Double)
            switch (s.function, s.constantFirst) {
            case (.add, _): (scale, offset) = (1, s.value)
            case (.sub, false): (scale, offset) = (1, -s.value)
            case (.sub, true): (scale, offset) = (-1, s.value)
            case (.mul, _): (scale, offset) = (s.value, 0)
            case (.max, _) where s.value == 0:
                return KerasLayerSpec(className: "Activation", config: ["activation": .string("relu")])
            default:
                throw unsupported("\(s.function.displayName) with the number \(s.value) has no Keras layer both Kerases load (Rescaling computes x·scale + offset)")
            }
            return KerasLayerSpec(className: "Rescaling", config: ["scale": .number(scale), "offset": .number(offset)])
        }
    }

    /// A dropout-like layer (identity at inference) as the class it was read from.
    private static func dropout(rate: Float, sourceType: String?) -> KerasLayerSpec {
        switch sourceType {
        case "SpatialDropout1D", "SpatialDropout2D", "SpatialDropout3D":
            // Keras 3's SpatialDropout classes take no `trainable` (their own saved configs then
            // fail to load): written without it, which both Kerases read.
            return KerasLayerSpec(className: sourceType!, config: ["rate": .float(rate), "dtype": .string("float32")], verbatim: true)
        case "GaussianDropout", "AlphaDropout":
            return KerasLayerSpec(className: sourceType!, config: ["rate": .float(rate)])
        case "GaussianNoise":
            return KerasLayerSpec(className: "GaussianNoise", config: ["stddev": .float(rate)])
        case "StochasticDepth":
            return KerasLayerSpec(className: "StochasticDepth", config: ["drop_path_rate": .float(rate)])
        default:
            return KerasLayerSpec(className: "Dropout", config: ["rate": .float(rate)])
        }
    }

    /// Keras's `padding` and `output_padding` (nil: None) for a transposed convolution: the
    /// reverse of `transposedPadding(_:kernel:strides:dilations:outputPadding:layer:)`.
    static func transposedKerasPadding(_ a: ConvTransposeAttributes, node: String) throws -> (String, [Int]?) {
        let effective = zip(a.kernelSize, a.dilations).map { ($0 - 1) * $1 + 1 }
        let automatic = zip(effective, a.strides).map { max($1 - $0, 0) }
        switch a.padding {
        case .same where a.outputPadding.allSatisfy({ $0 == 0 }):
            return ("same", nil)
        case .valid where a.outputPadding == automatic:
            return ("valid", nil)
        case .valid where zip(a.outputPadding, a.strides).allSatisfy({ $0 < $1 }):
            return ("valid", a.outputPadding)
        case let .explicit(begin, end) where a.outputPadding.allSatisfy({ $0 == 0 }):
            // `same` with output_padding p trims 2·(k // 2) − p, the smaller half first.
            var padding: [Int] = []
            for i in effective.indices {
                let total = begin[i] + end[i]
                let p = 2 * (effective[i] / 2) - total
                guard begin[i] == total / 2, p >= 0, p < a.strides[i] else {
                    throw KerasError.unsupportedOption(layer: node, detail: "transposed-convolution pads \(begin)/\(end) have no Keras spelling")
                }
                padding.append(p)
            }
            return ("same", padding)
        default:
            throw KerasError.unsupportedOption(layer: node, detail: "transposed-convolution padding \(a.padding) with output padding \(a.outputPadding) has no Keras spelling")
        }
    }
}
