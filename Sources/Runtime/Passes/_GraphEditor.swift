import ModelIR

/// Mutable access to a graph for the runtime's passes: fresh names, who reads what, and edits
/// that keep the node list topologically ordered.
struct _GraphEditor {
    var graph: Graph
    /// Values of the source graph that a pass removed or replaced, with the reason (the executor
    /// serves requests for them from an unrewritten program).
    var eliminated: [String: String] = [:]
    private var taken: Set<String>

    init(_ graph: Graph) {
        self.graph = graph
        var names = Set(graph.inputs.map(\.name))
        names.formUnion(graph.weights.keys)
        for node in graph.nodes {
            names.insert(node.name)
            names.formUnion(node.outputs)
        }
        taken = names
    }

    /// A name not used by any value, node or weight, based on `base`.
    mutating func fresh(_ base: String) -> String {
        var name = base, i = 1
        while taken.contains(name) {
            name = "\(base)~\(i)"
            i += 1
        }
        taken.insert(name)
        return name
    }

    /// Node index producing each value, and how many operand slots read each value (graph
    /// outputs count as a read).
    func usage() -> (producer: [String: Int], reads: [String: Int]) {
        var producer: [String: Int] = [:], reads: [String: Int] = [:]
        for (i, node) in graph.nodes.enumerated() {
            for name in node.inputs where !name.isEmpty { reads[name, default: 0] += 1 }
            for name in node.outputs where !name.isEmpty { producer[name] = i }
        }
        for o in graph.outputs { reads[o, default: 0] += 1 }
        return (producer, reads)
    }

    /// The constant behind `name` as a float32-convertible tensor, or nil when it is not a constant.
    func constant(_ name: String) -> Tensor? { graph.weights[name]?.tensor }

    /// Adds a constant under a fresh name based on `base`.
    mutating func addConstant(_ base: String, _ tensor: Tensor, layout: Layout = .unspecified, source: String) -> String {
        let name = fresh(base)
        graph.weights[name] = Weight(info: TensorInfo(name: name, dtype: tensor.dtype, shape: tensor.shape, layout: layout),
                                     data: tensor.data, trainable: false, source: source)
        return name
    }

    /// Removes the nodes at `indices`.
    mutating func remove(_ indices: Set<Int>) {
        guard !indices.isEmpty else { return }
        graph.nodes = graph.nodes.enumerated().filter { !indices.contains($0.offset) }.map(\.element)
    }

    /// Replaces every read of `old` by `new` (operands and graph outputs).
    mutating func replaceUses(of old: String, with new: String) {
        for i in graph.nodes.indices {
            graph.nodes[i].inputs = graph.nodes[i].inputs.map { $0 == old ? new : $0 }
        }
        graph.outputs = graph.outputs.map { $0 == old ? new : $0 }
    }

    /// Drops constants nothing refers to any more (a pass replaced them with transformed copies).
    mutating func dropUnusedConstants() {
        let used = graph.referencedWeightNames
        graph.weights = graph.weights.filter { used.contains($0.key) }
    }
}

/// Permutation helpers (perm[i] = the input axis that becomes output axis i, as ONNX Transpose).
enum _Perm {
    static func isIdentity(_ p: [Int]) -> Bool { p.enumerated().allSatisfy { $0.offset == $0.element } }

    /// `transpose(transpose(x, a), b)` as one permutation.
    static func compose(_ a: [Int], then b: [Int]) -> [Int] { b.map { a[$0] } }

    static func inverse(_ p: [Int]) -> [Int] {
        var inv = [Int](repeating: 0, count: p.count)
        for (i, v) in p.enumerated() { inv[v] = i }
        return inv
    }

    /// NCHW → NHWC for rank `r` (channels to the end).
    static func toChannelsLast(_ r: Int) -> [Int] { [0] + Array(2..<r) + [1] }
    /// NHWC → NCHW.
    static func toChannelsFirst(_ r: Int) -> [Int] { [0, r - 1] + Array(1..<(r - 1)) }

    /// Whether transposing `shape` by `p` moves only axes of size 1, so the bytes do not move.
    static func isReshape(_ p: [Int], shape: [Int]) -> Bool {
        let moving = p.filter { shape[$0] != 1 }
        return moving == moving.sorted()
    }
}
