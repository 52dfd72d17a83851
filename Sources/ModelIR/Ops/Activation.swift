/// Element-wise activation functions (Keras `activations.*`, ONNX's unary activation ops), and
/// softmax over an axis. Used standalone (`Op.activation`) and fused into Conv/Dense layers.
public enum Activation: Sendable, Equatable, Hashable {
    case linear
    case relu
    /// Keras `ReLU(max_value:, negative_slope:, threshold:)`: f(x) = min(x, max) for x ≥ threshold,
    /// slope × (x − threshold) otherwise. `relu6` is `clippedReLU(maxValue: 6, …)`.
    case clippedReLU(maxValue: Float?, negativeSlope: Float, threshold: Float)
    case leakyReLU(alpha: Float)
    case sigmoid
    /// `max(0, min(1, alpha·x + beta))` (ONNX HardSigmoid; tf_keras's hard_sigmoid is 0.2/0.5).
    /// With alpha = 1/6, beta = 0.5 it is computed as Keras 3 does, `relu6(x + 3) / 6`.
    case hardSigmoid(alpha: Float, beta: Float)
    /// `x · hardSigmoid(x)` with alpha 1/6, beta 0.5 (Keras `hard_silu`/`hard_swish`, ONNX HardSwish).
    case hardSwish
    case tanh
    case softmax(axis: Int)
    case logSoftmax(axis: Int)
    /// `x · sigmoid(x)` (Keras `swish`/`silu`).
    case swish
    case elu(alpha: Float)
    /// `gamma · (x > 0 ? x : alpha · (eˣ − 1))`; Keras's fixed constants are ONNX's defaults.
    case selu(alpha: Float, gamma: Float)
    /// `max(0, x) + min(0, alpha · (exp(x / alpha) − 1))` (ONNX Celu).
    case celu(alpha: Float)
    case softplus
    case softsign
    /// `0.5 · x · (1 + erf(x / √2))`, or the tanh approximation.
    case gelu(approximate: Bool)
    /// `x · tanh(softplus(x))`.
    case mish
    case exponential
    /// `x > alpha ? x : 0` (Keras ThresholdedReLU, ONNX ThresholdedRelu).
    case thresholdedReLU(alpha: Float)

    public static let relu6 = Activation.clippedReLU(maxValue: 6, negativeSlope: 0, threshold: 0)
    /// Keras 3's `hard_sigmoid`.
    public static let kerasHardSigmoid = Activation.hardSigmoid(alpha: 1.0 / 6.0, beta: 0.5)
    public static let seluDefault = Activation.selu(alpha: 1.67326319217681884765625, gamma: 1.05070102214813232421875)

    /// Keras's string name where there is one (`relu`, `sigmoid`, …).
    public var kerasName: String {
        switch self {
        case .linear: "linear"
        case .relu, .clippedReLU: "relu"
        case .leakyReLU: "leaky_relu"
        case .sigmoid: "sigmoid"
        case .hardSigmoid: "hard_sigmoid"
        case .hardSwish: "hard_silu"
        case .tanh: "tanh"
        case .softmax: "softmax"
        case .logSoftmax: "log_softmax"
        case .swish: "swish"
        case .elu: "elu"
        case .selu: "selu"
        case .celu: "celu"
        case .softplus: "softplus"
        case .softsign: "softsign"
        case .gelu: "gelu"
        case .mish: "mish"
        case .exponential: "exponential"
        case .thresholdedReLU: "thresholded_relu"
        }
    }

    /// The Keras layer class a standalone activation is shown as.
    public var displayName: String {
        switch self {
        case .clippedReLU: "ReLU"
        case .leakyReLU: "LeakyReLU"
        case .softmax: "Softmax"
        case .elu: "ELU"
        case .thresholdedReLU: "ThresholdedReLU"
        default: "Activation"
        }
    }

    /// Whether it maps each element on its own (everything but the softmaxes).
    public var isElementwise: Bool {
        switch self {
        case .softmax, .logSoftmax: false
        default: true
        }
    }
}

extension Activation: Codable {
    private enum Keys: String, CodingKey {
        case linear, relu, clippedReLU, leakyReLU, sigmoid, hardSigmoid, hardSwish, tanh, softmax, logSoftmax, swish, elu, selu
        case celu, softplus, softsign, gelu, mish, exponential, thresholdedReLU
    }
    private enum P: String, CodingKey { case maxValue, negativeSlope, threshold, alpha, beta, gamma, axis, approximate }

    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: Keys.self)
        guard let key = c.allKeys.first else {
            throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath, debugDescription: "an activation needs one key"))
        }
        let p = try c.nestedContainer(keyedBy: P.self, forKey: key)
        func f(_ k: P, _ d: Float) throws -> Float { try p.decodeIfPresent(Float.self, forKey: k) ?? d }
        switch key {
        case .linear: self = .linear
        case .relu: self = .relu
        case .clippedReLU:
            self = .clippedReLU(maxValue: try p.decodeIfPresent(Float.self, forKey: .maxValue),
                                negativeSlope: try f(.negativeSlope, 0), threshold: try f(.threshold, 0))
        case .leakyReLU: self = .leakyReLU(alpha: try f(.alpha, 0.3))
        case .sigmoid: self = .sigmoid
        // Format 1.0 had a parameterless hardSigmoid: Keras 3's.
        case .hardSigmoid: self = .hardSigmoid(alpha: try f(.alpha, 1.0 / 6.0), beta: try f(.beta, 0.5))
        case .hardSwish: self = .hardSwish
        case .tanh: self = .tanh
        case .softmax: self = .softmax(axis: try p.decodeIfPresent(Int.self, forKey: .axis) ?? -1)
        case .logSoftmax: self = .logSoftmax(axis: try p.decodeIfPresent(Int.self, forKey: .axis) ?? -1)
        case .swish: self = .swish
        case .elu: self = .elu(alpha: try f(.alpha, 1))
        case .selu: self = .selu(alpha: try f(.alpha, 1.67326319217681884765625), gamma: try f(.gamma, 1.05070102214813232421875))
        case .celu: self = .celu(alpha: try f(.alpha, 1))
        case .softplus: self = .softplus
        case .softsign: self = .softsign
        case .gelu: self = .gelu(approximate: try p.decodeIfPresent(Bool.self, forKey: .approximate) ?? false)
        case .mish: self = .mish
        case .exponential: self = .exponential
        case .thresholdedReLU: self = .thresholdedReLU(alpha: try f(.alpha, 1))
        }
    }

    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: Keys.self)
        func nested(_ k: Keys) -> KeyedEncodingContainer<P> { c.nestedContainer(keyedBy: P.self, forKey: k) }
        switch self {
        case .linear: _ = nested(.linear)
        case .relu: _ = nested(.relu)
        case let .clippedReLU(maxValue, slope, threshold):
            var p = nested(.clippedReLU)
            try p.encodeIfPresent(maxValue, forKey: .maxValue)
            try p.encode(slope, forKey: .negativeSlope)
            try p.encode(threshold, forKey: .threshold)
        case .leakyReLU(let alpha): var p = nested(.leakyReLU); try p.encode(alpha, forKey: .alpha)
        case .sigmoid: _ = nested(.sigmoid)
        case let .hardSigmoid(alpha, beta):
            var p = nested(.hardSigmoid); try p.encode(alpha, forKey: .alpha); try p.encode(beta, forKey: .beta)
        case .hardSwish: _ = nested(.hardSwish)
        case .tanh: _ = nested(.tanh)
        case .softmax(let axis): var p = nested(.softmax); try p.encode(axis, forKey: .axis)
        case .logSoftmax(let axis): var p = nested(.logSoftmax); try p.encode(axis, forKey: .axis)
        case .swish: _ = nested(.swish)
        case .elu(let alpha): var p = nested(.elu); try p.encode(alpha, forKey: .alpha)
        case let .selu(alpha, gamma): var p = nested(.selu); try p.encode(alpha, forKey: .alpha); try p.encode(gamma, forKey: .gamma)
        case .celu(let alpha): var p = nested(.celu); try p.encode(alpha, forKey: .alpha)
        case .softplus: _ = nested(.softplus)
        case .softsign: _ = nested(.softsign)
        case .gelu(let approximate): var p = nested(.gelu); try p.encode(approximate, forKey: .approximate)
        case .mish: _ = nested(.mish)
        case .exponential: _ = nested(.exponential)
        case .thresholdedReLU(let alpha): var p = nested(.thresholdedReLU); try p.encode(alpha, forKey: .alpha)
        }
    }
}
