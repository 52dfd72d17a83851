/// The dataset names a top-level layer's weights are written under.
extension KerasConfigWriter {
    /// Dataset names for a top-level layer's weights: `layer/role:0` (tf_keras's variable names)
    /// or `layer/role` (Keras 3's paths), with the innermost layer's name; repeated names get
    /// `_1`, `_2` as TensorFlow's name scopes would.
    func datasetNames(_ order: [String], owner: KLayer) -> [(weight: String, dataset: String)] {
        var layerOf: [String: (String, String)] = [:]
        func collect(_ layer: KLayer) {
            switch layer.kind {
            case .op(_, let weights, let roles): for (w, r) in zip(weights, roles) where layerOf[w] == nil { layerOf[w] = (layer.name, r) }
            case .model(let m): m.layers.forEach(collect)
            case .input: break
            }
        }
        collect(owner)
        var used = Set<String>()
        return order.map { weight in
            let (layer, role) = layerOf[weight] ?? (owner.name, weight.split(separator: "/").last.map(String.init) ?? weight)
            var scopeName = layer
            var k = 1
            func name(_ s: String) -> String { target == .keras3 ? "\(s)/\(role)" : "\(s)/\(role):0" }
            while used.contains(name(scopeName)) { scopeName = "\(layer)_\(k)"; k += 1 }
            used.insert(name(scopeName))
            return (weight, name(scopeName))
        }
    }
}

