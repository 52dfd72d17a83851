/// One operation applied to named values.
public struct Node: Sendable, Equatable {
    /// Unique within the graph. For a layer of a nested model it is `outer/inner`.
    public var name: String
    public var op: Op
    /// Operands in the order `op.inputRoles` gives: names of graph inputs, other nodes' outputs or
    /// constants in `Graph.weights` (a layer's kernel and bias); "" for an absent optional operand.
    public var inputs: [String]
    /// Names of the values this node produces.
    public var outputs: [String]
    /// Path of enclosing nested models (`["vgg16"]`), outermost first; empty at top level.
    public var scope: [String]
    /// The layer class or op type the node was read from (`Conv2D`, `Conv`), when it says more
    /// than `op.displayName` (Keras `Permute` read as a transpose); nil otherwise.
    public var sourceType: String?

    public init(name: String, op: Op, inputs: [String], outputs: [String]? = nil, scope: [String] = [], sourceType: String? = nil) {
        self.name = name
        self.op = op
        self.inputs = inputs
        self.outputs = outputs ?? [name]
        self.scope = scope
        self.sourceType = sourceType
    }

    /// The layer's own name without its scope.
    public var localName: String { name.split(separator: "/").last.map(String.init) ?? name }

    /// The activation operands (not layer parameters), present ones only.
    public var dataInputs: [String] { inputs.prefix(op.dataInputCount).filter { !$0.isEmpty } }

    /// The operands that are present (non-empty names).
    public var presentInputs: [String] { inputs.filter { !$0.isEmpty } }

    /// The operand with `role` (as `op.inputRoles` names it, without `?`), or nil when absent.
    public func input(_ role: String) -> String? {
        let roles = op.inputRoles.map { $0.hasSuffix("?") ? String($0.dropLast()) : $0 }
        guard let i = roles.firstIndex(of: role), i < inputs.count, !inputs[i].isEmpty else { return nil }
        return inputs[i]
    }

    /// The name to show for the node's type: `sourceType`, else the op's display name.
    public var typeName: String { sourceType ?? op.displayName }
}

extension Node: Codable {
    private enum Keys: String, CodingKey { case name, op, inputs, outputs, scope, sourceType, weights }

    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: Keys.self)
        name = try c.decode(String.self, forKey: .name)
        op = try c.decode(Op.self, forKey: .op)
        inputs = try c.decode([String].self, forKey: .inputs)
        outputs = try c.decode([String].self, forKey: .outputs)
        scope = try c.decodeIfPresent([String].self, forKey: .scope) ?? []
        sourceType = try c.decodeIfPresent(String.self, forKey: .sourceType)
        // Format 1.0 listed a layer's weights apart from its inputs, without absent ones.
        if let weights = try c.decodeIfPresent([String].self, forKey: .weights), !weights.isEmpty {
            if case .normalization(.batch) = op {
                let flags = try c.nestedContainer(keyedBy: OpKeys.self, forKey: .op)
                    .decode(Op.LegacyBatchNormFlags.self, forKey: .attributes)
                var rest = weights[...]
                let gamma = flags.scale ? rest.popFirst() ?? "" : ""
                let beta = flags.center ? rest.popFirst() ?? "" : ""
                inputs += [gamma, beta] + rest
            } else {
                inputs += weights
            }
        }
    }

    private enum OpKeys: String, CodingKey { case attributes }

    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: Keys.self)
        try c.encode(name, forKey: .name)
        try c.encode(op, forKey: .op)
        try c.encode(inputs, forKey: .inputs)
        try c.encode(outputs, forKey: .outputs)
        try c.encode(scope, forKey: .scope)
        try c.encodeIfPresent(sourceType, forKey: .sourceType)
    }
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

    /// The weight as a tensor value (same bytes).
    public var tensor: Tensor { Tensor(dtype: info.dtype, shape: info.shape, data: data) }
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

/// A model: nodes in topological order over named values, constant tensors, inputs and outputs.
///
/// Values keep the source's layout and rank (NHWC from Keras, NCHW from most ONNX files); a
/// dimension of -1 is unknown until run time. The graph is a value type; weights share their bytes
/// (`TensorData` never copies on copy).
public struct Graph: Sendable {
    public var name: String
    /// Graph inputs (Keras `InputLayer`s, ONNX graph inputs that are not initializers).
    public var inputs: [TensorInfo]
    /// Names of the values the graph returns.
    public var outputs: [String]
    public var nodes: [Node]
    /// Constant tensors by name: layer weights, ONNX initializers, folded constants.
    public var weights: [String: Weight]
    public var metadata: Metadata
    /// Declared types of values other than the inputs (ONNX `value_info` and output types), by
    /// value name: what a writer declares again, and what inference uses for carried custom ops.
    public var valueInfo: [String: TensorInfo]

    public init(name: String, inputs: [TensorInfo], outputs: [String], nodes: [Node], weights: [String: Weight] = [:],
                metadata: Metadata = Metadata(), valueInfo: [String: TensorInfo] = [:]) {
        self.name = name
        self.inputs = inputs
        self.outputs = outputs
        self.nodes = nodes
        self.weights = weights
        self.metadata = metadata
        self.valueInfo = valueInfo
    }

    /// The constants a node reads, in operand order.
    public func constants(of node: Node) -> [String] {
        node.inputs.filter { !$0.isEmpty && weights[$0] != nil }
    }

    /// The constants a node reads as layer parameters (operands after `op.dataInputCount`): what
    /// Keras calls the layer's weights.
    public func parameters(of node: Node) -> [String] {
        node.inputs.dropFirst(node.op.dataInputCount).filter { !$0.isEmpty && weights[$0] != nil }
    }

    /// Every constant something refers to, each once, in the order writers store them: node
    /// operands in node order, tensors in carried custom ops' attributes, then graph outputs that
    /// are constants. Writers store these and nothing else.
    public var orderedWeightNames: [String] {
        var seen = Set<String>()
        var order: [String] = []
        func add(_ name: String) { if weights[name] != nil, seen.insert(name).inserted { order.append(name) } }
        for node in nodes {
            node.inputs.forEach(add)
            guard case .custom(let c) = node.op else { continue }
            for a in c.attributes {
                switch a.value {
                case .tensor(let t): add(t)
                case .tensors(let ts): ts.forEach(add)
                default: break
                }
            }
        }
        outputs.forEach(add)
        return order
    }

    /// `orderedWeightNames` as a set.
    public var referencedWeightNames: Set<String> { Set(orderedWeightNames) }

    public func node(named name: String) -> Node? {
        nodes.first { $0.name == name } ?? nodes.first { $0.localName == name }
    }
}
