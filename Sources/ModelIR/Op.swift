/// Spatial padding of a 2-D window operation.
///
/// `same` is TensorFlow's SAME (ONNX `SAME_UPPER`): output = ceil(input / stride), the odd pixel of
/// padding goes at the end. It stays symbolic so a conv base can run at any input size; `resolve`
/// gives the explicit pads for a given input.
public enum Padding2D: Sendable, Equatable, Codable {
    case same
    case explicit(top: Int, bottom: Int, left: Int, right: Int)

    public static let valid = Padding2D.explicit(top: 0, bottom: 0, left: 0, right: 0)

    /// Explicit pads for an input of `height`×`width`.
    public func resolve(height: Int, width: Int, kernel: (Int, Int), stride: (Int, Int), dilation: (Int, Int))
        -> (top: Int, bottom: Int, left: Int, right: Int)
    {
        switch self {
        case let .explicit(top, bottom, left, right):
            return (top, bottom, left, right)
        case .same:
            func pads(_ size: Int, _ k: Int, _ s: Int, _ d: Int) -> (Int, Int) {
                let effective = (k - 1) * d + 1
                let out = (size + s - 1) / s
                let total = max((out - 1) * s + effective - size, 0)
                return (total / 2, total - total / 2)
            }
            let (t, b) = pads(height, kernel.0, stride.0, dilation.0)
            let (l, r) = pads(width, kernel.1, stride.1, dilation.1)
            return (t, b, l, r)
        }
    }

    public var isValid: Bool { self == .valid }
}

/// Element-wise activation functions (Keras `activations.*`, ONNX unary ops).
public enum Activation: Sendable, Equatable, Codable {
    case linear
    case relu
    /// Keras `ReLU(max_value:, negative_slope:, threshold:)`: f(x) = min(x, max) for x ≥ threshold,
    /// slope × (x − threshold) otherwise. `relu6` is `clippedReLU(maxValue: 6, …)`.
    case clippedReLU(maxValue: Float?, negativeSlope: Float, threshold: Float)
    case leakyReLU(alpha: Float)
    case sigmoid
    case hardSigmoid
    case tanh
    case softmax(axis: Int)
    case swish
    case elu(alpha: Float)
    case selu
    case softplus
    case gelu

    public static let relu6 = Activation.clippedReLU(maxValue: 6, negativeSlope: 0, threshold: 0)

    /// Keras's string name where there is one (`relu`, `sigmoid`, …).
    public var kerasName: String {
        switch self {
        case .linear: "linear"
        case .relu: "relu"
        case .clippedReLU: "relu"
        case .leakyReLU: "leaky_relu"
        case .sigmoid: "sigmoid"
        case .hardSigmoid: "hard_sigmoid"
        case .tanh: "tanh"
        case .softmax: "softmax"
        case .swish: "swish"
        case .elu: "elu"
        case .selu: "selu"
        case .softplus: "softplus"
        case .gelu: "gelu"
        }
    }
}

public struct Conv2DAttributes: Sendable, Equatable, Codable {
    public var filters: Int
    public var kernelSize: [Int]   // [kh, kw]
    public var strides: [Int]      // [sh, sw]
    public var dilations: [Int]    // [dh, dw]
    public var padding: Padding2D
    /// Channel groups; the kernel is HWIO with I = input channels / groups.
    public var groups: Int
    public var useBias: Bool
    public var activation: Activation

    public init(filters: Int, kernelSize: [Int], strides: [Int] = [1, 1], dilations: [Int] = [1, 1],
                padding: Padding2D = .valid, groups: Int = 1, useBias: Bool = true, activation: Activation = .linear) {
        self.filters = filters
        self.kernelSize = kernelSize
        self.strides = strides
        self.dilations = dilations
        self.padding = padding
        self.groups = groups
        self.useBias = useBias
        self.activation = activation
    }
}

public struct DepthwiseConv2DAttributes: Sendable, Equatable, Codable {
    public var depthMultiplier: Int
    public var kernelSize: [Int]
    public var strides: [Int]
    public var dilations: [Int]
    public var padding: Padding2D
    public var useBias: Bool
    public var activation: Activation

    public init(depthMultiplier: Int = 1, kernelSize: [Int], strides: [Int] = [1, 1], dilations: [Int] = [1, 1],
                padding: Padding2D = .valid, useBias: Bool = true, activation: Activation = .linear) {
        self.depthMultiplier = depthMultiplier
        self.kernelSize = kernelSize
        self.strides = strides
        self.dilations = dilations
        self.padding = padding
        self.useBias = useBias
        self.activation = activation
    }
}

/// Keras `SeparableConv2D`: a depthwise convolution followed by a 1×1 pointwise convolution.
/// Weights: depthwise kernel HWCM, pointwise kernel HWIO `[1, 1, C·M, filters]`, optional bias.
public struct SeparableConv2DAttributes: Sendable, Equatable, Codable {
    public var filters: Int
    public var depthMultiplier: Int
    public var kernelSize: [Int]
    public var strides: [Int]
    public var dilations: [Int]
    public var padding: Padding2D
    public var useBias: Bool
    public var activation: Activation

    public init(filters: Int, depthMultiplier: Int = 1, kernelSize: [Int], strides: [Int] = [1, 1],
                dilations: [Int] = [1, 1], padding: Padding2D = .valid, useBias: Bool = true,
                activation: Activation = .linear) {
        self.filters = filters
        self.depthMultiplier = depthMultiplier
        self.kernelSize = kernelSize
        self.strides = strides
        self.dilations = dilations
        self.padding = padding
        self.useBias = useBias
        self.activation = activation
    }
}

public struct Pool2DAttributes: Sendable, Equatable, Codable {
    public var poolSize: [Int]
    public var strides: [Int]
    public var padding: Padding2D
    /// Average pooling only: whether padded cells count in the divisor (Keras: false; ONNX attr).
    public var countIncludePad: Bool

    public init(poolSize: [Int], strides: [Int], padding: Padding2D = .valid, countIncludePad: Bool = false) {
        self.poolSize = poolSize
        self.strides = strides
        self.padding = padding
        self.countIncludePad = countIncludePad
    }
}

public struct DenseAttributes: Sendable, Equatable, Codable {
    public var units: Int
    public var useBias: Bool
    public var activation: Activation

    public init(units: Int, useBias: Bool = true, activation: Activation = .linear) {
        self.units = units
        self.useBias = useBias
        self.activation = activation
    }
}

/// Inference-mode batch normalization over the last axis: y = γ (x − mean) / sqrt(var + ε) + β.
/// Weights in Keras order: gamma (if `scale`), beta (if `center`), moving mean, moving variance.
public struct BatchNormAttributes: Sendable, Equatable, Codable {
    public var epsilon: Float
    public var center: Bool
    public var scale: Bool
    public var axis: Int

    public init(epsilon: Float = 1e-3, center: Bool = true, scale: Bool = true, axis: Int = -1) {
        self.epsilon = epsilon
        self.center = center
        self.scale = scale
        self.axis = axis
    }
}

/// One operation of the graph with its typed attributes. Weights are listed on the `Node`, in the
/// order each case documents.
public enum Op: Sendable, Equatable {
    /// NHWC input, HWIO kernel, optional bias `[filters]`. Keras `Conv2D`, ONNX `Conv`.
    case conv2D(Conv2DAttributes)
    /// NHWC input, HWCM kernel, optional bias `[C·M]`. Keras `DepthwiseConv2D`, ONNX `Conv` with group = C.
    case depthwiseConv2D(DepthwiseConv2DAttributes)
    case separableConv2D(SeparableConv2DAttributes)
    /// Applies to the last axis; IO kernel, optional bias. Keras `Dense`, ONNX `Gemm`/`MatMul`.
    case dense(DenseAttributes)
    case maxPool2D(Pool2DAttributes)
    case averagePool2D(Pool2DAttributes)
    case globalAveragePool2D(keepDims: Bool)
    case globalMaxPool2D(keepDims: Bool)
    case batchNormalization(BatchNormAttributes)
    case zeroPadding2D(top: Int, bottom: Int, left: Int, right: Int)
    /// Collapses every axis after the batch axis (row-major, so NHWC order — Keras's `Flatten`).
    case flatten
    /// Target shape without the batch axis; one entry may be -1.
    case reshape(targetShape: [Int])
    /// Identity at inference.
    case dropout(rate: Float)
    case activation(Activation)
    case add
    case multiply
    case concatenate(axis: Int)

    /// Keras's class name for this op, used by `summary`.
    public var kerasClassName: String {
        switch self {
        case .conv2D: "Conv2D"
        case .depthwiseConv2D: "DepthwiseConv2D"
        case .separableConv2D: "SeparableConv2D"
        case .dense: "Dense"
        case .maxPool2D: "MaxPooling2D"
        case .averagePool2D: "AveragePooling2D"
        case .globalAveragePool2D: "GlobalAveragePooling2D"
        case .globalMaxPool2D: "GlobalMaxPooling2D"
        case .batchNormalization: "BatchNormalization"
        case .zeroPadding2D: "ZeroPadding2D"
        case .flatten: "Flatten"
        case .reshape: "Reshape"
        case .dropout: "Dropout"
        case .activation(let a):
            switch a {
            case .clippedReLU: "ReLU"
            case .leakyReLU: "LeakyReLU"
            case .softmax: "Softmax"
            default: "Activation"
            }
        case .add: "Add"
        case .multiply: "Multiply"
        case .concatenate: "Concatenate"
        }
    }

    /// A stable lowercase tag, used in the `.swm` graph encoding.
    public var kind: String {
        switch self {
        case .conv2D: "conv2d"
        case .depthwiseConv2D: "depthwise_conv2d"
        case .separableConv2D: "separable_conv2d"
        case .dense: "dense"
        case .maxPool2D: "max_pool2d"
        case .averagePool2D: "average_pool2d"
        case .globalAveragePool2D: "global_average_pool2d"
        case .globalMaxPool2D: "global_max_pool2d"
        case .batchNormalization: "batch_normalization"
        case .zeroPadding2D: "zero_padding2d"
        case .flatten: "flatten"
        case .reshape: "reshape"
        case .dropout: "dropout"
        case .activation: "activation"
        case .add: "add"
        case .multiply: "multiply"
        case .concatenate: "concatenate"
        }
    }

    /// Roles of the weights this op takes, in order (for messages and for binding checks).
    public var weightRoles: [String] {
        switch self {
        case .conv2D(let a): a.useBias ? ["kernel", "bias"] : ["kernel"]
        case .depthwiseConv2D(let a): a.useBias ? ["depthwise_kernel", "bias"] : ["depthwise_kernel"]
        case .separableConv2D(let a):
            a.useBias ? ["depthwise_kernel", "pointwise_kernel", "bias"] : ["depthwise_kernel", "pointwise_kernel"]
        case .dense(let a): a.useBias ? ["kernel", "bias"] : ["kernel"]
        case .batchNormalization(let a):
            (a.scale ? ["gamma"] : []) + (a.center ? ["beta"] : []) + ["moving_mean", "moving_variance"]
        default: []
        }
    }
}

extension Op: Codable {
    private enum CodingKeys: String, CodingKey { case kind, attributes, rate, keepDims, top, bottom, left, right, targetShape, axis, activation }

    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        let kind = try c.decode(String.self, forKey: .kind)
        switch kind {
        case "conv2d": self = .conv2D(try c.decode(Conv2DAttributes.self, forKey: .attributes))
        case "depthwise_conv2d": self = .depthwiseConv2D(try c.decode(DepthwiseConv2DAttributes.self, forKey: .attributes))
        case "separable_conv2d": self = .separableConv2D(try c.decode(SeparableConv2DAttributes.self, forKey: .attributes))
        case "dense": self = .dense(try c.decode(DenseAttributes.self, forKey: .attributes))
        case "max_pool2d": self = .maxPool2D(try c.decode(Pool2DAttributes.self, forKey: .attributes))
        case "average_pool2d": self = .averagePool2D(try c.decode(Pool2DAttributes.self, forKey: .attributes))
        case "global_average_pool2d": self = .globalAveragePool2D(keepDims: try c.decode(Bool.self, forKey: .keepDims))
        case "global_max_pool2d": self = .globalMaxPool2D(keepDims: try c.decode(Bool.self, forKey: .keepDims))
        case "batch_normalization": self = .batchNormalization(try c.decode(BatchNormAttributes.self, forKey: .attributes))
        case "zero_padding2d":
            self = .zeroPadding2D(top: try c.decode(Int.self, forKey: .top), bottom: try c.decode(Int.self, forKey: .bottom),
                                  left: try c.decode(Int.self, forKey: .left), right: try c.decode(Int.self, forKey: .right))
        case "flatten": self = .flatten
        case "reshape": self = .reshape(targetShape: try c.decode([Int].self, forKey: .targetShape))
        case "dropout": self = .dropout(rate: try c.decode(Float.self, forKey: .rate))
        case "activation": self = .activation(try c.decode(Activation.self, forKey: .activation))
        case "add": self = .add
        case "multiply": self = .multiply
        case "concatenate": self = .concatenate(axis: try c.decode(Int.self, forKey: .axis))
        default:
            throw DecodingError.dataCorruptedError(forKey: .kind, in: c, debugDescription: "unknown op kind '\(kind)'")
        }
    }

    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(kind, forKey: .kind)
        switch self {
        case .conv2D(let a): try c.encode(a, forKey: .attributes)
        case .depthwiseConv2D(let a): try c.encode(a, forKey: .attributes)
        case .separableConv2D(let a): try c.encode(a, forKey: .attributes)
        case .dense(let a): try c.encode(a, forKey: .attributes)
        case .maxPool2D(let a), .averagePool2D(let a): try c.encode(a, forKey: .attributes)
        case .globalAveragePool2D(let k), .globalMaxPool2D(let k): try c.encode(k, forKey: .keepDims)
        case .batchNormalization(let a): try c.encode(a, forKey: .attributes)
        case let .zeroPadding2D(top, bottom, left, right):
            try c.encode(top, forKey: .top); try c.encode(bottom, forKey: .bottom)
            try c.encode(left, forKey: .left); try c.encode(right, forKey: .right)
        case .flatten, .add, .multiply: break
        case .reshape(let s): try c.encode(s, forKey: .targetShape)
        case .dropout(let r): try c.encode(r, forKey: .rate)
        case .activation(let a): try c.encode(a, forKey: .activation)
        case .concatenate(let axis): try c.encode(axis, forKey: .axis)
        }
    }
}
