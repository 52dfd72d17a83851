/// Builds a Functional model config the way keras.applications code produces it, so that a built-in
/// architecture reads weights-only files exactly as Keras would.
///
/// Two Keras behaviours are reproduced because weight binding depends on them:
/// - **Auto names.** A layer created without a name is called after its snake-cased class with a
///   per-class counter (`conv2d`, `conv2d_1`, …), as `keras.src.backend.common.global_state`'s
///   `uniquify` does in a fresh session (after `clear_session()`). tf_keras names them the same way.
/// - **Layer order.** `model.layers` is not creation order: Keras sorts layers by depth from the
///   output, then by the order a depth-first walk from the output first meets them
///   (`KerasLayerOrder`, shared with the `.h5` writer). Legacy `.h5` files list weights in that
///   order and Keras 3 `.weights.h5` files number their groups in it, so `config(output:)` emits
///   the layers sorted the same way.
struct FunctionalConfigBuilder {
    private var layers: [String: JSONValue] = [:]
    private var inputsOf: [String: [String]] = [:]
    private var autoNameCounts: [String: Int] = [:]
    let name: String
    let inputName = "input_layer"

    init(name: String, inputShape: [Int]) {
        self.name = name
        let shape: [JSONValue] = [.null] + inputShape.map { .number(Double($0)) }
        layers[inputName] = .object([
            "class_name": .string("InputLayer"), "name": .string(inputName),
            "config": .object(["batch_shape": .array(shape), "dtype": .string("float32"), "name": .string(inputName)]),
            "inbound_nodes": .array([]),
        ])
        inputsOf[inputName] = []
    }

    /// Adds a layer called on `inputs` (layer names, each layer called once) and returns its name.
    /// - Parameter name: the layer's name, or nil for Keras's automatic one.
    @discardableResult
    mutating func add(_ className: String, _ name: String?, _ config: [String: JSONValue], inputs: [String]) -> String {
        let layerName = name ?? autoName(className)
        precondition(layers[layerName] == nil, "duplicate layer name \(layerName) in a built-in architecture")
        var cfg = config
        cfg["name"] = .string(layerName)
        // As every Keras layer's config has them (a Keras 3 operation node's has neither).
        cfg["trainable"] = .bool(true)
        cfg["dtype"] = .string("float32")
        let refs: [JSONValue] = inputs.map { .array([.string($0), .number(0), .number(0), .object([:])]) }
        layers[layerName] = .object([
            "class_name": .string(className), "name": .string(layerName), "config": .object(cfg),
            "inbound_nodes": .array([.array(refs)]),
        ])
        inputsOf[layerName] = inputs
        return layerName
    }

    private mutating func autoName(_ className: String) -> String {
        let base = KerasWeightBinder.snakeCase(className)
        let n = autoNameCounts[base, default: 0]
        autoNameCounts[base] = n + 1
        return n == 0 ? base : "\(base)_\(n)"
    }

    /// The config, layers in Keras's `model.layers` order.
    func config(output: String) -> JSONValue {
        .object([
            "class_name": .string("Functional"),
            "config": .object([
                "name": .string(name), "layers": .array(kerasLayerOrder(output: output).compactMap { layers[$0] }),
                "input_layers": .array([.array([.string(inputName), .number(0), .number(0)])]),
                "output_layers": .array([.array([.string(output), .number(0), .number(0)])]),
            ]),
        ])
    }

    /// `model.layers` order (`KerasLayerOrder`: decreasing depth, ties by first visit); each
    /// layer here is called once, so a layer is its own node.
    func kerasLayerOrder(output: String) -> [String] {
        KerasLayerOrder.rank(outputs: [output], parents: { inputsOf[$0] ?? [] }, layer: { $0 })
            .sorted { KerasLayerOrder.precedes($0.value, $1.value) }.map(\.key)
    }

    static func ints(_ values: Int...) -> JSONValue { .array(values.map { .number(Double($0)) }) }
    static func ints(_ values: [Int]) -> JSONValue { .array(values.map { .number(Double($0)) }) }
}
