import ModelIR

/// keras.applications architectures wtool can rebuild, to read weights-only files.
public enum Architecture: String, Sendable, CaseIterable {
    case vgg16
    case vgg19
    case resnet50
    case inceptionV3 = "inception_v3"
    case xception
    case mobilenet
    case mobilenetV2 = "mobilenet_v2"
    case efficientnetB0 = "efficientnet_b0"
    case densenet121
    case resnet50V2 = "resnet50_v2"

    /// keras.applications' `preprocess_input` mode for the family (`none`: the model rescales its
    /// own input).
    public var preprocessing: String {
        switch self {
        case .vgg16, .vgg19, .resnet50: "caffe"
        case .inceptionV3, .xception, .mobilenet, .mobilenetV2, .resnet50V2: "tf"
        case .densenet121: "torch"
        case .efficientnetB0: "none"
        }
    }

    /// keras.applications' model name (`model.name`).
    var modelName: String {
        switch self {
        case .mobilenetV2, .mobilenet: rawValue  // depends on alpha and size; see their configs
        case .efficientnetB0: "efficientnetb0"
        case .resnet50V2: "resnet50v2"
        default: rawValue
        }
    }

    /// keras.applications' default input size.
    public var defaultInputShape: [Int] {
        switch self {
        case .inceptionV3, .xception: [299, 299, 3]
        default: [224, 224, 3]
        }
    }

    /// The smallest height and width keras.applications accepts (`obtain_input_shape`'s `min_size`).
    public var minimumInputSize: Int {
        switch self {
        case .inceptionV3: 75
        case .xception: 71
        default: 32
        }
    }
}

/// An architecture plus the constructor arguments keras.applications takes.
public struct ApplicationSpec: Sendable, Equatable {
    public var architecture: Architecture
    /// `input_shape` as (height, width, channels).
    public var inputShape: [Int]
    public var includeTop: Bool
    /// `pooling` when `includeTop` is false: nil, `avg` or `max`.
    public var pooling: String?
    public var classes: Int
    /// MobileNet's and MobileNetV2's width multiplier `alpha`; 1 elsewhere.
    public var alpha: Double
    /// Built as keras.applications builds it for `weights="imagenet"`: EfficientNet then adds a
    /// Rescaling by 1/√stddev after its Normalization (a correction of Keras's published
    /// statistics, which its official weight files need); no difference elsewhere.
    public var imagenet: Bool

    public init(architecture: Architecture, inputShape: [Int]? = nil, includeTop: Bool = false, pooling: String? = nil,
                classes: Int = 1000, alpha: Double = 1, imagenet: Bool = false) {
        self.architecture = architecture
        self.inputShape = inputShape ?? architecture.defaultInputShape
        self.includeTop = includeTop
        self.pooling = pooling
        self.classes = classes
        self.alpha = alpha
        self.imagenet = imagenet
    }

    /// Parses `--arch NAME` (`inception_v3`, `inception-v3` and `InceptionV3` are all accepted).
    /// - Throws: `KerasError.unknownArchitecture`.
    public init(name: String, inputShape: [Int]?, includeTop: Bool = false, pooling: String? = nil, classes: Int = 1000,
                alpha: Double = 1, imagenet: Bool = false) throws {
        let key = name.lowercased().replacingOccurrences(of: "-", with: "_")
        let aliases: [String: Architecture] = ["inceptionv3": .inceptionV3, "mobilenetv2": .mobilenetV2, "efficientnetb0": .efficientnetB0,
                                               "resnet50v2": .resnet50V2]
        guard let arch = Architecture(rawValue: key) ?? aliases[key] else {
            throw KerasError.unknownArchitecture(name)
        }
        self.init(architecture: arch, inputShape: inputShape, includeTop: includeTop, pooling: pooling, classes: classes, alpha: alpha,
                  imagenet: imagenet)
    }
}

/// The registry of built-in architectures.
public enum Applications {
    public static var names: [String] { Architecture.allCases.map(\.rawValue) }

    /// The Keras structure of `spec`, built as the Keras config keras.applications would save, so
    /// layer names and weight order match its files exactly.
    /// - Throws: `KerasError.badArchitectureOptions` for arguments keras.applications rejects too.
    static func structure(for spec: ApplicationSpec) throws -> KerasModelStructure {
        try KerasConfigParser.parse(try config(for: spec))
    }

    /// The Functional config of `spec` (what `model.get_config()` would give, layers in `model.layers` order).
    static func config(for spec: ApplicationSpec) throws -> JSONValue {
        try validate(spec)
        switch spec.architecture {
        case .vgg16: return try VGG.config(spec: spec, blocks: [2, 2, 3, 3, 3], name: "vgg16")
        case .vgg19: return try VGG.config(spec: spec, blocks: [2, 2, 4, 4, 4], name: "vgg19")
        case .resnet50: return ResNet.config(spec: spec, blocks: [3, 4, 6, 3], name: "resnet50")
        case .inceptionV3: return InceptionV3.config(spec: spec)
        case .xception: return Xception.config(spec: spec)
        case .mobilenet: return MobileNet.config(spec: spec)
        case .mobilenetV2: return MobileNetV2.config(spec: spec)
        case .efficientnetB0: return EfficientNet.config(spec: spec, name: "efficientnetb0")
        case .densenet121: return DenseNet.config(spec: spec, blocks: [6, 12, 24, 16], name: "densenet121")
        case .resnet50V2: return ResNetV2.config(spec: spec, blocks: [3, 4, 6, 3], name: "resnet50v2")
        }
    }

    private static func validate(_ spec: ApplicationSpec) throws {
        guard spec.inputShape.count == 3, spec.inputShape.allSatisfy({ $0 > 0 }) else {
            throw KerasError.badArchitectureOptions("--input-shape must be three positive integers H,W,C")
        }
        let minimum = spec.architecture.minimumInputSize
        guard spec.inputShape[0] >= minimum, spec.inputShape[1] >= minimum else {
            throw KerasError.badArchitectureOptions("\(spec.architecture.rawValue) needs an input of at least \(minimum)×\(minimum) (as keras.applications)")
        }
        if let pooling = spec.pooling, !["avg", "max"].contains(pooling) {
            throw KerasError.badArchitectureOptions("--pooling must be avg or max")
        }
        guard spec.classes > 0 else { throw KerasError.badArchitectureOptions("--classes must be positive") }
        guard spec.alpha > 0, spec.alpha.isFinite else { throw KerasError.badArchitectureOptions("--alpha must be positive") }
        if spec.alpha != 1, spec.architecture != .mobilenet, spec.architecture != .mobilenetV2 {
            throw KerasError.badArchitectureOptions("--alpha applies to mobilenet and mobilenet_v2 only")
        }
    }

    /// Preprocessing mode when a model's name says which family it is (`vgg16`, `resnet50`,
    /// `mobilenet_1.00_224`, …).
    static func preprocessing(forModelNamed name: String) -> String? {
        let lower = name.lowercased()
        if let arch = Architecture(rawValue: lower) ?? Architecture.allCases.first(where: { $0.modelName == lower }) { return arch.preprocessing }
        if lower.hasPrefix("mobilenetv2_") { return Architecture.mobilenetV2.preprocessing }
        return lower.hasPrefix("mobilenet_") ? Architecture.mobilenet.preprocessing : nil
    }
}
