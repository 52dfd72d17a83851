import Foundation
import ModelIR

/// The graph section's JSON (schemas/swm.md §4).
struct SWMGraphDocument: Codable {
    var name: String
    var inputs: [TensorInfo]
    var outputs: [String]
    var nodes: [Node]
    var metadata: Metadata
    var weightSources: [String: String]
    /// Declared value types (format 1.1; absent in 1.0 files).
    var valueInfo: [String: TensorInfo]?

    init(graph: Graph) {
        name = graph.name
        inputs = graph.inputs
        outputs = graph.outputs
        nodes = graph.nodes
        metadata = graph.metadata
        weightSources = graph.weights.compactMapValues(\.source)
        valueInfo = graph.valueInfo.isEmpty ? nil : graph.valueInfo
    }

    func encoded() throws -> [UInt8] {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return Array(try encoder.encode(self))
    }
}
