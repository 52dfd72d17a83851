/// Convolutions, in 1, 2 or 3 spatial dimensions (the rank is `kernelSize.count`).
public enum ConvOp: Sendable, Equatable {
    /// `[input, kernel, bias?]`. Keras Conv1D/2D/3D (channels last, HWIO kernel), ONNX Conv
    /// (channels first, OIHW kernel); `groups` > 1 for grouped and depthwise ONNX convolutions.
    case conv(ConvAttributes)
    /// `[input, depthwise_kernel, bias?]`, kernel `[spatial…, C, multiplier]`. Keras DepthwiseConv1D/2D.
    case depthwise(DepthwiseConvAttributes)
    /// `[input, depthwise_kernel, pointwise_kernel, bias?]`: a depthwise convolution then a 1×1
    /// one. Keras SeparableConv1D/2D (pointwise kernel `[1…, C·M, filters]`).
    case separable(SeparableConvAttributes)
    /// `[input, kernel, bias?]`. Keras Conv1D/2D/3DTranspose (kernel spatial, out, in), ONNX
    /// ConvTranspose (kernel in, out per group, spatial).
    case transposed(ConvTransposeAttributes)

    public var kind: String {
        switch self {
        case .conv: "conv"
        case .depthwise: "depthwise_conv"
        case .separable: "separable_conv"
        case .transposed: "conv_transpose"
        }
    }

    public var inputRoles: [String] {
        switch self {
        case .conv, .transposed: ["input", "kernel", "bias?"]
        case .depthwise: ["input", "depthwise_kernel", "bias?"]
        case .separable: ["input", "depthwise_kernel", "pointwise_kernel", "bias?"]
        }
    }

    public var spatialRank: Int {
        switch self {
        case .conv(let a): a.kernelSize.count
        case .depthwise(let a): a.kernelSize.count
        case .separable(let a): a.kernelSize.count
        case .transposed(let a): a.kernelSize.count
        }
    }

    public var layout: DataLayout {
        switch self {
        case .conv(let a): a.layout
        case .depthwise(let a): a.layout
        case .separable(let a): a.layout
        case .transposed(let a): a.layout
        }
    }

    public var activation: Activation {
        get {
            switch self {
            case .conv(let a): a.activation
            case .depthwise(let a): a.activation
            case .separable(let a): a.activation
            case .transposed(let a): a.activation
            }
        }
        set {
            switch self {
            case .conv(var a): a.activation = newValue; self = .conv(a)
            case .depthwise(var a): a.activation = newValue; self = .depthwise(a)
            case .separable(var a): a.activation = newValue; self = .separable(a)
            case .transposed(var a): a.activation = newValue; self = .transposed(a)
            }
        }
    }

    public var displayName: String {
        let n = "\(spatialRank)D"
        switch self {
        case .conv: return "Conv\(n)"
        case .depthwise: return "DepthwiseConv\(n)"
        case .separable: return "SeparableConv\(n)"
        case .transposed: return "Conv\(n)Transpose"
        }
    }
}

public struct ConvAttributes: Sendable, Equatable, Codable {
    /// Output channels.
    public var filters: Int
    public var kernelSize: [Int]
    public var strides: [Int]
    public var dilations: [Int]
    public var padding: Padding
    /// Channel groups; the kernel's input-channel axis holds input channels / groups.
    public var groups: Int
    public var activation: Activation
    public var layout: DataLayout
    public var kernelLayout: KernelLayout

    public init(filters: Int, kernelSize: [Int], strides: [Int]? = nil, dilations: [Int]? = nil, padding: Padding = .valid,
                groups: Int = 1, activation: Activation = .linear, layout: DataLayout = .channelsLast,
                kernelLayout: KernelLayout? = nil) {
        self.filters = filters
        self.kernelSize = kernelSize
        self.strides = strides ?? kernelSize.map { _ in 1 }
        self.dilations = dilations ?? kernelSize.map { _ in 1 }
        self.padding = padding
        self.groups = groups
        self.activation = activation
        self.layout = layout
        self.kernelLayout = kernelLayout ?? (layout == .channelsLast ? .spatialFirst : .spatialLast)
    }

    /// The kernel's shape for `inputChannels` input channels.
    public func kernelShape(inputChannels: Int) -> [Int] {
        let perGroup = groups > 0 ? inputChannels / groups : 0
        return kernelLayout == .spatialFirst ? kernelSize + [perGroup, filters] : [filters, perGroup] + kernelSize
    }
}

public struct DepthwiseConvAttributes: Sendable, Equatable, Codable {
    public var depthMultiplier: Int
    public var kernelSize: [Int]
    public var strides: [Int]
    public var dilations: [Int]
    public var padding: Padding
    public var activation: Activation
    public var layout: DataLayout

    public init(depthMultiplier: Int = 1, kernelSize: [Int], strides: [Int]? = nil, dilations: [Int]? = nil,
                padding: Padding = .valid, activation: Activation = .linear, layout: DataLayout = .channelsLast) {
        self.depthMultiplier = depthMultiplier
        self.kernelSize = kernelSize
        self.strides = strides ?? kernelSize.map { _ in 1 }
        self.dilations = dilations ?? kernelSize.map { _ in 1 }
        self.padding = padding
        self.activation = activation
        self.layout = layout
    }
}

public struct SeparableConvAttributes: Sendable, Equatable, Codable {
    public var filters: Int
    public var depthMultiplier: Int
    public var kernelSize: [Int]
    public var strides: [Int]
    public var dilations: [Int]
    public var padding: Padding
    public var activation: Activation
    public var layout: DataLayout

    public init(filters: Int, depthMultiplier: Int = 1, kernelSize: [Int], strides: [Int]? = nil, dilations: [Int]? = nil,
                padding: Padding = .valid, activation: Activation = .linear, layout: DataLayout = .channelsLast) {
        self.filters = filters
        self.depthMultiplier = depthMultiplier
        self.kernelSize = kernelSize
        self.strides = strides ?? kernelSize.map { _ in 1 }
        self.dilations = dilations ?? kernelSize.map { _ in 1 }
        self.padding = padding
        self.activation = activation
        self.layout = layout
    }
}

/// A transposed convolution (the gradient of a convolution with respect to its input). Output
/// size per axis: `stride · (in − 1) + outputPadding + (k − 1) · dilation + 1 − padBegin − padEnd`;
/// `same` padding gives `in · stride` (TensorFlow's and ONNX SAME_UPPER's split of the padding),
/// `outputShape` the sizes it names; `ConvOp.transposedPads` derives the pads of both.
///
/// Keras's `valid` with `output_padding=None` and a kernel smaller than the stride makes
/// `(in − 1) · stride + max(k, stride)`: an importer writes that as `outputPadding = stride − k`.
public struct ConvTransposeAttributes: Sendable, Equatable, Codable {
    public var filters: Int
    public var kernelSize: [Int]
    public var strides: [Int]
    public var dilations: [Int]
    public var padding: Padding
    public var outputPadding: [Int]
    /// ONNX's `output_shape` (spatial sizes): when set, the padding is computed to reach it.
    public var outputShape: [Int]?
    public var groups: Int
    public var activation: Activation
    public var layout: DataLayout
    /// `.spatialFirst`: Keras's `[spatial…, out, in]`; `.spatialLast`: ONNX's `[in, out/groups, spatial…]`.
    public var kernelLayout: KernelLayout

    public init(filters: Int, kernelSize: [Int], strides: [Int]? = nil, dilations: [Int]? = nil, padding: Padding = .valid,
                outputPadding: [Int]? = nil, outputShape: [Int]? = nil, groups: Int = 1, activation: Activation = .linear,
                layout: DataLayout = .channelsLast, kernelLayout: KernelLayout? = nil) {
        self.filters = filters
        self.kernelSize = kernelSize
        self.strides = strides ?? kernelSize.map { _ in 1 }
        self.dilations = dilations ?? kernelSize.map { _ in 1 }
        self.padding = padding
        self.outputPadding = outputPadding ?? kernelSize.map { _ in 0 }
        self.outputShape = outputShape
        self.groups = groups
        self.activation = activation
        self.layout = layout
        self.kernelLayout = kernelLayout ?? (layout == .channelsLast ? .spatialFirst : .spatialLast)
    }

    /// The kernel's shape for `inputChannels` input channels: `[spatial…, filters/groups, C]`
    /// (Keras's; its layers have one group) or `[C, filters/groups, spatial…]` (ONNX's).
    public func kernelShape(inputChannels: Int) -> [Int] {
        let perGroup = groups > 0 ? filters / groups : 0
        return kernelLayout == .spatialFirst ? kernelSize + [perGroup, inputChannels] : [inputChannels, perGroup] + kernelSize
    }
}
