import Foundation
import ModelIR

/// A Keras layer wtool has no semantics for — a `Lambda` (Python code), a user's own class, an
/// option wtool does not compute — carried through conversion as `Op.custom`: its config entry is
/// kept verbatim (the `keras_layer` attribute, JSON without `inbound_nodes`), its weights are
/// whatever the file holds for it (found by the binder), so `convert`, `summary`, `diff` and the
/// `.h5` writer work on it; the runtime refuses it by name with `reason`.
enum KerasCarriedLayer {
    /// The custom op's domain.
    static let domain = "keras"
    /// The attribute holding the layer's entry as JSON.
    static let entryAttribute = "keras_layer"
    /// The attribute marking a Keras 3 operation node (not a layer, so no entry of `model.layers`).
    static let operationAttribute = "keras_operation"

    static func layer(entry: JSONValue, className: String, operation: Bool, inputCount: Int, reason: String) -> KerasLayer {
        var kept = entry.object ?? [:]
        kept["inbound_nodes"] = nil
        let text = (try? JSONValue.object(kept).serialized()) ?? "{}"
        var attributes = [NamedAttribute(entryAttribute, .string(Array(text.utf8)))]
        if operation { attributes.append(NamedAttribute(operationAttribute, .int(1))) }
        let names = (0..<inputCount).map { inputCount == 1 ? "input" : "input\($0)" }
        let op = CustomOp(domain: domain, type: className, attributes: attributes, inputNames: names, dataInputCount: inputCount,
                          reason: reason)
        return KerasLayer(op: .custom(op), weights: [], discoversWeights: !operation)
    }

    /// The layer entry a carried node was read from, or nil for another kind of custom op.
    static func entry(of op: CustomOp) -> JSONValue? {
        guard op.domain == domain, let text = op.attribute(entryAttribute)?.text else { return nil }
        return try? JSONValue.parse(Data(text.utf8))
    }
}
