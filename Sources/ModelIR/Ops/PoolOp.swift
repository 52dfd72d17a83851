/// Pooling over the spatial axes (1, 2 or 3 of them).
public enum PoolOp: Sendable, Equatable {
    /// Keras MaxPooling1D/2D/3D, ONNX MaxPool (its optional Indices output is not supported).
    case max(PoolAttributes)
    /// Keras AveragePooling1D/2D/3D, ONNX AveragePool.
    case average(PoolAttributes)
    /// ONNX LpPool: `(Σ |x|^p)^(1/p)` over each window.
    case lp(PoolAttributes)
    /// Keras GlobalMaxPooling1D/2D/3D, ONNX GlobalMaxPool.
    case globalMax(GlobalPoolAttributes)
    /// Keras GlobalAveragePooling1D/2D/3D, ONNX GlobalAveragePool.
    case globalAverage(GlobalPoolAttributes)
    /// ONNX GlobalLpPool.
    case globalLp(GlobalPoolAttributes)

    public var kind: String {
        switch self {
        case .max: "max_pool"
        case .average: "average_pool"
        case .lp: "lp_pool"
        case .globalMax: "global_max_pool"
        case .globalAverage: "global_average_pool"
        case .globalLp: "global_lp_pool"
        }
    }

    public var layout: DataLayout {
        switch self {
        case .max(let a), .average(let a), .lp(let a): a.layout
        case .globalMax(let a), .globalAverage(let a), .globalLp(let a): a.layout
        }
    }

    public var displayName: String {
        switch self {
        case .max(let a): "MaxPooling\(a.poolSize.count)D"
        case .average(let a): "AveragePooling\(a.poolSize.count)D"
        case .lp: "LpPool"
        case .globalMax: "GlobalMaxPooling2D"
        case .globalAverage: "GlobalAveragePooling2D"
        case .globalLp: "GlobalLpPool"
        }
    }
}

public struct PoolAttributes: Sendable, Equatable, Codable {
    public var poolSize: [Int]
    public var strides: [Int]
    public var dilations: [Int]
    public var padding: Padding
    /// Output size rounded up instead of down (ONNX `ceil_mode`); a window that would start in
    /// the end padding is dropped, as ONNX specifies.
    public var ceilMode: Bool
    /// Average pooling only: whether padded cells count in the divisor (Keras: false; ONNX attr).
    public var countIncludePad: Bool
    /// Lp pooling's exponent.
    public var p: Int
    public var layout: DataLayout

    public init(poolSize: [Int], strides: [Int]? = nil, dilations: [Int]? = nil, padding: Padding = .valid,
                ceilMode: Bool = false, countIncludePad: Bool = false, p: Int = 2, layout: DataLayout = .channelsLast) {
        self.poolSize = poolSize
        self.strides = strides ?? poolSize
        self.dilations = dilations ?? poolSize.map { _ in 1 }
        self.padding = padding
        self.ceilMode = ceilMode
        self.countIncludePad = countIncludePad
        self.p = p
        self.layout = layout
    }
}

public struct GlobalPoolAttributes: Sendable, Equatable, Codable {
    /// Keep the spatial axes as size 1 (ONNX always; Keras `keepdims`).
    public var keepDims: Bool
    public var layout: DataLayout
    /// Lp pooling's exponent.
    public var p: Int

    public init(keepDims: Bool = false, layout: DataLayout = .channelsLast, p: Int = 2) {
        self.keepDims = keepDims
        self.layout = layout
        self.p = p
    }
}
