import Foundation

/// A graph without the bytes of its weights, as JSON: the graph section of a `.swm`
/// (schemas/swm.md §4) and the `wtool.graph` metadata of a safetensors file wtool writes.
///
/// Weights appear only by name (as node operands) and source; their dtype, shape and bytes travel
/// in the container's own tensor table, so `graph(weights:)` puts the two back together.
public struct GraphDocument: Codable, Sendable {
    public var name: String
    public var inputs: [TensorInfo]
    public var outputs: [String]
    public var nodes: [Node]
    public var metadata: Metadata
    /// Where each weight came from (an HDF5 dataset path, an ONNX initializer name), by name.
    public var weightSources: [String: String]
    /// Declared value types (`.swm` format 1.1; absent in 1.0 files).
    public var valueInfo: [String: TensorInfo]?

    /// The document of `graph` (its weights' bytes left out).
    public init(graph: Graph) {
        name = graph.name
        inputs = graph.inputs
        outputs = graph.outputs
        nodes = graph.nodes
        metadata = graph.metadata
        weightSources = graph.weights.compactMapValues(\.source)
        valueInfo = graph.valueInfo.isEmpty ? nil : graph.valueInfo
    }

    /// Compact JSON with sorted keys: the same graph always gives the same bytes.
    public func encoded() throws -> [UInt8] {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return Array(try encoder.encode(self))
    }

    /// Decodes a document; what `JSONDecoder` objects to comes back as one line.
    /// - Throws: ``GraphDocument/DecodingFailure``.
    public static func decode(_ json: Data) throws -> GraphDocument {
        do {
            return try JSONDecoder().decode(GraphDocument.self, from: json)
        } catch {
            throw DecodingFailure(detail: describe(error))
        }
    }

    /// The graph with `weights` (not validated: the caller validates once it has checked that
    /// the weights are the ones the nodes name). Each weight's `source` comes from the document.
    public func graph(weights: [String: Weight]) -> Graph {
        var weights = weights
        for (name, source) in weightSources where weights[name] != nil { weights[name]?.source = source }
        return Graph(name: name, inputs: inputs, outputs: outputs, nodes: nodes, weights: weights, metadata: metadata,
                     valueInfo: valueInfo ?? [:])
    }

    /// Why a document did not decode, in one line (`missing key 'nodes' at …`).
    public struct DecodingFailure: Error, CustomStringConvertible {
        public var detail: String
        public var description: String { detail }
    }

    /// `DecodingError` in one line.
    public static func describe(_ error: Error) -> String {
        switch error {
        case DecodingError.dataCorrupted(let c): c.debugDescription
        case DecodingError.keyNotFound(let k, let c): "missing key '\(k.stringValue)' at \(c.codingPath.map(\.stringValue).joined(separator: "."))"
        case DecodingError.typeMismatch(_, let c): "wrong type at \(c.codingPath.map(\.stringValue).joined(separator: "."))"
        case DecodingError.valueNotFound(_, let c): "missing value at \(c.codingPath.map(\.stringValue).joined(separator: "."))"
        default: "\(error)"
        }
    }
}
