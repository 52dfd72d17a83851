extension Graph {
    /// Checks that the graph is well formed: unique names, every input produced earlier (which also
    /// rules out cycles), every weight present with the shape its op requires, outputs produced.
    /// - Throws: the first `ModelIRError` found.
    public func validate() throws {
        guard !inputs.isEmpty else { throw ModelIRError.emptyGraph }
        guard !outputs.isEmpty else { throw ModelIRError.noOutputs }
        var produced = Set<String>()
        var nodeNames = Set<String>()
        for input in inputs where !produced.insert(input.name).inserted {
            throw ModelIRError.duplicateName(input.name)
        }
        for node in nodes {
            guard nodeNames.insert(node.name).inserted else { throw ModelIRError.duplicateName(node.name) }
            for name in node.inputs where !produced.contains(name) {
                throw ModelIRError.danglingInput(node: node.name, input: name)
            }
            for name in node.outputs where !produced.insert(name).inserted {
                throw ModelIRError.duplicateName(name)
            }
        }
        for name in outputs where !produced.contains(name) { throw ModelIRError.unknownOutput(name) }
        for node in nodes {
            let roles = node.op.weightRoles
            if roles.count != node.weights.count {
                throw ModelIRError.weightCountMismatch(node: node.name, expected: roles, actual: node.weights.count)
            }
            for (w, role) in zip(node.weights, roles) {
                guard let weight = weights[w] else { throw ModelIRError.missingWeight(node: node.name, weight: w) }
                guard let count = weight.info.elementCount,
                      count.multipliedReportingOverflow(by: weight.info.dtype.byteSize).partialValue == weight.data.count
                else {
                    throw ModelIRError.shapeMismatch(node: node.name,
                        detail: "weight '\(role)' holds \(weight.data.count) bytes, not what shape \(weight.info.shape) of \(weight.info.dtype) needs")
                }
            }
        }
        _ = try inferShapes()
    }
}
