import ModelIR

/// keras.applications architectures wtool can rebuild, to read weights-only files.
public enum Architecture: String, Sendable, CaseIterable {
    case vgg16
    case vgg19

    /// keras.applications' `preprocess_input` mode for the family.
    public var preprocessing: String {
        switch self {
        case .vgg16, .vgg19: "caffe"
        }
    }

    /// keras.applications' default input size.
    public var defaultInputShape: [Int] { [224, 224, 3] }
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

    public init(architecture: Architecture, inputShape: [Int]? = nil, includeTop: Bool = false, pooling: String? = nil, classes: Int = 1000) {
        self.architecture = architecture
        self.inputShape = inputShape ?? architecture.defaultInputShape
        self.includeTop = includeTop
        self.pooling = pooling
        self.classes = classes
    }

    /// Parses `--arch NAME`.
    public init(name: String, inputShape: [Int]?, includeTop: Bool = false, pooling: String? = nil, classes: Int = 1000) throws {
        guard let arch = Architecture(rawValue: name.lowercased().replacingOccurrences(of: "-", with: "_")) else {
            throw KerasError.unknownArchitecture(name)
        }
        self.init(architecture: arch, inputShape: inputShape, includeTop: includeTop, pooling: pooling, classes: classes)
    }
}

/// The registry of built-in architectures.
public enum Applications {
    public static var names: [String] { Architecture.allCases.map(\.rawValue) }

    /// The Keras structure of `spec`, built as the Keras config keras.applications would save, so
    /// layer names and weight order match its files exactly.
    static func structure(for spec: ApplicationSpec) throws -> KerasModelStructure {
        guard spec.inputShape.count == 3, spec.inputShape.allSatisfy({ $0 > 0 }) else {
            throw KerasError.badArchitectureOptions("--input-shape must be three positive integers H,W,C")
        }
        if let pooling = spec.pooling, !["avg", "max"].contains(pooling) {
            throw KerasError.badArchitectureOptions("--pooling must be avg or max")
        }
        let config: JSONValue
        switch spec.architecture {
        case .vgg16: config = try VGG.config(spec: spec, blocks: [2, 2, 3, 3, 3], name: "vgg16")
        case .vgg19: config = try VGG.config(spec: spec, blocks: [2, 2, 4, 4, 4], name: "vgg19")
        }
        return try KerasConfigParser.parse(config)
    }

    /// Preprocessing mode when a model's name says which family it is (`vgg16`, `resnet50`, …).
    static func preprocessing(forModelNamed name: String) -> String? {
        Architecture(rawValue: name.lowercased())?.preprocessing
    }
}

/// Builds a Functional model config the way keras.applications code would produce it.
struct FunctionalConfigBuilder {
    private(set) var layers: [JSONValue] = []
    let name: String
    let inputName = "input_layer"

    init(name: String, inputShape: [Int]) {
        self.name = name
        let shape: [JSONValue] = [.null] + inputShape.map { .number(Double($0)) }
        layers.append(.object([
            "class_name": .string("InputLayer"), "name": .string(inputName),
            "config": .object(["batch_shape": .array(shape), "dtype": .string("float32"), "name": .string(inputName)]),
            "inbound_nodes": .array([]),
        ]))
    }

    /// Adds a layer called on `inputs` (layer names) and returns its name.
    @discardableResult
    mutating func add(_ className: String, _ name: String, _ config: [String: JSONValue], inputs: [String]) -> String {
        var cfg = config
        cfg["name"] = .string(name)
        let refs: [JSONValue] = inputs.map { .array([.string($0), .number(0), .number(0), .object([:])]) }
        layers.append(.object([
            "class_name": .string(className), "name": .string(name), "config": .object(cfg),
            "inbound_nodes": .array([.array(refs)]),
        ]))
        return name
    }

    func config(output: String) -> JSONValue {
        .object([
            "class_name": .string("Functional"),
            "config": .object([
                "name": .string(name), "layers": .array(layers),
                "input_layers": .array([.array([.string(inputName), .number(0), .number(0)])]),
                "output_layers": .array([.array([.string(output), .number(0), .number(0)])]),
            ]),
        ])
    }

    static func ints(_ values: Int...) -> JSONValue { .array(values.map { .number(Double($0)) }) }
}
