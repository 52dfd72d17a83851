extension Graph {
    /// Parameter counts in Keras's sense: every element of the constants the nodes read, split by
    /// trainability.
    public struct ParameterCount: Sendable, Equatable {
        public var trainable: Int
        public var nonTrainable: Int
        public var total: Int { trainable + nonTrainable }
        /// Bytes these parameters take in float32 (Keras's summary size).
        public var float32Bytes: Int { total * 4 }
    }

    /// Parameter count of the whole graph.
    public var parameterCount: ParameterCount {
        parameterCount(of: nodes)
    }

    /// Parameter count of some nodes (a constant read by several nodes counts once).
    public func parameterCount<S: Sequence>(of nodes: S) -> ParameterCount where S.Element == Node {
        var seen = Set<String>()
        var count = ParameterCount(trainable: 0, nonTrainable: 0)
        for node in nodes {
            for w in node.inputs where !w.isEmpty && seen.insert(w).inserted {
                guard let weight = weights[w] else { continue }
                if weight.trainable { count.trainable += weight.elementCount } else { count.nonTrainable += weight.elementCount }
            }
        }
        return count
    }
}
