extension Graph {
    /// Runs the whole graph with the reference evaluator, node by node: slow, simple, exact to
    /// each op's definition. The runtime's results are checked against it; importers use it to
    /// fold constant subgraphs.
    /// - Parameters:
    ///   - inputs: a tensor per graph input name (all that the requested values need).
    ///   - outputs: the values to return (default: the graph outputs).
    /// - Throws: `ModelIRError` for a missing input, a value no node produces, or a node that
    ///   cannot be evaluated (naming it).
    public func evaluate(inputs: [String: Tensor], outputs requested: [String]? = nil) throws -> [String: Tensor] {
        let wanted = requested ?? outputs
        var values: [String: Tensor] = [:]
        for (name, t) in inputs {
            guard self.inputs.contains(where: { $0.name == name }) else { throw ModelIRError.danglingInput(node: "(graph input)", input: name) }
            values[name] = t
        }
        // Only the nodes the requested values depend on.
        var needed = Set(wanted)
        var run = [Bool](repeating: false, count: nodes.count)
        for i in nodes.indices.reversed() where nodes[i].outputs.contains(where: needed.contains) {
            run[i] = true
            needed.formUnion(nodes[i].inputs.filter { !$0.isEmpty })
        }
        for (i, node) in nodes.enumerated() where run[i] {
            let operands = try node.inputs.map { name -> Tensor? in
                if name.isEmpty { return nil }
                if let v = values[name] { return v }
                if let w = weights[name] { return w.tensor }
                throw ModelIRError.danglingInput(node: node.name, input: name)
            }
            let results = try Evaluator.evaluate(node, operands)
            for (name, t) in zip(node.outputs, results) where !name.isEmpty { values[name] = t }
        }
        var out: [String: Tensor] = [:]
        for name in wanted {
            guard let t = values[name] ?? weights[name]?.tensor else { throw ModelIRError.unknownOutput(name) }
            out[name] = t
        }
        return out
    }
}
