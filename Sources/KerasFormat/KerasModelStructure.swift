import ModelIR

/// A Keras model's structure before its weights are bound: the IR nodes (weights named but not
/// loaded) plus the layer list in `model.layers` order, which is what HDF5 weight files follow.
struct KerasModelStructure {
    var name: String
    var className: String
    var inputs: [TensorInfo] = []
    var outputs: [String] = []
    var nodes: [Node] = []
    /// Top-level layers in `model.layers` order; nested models carry their own layers.
    var layers: [KerasLayerUnit] = []
    var submodels: [Submodel] = []
    /// Per weight name: layout and trainability (set when the node is added).
    var weightFacts: [String: (layout: Layout, trainable: Bool)] = [:]
    /// Per convolution kernel weight: where its spatial axes are and how a Keras 1 file stored it
    /// (the binder flips Theano kernels and reshapes Keras 1.2's Convolution1D kernels).
    var convKernels: [String: ConvKernelFact] = [:]
    /// Which Keras wrote the config.
    var dialect: KerasDialect = .keras3
    /// Output types of carried layers, where the config recorded their shapes.
    var valueInfo: [String: TensorInfo] = [:]
}

/// One entry of `model.layers`: a layer, or a nested model with its own `layers`.
struct KerasLayerUnit {
    /// The layer's own name (unique within its model).
    var name: String
    var className: String
    var trainable: Bool
    /// Qualified IR node name of the layer's first call (nil for InputLayer and nested models).
    var nodeName: String?
    /// Weight names in Keras order (`trainable + non_trainable` of the layer itself).
    var weightNames: [String] = []
    /// A carried layer: its weights are whatever the file holds for it (`weightNames` is empty
    /// until the binder has read them).
    var discoversWeights = false
    var sublayers: [KerasLayerUnit]? = nil

    var isModel: Bool { sublayers != nil }

    /// Keras's `layer.trainable_weights + layer.non_trainable_weights` for this unit: the order in
    /// which legacy HDF5 files list its weights. For a nested model that is every trainable weight
    /// of its layers in order, then every non-trainable one — or all in layer order when frozen.
    func legacyWeightOrder(facts: [String: (layout: Layout, trainable: Bool)]) -> [String] {
        let all = flattenedWeights()
        guard isModel else {
            return all.filter { facts[$0]?.trainable ?? true } + all.filter { !(facts[$0]?.trainable ?? true) }
        }
        if !trainable { return all }
        return all.filter { facts[$0]?.trainable ?? true } + all.filter { !(facts[$0]?.trainable ?? true) }
    }

    func flattenedWeights() -> [String] {
        if let sublayers { return sublayers.flatMap { $0.flattenedWeights() } }
        return weightNames
    }

    var hasWeights: Bool { !flattenedWeights().isEmpty }

    /// Whether this unit is, or (for a nested model) holds, a carried layer.
    var containsCarriedLayer: Bool { discoversWeights || (sublayers?.contains { $0.containsCarriedLayer } ?? false) }

    var carriedLayerNames: [String] {
        if discoversWeights { return [name] }
        return sublayers?.flatMap(\.carriedLayerNames) ?? []
    }
}

extension KerasModelStructure {
    /// The Graph with weights still missing; `KerasWeightBinder` fills them in.
    func graph(weights: [String: Weight], metadata: Metadata) -> Graph {
        var meta = metadata
        meta.submodels = submodels
        meta.extra["keras_class"] = className
        return Graph(name: name, inputs: inputs, outputs: outputs, nodes: nodes, weights: weights, metadata: meta, valueInfo: valueInfo)
    }
}
