/// The order of Keras's `model.layers` for a Functional model: what `keras.src.ops.function.map_graph`
/// computes (identical in tf_keras's `_map_graph_network`), in one place for the built-in
/// architectures (`FunctionalConfigBuilder`) and the `.h5` writer (`KerasConfigWriter`). Legacy
/// `.h5` files list weights in this order and Keras 3 `.weights.h5` files number their groups in
/// it, so reading and writing weights both depend on it.
///
/// A depth-first walk from the outputs, visiting each node's inbound nodes in call order,
/// numbers layers by first visit; a node's depth is one more than the deepest node that reads it
/// (a layer takes the depth of its deepest call); layers sort by depth, deepest (nearest the
/// inputs) first, then by visit number. Layers the outputs do not depend on are not ranked.
enum KerasLayerOrder {
    /// A layer's place: its depth from the outputs and when the walk first met it.
    struct Rank: Equatable {
        var depth: Int
        var visit: Int
    }

    /// Ranks the layers the outputs depend on.
    /// - Parameters:
    ///   - outputs: the model's output nodes (a node is one call of a layer), in order.
    ///   - parents: a node's inbound nodes, in call order.
    ///   - layer: the layer a node calls.
    static func rank<Node: Hashable, Layer: Hashable>(outputs: [Node], parents: (Node) throws -> [Node],
                                                       layer: (Node) -> Layer) rethrows -> [Layer: Rank] {
        var finished = Set<Node>()
        var visitOrder: [Layer: Int] = [:]
        var postorder: [Node] = []
        func visit(_ node: Node) throws {
            if finished.contains(node) { return }
            if visitOrder[layer(node)] == nil { visitOrder[layer(node)] = visitOrder.count }
            for parent in try parents(node) { try visit(parent) }
            finished.insert(node)
            postorder.append(node)
        }
        for output in outputs { try visit(output) }

        var nodeDepth: [Node: Int] = [:]
        var layerDepth: [Layer: Int] = [:]
        for node in postorder.reversed() {
            let depth = max(nodeDepth[node] ?? 0, layerDepth[layer(node)] ?? 0)
            layerDepth[layer(node)] = depth
            nodeDepth[node] = depth
            for parent in try parents(node) { nodeDepth[parent] = max(depth + 1, nodeDepth[parent] ?? 0) }
        }
        var ranks: [Layer: Rank] = [:]
        for (layer, depth) in layerDepth { ranks[layer] = Rank(depth: depth, visit: visitOrder[layer] ?? 0) }
        return ranks
    }

    /// Whether a layer ranked `a` comes before one ranked `b` in `model.layers`.
    static func precedes(_ a: Rank, _ b: Rank) -> Bool {
        a.depth != b.depth ? a.depth > b.depth : a.visit < b.visit
    }
}
