/// Normalizations. Statistics and affine parameters are operands (usually constants).
public enum NormalizationOp: Sendable, Equatable {
    /// `[input, gamma?, beta?, moving_mean, moving_variance]`, inference mode over `axis`:
    /// `γ (x − mean) / sqrt(var + ε) + β`. Keras BatchNormalization (gamma/beta absent when
    /// `scale`/`center` is off), ONNX BatchNormalization (axis 1).
    case batch(BatchNormAttributes)
    /// `[input, scale, bias]`: per sample and channel over the spatial axes. ONNX InstanceNormalization.
    case instance(InstanceNormAttributes)
    /// `[input, gamma?, beta?]` over `axes`. Keras LayerNormalization (and its `rms_scaling`), ONNX LayerNormalization.
    case layer(LayerNormAttributes)
    /// `[input, gamma?, beta?]`: channels split into groups, normalized per sample and group over
    /// every other axis; γ and β per channel. Keras GroupNormalization, ONNX GroupNormalization-21
    /// (opset 18's per-group scale and bias repeat per channel).
    case group(GroupNormAttributes)
    /// `[input]`: `x / ‖x‖_p` along an axis. ONNX LpNormalization.
    case lp(LpNormAttributes)
    /// `[input]`: local response normalization across channels. ONNX LRN.
    case localResponse(LRNAttributes)
    /// `[input, mean?, variance?, count?]`: `(x − mean) / max(sqrt(variance), 1e-7)` (or its
    /// inverse), as Keras Normalization computes it. The statistics are weights when the layer was
    /// adapted (its `count` weight is carried for writers), or attributes when its config gives
    /// them (`Normalization(mean=…, variance=…)`: no weights, no parameters).
    case standardize(StandardizeAttributes)
    /// `[input]`: `x · scale + offset` with scalars or per-channel vectors. Keras Rescaling.
    case rescale(RescaleAttributes)

    public var kind: String {
        switch self {
        case .batch: "batch_normalization"
        case .instance: "instance_normalization"
        case .layer: "layer_normalization"
        case .group: "group_normalization"
        case .lp: "lp_normalization"
        case .localResponse: "local_response_normalization"
        case .standardize: "standardize"
        case .rescale: "rescale"
        }
    }

    public var inputRoles: [String] {
        switch self {
        case .batch: ["input", "gamma?", "beta?", "moving_mean", "moving_variance"]
        case .instance: ["input", "scale", "bias"]
        case .layer, .group: ["input", "gamma?", "beta?"]
        case .lp, .localResponse, .rescale: ["input"]
        case .standardize: ["input", "mean?", "variance?", "count?"]
        }
    }

    public var displayName: String {
        switch self {
        case .batch: "BatchNormalization"
        case .instance: "InstanceNormalization"
        case .layer: "LayerNormalization"
        case .group: "GroupNormalization"
        case .lp: "LpNormalization"
        case .localResponse: "LRN"
        case .standardize: "Normalization"
        case .rescale: "Rescaling"
        }
    }
}

public struct BatchNormAttributes: Sendable, Equatable, Codable {
    public var epsilon: Float
    /// The channel axis (negative counts from the end): -1 for Keras, 1 for ONNX.
    public var axis: Int

    public init(epsilon: Float = 1e-3, axis: Int = -1) {
        self.epsilon = epsilon
        self.axis = axis
    }
}

public struct InstanceNormAttributes: Sendable, Equatable, Codable {
    public var epsilon: Float
    public var layout: DataLayout

    public init(epsilon: Float = 1e-5, layout: DataLayout = .channelsFirst) {
        self.epsilon = epsilon
        self.layout = layout
    }
}

public struct LayerNormAttributes: Sendable, Equatable, Codable {
    /// Axes normalized over (negative count from the end). ONNX's `axis` k means `[k, …, rank−1]`.
    public var axes: [Int]
    public var epsilon: Float
    /// Keras 3's (deprecated) `rms_scaling`: `x · rsqrt(var + ε) · γ` — Keras divides by the
    /// centred standard deviation, not the root mean square its name says, and has no β.
    public var rmsScaling: Bool

    /// γ and β are shaped like the normalized axes (Keras's, laid over those axes: `(H, W)` for
    /// axes 1 and 2 of NHWC), or broadcast to the input from the end (ONNX's).
    public init(axes: [Int] = [-1], epsilon: Float = 1e-3, rmsScaling: Bool = false) {
        self.axes = axes
        self.epsilon = epsilon
        self.rmsScaling = rmsScaling
    }
}

public struct GroupNormAttributes: Sendable, Equatable, Codable {
    public var groups: Int
    /// The channel axis.
    public var axis: Int
    public var epsilon: Float

    public init(groups: Int, axis: Int = -1, epsilon: Float = 1e-3) {
        self.groups = groups
        self.axis = axis
        self.epsilon = epsilon
    }
}

public struct LpNormAttributes: Sendable, Equatable, Codable {
    public var axis: Int
    public var p: Int

    public init(axis: Int = -1, p: Int = 2) {
        self.axis = axis
        self.p = p
    }
}

public struct LRNAttributes: Sendable, Equatable, Codable {
    public var size: Int
    public var alpha: Float
    public var beta: Float
    public var bias: Float
    public var layout: DataLayout

    public init(size: Int, alpha: Float = 1e-4, beta: Float = 0.75, bias: Float = 1, layout: DataLayout = .channelsFirst) {
        self.size = size
        self.alpha = alpha
        self.beta = beta
        self.bias = bias
        self.layout = layout
    }
}

public struct StandardizeAttributes: Sendable, Equatable, Codable {
    /// The axes that keep their own statistics (Keras `axis`, default the last). Mean and variance
    /// are shaped like these axes (Keras's weights, laid over them) or broadcast from the end.
    public var axes: [Int]
    /// `x · sqrt(variance) + mean` instead.
    public var invert: Bool
    /// Statistics given by the config rather than as weights (row-major, as written), used when
    /// the operands are absent; nil otherwise.
    public var mean: [Double]?
    public var variance: [Double]?
    /// Their shape as the config nests them (`[]` for a single number). Keras lays the last of
    /// these dimensions over the last kept axis, and so on leftwards.
    public var statisticsShape: [Int]?

    public init(axes: [Int] = [-1], invert: Bool = false, mean: [Double]? = nil, variance: [Double]? = nil,
                statisticsShape: [Int]? = nil) {
        self.axes = axes
        self.invert = invert
        self.mean = mean
        self.variance = variance
        self.statisticsShape = statisticsShape ?? mean.map { $0.count == 1 ? [] : [$0.count] }
    }
}

public struct RescaleAttributes: Sendable, Equatable, Codable {
    /// One value, or one per channel (the last axis).
    public var scale: [Float]
    public var offset: [Float]

    public init(scale: [Float], offset: [Float] = [0]) {
        self.scale = scale
        self.offset = offset
    }
}
