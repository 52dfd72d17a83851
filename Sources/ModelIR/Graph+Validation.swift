extension Graph {
    /// Checks that the graph is well formed: unique names, every operand produced earlier or a
    /// constant (which also rules out cycles), constants whose bytes match their shape, outputs
    /// produced, and every node's operands fitting its op (shape and type inference).
    /// - Throws: the first `ModelIRError` found.
    public func validate() throws {
        try ResourceLimits.current.checkNodes(nodes.count)
        guard !inputs.isEmpty || nodes.contains(where: { $0.inputs.allSatisfy { $0.isEmpty || weights[$0] != nil } })
                || (!outputs.isEmpty && outputs.allSatisfy { weights[$0] != nil }) else {
            throw ModelIRError.emptyGraph
        }
        guard !outputs.isEmpty else { throw ModelIRError.noOutputs }
        var produced = Set<String>()
        var nodeNames = Set<String>()
        for input in inputs where !produced.insert(input.name).inserted || weights[input.name] != nil {
            throw ModelIRError.duplicateName(input.name)
        }
        for node in nodes {
            guard nodeNames.insert(node.name).inserted else { throw ModelIRError.duplicateName(node.name) }
            for name in node.inputs where !name.isEmpty && !produced.contains(name) && weights[name] == nil {
                throw ModelIRError.danglingInput(node: node.name, input: name)
            }
            for name in node.outputs where !name.isEmpty {
                guard produced.insert(name).inserted, weights[name] == nil else { throw ModelIRError.duplicateName(name) }
            }
            let roles = node.op.inputRoles
            let variadic = roles.last?.hasSuffix("...") == true
            let lastRequired = roles.lastIndex { !$0.hasSuffix("?") && !$0.hasSuffix("...") } ?? -1
            if case .custom = node.op {} else if (!variadic && node.inputs.count > roles.count) || node.inputs.count <= lastRequired
                || roles.indices.contains(where: { i in i < node.inputs.count && node.inputs[i].isEmpty && !roles[i].hasSuffix("?") }) {
                throw ModelIRError.weightCountMismatch(node: node.name, expected: roles, actual: node.inputs.count)
            }
        }
        for name in outputs where !produced.contains(name) && weights[name] == nil { throw ModelIRError.unknownOutput(name) }
        for (name, weight) in weights {
            guard let count = weight.info.elementCount,
                  count.multipliedReportingOverflow(by: weight.info.dtype.byteSize).partialValue == weight.data.count
            else {
                throw ModelIRError.invalidShape(tensor: name,
                    detail: "holds \(weight.data.count) bytes, not what shape \(weight.info.shape) of \(weight.info.dtype) needs")
            }
        }
        _ = try inferTypes(foldLimit: 0)
    }
}
