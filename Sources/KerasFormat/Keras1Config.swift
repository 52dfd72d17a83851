import ModelIR

/// Keras 1 layer configs in Keras 2's terms: the renaming Keras 2's `legacy/interfaces.py` did when
/// it loaded Keras 1 files (`Convolution2D(nb_filter, nb_row, nb_col, subsample, border_mode,
/// dim_ordering, bias)` → `Conv2D(filters, kernel_size, strides, padding, data_format, use_bias)`,
/// `Dense(output_dim)` → `units`, `Dropout(p)` → `rate`, pooling's `pool_length`/`stride`, ...), and
/// what a Keras 1 file's weights are: Keras 1.2's `Convolution1D` kept a `(length, 1, in, out)`
/// kernel, `dim_ordering="th"` layers keep `(out, in, rows, cols)` kernels (Theano's own order).
enum Keras1Config {
    /// Keys only Keras 1 configs have: a layer holding one is translated.
    static let keras1Keys: Set<String> = [
        "nb_filter", "nb_row", "nb_col", "output_dim", "border_mode", "subsample", "subsample_length", "dim_ordering",
        "filter_length", "pool_length", "atrous_rate", "input_dtype", "kernel_dim1",
    ]

    /// Keras 1 classes wtool does not translate, with the reason (they are carried).
    static let untranslated: [String: String] = [
        "Deconvolution2D": "Keras 1 Deconvolution2D (its output_shape is fixed at build time) is not translated",
        "Convolution3D": "Keras 1 Convolution3D is not translated",
        "AtrousConvolution1D": "Keras 1 AtrousConvolution1D is not translated",
        "MaxoutDense": "Keras 1 MaxoutDense is not a layer wtool computes",
        "Highway": "Keras 1 Highway is not a layer wtool computes",
        "TimeDistributedDense": "Keras 1 TimeDistributedDense is not a layer wtool computes",
        "ParametricSoftplus": "Keras 1 ParametricSoftplus is not a layer wtool computes",
        "SReLU": "Keras 1 SReLU is not a layer wtool computes",
    ]

    /// Image layers whose Keras 1.2 config omits `dim_ordering`: Keras 1 re-creates them with
    /// keras.json's `image_dim_ordering`.
    static let orderingNotRecorded: Set<String> = ["ZeroPadding2D", "ZeroPadding3D", "Cropping2D", "Cropping3D", "UpSampling2D", "UpSampling3D"]

    /// The `image_dim_ordering` the model was made under, as far as the config shows it: "th" when
    /// every layer that records a `dim_ordering` says "th" (a Theano user's keras.json), else "tf".
    /// It stands for the layers that do not record theirs (``orderingNotRecorded``).
    static func modelOrdering(_ config: JSONValue) -> String {
        var seen = Set<String>()
        func scan(_ v: JSONValue) {
            if let o = v.object {
                if let d = o["dim_ordering"]?.string { seen.insert(d == "default" ? "tf" : d) }
                o.values.forEach(scan)
            } else if let a = v.array {
                a.forEach(scan)
            }
        }
        scan(config)
        return seen == ["th"] ? "th" : "tf"
    }

    /// What a translated layer's stored weights need before Keras 2 semantics hold.
    struct Translation {
        var className: String
        var config: JSONValue
        /// `dim_ordering` of the layer: "th", "tf", or nil when it has none.
        var dimOrdering: String?
    }

    /// Whether `config` is a Keras 1 layer config (by its keys, or the file says Keras 1).
    static func isKeras1(className: String, config: JSONValue, version: String?) -> Bool {
        if let version, version.hasPrefix("1.") { return true }
        guard let keys = config.object?.keys else { return false }
        return !keras1Keys.isDisjoint(with: keys) || (className == "Merge")
    }

    /// The Keras 2 class and config for a Keras 1 layer entry.
    /// - Throws: `KerasError.unsupportedOption` for a class or option wtool does not translate (the
    ///   layer is then carried with that reason).
    /// - Parameter modelOrdering: the ordering of layers whose config does not record theirs (see
    ///   ``modelOrdering(_:)``).
    static func translate(className: String, config c: JSONValue, layer: String, modelOrdering: String = "tf") throws -> Translation {
        if let reason = untranslated[className] { throw KerasError.unsupportedOption(layer: layer, detail: reason) }
        guard var o = c.object else { return Translation(className: className, config: c, dimOrdering: nil) }
        func move(_ from: String, _ to: String) { if let v = o.removeValue(forKey: from) { o[to] = v } }
        var ordering: String?
        if o["dim_ordering"] == nil, orderingNotRecorded.contains(className) { o["dim_ordering"] = .string(modelOrdering) }
        if let d = o.removeValue(forKey: "dim_ordering") {
            guard let s = d.string, ["th", "tf", "default"].contains(s) else {
                throw KerasError.badConfig("layer '\(layer)': dim_ordering should be \"th\" or \"tf\"")
            }
            // "default" is keras.json's image_dim_ordering, "tf" unless the user changed it.
            ordering = s == "default" ? "tf" : s
            o["data_format"] = .string(ordering == "th" ? "channels_first" : "channels_last")
        }
        move("border_mode", "padding")
        move("bias", "use_bias")
        move("input_dtype", "dtype")
        var cls = className
        switch className {
        case "Convolution2D", "AtrousConvolution2D", "SeparableConvolution2D":
            move("nb_filter", "filters")
            if let rows = o.removeValue(forKey: "nb_row"), let cols = o.removeValue(forKey: "nb_col") { o["kernel_size"] = .array([rows, cols]) }
            move("subsample", "strides")
            move("atrous_rate", "dilation_rate")
            cls = className == "SeparableConvolution2D" ? "SeparableConv2D" : "Conv2D"
            if cls == "SeparableConv2D", ordering == "th" {
                throw KerasError.unsupportedOption(layer: layer, detail: "Keras 1 SeparableConvolution2D with dim_ordering=\"th\" (TensorFlow-only in Keras 1) is not translated")
            }
        case "Convolution1D":
            move("nb_filter", "filters")
            if let n = o.removeValue(forKey: "filter_length") { o["kernel_size"] = .array([n]) }
            if let n = o.removeValue(forKey: "subsample_length") { o["strides"] = .array([n]) }
            cls = "Conv1D"
        case "Dense":
            move("output_dim", "units")
        case "Dropout", "SpatialDropout1D", "SpatialDropout2D", "SpatialDropout3D", "GaussianDropout":
            move("p", "rate")
        case "GaussianNoise":
            move("sigma", "stddev")
        case "MaxPooling1D", "AveragePooling1D":
            if let n = o.removeValue(forKey: "pool_length") { o["pool_size"] = .array([n]) }
            if let n = o.removeValue(forKey: "stride") { o["strides"] = n.isNull ? .null : .array([n]) }
        case "UpSampling1D":
            move("length", "size")
        case "ZeroPadding2D":
            // Keras 1: (rows, cols) symmetric, (top, bottom, left, right), or a dict of those.
            if let p = o["padding"]?.array, p.count == 4 {
                o["padding"] = .array([.array([p[0], p[1]]), .array([p[2], p[3]])])
            } else if let d = o["padding"]?.object {
                let v = { (k: String) -> JSONValue in d[k] ?? .number(0) }
                o["padding"] = .array([.array([v("top_pad"), v("bottom_pad")]), .array([v("left_pad"), v("right_pad")])])
            }
        case "BatchNormalization":
            // Modes 1 and 2 normalise with each batch's own statistics, also at inference.
            if let mode = o["mode"]?.int, mode != 0 {
                throw KerasError.unsupportedOption(layer: layer, detail: "Keras 1 BatchNormalization(mode=\(mode)) uses batch statistics at inference")
            }
            o.removeValue(forKey: "mode")
        case "Merge":
            if o["mode"]?.string == nil {
                throw KerasError.unsupportedOption(layer: layer, detail: "a Keras 1 Merge with a Python function as its mode")
            }
        default:
            break
        }
        return Translation(className: cls, config: .object(o), dimOrdering: ordering)
    }
}
