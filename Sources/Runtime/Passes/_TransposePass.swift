import ModelIR

/// Moves Transposes down through layout-agnostic ops and cancels inverse pairs (onnxruntime's
/// transpose optimizer, in small): after `_LayoutPass`, `T⁻¹ → Conv → T → Relu → T⁻¹ → Conv`
/// becomes `T⁻¹ → Conv → Relu → Conv`. A Transpose stops at an op whose meaning depends on the
/// axis order in a way this pass does not rewrite (Flatten, Reshape, MatMul…): there it runs.
///
/// Ops it passes: element-wise functions and activations (softmax with its axis renumbered),
/// element-wise ops with several operands when every other operand is a constant (transposed
/// once here), a scalar, or the same Transpose of another value; Concat, BatchNormalization,
/// reductions that keep dims, and constant Pads, with their axes renumbered. Two Transposes in a
/// row become one; an identity Transpose disappears.
enum _TransposePass {
    static func run(_ editor: inout _GraphEditor, ranks initial: [String: Int]) {
        var ranks = initial
        var budget = max(editor.graph.nodes.count * 8, 64)
        var changed = true
        while changed, budget > 0 {
            changed = false
            budget -= 1
            let (producer, reads) = editor.usage()
            for i in editor.graph.nodes.indices {
                let node = editor.graph.nodes[i]
                guard case .tensor(.transpose(let permutation)) = node.op, node.inputs.count == 1, node.outputs.count == 1 else { continue }
                let x = node.inputs[0], t = node.outputs[0]
                guard let rank = ranks[x] ?? ranks[t], let p = permutation ?? (rank > 0 ? Array((0..<rank).reversed()) : nil) else { continue }
                if _Perm.isIdentity(p), !editor.graph.outputs.contains(t) {
                    editor.replaceUses(of: t, with: x)
                    editor.remove([i])
                    editor.eliminated[t] = "an identity transpose was removed"
                    changed = true
                    break
                }
                if let pi = producer[x], case .tensor(.transpose(let q?)) = editor.graph.nodes[pi].op {
                    editor.graph.nodes[i].inputs = [editor.graph.nodes[pi].inputs[0]]
                    editor.graph.nodes[i].op = .tensor(.transpose(perm: _Perm.compose(q, then: p)))
                    changed = true
                    break
                }
                guard (reads[t] ?? 0) > 0 else { continue }
                for j in editor.graph.nodes.indices where j > i && editor.graph.nodes[j].inputs.contains(t) {
                    if push(transpose: i, perm: p, into: j, editor: &editor, ranks: &ranks, producer: producer) {
                        changed = true
                        break
                    }
                }
                if changed { break }
            }
            if removeDead(&editor) { changed = true }
        }
    }

    /// Rewrites consumer `j` of Transpose `i` to read the Transpose's input and adds the same
    /// Transpose after it; false when the consumer cannot take it.
    private static func push(transpose i: Int, perm p: [Int], into j: Int, editor: inout _GraphEditor,
                             ranks: inout [String: Int], producer: [String: Int]) -> Bool {
        let t = editor.graph.nodes[i].outputs[0], x = editor.graph.nodes[i].inputs[0]
        var node = editor.graph.nodes[j]
        guard node.outputs.count == 1, let rank = ranks[t] else { return false }
        let inverse = _Perm.inverse(p)
        func axis(_ a: Int) -> Int? { Shape.normalizedAxis(a, rank: rank).map { p[$0] } }

        /// Operand `k` seen before the Transpose, or nil when that cannot be had.
        func untransposed(_ name: String) -> String? {
            if name == t { return x }
            if name.isEmpty { return name }
            if let c = editor.constant(name) {
                if c.shape.isEmpty || Shape.elementCount(c.shape) == 1 { return name }
                guard c.shape.count <= rank else { return nil }
                let aligned = c.reshaped([Int](repeating: 1, count: rank - c.shape.count) + c.shape)
                return editor.addConstant("\(name)#t", _LayoutPass.transpose(aligned, inverse), source: "transposed \(name)")
            }
            if ranks[name] == 0 { return name }
            if let k = producer[name], case .tensor(.transpose(let q?)) = editor.graph.nodes[k].op, q == p {
                return editor.graph.nodes[k].inputs[0]
            }
            return nil
        }

        switch node.op {
        case .activation(let a):
            switch a {
            case .softmax(let ax):
                guard let n = axis(ax) else { return false }
                node.op = .activation(.softmax(axis: n))
            case .logSoftmax(let ax):
                guard let n = axis(ax) else { return false }
                node.op = .activation(.logSoftmax(axis: n))
            default: break
            }
            node.inputs[0] = x
        case .elementwise(.unary), .tensor(.cast), .tensor(.identity), .tensor(.dropout):
            guard node.inputs[0] == t, !node.inputs.dropFirst().contains(t) else { return false }
            node.inputs[0] = x
        case .elementwise(.clip):
            guard node.inputs[0] == t else { return false }
            for k in node.inputs.indices.dropFirst() where !node.inputs[k].isEmpty {
                guard let c = editor.constant(node.inputs[k]), Shape.elementCount(c.shape) == 1 else { return false }
            }
            node.inputs[0] = x
        case .elementwise(.binary), .elementwise(.variadic), .elementwise(.select), .elementwise(.prelu):
            var inputs: [String] = []
            for name in node.inputs {
                guard let u = untransposed(name) else { return false }
                inputs.append(u)
            }
            node.inputs = inputs
        case .tensor(.concat(let ax)):
            guard let n = axis(ax) else { return false }
            var inputs: [String] = []
            for name in node.inputs {
                guard let u = untransposed(name) else { return false }
                inputs.append(u)
            }
            node.inputs = inputs
            node.op = .tensor(.concat(axis: n))
        case .normalization(.batch(var a)):
            guard node.inputs[0] == t, let n = axis(a.axis) else { return false }
            a.axis = n
            node.op = .normalization(.batch(a))
            node.inputs[0] = x
        case .reduction(.reduce(var a)) where a.keepDims:
            guard node.inputs[0] == t, let axes = a.axes else { return false }
            let mapped = axes.compactMap(axis)
            guard mapped.count == axes.count else { return false }
            a.axes = mapped.sorted()
            node.op = .reduction(.reduce(a))
            node.inputs[0] = x
        case .tensor(.pad(var a)) where a.mode == .constant && a.axes == nil:
            guard node.inputs[0] == t, let pads = a.pads, pads.count == 2 * rank,
                  node.inputs.dropFirst().allSatisfy({ $0.isEmpty }) else { return false }
            var moved = pads
            for k in 0..<rank {
                moved[p[k]] = pads[k]
                moved[p[k] + rank] = pads[k + rank]
            }
            a.pads = moved
            node.op = .tensor(.pad(a))
            node.inputs = [x]
        default:
            return false
        }
        let out = node.outputs[0]
        let inner = editor.fresh("\(out)#t")
        node.outputs = [inner]
        ranks[inner] = rank
        ranks[out] = rank
        let after = Node(name: editor.fresh("\(node.name)#transpose"), op: .tensor(.transpose(perm: p)), inputs: [inner], outputs: [out])
        editor.graph.nodes.replaceSubrange(j...j, with: [node, after])
        editor.eliminated[out] = nil
        return true
    }

    /// Removes nodes whose outputs nothing reads (the graph's ops have no side effects).
    @discardableResult
    static func removeDead(_ editor: inout _GraphEditor) -> Bool {
        var removedAny = false
        while true {
            let (_, reads) = editor.usage()
            let dead = Set(editor.graph.nodes.indices.filter { i in
                editor.graph.nodes[i].outputs.allSatisfy { $0.isEmpty || (reads[$0] ?? 0) == 0 }
            })
            guard !dead.isEmpty else { break }
            editor.remove(dead)
            removedAny = true
        }
        if removedAny { editor.dropUnusedConstants() }
        return removedAny
    }
}
