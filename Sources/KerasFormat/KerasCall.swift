/// One call of a layer or operation as a functional config records it (an entry of its
/// `inbound_nodes`): the positional and keyword arguments, each a tensor or a literal.
///
/// Layers take tensors only, so for them `tensors` (every tensor in argument order) is all that
/// matters. Keras 3 operation nodes and tf_keras `TFOpLambda` layers also take Python numbers and
/// options: `x + 3.0` is saved as `{"args": [<x>, 3.0], "kwargs": {}}` by Keras 3 and as
/// `[["x", 0, 0, {"y": 3.0, "name": null}]]` by tf_keras, whose first positional argument may itself
/// be a constant (`["_CONSTANT_VALUE", -1, 2.0, {"y": <x>}]` for `2.0 - x`).
struct KerasCall {
    /// A reference to a value of the model, before it is resolved to an IR value name.
    struct Reference: Hashable {
        var layer: String
        var node: Int
        var tensor: Int
        /// The shape Keras 3 recorded for the tensor (`null` dimensions as -1), when it did.
        var shape: [Int]?
    }

    enum Argument: Equatable {
        case tensor(Reference)
        case tensors([Reference])
        case literal(JSONValue)

        var references: [Reference] {
            switch self {
            case .tensor(let r): [r]
            case .tensors(let rs): rs
            case .literal: []
            }
        }
    }

    var args: [Argument]
    var kwargs: [(key: String, value: Argument)]

    /// Every tensor the call reads, positional arguments first, then keywords in their order.
    var references: [Reference] { args.flatMap(\.references) + kwargs.flatMap(\.value.references) }

    func kwarg(_ key: String) -> Argument? { kwargs.first { $0.key == key }?.value }

    /// Parses one entry of `inbound_nodes`, in either Keras's spelling.
    static func parse(_ node: JSONValue) -> KerasCall {
        if node["args"] != nil || node["kwargs"] != nil {
            // Keras 3: {"args": [...], "kwargs": {...}} holding __keras_tensor__ objects.
            let args = (node["args"]?.array ?? []).map(keras3Argument)
            let kwargs = (node["kwargs"]?.object ?? [:]).sorted { $0.key < $1.key }.map { (key: $0.key, value: keras3Argument($0.value)) }
            return KerasCall(args: args, kwargs: kwargs)
        }
        // Keras 1/2: [[layer, node, tensor, kwargs], ...], one entry per positional tensor; the
        // keyword arguments of an op layer ride on the first entry, and a `TFOpLambda` called on
        // one tensor is saved as that entry alone.
        var args: [Argument] = []
        var kwargs: [(key: String, value: Argument)] = []
        // tf_keras saves an op layer's call on one tensor unwrapped: ["x", 0, 0, {...}].
        let entries = node.array?.first?.string != nil ? [node] : (node.array ?? [])
        for (i, entry) in entries.enumerated() {
            guard let e = entry.array, e.count >= 3, let layer = e[0].string else { continue }
            if layer == "_CONSTANT_VALUE" {
                args.append(.literal(e[2]))
            } else if let n = e[1].int, let t = e[2].int {
                args.append(.tensor(Reference(layer: layer, node: n, tensor: t)))
            }
            if i == 0, e.count >= 4, let object = e[3].object {
                kwargs = object.sorted { $0.key < $1.key }.map { (key: $0.key, value: keras2Argument($0.value)) }
            }
        }
        return KerasCall(args: args, kwargs: kwargs)
    }

    private static func keras3Reference(_ v: JSONValue) -> Reference? {
        guard v["class_name"]?.string == "__keras_tensor__", let config = v["config"],
              let history = config["keras_history"]?.array, history.count >= 3,
              let layer = history[0].string, let n = history[1].int, let t = history[2].int else { return nil }
        let shape = config["shape"]?.array.map { dims in dims.map { $0.int ?? -1 } }
        return Reference(layer: layer, node: n, tensor: t, shape: shape)
    }

    private static func keras3Argument(_ v: JSONValue) -> Argument {
        if let r = keras3Reference(v) { return .tensor(r) }
        if let items = v.array, !items.isEmpty {
            let refs = items.compactMap(keras3Reference)
            if refs.count == items.count { return .tensors(refs) }
        }
        return .literal(v)
    }

    /// A tf_keras keyword value: a `[layer, node, tensor]` reference, a list of them, or a literal.
    private static func keras2Argument(_ v: JSONValue) -> Argument {
        func reference(_ v: JSONValue) -> Reference? {
            guard let a = v.array, a.count == 3, let layer = a[0].string, let n = a[1].int, let t = a[2].int else { return nil }
            return Reference(layer: layer, node: n, tensor: t)
        }
        if let r = reference(v) { return .tensor(r) }
        if let items = v.array, !items.isEmpty {
            let refs = items.compactMap(reference)
            if refs.count == items.count { return .tensors(refs) }
        }
        return .literal(v)
    }
}
