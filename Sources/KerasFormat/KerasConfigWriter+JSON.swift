import ModelIR

/// The `model_config` JSON of the model `build()` assembled: per target, how layers, inbound nodes
/// and references to nested models are spelled (see ``KerasTarget``).
extension KerasConfigWriter {
    func modelConfig(_ model: KModel) throws -> JSONValue {
        var config: [String: JSONValue] = ["name": .string(model.name), "trainable": .bool(model.trainable)]
        if model.isSequential {
            config["layers"] = .array(try model.layers.map { try layerEntry($0, in: model) })
            return .object(config)
        }
        config["layers"] = .array(try model.layers.map { try layerEntry($0, in: model) })
        let refs = model.inputs.map { ref(to: $0, in: model) }
        let outs = try model.outputs.map { value -> JSONValue in
            try checked(ref(to: value, in: model), value: value, model: model)
        }
        config["input_layers"] = refs.count == 1 ? triple(refs[0]) : .array(refs.map(triple))
        config["output_layers"] = outs.count == 1 ? outs[0] : .array(outs)
        return .object(config)
    }

    func layerEntry(_ layer: KLayer, in model: KModel) throws -> JSONValue {
        var entry: [String: JSONValue] = ["class_name": .string(layer.className)]
        switch layer.kind {
        case .input(let shape):
            var config: [String: JSONValue] = ["name": .string(layer.name), "dtype": .string("float32"), "sparse": .bool(false)]
            config[target == .keras3 ? "batch_shape" : "batch_input_shape"] = .shape(shape)
            entry["config"] = .object(config)
        case .op(let spec, _, _):
            var config = spec.config
            config["name"] = .string(layer.name)
            if !spec.verbatim {
                config["trainable"] = .bool(layer.trainable)
                config["dtype"] = .string("float32")
            }
            entry["config"] = .object(config)
            entry.merge(spec.entry) { a, _ in a }
        case .model(let sub):
            entry["config"] = try modelConfig(sub)
        }
        if !model.isSequential {
            entry["name"] = .string(layer.name)
            entry["inbound_nodes"] = .array(try layer.calls.filter { !$0.inputs.isEmpty }.map { try inboundNode($0, in: model) })
        }
        return .object(entry)
    }

    /// Where a value comes from inside `model`: layer, node index, tensor index, and whether that
    /// layer is a nested model (whose node numbering differs between Keras versions).
    struct Reference {
        var layer: String
        var node: Int
        var tensor: Int
        var nested: KModel?
    }

    func ref(to value: String, in model: KModel) -> Reference {
        for layer in model.layers {
            for (k, call) in layer.calls.enumerated() {
                if let t = call.outputs.firstIndex(of: value) { return Reference(layer: layer.name, node: k, tensor: t, nested: layer.model) }
            }
        }
        return Reference(layer: value, node: 0, tensor: 0, nested: nil)
    }

    func triple(_ r: Reference) -> JSONValue { .array([.string(r.layer), .int(r.node), .int(r.tensor)]) }

    /// Node index of a reference to a nested model's (only) call, per target.
    func checked(_ r: Reference, value: String, model: KModel, inbound: Bool = false) throws -> JSONValue {
        guard let nested = r.nested else { return inbound ? legacy(r) : triple(r) }
        // tf_keras counts the nested model's construction as node 0 everywhere. Keras 3 does not
        // for layer inputs; for `output_layers` it does, but only for Functional models.
        let keras2 = 1
        let keras3 = inbound || nested.isSequential ? 0 : 1
        let index: Int
        switch target {
        case .keras2: index = keras2
        case .keras3: index = keras3
        case .both:
            guard keras2 == keras3 else {
                throw KerasError.unsupportedOption(layer: nested.name,
                    detail: "Keras 3 and tf_keras number a nested model's calls differently, and '\(model.name)' reads its output; write with --keras 2 or --keras 3")
            }
            index = keras2
        }
        var adjusted = r
        adjusted.node = index
        return inbound ? legacy(adjusted) : triple(adjusted)
    }

    func legacy(_ r: Reference) -> JSONValue { .array([.string(r.layer), .int(r.node), .int(r.tensor), .object([:])]) }

    func inboundNode(_ call: Call, in model: KModel) throws -> JSONValue {
        let refs = call.inputs.map { ref(to: $0, in: model) }
        if target == .keras3 {
            let tensors = try zip(refs, call.inputs).map { r, value -> JSONValue in
                let history = try checked(r, value: value, model: model, inbound: true)
                return .object(["class_name": .string("__keras_tensor__"), "config": .object([
                    "shape": .shape(shapes[value] ?? []), "dtype": .string("float32"),
                    "keras_history": .array(Array((history.array ?? []).prefix(3))),
                ])])
            }
            let args: JSONValue = call.takesList ? .array([.array(tensors)]) : .array(tensors)
            return .object(["args": args, "kwargs": .object([:])])
        }
        return .array(try zip(refs, call.inputs).map { try checked($0, value: $1, model: model, inbound: true) })
    }
}
