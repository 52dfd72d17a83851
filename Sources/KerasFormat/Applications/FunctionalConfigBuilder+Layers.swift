/// One method per Keras layer class the built-in architectures use, taking the arguments as
/// keras.applications passes them (`name: nil` is Keras's automatic name). Each returns the new
/// layer's name, which is also the name of its output.
extension FunctionalConfigBuilder {
    private static func number(_ value: Double) -> JSONValue { .number(value) }

    mutating func conv2D(_ x: String, filters: Int, kernel: [Int], strides: [Int] = [1, 1], padding: String = "valid",
                         useBias: Bool = true, activation: String = "linear", name: String?) -> String {
        add("Conv2D", name, [
            "filters": Self.number(Double(filters)), "kernel_size": Self.ints(kernel), "strides": Self.ints(strides),
            "padding": .string(padding), "use_bias": .bool(useBias), "activation": .string(activation),
        ], inputs: [x])
    }

    mutating func depthwiseConv2D(_ x: String, kernel: [Int], strides: [Int] = [1, 1], padding: String = "valid",
                                  depthMultiplier: Int = 1, useBias: Bool = true, name: String?) -> String {
        add("DepthwiseConv2D", name, [
            "kernel_size": Self.ints(kernel), "strides": Self.ints(strides), "padding": .string(padding),
            "depth_multiplier": Self.number(Double(depthMultiplier)), "use_bias": .bool(useBias),
            "activation": .string("linear"),
        ], inputs: [x])
    }

    mutating func separableConv2D(_ x: String, filters: Int, kernel: [Int], padding: String = "valid", useBias: Bool = true,
                                  name: String?) -> String {
        add("SeparableConv2D", name, [
            "filters": Self.number(Double(filters)), "kernel_size": Self.ints(kernel), "strides": Self.ints(1, 1),
            "padding": .string(padding), "depth_multiplier": Self.number(1), "use_bias": .bool(useBias),
            "activation": .string("linear"),
        ], inputs: [x])
    }

    /// Keras's default epsilon is 1e-3; ResNet passes 1.001e-5.
    mutating func batchNormalization(_ x: String, epsilon: Double = 1e-3, center: Bool = true, scale: Bool = true,
                                     name: String?) -> String {
        add("BatchNormalization", name, [
            "axis": Self.number(-1), "epsilon": Self.number(epsilon), "center": .bool(center), "scale": .bool(scale),
        ], inputs: [x])
    }

    mutating func activation(_ x: String, _ function: String, name: String?) -> String {
        add("Activation", name, ["activation": .string(function)], inputs: [x])
    }

    /// `layers.ReLU(max_value)`.
    mutating func relu(_ x: String, maxValue: Double, name: String?) -> String {
        add("ReLU", name, ["max_value": Self.number(maxValue), "negative_slope": Self.number(0), "threshold": Self.number(0)],
            inputs: [x])
    }

    /// `ZeroPadding2D(((top, bottom), (left, right)))`.
    mutating func zeroPadding2D(_ x: String, top: Int, bottom: Int, left: Int, right: Int, name: String?) -> String {
        add("ZeroPadding2D", name, ["padding": .array([Self.ints(top, bottom), Self.ints(left, right)])], inputs: [x])
    }

    mutating func maxPooling2D(_ x: String, pool: [Int], strides: [Int], padding: String = "valid", name: String?) -> String {
        add("MaxPooling2D", name, ["pool_size": Self.ints(pool), "strides": Self.ints(strides), "padding": .string(padding)],
            inputs: [x])
    }

    mutating func averagePooling2D(_ x: String, pool: [Int], strides: [Int], padding: String = "valid", name: String?) -> String {
        add("AveragePooling2D", name, ["pool_size": Self.ints(pool), "strides": Self.ints(strides), "padding": .string(padding)],
            inputs: [x])
    }

    mutating func globalAveragePooling2D(_ x: String, keepDims: Bool = false, name: String?) -> String {
        add("GlobalAveragePooling2D", name, ["keepdims": .bool(keepDims)], inputs: [x])
    }

    mutating func globalMaxPooling2D(_ x: String, name: String?) -> String {
        add("GlobalMaxPooling2D", name, ["keepdims": .bool(false)], inputs: [x])
    }

    /// `layers.Rescaling(scale)` (offset 0).
    mutating func rescaling(_ x: String, scale: JSONValue, name: String?) -> String {
        add("Rescaling", name, ["scale": scale, "offset": Self.number(0)], inputs: [x])
    }

    /// `layers.Normalization(axis=-1)`, to be adapted: its statistics are weights.
    mutating func normalization(_ x: String, name: String?) -> String {
        add("Normalization", name, ["axis": Self.number(-1), "invert": .bool(false), "mean": .null, "variance": .null], inputs: [x])
    }

    /// `layers.multiply([...])` / `layers.Multiply()`.
    mutating func multiply(_ xs: [String], name: String?) -> String {
        add("Multiply", name, [:], inputs: xs)
    }

    /// `layers.add([...])` / `layers.Add()`.
    mutating func addLayer(_ xs: [String], name: String?) -> String {
        add("Add", name, [:], inputs: xs)
    }

    /// `layers.concatenate([...], axis=-1)`; channels-last, so keras.applications' axis 3 is -1.
    mutating func concatenate(_ xs: [String], name: String?) -> String {
        add("Concatenate", name, ["axis": Self.number(-1)], inputs: xs)
    }

    mutating func dense(_ x: String, units: Int, activation: String = "linear", name: String?) -> String {
        add("Dense", name, ["units": Self.number(Double(units)), "activation": .string(activation)], inputs: [x])
    }

    mutating func dropout(_ x: String, rate: Double, name: String?) -> String {
        add("Dropout", name, ["rate": Self.number(rate)], inputs: [x])
    }

    mutating func reshape(_ x: String, targetShape: [Int], name: String?) -> String {
        add("Reshape", name, ["target_shape": Self.ints(targetShape)], inputs: [x])
    }

    mutating func flatten(_ x: String, name: String?) -> String {
        add("Flatten", name, [:], inputs: [x])
    }

    /// The common `include_top` / `pooling` tail of ResNet, InceptionV3 and Xception: with the top,
    /// `GlobalAveragePooling2D(name="avg_pool")` and `Dense(classes, softmax, name="predictions")`;
    /// without it, optional global pooling named `poolingNames` (nil: Keras's automatic names).
    mutating func classifierHead(_ x: String, spec: ApplicationSpec, poolingNames: (avg: String?, max: String?)) -> String {
        if spec.includeTop {
            let pooled = globalAveragePooling2D(x, name: "avg_pool")
            return dense(pooled, units: spec.classes, activation: "softmax", name: "predictions")
        }
        switch spec.pooling {
        case "avg": return globalAveragePooling2D(x, name: poolingNames.avg)
        case "max": return globalMaxPooling2D(x, name: poolingNames.max)
        default: return x
        }
    }
}
