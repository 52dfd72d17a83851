import ModelIR

/// Builds the Keras side of a `.h5` from a `Graph`: the `model_config` JSON and, for each entry of
/// the top model's `model.layers`, its weights in the order Keras's legacy loader pairs them. The
/// reverse of `KerasConfigParser`; how each op is spelled lives in `KerasLayerTable`.
///
/// Nodes sharing a scope become a nested model (`Graph.metadata.submodels` says Functional or
/// Sequential); `name#k` nodes are the k-th call of layer `name`. Layers are ordered exactly as
/// Keras orders `model.layers` when it rebuilds the model (`KerasLayerOrder`), because legacy
/// weights are paired with layers by position. The JSON spellings are in
/// `KerasConfigWriter+JSON.swift`, the weights' dataset names in `KerasConfigWriter+Weights.swift`.
struct KerasConfigWriter {
    /// One entry of `model.layers` of the top model with its weights: IR weight names paired with
    /// the dataset names written (`weight_names`), in Keras's order.
    struct FileLayer {
        var name: String
        var weights: [(weight: String, dataset: String)]
    }

    let graph: Graph
    let target: KerasTarget
    let shapes: [String: [Int]]
    let weightShapes: [String: [Int]]

    init(graph: Graph, target: KerasTarget) throws {
        self.graph = graph
        self.target = target
        self.shapes = try graph.inferShapes()
        self.weightShapes = graph.weights.mapValues(\.info.shape)
    }

    /// The model config (`{"class_name", "config"}`) and the weight layout.
    /// - Throws: `KerasError` naming the node that has no Keras spelling.
    func build() throws -> (config: JSONValue, layers: [FileLayer]) {
        let top = try buildModel(scope: [], name: graph.name, nodes: graph.nodes, inputs: graph.inputs.map(\.name),
                                 outputs: graph.outputs, wantsSequential: graph.metadata.extra["keras_class"] == "Sequential",
                                 parentTrainable: true)
        let config = JSONValue.object(["class_name": .string(top.className), "config": try modelConfig(top)])
        let layers = top.layers.filter { !(top.isSequential && $0.isInput) }.map { layer -> FileLayer in
            let unit = layer.unit
            let order = unit.legacyWeightOrder(facts: top.facts)
            return FileLayer(name: layer.name, weights: datasetNames(order, owner: layer))
        }
        return (config, layers)
    }

    // MARK: The Keras model being built

    enum LayerKind {
        case input(shape: [Int])
        case op(KerasLayerSpec, weights: [String], roles: [String])
        case model(KModel)
    }

    /// One call of a layer: the values it reads and produces.
    struct Call {
        var inputs: [String]
        var outputs: [String]
        /// Merge layers and multi-input models take a list as their single argument.
        var takesList: Bool
    }

    final class KLayer {
        let name: String
        let kind: LayerKind
        var calls: [Call] = []
        var trainable = true
        init(name: String, kind: LayerKind) {
            self.name = name
            self.kind = kind
        }

        var isInput: Bool { if case .input = kind { return true } else { return false } }
        var model: KModel? { if case .model(let m) = kind { return m } else { return nil } }
        var className: String {
            switch kind {
            case .input: "InputLayer"
            case .op(let spec, _, _): spec.className
            case .model(let m): m.className
            }
        }

        /// The reader's view of this layer, whose `legacyWeightOrder` is the order Keras pairs.
        var unit: KerasLayerUnit {
            switch kind {
            case .input: KerasLayerUnit(name: name, className: className, trainable: false)
            case .op(_, let weights, _): KerasLayerUnit(name: name, className: className, trainable: trainable, weightNames: weights)
            case .model(let m): KerasLayerUnit(name: name, className: className, trainable: trainable,
                                               sublayers: m.layers.filter { !(m.isSequential && $0.isInput) }.map(\.unit))
            }
        }
    }

    final class KModel {
        let name: String
        var className = "Functional"
        var isSequential: Bool { className == "Sequential" }
        var inputs: [String] = []
        var outputs: [String] = []
        var layers: [KLayer] = []
        var trainable = true
        /// Per IR weight: its layout and whether Keras will see it as trainable.
        var facts: [String: (layout: Layout, trainable: Bool)] = [:]
        init(name: String) { self.name = name }

        /// Whether the layers (in build order) form a chain Sequential can express: one input,
        /// one output, each layer called once on the previous layer's only output.
        var isChain: Bool {
            guard inputs.count == 1, outputs.count == 1 else { return false }
            var current = inputs[0]
            for layer in layers where !layer.isInput {
                guard layer.calls.count == 1, layer.calls[0].inputs == [current], layer.calls[0].outputs.count == 1 else { return false }
                current = layer.calls[0].outputs[0]
            }
            return current == outputs[0]
        }

        /// Marks every layer inside a frozen model as frozen, as `model.trainable = False` does.
        func freeze() {
            trainable = false
            for layer in layers {
                layer.trainable = false
                layer.model?.freeze()
            }
            for key in facts.keys { facts[key]!.trainable = false }
        }
    }

    /// Builds the model for `scope` from the nodes in its subtree.
    private func buildModel(scope: [String], name: String, nodes: [Node], inputs: [String], outputs: [String],
                            wantsSequential: Bool, parentTrainable: Bool) throws -> KModel {
        let model = KModel(name: name)
        model.inputs = inputs
        model.outputs = outputs
        var names = NameTable()
        var layersByName: [String: KLayer] = [:]
        var built: [KLayer] = []
        let prefix = scope.isEmpty ? "" : scope.joined(separator: "/") + "/"

        for (i, input) in inputs.enumerated() {
            let wanted = scope.isEmpty ? input : (i == 0 ? "input_layer" : "input_layer_\(i)")
            let layer = KLayer(name: names.claim(wanted), kind: .input(shape: shapes[input] ?? []))
            layer.trainable = false
            layer.calls = [Call(inputs: [], outputs: [input], takesList: false)]
            built.append(layer)
        }

        var doneScopes = Set<String>()
        for node in nodes {
            if node.scope.count > scope.count, node.scope.starts(with: scope) {
                let child = node.scope[scope.count]
                guard doneScopes.insert(child).inserted else { continue }
                let childScope = scope + [child]
                let childNodes = nodes.filter { $0.scope.starts(with: childScope) }
                let (childInputs, childOutputs) = boundary(of: childNodes, scope: childScope, within: nodes, modelOutputs: outputs)
                let sub = try buildModel(scope: childScope, name: names.claim(child), nodes: childNodes, inputs: childInputs,
                                         outputs: childOutputs,
                                         wantsSequential: graph.metadata.submodels.first { $0.scope == childScope }?.className == "Sequential",
                                         parentTrainable: parentTrainable)
                let layer = KLayer(name: sub.name, kind: .model(sub))
                layer.calls = [Call(inputs: childInputs, outputs: childOutputs, takesList: childInputs.count > 1)]
                layer.trainable = sub.trainable
                built.append(layer)
                model.facts.merge(sub.facts) { a, _ in a }
                continue
            }
            guard node.scope == scope else { continue }
            let local = node.name.hasPrefix(prefix) ? String(node.name.dropFirst(prefix.count)) : node.name
            // `name#k` is call k of layer `name` (how the reader names repeated calls).
            if let hash = local.lastIndex(of: "#"), Int(local[local.index(after: hash)...]) != nil,
               let shared = layersByName[String(local[..<hash])], case .op(_, let weights, _) = shared.kind,
               weights == KerasLayerTable.parameters(of: node).map(\.name) {
                addCall(node, to: shared)
                continue
            }
            let inputShape = node.inputs.first.flatMap { shapes[$0] }
            let spelling = try KerasLayerTable.spelling(for: node, inputShape: inputShape, outputShape: node.outputs.first.flatMap { shapes[$0] },
                                                        weightShapes: weightShapes, target: target)
            let base = names.claim(local)
            let parameters = KerasLayerTable.parameters(of: node)
            let layer = KLayer(name: base, kind: .op(spelling.layer, weights: parameters.map(\.name), roles: parameters.map(\.role)))
            layer.trainable = trainable(of: node, parentTrainable: parentTrainable)
            for (weight, role) in parameters {
                model.facts[weight] = (graph.weights[weight]?.info.layout ?? .unspecified,
                                       layer.trainable && KerasLayerTable.isTrainableRole(role))
            }
            var value = node.dataInputs
            if let padding = spelling.padding {
                let pad = KLayer(name: names.claim(base + "_pad"), kind: .op(padding, weights: [], roles: []))
                pad.trainable = parentTrainable
                let padded = "\u{0}pad:" + node.name
                pad.calls = [Call(inputs: value, outputs: [padded], takesList: false)]
                layersByName[pad.name] = pad
                built.append(pad)
                value = [padded]
            }
            var produced = node.outputs
            var post: KLayer?
            if let activation = spelling.activation {
                post = KLayer(name: names.claim(base + "_activation"), kind: .op(activation, weights: [], roles: []))
                post!.trainable = parentTrainable
                produced = ["\u{0}act:" + node.name]
                post!.calls = [Call(inputs: produced, outputs: node.outputs, takesList: false)]
            }
            layer.calls = [Call(inputs: value, outputs: produced, takesList: node.op.takesList)]
            layersByName[base] = layer
            built.append(layer)
            if let post {
                layersByName[post.name] = post
                built.append(post)
            }
        }

        model.layers = built
        if wantsSequential, model.isChain { model.className = "Sequential" }
        // A model is frozen when it has weights training would update and none of them is trainable.
        let (candidates, trainableCandidates) = Self.trainableCounts(built)
        if !parentTrainable || (candidates > 0 && trainableCandidates == 0) { model.freeze() }
        model.layers = try order(built, model: model)
        return model
    }

    /// `model.layers` as Keras computes it for the rebuilt model (`KerasLayerOrder`); layers the
    /// outputs do not depend on are not part of a Keras model and are dropped, inputs excepted.
    private func order(_ layers: [KLayer], model: KModel) throws -> [KLayer] {
        if model.isSequential || (layers.filter(\.isInput).count == layers.count) { return layers }
        var producer: [String: NodeKey] = [:]
        var byName: [String: KLayer] = [:]
        for layer in layers {
            byName[layer.name] = layer
            for (k, call) in layer.calls.enumerated() { for v in call.outputs { producer[v] = NodeKey(layer: layer.name, call: k) } }
        }
        func node(_ value: String) throws -> NodeKey {
            guard let key = producer[value] else { throw KerasError.badConfig("value '\(value)' of model '\(model.name)' has no producer") }
            return key
        }
        var ranks = try KerasLayerOrder.rank(outputs: model.outputs.map(node), parents: { key in
            try (byName[key.layer]?.calls[key.call].inputs ?? []).map(node)
        }, layer: \.layer)
        for layer in layers where layer.isInput && ranks[layer.name] == nil {
            ranks[layer.name] = KerasLayerOrder.Rank(depth: 0, visit: -1)
        }
        return layers.compactMap { layer in ranks[layer.name].map { (layer, $0) } }
            .sorted { KerasLayerOrder.precedes($0.1, $1.1) }.map(\.0)
    }

    /// One call of a layer: a node of the Keras graph.
    private struct NodeKey: Hashable {
        var layer: String
        var call: Int
    }

    /// Layers with weights training would update, and how many of them are trainable.
    private static func trainableCounts(_ layers: [KLayer]) -> (Int, Int) {
        var total = 0, trainable = 0
        for layer in layers {
            switch layer.kind {
            case .op(_, let weights, let roles):
                guard zip(weights, roles).contains(where: { $0.1 != "moving_mean" && $0.1 != "moving_variance" }) else { continue }
                total += 1
                if layer.trainable { trainable += 1 }
            case .model(let m):
                let (t, k) = trainableCounts(m.layers)
                total += t
                trainable += k
            case .input:
                break
            }
        }
        return (total, trainable)
    }

    /// Adds another call of a shared layer.
    private func addCall(_ node: Node, to layer: KLayer) {
        layer.calls.append(Call(inputs: node.dataInputs, outputs: node.outputs, takesList: node.op.takesList))
    }

    /// A layer is frozen (`trainable: false`) when it has weights training would update and none of
    /// them is trainable in the graph; weightless layers follow their model.
    private func trainable(of node: Node, parentTrainable: Bool) -> Bool {
        guard parentTrainable else { return false }
        let candidates = KerasLayerTable.parameters(of: node).filter { KerasLayerTable.isTrainableRole($0.role) }.map(\.name)
        // Only moving statistics (or nothing): Keras keeps those non-trainable either way.
        guard !candidates.isEmpty else { return true }
        return candidates.contains { graph.weights[$0]?.trainable ?? true }
    }

    /// The values a nested model takes and gives: those its nodes read but do not produce, and
    /// those it produces that something outside reads (or the model returns). Orders follow the
    /// reader's `Submodel` when it lists the same values.
    private func boundary(of nodes: [Node], scope: [String], within all: [Node], modelOutputs: [String]) -> ([String], [String]) {
        let produced = Set(nodes.flatMap(\.outputs))
        var inputs: [String] = []
        for node in nodes { for v in node.dataInputs where !produced.contains(v) && !inputs.contains(v) { inputs.append(v) } }
        let inside = Set(nodes.map(\.name))
        var readOutside = Set(graph.outputs).union(modelOutputs)
        for node in all where !inside.contains(node.name) { readOutside.formUnion(node.dataInputs) }
        for node in graph.nodes where !inside.contains(node.name) { readOutside.formUnion(node.dataInputs) }
        var outputs = nodes.flatMap(\.outputs).filter { readOutside.contains($0) }
        if let sub = graph.metadata.submodels.first(where: { $0.scope == scope }) {
            if Set(sub.inputs) == Set(inputs), sub.inputs.count == inputs.count { inputs = sub.inputs }
            if Set(sub.outputs) == Set(outputs), sub.outputs.count == outputs.count { outputs = sub.outputs }
        }
        return (inputs, outputs)
    }
}

/// Layer names unique within one model and valid as TensorFlow name scopes (tf_keras uses them
/// as such: letters, digits, `_`, `.`, `-`; Keras 3 forbids `/`). Names from Keras files pass
/// through unchanged; names from other formats are cleaned and made unique with `_1`, `_2`.
private struct NameTable {
    private var taken = Set<String>()

    mutating func claim(_ wanted: String) -> String {
        var clean = String(wanted.map { $0.isASCII && ($0.isLetter || $0.isNumber || "_.-".contains($0)) ? $0 : "_" })
        if clean.isEmpty || !(clean.first!.isLetter || clean.first!.isNumber || clean.first == ".") { clean = "layer" + clean }
        var name = clean
        var k = 1
        while taken.contains(name) { name = "\(clean)_\(k)"; k += 1 }
        taken.insert(name)
        return name
    }
}

private extension Op {
    /// Merge layers are called on a list of tensors.
    var takesList: Bool {
        switch self {
        case .elementwise(.variadic), .elementwise(.binary(.sub)), .elementwise(.scaledAdd), .tensor(.concat), .linear(.matMul): true
        default: false
        }
    }
}
