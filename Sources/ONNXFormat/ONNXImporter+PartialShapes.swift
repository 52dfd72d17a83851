import ModelIR

/// Shape tensors known in part at import. With a dynamic batch, PyTorch's
/// `Shape → Gather → Unsqueeze → Concat → Reshape` yields a target like `[N, 64, 7, 7]` whose one
/// unknown element follows from the element count: written `[-1, 64, 7, 7]` it is an ordinary
/// static Reshape, so the shape chain becomes dead and the ops after it (a Conv needing its channel
/// count) get full shapes. This is what onnx-simplifier and onnxruntime's shape folding do.
extension ONNXImporter {
    /// What is known of a 0-D or 1-D integer value made by `node`, element by element (nil: unknown at
    /// import), from its operands' known or partly known values.
    func partialValue(of node: Node) -> [Int?]? {
        func elements(_ i: Int) -> [Int?]? {
            guard i < node.inputs.count, !node.inputs[i].isEmpty else { return nil }
            let name = node.inputs[i]
            if let v = known[name]?.value, v.dtype.isInteger, v.shape.count <= 1 { return v.integers.map { Int(clamping: $0) } }
            return partial[name]
        }
        guard case .tensor(let op) = node.op else { return nil }
        switch op {
        case let .shape(start, end):
            guard let s = known[node.inputs[0]]?.shape else { return nil }
            let r = s.count
            let a = min(max(start < 0 ? start + r : start, 0), r), b = min(max((end ?? r) < 0 ? (end ?? r) + r : (end ?? r), 0), r)
            return a < b ? s[a..<b].map { $0 >= 0 ? $0 : nil } : []
        case .gather(let axis):
            guard axis == 0 || axis == -1, let data = elements(0), let v = known[node.inputs[1]]?.value, v.dtype.isInteger else { return nil }
            var out: [Int?] = []
            for index in v.integers {
                let i = index < 0 ? Int(index) + data.count : Int(index)
                guard i >= 0, i < data.count else { return nil }
                out.append(data[i])
            }
            return out
        case .unsqueeze, .squeeze, .identity, .cast(to: .int64), .cast(to: .int32):
            return elements(0)
        case .concat(let axis):
            guard axis == 0 || axis == -1 else { return nil }
            var out: [Int?] = []
            for i in node.inputs.indices {
                guard let e = elements(i) else { return nil }
                out += e
            }
            return out
        default:
            return nil
        }
    }

    /// A Reshape target known but for one element, as a static target with -1 there; nil otherwise.
    func staticReshapeTarget(_ ctx: _NodeContext, allowZero: Bool) -> [Int]? {
        guard ctx.has(1), ctx.value(1) == nil, let target = partial[ctx.input(1)] else { return nil }
        let unknown = target.indices.filter { target[$0] == nil }
        guard unknown.count == 1, !target.contains(-1), !(allowZero && target.contains(0)) else { return nil }
        return target.map { $0 ?? -1 }
    }

    /// Removes nodes whose results nothing reads (the shape chains a static target replaced).
    func dropDeadNodes(outputs: [String]) {
        var live = Set(outputs)
        var keep = [Bool](repeating: false, count: nodes.count)
        for i in nodes.indices.reversed() {
            let node = nodes[i]
            if case .custom = node.op { keep[i] = true }  // carried ops are kept whatever they compute
            if node.outputs.contains(where: live.contains) { keep[i] = true }
            if keep[i] {
                live.formUnion(node.inputs)
                if case .custom(let c) = node.op {
                    for a in c.attributes { if case .tensor(let t) = a.value { live.insert(t) } }
                }
            }
        }
        nodes = nodes.indices.filter { keep[$0] }.map { nodes[$0] }
    }
}
