extension Graph {
    /// The graph truncated after the node called `layer` (full or local name): only what that
    /// node's outputs depend on is kept, and they become the outputs. This is "use only the
    /// first layers of the base" from the transfer-learning recipe.
    /// - Throws: `ModelIRError.unknownLayer` when no node has that name.
    public func cut(after layer: String) throws -> Graph {
        guard let target = node(named: layer) else { throw ModelIRError.unknownLayer(layer) }
        var needed = Set(target.inputs)
        var keep: [Node] = [target]
        for node in nodes.reversed() where node.name != target.name {
            if node.outputs.contains(where: needed.contains) {
                keep.append(node)
                needed.formUnion(node.inputs)
            }
        }
        let order = Dictionary(uniqueKeysWithValues: nodes.enumerated().map { ($1.name, $0) })
        keep.sort { (order[$0.name] ?? 0) < (order[$1.name] ?? 0) }
        var out = self
        out.nodes = keep
        out.outputs = target.outputs.filter { !$0.isEmpty }
        out.inputs = inputs.filter { needed.contains($0.name) }
        out.weights = weights.filter { needed.contains($0.key) }
        out.valueInfo = valueInfo.filter { needed.contains($0.key) || out.outputs.contains($0.key) }
        out.metadata.submodels = metadata.submodels.filter { sub in keep.contains { $0.scope.starts(with: sub.scope) } }
        return out
    }
}
