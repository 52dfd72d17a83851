/// One operation applied to named values.
public struct Node: Sendable, Equatable, Codable {
    /// Unique within the graph. For a layer of a nested model it is `outer/inner`.
    public var name: String
    public var op: Op
    /// Names of the values this node reads (graph inputs or other nodes' outputs).
    public var inputs: [String]
    /// Names of the values this node produces.
    public var outputs: [String]
    /// Names of the constant tensors in `Graph.weights`, in the order `op.weightRoles` gives.
    public var weights: [String]
    /// Path of enclosing nested models (`["vgg16"]`), outermost first; empty at top level.
    public var scope: [String]

    public init(name: String, op: Op, inputs: [String], outputs: [String]? = nil, weights: [String] = [], scope: [String] = []) {
        self.name = name
        self.op = op
        self.inputs = inputs
        self.outputs = outputs ?? [name]
        self.weights = weights
        self.scope = scope
    }

    /// The layer's own name without its scope.
    public var localName: String { name.split(separator: "/").last.map(String.init) ?? name }
}

/// A constant tensor (a weight) with its bytes.
public struct Weight: Sendable {
    public var info: TensorInfo
    public var data: TensorData
    /// Whether training would update it (Keras's trainable vs non-trainable split).
    public var trainable: Bool
    /// Where it came from, for messages: an HDF5 dataset path, an ONNX initializer name.
    public var source: String?

    public init(info: TensorInfo, data: TensorData, trainable: Bool = true, source: String? = nil) {
        self.info = info
        self.data = data
        self.trainable = trainable
        self.source = source
    }

    public var elementCount: Int { info.elementCount ?? 0 }
}

/// Facts about where a graph came from and how to feed it.
public struct Metadata: Sendable, Equatable, Codable {
    /// `keras-h5`, `keras-weights-h5`, `keras-v3`, `onnx`, `swm`, `builtin`.
    public var sourceFormat: String?
    public var producer: String?
    public var kerasVersion: String?
    public var backend: String?
    /// keras.applications preprocessing mode for this architecture (`caffe`, `tf`, `torch`), if known.
    public var preprocessing: String?
    public var classNames: [String]?
    /// Nested models by scope path, with Keras class name (`Functional`, `Sequential`).
    public var submodels: [Submodel]
    public var extra: [String: String]

    public init(sourceFormat: String? = nil, producer: String? = nil, kerasVersion: String? = nil, backend: String? = nil,
                preprocessing: String? = nil, classNames: [String]? = nil, submodels: [Submodel] = [], extra: [String: String] = [:]) {
        self.sourceFormat = sourceFormat
        self.producer = producer
        self.kerasVersion = kerasVersion
        self.backend = backend
        self.preprocessing = preprocessing
        self.classNames = classNames
        self.submodels = submodels
        self.extra = extra
    }
}

/// A nested model kept as a unit for `summary` (Keras shows it as one row).
public struct Submodel: Sendable, Equatable, Codable {
    public var scope: [String]
    public var className: String
    public var inputs: [String]
    public var outputs: [String]

    public init(scope: [String], className: String, inputs: [String], outputs: [String]) {
        self.scope = scope
        self.className = className
        self.inputs = inputs
        self.outputs = outputs
    }
}

/// A model: nodes in topological order over named values, constant weights, inputs and outputs.
///
/// Activations are NHWC with a batch axis of unknown size (`-1`); kernels are HWIO. The graph is a
/// value type; weights share their bytes (`TensorData` never copies on copy).
public struct Graph: Sendable {
    public var name: String
    /// Graph inputs (the Keras `InputLayer`s), with batch axis `-1`.
    public var inputs: [TensorInfo]
    /// Names of the values the graph returns.
    public var outputs: [String]
    public var nodes: [Node]
    public var weights: [String: Weight]
    public var metadata: Metadata

    public init(name: String, inputs: [TensorInfo], outputs: [String], nodes: [Node], weights: [String: Weight] = [:],
                metadata: Metadata = Metadata()) {
        self.name = name
        self.inputs = inputs
        self.outputs = outputs
        self.nodes = nodes
        self.weights = weights
        self.metadata = metadata
    }

    /// Weight names in node order (the order writers use).
    public var orderedWeightNames: [String] {
        var seen = Set<String>()
        var order: [String] = []
        for node in nodes {
            for w in node.weights where seen.insert(w).inserted { order.append(w) }
        }
        return order
    }

    public func node(named name: String) -> Node? {
        nodes.first { $0.name == name } ?? nodes.first { $0.localName == name }
    }
}
