import ModelIR

/// Reads a Keras model config (the `model_config` root attribute of a legacy `.h5`, or `config.json`
/// of a `.keras` zip; Keras 2 or Keras 3 flavour) into a `KerasModelStructure`.
///
/// Functional models follow their `inbound_nodes` (branches, layers called several times, nested
/// models); Sequential models chain their layers. A nested model's layers become IR nodes named
/// `outer/inner`, and its inputs are wired to the values that feed it.
struct KerasConfigParser {
    private var structure: KerasModelStructure
    /// Maps a reference (qualified value name) to the value that really holds it (nested models'
    /// outputs, nested models' inputs).
    private var aliases: [String: String] = [:]

    /// Which Keras wrote the config: decides what version-dependent names mean (`hard_sigmoid`).
    private var dialect: KerasDialect = .keras3
    /// The file's `keras_version`, when it says one.
    private var kerasVersion: String?
    /// For Keras 1 configs: the image_dim_ordering of layers that do not record theirs.
    private var keras1Ordering = "tf"
    /// Shapes Keras 3 recorded for values where later layers read them: the only shapes a carried
    /// layer's output has.
    private var observedShapes: [String: [Int]] = [:]

    /// Parses `{"class_name": …, "config": {…}}` (the form both Keras versions save).
    /// - Parameter kerasVersion: the file's `keras_version`, when it has one; otherwise the
    ///   config's own spelling says which Keras wrote it.
    static func parse(_ root: JSONValue, kerasVersion: String? = nil) throws -> KerasModelStructure {
        guard let className = root["class_name"]?.string, let config = root["config"] else {
            throw KerasError.badConfig("expected an object with 'class_name' and 'config'")
        }
        guard KerasLayerTable.modelClasses.contains(className) else {
            throw KerasError.badConfig("the top-level object is a \(className), not a model")
        }
        // Keras 1 and 2.0–2.1 saved a Sequential config as the bare list of its layers, without
        // the name, which those Kerases then made `sequential_1` in a fresh session.
        let name = config["name"]?.string ?? (className != "Sequential" ? "model" : config.array != nil ? "sequential_1" : "sequential")
        var parser = KerasConfigParser(structure: KerasModelStructure(name: name, className: className))
        parser.kerasVersion = kerasVersion ?? root["keras_version"]?.string
        parser.dialect = KerasDialect(version: parser.kerasVersion, config: root)
        parser.keras1Ordering = Keras1Config.modelOrdering(config)
        parser.structure.dialect = parser.dialect
        let trainable = config["trainable"]?.bool ?? true
        let (units, outputs) = try parser.parseModel(className: className, config: config, scope: [], inputValues: nil, trainable: trainable)
        parser.structure.layers = units
        parser.structure.outputs = outputs.map { parser.resolve($0) }
        for node in parser.structure.nodes {
            guard case .custom = node.op else { continue }
            for output in node.outputs {
                if let shape = parser.observedShapes[output] {
                    parser.structure.valueInfo[output] = TensorInfo(name: output, dtype: .float32, shape: shape)
                }
            }
        }
        guard !parser.structure.inputs.isEmpty else { throw KerasError.badConfig("the model has no input layer") }
        return parser.structure
    }

    private func resolve(_ value: String) -> String {
        var v = value
        var hops = 0
        while let next = aliases[v], hops < 1000 { v = next; hops += 1 }
        return v
    }

    private static func qualified(_ scope: [String], _ name: String) -> String {
        (scope + [name]).joined(separator: "/")
    }

    private static func valueName(_ scope: [String], layer: String, node: Int, tensor: Int) -> String {
        var name = qualified(scope, layer)
        if node > 0 { name += "#\(node)" }
        if tensor > 0 { name += ":\(tensor)" }
        return name
    }

    /// Parses a Functional or Sequential model's config. Returns its layer units and output values.
    /// - Parameter inputValues: for a nested model, the outer values its inputs are bound to.
    private mutating func parseModel(className: String, config: JSONValue, scope: [String], inputValues: [String]?,
                                     trainable: Bool) throws -> ([KerasLayerUnit], [String]) {
        if className == "Sequential", let layers = config.array {
            // Keras 2.0–2.1 saved a Sequential model's config as the bare list of its layers.
            return try parseSequential(layers: layers, config: .object([:]), scope: scope, inputValues: inputValues, trainable: trainable)
        }
        guard let layers = config["layers"]?.array else {
            throw KerasError.badConfig("model '\(Self.qualified(scope, config["name"]?.string ?? "?"))' has no 'layers' list")
        }
        try ResourceLimits.current.checkNodes(layers.count, what: "Keras layers")
        if className == "Sequential" {
            return try parseSequential(layers: layers, config: config, scope: scope, inputValues: inputValues, trainable: trainable)
        }
        return try parseFunctional(layers: layers, config: config, scope: scope, inputValues: inputValues, trainable: trainable)
    }

    private static func layerName(_ layer: JSONValue) -> String? {
        layer["name"]?.string ?? layer["config"]?["name"]?.string
    }

    private static func batchShape(_ config: JSONValue?) throws -> [Int]? {
        guard let config else { return nil }
        for key in ["batch_shape", "batch_input_shape"] {
            if let dims = config[key]?.array {
                return try dimensions(dims, key: key)
            }
        }
        return nil
    }

    /// A shape list: `null` is an unknown dimension (-1); anything else must be a non-negative
    /// integer (a huge or fractional number must not quietly become "unknown").
    private static func dimensions(_ dims: [JSONValue], key: String) throws -> [Int] {
        try dims.map { dim in
            if dim.isNull { return -1 }
            guard let n = dim.int, n >= 0 else { throw KerasError.badConfig("\(key) has a dimension that is not a non-negative integer") }
            return n
        }
    }

    private static func dtypeName(_ config: JSONValue?) -> String {
        guard let dtype = config?["dtype"] ?? config?["input_dtype"] else { return "float32" }  // Keras 1: input_dtype
        return dtype.string ?? dtype["config"]?["name"]?.string ?? "float32"
    }

    private static func layerRefs(_ value: JSONValue?) -> [(String, Int, Int)] {
        guard let list = value?.array else { return [] }
        if list.count >= 3, let l = list[0].string, let n = list[1].int, let t = list[2].int { return [(l, n, t)] }
        return list.compactMap { e in
            guard let a = e.array, a.count >= 3, let l = a[0].string, let n = a[1].int, let t = a[2].int else { return nil }
            return (l, n, t)
        }
    }

    private mutating func addInput(scope: [String], name: String, config: JSONValue?, boundTo outer: String?) throws {
        let value = Self.valueName(scope, layer: name, node: 0, tensor: 0)
        if let outer {
            aliases[value] = outer
            return
        }
        guard let shape = try Self.batchShape(config) else {
            throw KerasError.badConfig("input layer '\(name)' has no batch_shape")
        }
        guard Self.dtypeName(config) == "float32" else {
            throw KerasError.unsupportedOption(layer: name, detail: "input dtype \(Self.dtypeName(config)) is not supported (float32 only)")
        }
        structure.inputs.append(TensorInfo(name: value, dtype: .float32, shape: shape.enumerated().map { $0 == 0 ? -1 : $1 },
                                           layout: shape.count == 4 ? .nhwc : .unspecified))
    }

    private mutating func parseFunctional(layers: [JSONValue], config: JSONValue, scope: [String], inputValues: [String]?,
                                          trainable: Bool) throws -> ([KerasLayerUnit], [String]) {
        let inputRefs = Self.layerRefs(config["input_layers"])
        if let inputValues, inputValues.count != inputRefs.count {
            throw KerasError.badConfig("nested model '\(scope.joined(separator: "/"))' takes \(inputRefs.count) inputs, called with \(inputValues.count)")
        }
        var units: [KerasLayerUnit] = []
        var unitIndex: [String: Int] = [:]
        // A nested model is called once (more is refused below), so any reference to it means that
        // call. The number differs by writer: tf_keras counts the model's own construction as node
        // 0 (its call is node 1); Keras 3 does in `output_layers` but not in `inbound_nodes`.
        let nestedModels = Set(layers.compactMap { layer -> String? in
            guard let cls = layer["class_name"]?.string, KerasLayerTable.modelClasses.contains(cls) else { return nil }
            return Self.layerName(layer)
        })
        func value(_ ref: (String, Int, Int)) -> String {
            resolve(Self.valueName(scope, layer: ref.0, node: nestedModels.contains(ref.0) ? 0 : ref.1, tensor: ref.2))
        }
        func value(_ ref: KerasCall.Reference) -> String { value((ref.layer, ref.node, ref.tensor)) }
        for layer in layers {
            guard let name = Self.layerName(layer), let cls = layer["class_name"]?.string else {
                throw KerasError.badConfig("a layer entry has no name or class_name")
            }
            let layerConfig = layer["config"]
            if cls == "InputLayer" {
                let position = inputRefs.firstIndex { $0.0 == name }
                try addInput(scope: scope, name: name, config: layerConfig, boundTo: position.flatMap { inputValues?[$0] })
                unitIndex[name] = units.count
                units.append(KerasLayerUnit(name: name, className: cls, trainable: false))
                continue
            }
            let calls = layer["inbound_nodes"]?.array ?? []
            let layerTrainable = trainable && (layerConfig?["trainable"]?.bool ?? true)
            var unit = KerasLayerUnit(name: name, className: cls, trainable: layerTrainable)
            // Keras 3 operation nodes (`x + 3.0`, `ops.mean`) are graph nodes but not layers: not in
            // `model.layers`, so no entry of `layer_names` nor a group of a Keras 3 weights file.
            let isOperation = KerasOperations.isOperation(entry: layer, dialect: dialect)
            for (callIndex, callJSON) in calls.enumerated() {
                let call = KerasCall.parse(callJSON)
                for ref in call.references { if let shape = ref.shape { observedShapes[value(ref)] = shape } }
                if callIndex == 0, let shape = layerConfig?["build_config"]?["input_shape"]?.array ?? layer["build_config"]?["input_shape"]?.array,
                   call.references.count == 1, let dims = try? Self.dimensions(shape, key: "input_shape") {
                    // tf_keras records the shape a layer was built for: its input's.
                    let input = value(call.references[0])
                    if observedShapes[input] == nil { observedShapes[input] = dims }
                }
                let inputs = call.references.map(value)
                let callValue = Self.valueName(scope, layer: name, node: callIndex, tensor: 0)
                if KerasLayerTable.modelClasses.contains(cls) {
                    guard callIndex == 0 else {
                        throw KerasError.unsupportedOption(layer: name, detail: "a nested model called more than once is not supported")
                    }
                    let (sub, outs) = try parseNested(cls: cls, name: name, config: layerConfig, scope: scope, inputs: inputs, trainable: layerTrainable)
                    unit.sublayers = sub
                    guard outs.count == 1 else {
                        throw KerasError.unsupportedOption(layer: name, detail: "a nested model with \(outs.count) outputs is not supported")
                    }
                    aliases[callValue] = outs[0]
                } else {
                    let resolved = Dictionary(call.references.map { ($0, value($0)) }, uniquingKeysWith: { a, _ in a })
                    try addLayerNode(&unit, entry: layer, config: layerConfig, scope: scope, callIndex: callIndex, call: call, inputs: inputs,
                                     trainable: layerTrainable, operation: isOperation, value: { resolved[$0] ?? "" })
                }
            }
            if calls.isEmpty, KerasLayerTable.modelClasses.contains(cls) {
                throw KerasError.badConfig("nested model '\(name)' is never called")
            }
            if isOperation { continue }
            unitIndex[name] = units.count
            units.append(unit)
        }
        let outputs = Self.layerRefs(config["output_layers"]).map(value)
        guard !outputs.isEmpty else { throw KerasError.badConfig("model has no output_layers") }
        return (units, outputs)
    }

    private mutating func parseSequential(layers: [JSONValue], config: JSONValue, scope: [String], inputValues: [String]?,
                                          trainable: Bool) throws -> ([KerasLayerUnit], [String]) {
        var units: [KerasLayerUnit] = []
        var current: String
        var rest = layers[...]
        let modelName = config["name"]?.string ?? "sequential"
        if let first = rest.first, first["class_name"]?.string == "InputLayer" {
            let name = Self.layerName(first) ?? "\(modelName)_input"
            try addInput(scope: scope, name: name, config: first["config"], boundTo: inputValues?.first)
            current = resolve(Self.valueName(scope, layer: name, node: 0, tensor: 0))
            rest = rest.dropFirst()
        } else if let outer = inputValues?.first {
            current = outer
        } else {
            // No InputLayer: the shape is on the first layer, the model's build_input_shape, or the
            // first nested model's own input.
            var shape = try Self.batchShape(rest.first?["config"])
            if shape == nil, let dims = config["build_input_shape"]?.array { shape = try Self.dimensions(dims, key: "build_input_shape") }
            if shape == nil, let nested = rest.first?["config"]?["layers"]?.array?.first, nested["class_name"]?.string == "InputLayer" {
                shape = try Self.batchShape(nested["config"])
            }
            guard let shape else { throw KerasError.badConfig("Sequential model '\(modelName)' has no input shape") }
            var name = "\(Self.layerName(rest.first ?? .null) ?? modelName)_input"
            if let first = rest.first, let cls = first["class_name"]?.string,
               Keras1Config.isKeras1(className: cls, config: first["config"] ?? .null, version: kerasVersion) {
                // Keras 1's `create_input_layer`: `<class name, lower case>_input_<uid>`, 1 when the
                // file is loaded in a fresh session.
                name = "\(cls.lowercased())_input_1"
            }
            var cfg: [String: JSONValue] = ["batch_shape": .array(shape.map { $0 < 0 ? .null : .number(Double($0)) })]
            cfg["dtype"] = .string("float32")
            try addInput(scope: scope, name: name, config: .object(cfg), boundTo: nil)
            current = Self.valueName(scope, layer: name, node: 0, tensor: 0)
        }
        for layer in rest {
            guard let name = Self.layerName(layer), let cls = layer["class_name"]?.string else {
                throw KerasError.badConfig("a layer entry has no name or class_name")
            }
            let layerConfig = layer["config"]
            let layerTrainable = trainable && (layerConfig?["trainable"]?.bool ?? true)
            var unit = KerasLayerUnit(name: name, className: cls, trainable: layerTrainable)
            if let shape = layer["build_config"]?["input_shape"]?.array, observedShapes[current] == nil,
               let dims = try? Self.dimensions(shape, key: "input_shape") {
                observedShapes[current] = dims  // the previous layer's output, as this one was built for it
            }
            if KerasLayerTable.modelClasses.contains(cls) {
                let (sub, outs) = try parseNested(cls: cls, name: name, config: layerConfig, scope: scope, inputs: [current], trainable: layerTrainable)
                unit.sublayers = sub
                guard outs.count == 1 else {
                    throw KerasError.unsupportedOption(layer: name, detail: "a nested model with \(outs.count) outputs is not supported")
                }
                current = outs[0]
            } else if cls == "InputLayer" {
                throw KerasError.badConfig("Sequential model '\(modelName)' has an InputLayer after its first layer")
            } else {
                let input = current
                current = try addLayerNode(&unit, entry: layer, config: layerConfig, scope: scope, callIndex: 0,
                                           call: KerasCall(args: [.tensor(KerasCall.Reference(layer: "", node: 0, tensor: 0))], kwargs: []),
                                           inputs: [current], trainable: layerTrainable, operation: false, value: { _ in input })
            }
            units.append(unit)
        }
        return (units, [current])
    }

    private mutating func parseNested(cls: String, name: String, config: JSONValue?, scope: [String], inputs: [String],
                                      trainable: Bool) throws -> ([KerasLayerUnit], [String]) {
        guard let config else { throw KerasError.badConfig("nested model '\(name)' has no config") }
        let innerScope = scope + [name]
        let (units, outputs) = try parseModel(className: cls, config: config, scope: innerScope, inputValues: inputs, trainable: trainable)
        structure.submodels.append(Submodel(scope: innerScope, className: cls == "Model" ? "Functional" : cls, inputs: inputs, outputs: outputs))
        return (units, outputs)
    }

    /// Adds the node of one call of a layer (or operation): its op from the layer table, its
    /// weights named `<layer>/<role>` in their operand slots after the data operands. A layer wtool
    /// has no semantics for is carried (`Op.custom`) with its config; its weights are found in the
    /// file when they are bound.
    @discardableResult
    private mutating func addLayerNode(_ unit: inout KerasLayerUnit, entry: JSONValue, config: JSONValue?, scope: [String], callIndex: Int,
                                       call: KerasCall, inputs: [String], trainable: Bool, operation: Bool,
                                       value: (KerasCall.Reference) -> String) throws -> String {
        let qualifiedName = Self.qualified(scope, unit.name)
        let layerConfig = LayerConfig(layer: qualifiedName, values: config ?? .object([:]))
        var layer: KerasLayer
        var keras1Kernel: ConvKernelFact?
        do {
            if operation {
                layer = try KerasOperations.operation(className: unit.className, config: layerConfig, call: call, value: value)
            } else if unit.className == "TFOpLambda" {
                layer = try KerasOperations.tfOpLambda(config: layerConfig, call: call, value: value)
            } else if let config, Keras1Config.isKeras1(className: unit.className, config: config, version: kerasVersion) {
                let t = try Keras1Config.translate(className: unit.className, config: config, layer: qualifiedName,
                                                   modelOrdering: keras1Ordering)
                layer = try KerasLayerTable.layer(className: t.className, config: LayerConfig(layer: qualifiedName, values: t.config), dialect: dialect)
                keras1Kernel = Keras1Config.kernelFact(&layer, originalClass: unit.className, dimOrdering: t.dimOrdering)
            } else {
                layer = try KerasLayerTable.layer(className: unit.className, config: layerConfig, dialect: dialect)
            }
        } catch let error as KerasError {
            let reason: String
            switch error {
            case .unsupportedLayer(_, let cls): reason = cls == "Lambda" ? "a Lambda layer holds Python code" : "\(cls) is not a layer wtool computes"
            case .unsupportedOption(_, let detail): reason = detail
            default: throw error
            }
            layer = KerasCarriedLayer.layer(entry: entry, className: unit.className, operation: operation, inputCount: inputs.count, reason: reason)
        }
        let nodeName = callIndex == 0 ? qualifiedName : "\(qualifiedName)#\(callIndex)"
        let weightNames = layer.weights.map { "\(qualifiedName)/\($0.role)" }
        if callIndex == 0 {
            unit.nodeName = nodeName
            unit.weightNames = weightNames
            unit.discoversWeights = layer.discoversWeights
            for (w, facts) in zip(weightNames, layer.weights) {
                structure.weightFacts[w] = (facts.layout, trainable && facts.trainable)
            }
            if let kernel = layer.weights.first(where: { $0.role == "kernel" }).map({ "\(qualifiedName)/\($0.role)" }),
               let fact = keras1Kernel ?? ConvKernelFact(op: layer.op) {
                structure.convKernels[kernel] = fact
            }
        }
        // Weights fill their roles' operand slots after the data operands; absent ones stay "".
        let roles = layer.op.inputRoles.map { $0.filter { $0 != "?" } }
        var operands = layer.dataInputs ?? inputs
        if !layer.weights.isEmpty {
            let dataCount = layer.op.dataInputCount
            var slots = [String](repeating: "", count: max(roles.count - dataCount, 0))
            for (w, facts) in zip(weightNames, layer.weights) {
                guard let i = roles.firstIndex(of: facts.role), i >= dataCount else {
                    throw KerasError.badConfig("layer '\(qualifiedName)': no operand for weight role '\(facts.role)'")
                }
                slots[i - dataCount] = w
            }
            while slots.last == "" { slots.removeLast() }
            operands += slots
        }
        structure.nodes.append(Node(name: nodeName, op: layer.op, inputs: operands, outputs: [nodeName], scope: scope, sourceType: unit.className))
        return nodeName
    }
}
