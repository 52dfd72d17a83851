import ModelIR

/// Inference-only rewrites that change results by float rounding at most, on a graph whose
/// convolutions are channels-last (after `_LayoutPass`):
///
/// - **BatchNormalization fusion**: a Conv/DepthwiseConv/SeparableConv/Dense with a linear
///   activation whose output only feeds a BN over its channel axis absorbs the BN, either into its
///   epilogue (`batchNormEpilogues`: Keras's float32 `inv` and shift, weights untouched) or into
///   new owned weights: kernel `W·s` and bias `(b − mean)·s + β`, `s = γ / sqrt(var + ε)` per
///   output channel, computed in double and rounded once.
/// - **Activation fusion**: a standalone element-wise activation whose input only comes from such
///   a layer (or from an Add/Multiply) becomes part of it (Keras's `Conv → BN → Activation`).
/// - **Zero padding folding**: a constant-zero Pad of the spatial axes that only a convolution
///   with explicit padding reads adds to that padding.
/// - **Depthwise → pointwise**: a depthwise convolution that only a 1×1 stride-1 convolution
///   reads runs with it as one separable pass (MobileNet's blocks).
/// - **Expansion → depthwise**: a 1×1 stride-1 convolution that only a separable pass or a
///   depthwise convolution reads may run as its first stage (MobileNetV2's and EfficientNet's
///   inverted residual blocks; `expansions`, which `_Program` applies when both run on oneDNN).
///
/// A value that disappears is recorded in the editor's `eliminated`.
struct _FusionPass {
    /// Node name → the float32 `inv` and shift of the BN fused into its epilogue.
    var batchNormEpilogues: [String: (scale: [Float], shift: [Float])] = [:]
    /// Element-wise activations fused into the Add or Multiply node of that name.
    var elementwiseActivations: [String: Activation] = [:]
    /// Separable node name → what runs between the depthwise and pointwise halves of a fused pair.
    var depthwiseStages: [String: DepthwiseStage] = [:]
    /// Separable or depthwise node name → the 1×1 convolution node whose output only it reads. The graph keeps
    /// both nodes; `_Program` runs them as one step when both lower to oneDNN.
    var expansions: [String: String] = [:]

    /// The depthwise layer's own epilogue inside a fused pair.
    struct DepthwiseStage {
        /// Its bias constant (the folded one with `.weights` BN fusion), if any.
        var bias: String?
        var batchNorm: (scale: [Float], shift: [Float])?
        /// Element-wise (`Activation.isElementwise`).
        var activation: Activation
    }

    /// Whether node `p`, producing `value`, may absorb what follows it: a channels-last
    /// convolution or a dense layer with a linear activation, one output, read once, not a graph
    /// output.
    private func absorbing(_ value: String, _ editor: _GraphEditor, _ producer: [String: Int], _ reads: [String: Int]) -> Int? {
        guard let p = producer[value], reads[value] == 1, editor.graph.nodes[p].outputs == [value] else { return nil }
        switch editor.graph.nodes[p].op {
        case .conv(let c) where c.layout == .channelsLast && c.activation == .linear:
            if case .transposed = c { return nil }
            return p
        case .linear(.dense(let a)) where a.activation == .linear: return p
        default: return nil
        }
    }

    /// The float values of constant operand `name`, or nil when it is not a floating constant.
    private func floats(_ name: String, _ editor: _GraphEditor) -> [Float]? {
        guard let w = editor.graph.weights[name], w.info.dtype.isFloatingPoint else { return nil }
        return w.data.floatArray(as: w.info.dtype)
    }

    /// BN statistics as constants, or nil when one is not a floating constant.
    private func statistics(_ bn: Node, _ editor: _GraphEditor) -> (gamma: [Float]?, beta: [Float]?, mean: [Float], variance: [Float])? {
        func optional(_ role: String) -> [Float]?? {
            guard let name = bn.input(role) else { return .some(nil) }
            return floats(name, editor).map { .some($0) }
        }
        guard let gamma = optional("gamma"), let beta = optional("beta"),
              let mean = bn.input("moving_mean").flatMap({ floats($0, editor) }),
              let variance = bn.input("moving_variance").flatMap({ floats($0, editor) }),
              variance.count == mean.count, gamma.map({ $0.count == mean.count }) ?? true,
              beta.map({ $0.count == mean.count }) ?? true else { return nil }
        return (gamma, beta, mean, variance)
    }

    mutating func fuseBatchNormalization(_ editor: inout _GraphEditor, intoWeights: Bool, ranks: [String: Int]) {
        let (producer, reads) = editor.usage()
        var removed = Set<Int>()
        for (bi, bn) in editor.graph.nodes.enumerated() {
            guard case .normalization(.batch(let attrs)) = bn.op, bn.outputs.count == 1, let x = bn.inputs.first,
                  let rank = ranks[x], attrs.axis == -1 || attrs.axis == rank - 1,
                  let pi = absorbing(x, editor, producer, reads), !removed.contains(pi),
                  let stats = statistics(bn, editor) else { continue }
            var node = editor.graph.nodes[pi]
            if !intoWeights && Self.lowersWithEpilogue(node, rank: rank) {
                batchNormEpilogues[node.name] = _ChannelAffineKernel.coefficients(gamma: stats.gamma, beta: stats.beta, mean: stats.mean,
                                                                              variance: stats.variance, epsilon: attrs.epsilon)
            } else {
                guard fold(bn: stats, epsilon: attrs.epsilon, into: &node, editor: &editor) else { continue }
            }
            editor.eliminated[x] = "batch normalization '\(bn.name)' was fused into '\(node.name)'"
            node.outputs = bn.outputs
            editor.graph.nodes[pi] = node
            removed.insert(bi)
        }
        editor.remove(removed)
    }

    /// Whether `_Program` runs `node` (whose output has rank `rank`) on a fast kernel that applies
    /// a BN epilogue: a 2-D channels-last convolution or a dense layer. Any other absorbing layer
    /// (Conv1D, Conv3D) is evaluated by the reference code, which knows nothing of epilogues, so
    /// the BN is folded into its weights instead, whatever the mode.
    static func lowersWithEpilogue(_ node: Node, rank: Int) -> Bool {
        switch node.op {
        case .conv(let c): c.spatialRank == 2 && rank == 4
        case .linear(.dense): true
        default: false
        }
    }

    /// New kernel and bias constants with the BN folded in; false when shapes do not allow it.
    private func fold(bn: (gamma: [Float]?, beta: [Float]?, mean: [Float], variance: [Float]), epsilon: Float,
                      into node: inout Node, editor: inout _GraphEditor) -> Bool {
        let n = bn.mean.count
        let scale = (0..<n).map { c in Double(bn.gamma?[c] ?? 1) / (Double(bn.variance[c]) + Double(epsilon)).squareRoot() }
        let kernelIndex: Int
        switch node.op {
        case .conv(.separable): kernelIndex = 2
        default: kernelIndex = 1
        }
        let biasIndex = kernelIndex + 1
        guard kernelIndex < node.inputs.count, let kernelWeight = editor.graph.weights[node.inputs[kernelIndex]],
              let kernel = floats(node.inputs[kernelIndex], editor), kernel.count % n == 0 else { return false }
        let bias = biasIndex < node.inputs.count && !node.inputs[biasIndex].isEmpty
            ? floats(node.inputs[biasIndex], editor) : [Float](repeating: 0, count: n)
        guard let bias, bias.count == n else { return false }
        // The output channel is the fastest axis of every kernel layout here (HWIO, HWCM, IO).
        var folded = [Float](repeating: 0, count: kernel.count)
        for i in 0..<kernel.count { folded[i] = Float(Double(kernel[i]) * scale[i % n]) }
        var foldedBias = [Float](repeating: 0, count: n)
        for c in 0..<n { foldedBias[c] = Float((Double(bias[c]) - Double(bn.mean[c])) * scale[c] + Double(bn.beta?[c] ?? 0)) }
        let source = "folded batch normalization into \(node.name)"
        node.inputs[kernelIndex] = editor.addConstant("\(node.name)/kernel+bn", Tensor(shape: kernelWeight.info.shape, floats: folded),
                                                      layout: kernelWeight.info.layout, source: source)
        let biasName = editor.addConstant("\(node.name)/bias+bn", Tensor(shape: [n], floats: foldedBias), layout: .channel, source: source)
        while node.inputs.count <= biasIndex { node.inputs.append("") }
        node.inputs[biasIndex] = biasName
        return true
    }

    mutating func fuseActivations(_ editor: inout _GraphEditor) {
        let (producer, reads) = editor.usage()
        var removed = Set<Int>()
        for (ai, node) in editor.graph.nodes.enumerated() {
            guard case .activation(let activation) = node.op, node.inputs.count == 1, node.outputs.count == 1 else { continue }
            let x = node.inputs[0]
            if activation.isElementwise, let p = producer[x], reads[x] == 1, editor.graph.nodes[p].outputs == [x],
               !removed.contains(p), elementwiseActivations[editor.graph.nodes[p].name] == nil,
               case .elementwise(.variadic(let f)) = editor.graph.nodes[p].op, f == .add || f == .mul {
                elementwiseActivations[editor.graph.nodes[p].name] = activation
                editor.eliminated[x] = "activation '\(node.name)' was fused into '\(editor.graph.nodes[p].name)'"
                editor.graph.nodes[p].outputs = node.outputs
                removed.insert(ai)
                continue
            }
            guard let p = absorbing(x, editor, producer, reads), !removed.contains(p) else { continue }
            var target = editor.graph.nodes[p]
            switch target.op {
            case .conv(var c): c.activation = activation; target.op = .conv(c)
            case .linear(.dense(var a)): a.activation = activation; target.op = .linear(.dense(a))
            default: continue
            }
            editor.eliminated[x] = "activation '\(node.name)' was fused into '\(target.name)'"
            target.outputs = node.outputs
            editor.graph.nodes[p] = target
            removed.insert(ai)
        }
        editor.remove(removed)
    }

    /// Folds a constant-zero Pad of H and W into the one channels-last 2-D convolution that reads
    /// it when that convolution has explicit (or valid) padding: the pads add up, and the padded
    /// copy of the activation is never made. Exact: the taps that fell on copied zeros now fall
    /// in the convolution's own zero padding.
    mutating func foldZeroPadding(_ editor: inout _GraphEditor) {
        let (producer, reads) = editor.usage()
        var removed = Set<Int>()
        for (ci, node) in editor.graph.nodes.enumerated() {
            guard case .conv(let conv) = node.op, conv.layout == .channelsLast, conv.spatialRank == 2,
                  let value = node.inputs.first, let pi = producer[value], reads[value] == 1, !removed.contains(pi),
                  case .tensor(.pad(let pad)) = editor.graph.nodes[pi].op, pad.mode == .constant, (pad.value ?? 0) == 0,
                  pad.axes == nil, editor.graph.nodes[pi].inputs.dropFirst().allSatisfy(\.isEmpty),
                  let p = pad.pads, p.count == 8, p[0] == 0, p[3] == 0, p[4] == 0, p[7] == 0, p.allSatisfy({ $0 >= 0 })
            else { continue }
            func merged(_ padding: Padding) -> Padding? {
                switch padding {
                case .valid: return .explicit(begin: [p[1], p[2]], end: [p[5], p[6]])
                case let .explicit(b, e): return .explicit(begin: [b[0] + p[1], b[1] + p[2]], end: [e[0] + p[5], e[1] + p[6]])
                default: return nil
                }
            }
            var target = node
            switch conv {
            case .conv(var a):
                guard let m = merged(a.padding) else { continue }
                a.padding = m; target.op = .conv(.conv(a))
            case .depthwise(var a):
                guard let m = merged(a.padding) else { continue }
                a.padding = m; target.op = .conv(.depthwise(a))
            case .separable(var a):
                guard let m = merged(a.padding) else { continue }
                a.padding = m; target.op = .conv(.separable(a))
            case .transposed:
                continue
            }
            editor.eliminated[value] = "zero padding '\(editor.graph.nodes[pi].name)' was folded into '\(node.name)'"
            target.inputs[0] = editor.graph.nodes[pi].inputs[0]
            editor.graph.nodes[ci] = target
            removed.insert(pi)
        }
        editor.remove(removed)
    }

    /// Runs a DepthwiseConv and the 1×1, stride-1 Conv that alone reads it as one separable node:
    /// the runtime then computes the depthwise output a chunk of rows at a time into scratch that
    /// stays in cache and multiplies it at once. The depthwise layer's bias, fused BN and
    /// (element-wise) activation go to `depthwiseStages`; the arithmetic is unchanged, so the
    /// results are identical. Run after BN and activation fusion.
    mutating func fuseDepthwisePointwise(_ editor: inout _GraphEditor) {
        let (producer, reads) = editor.usage()
        var removed = Set<Int>()
        for (pi, node) in editor.graph.nodes.enumerated() {
            guard case .conv(.conv(let c)) = node.op, c.layout == .channelsLast, c.kernelLayout == .spatialFirst,
                  c.kernelSize == [1, 1], c.strides == [1, 1], c.dilations == [1, 1], c.groups == 1,
                  c.padding == .same || c.padding.isZero, node.inputs.count >= 2,
                  let value = node.inputs.first, let di = producer[value], !removed.contains(di), reads[value] == 1,
                  editor.graph.nodes[di].outputs == [value],
                  case .conv(.depthwise(let d)) = editor.graph.nodes[di].op, d.layout == .channelsLast, d.activation.isElementwise,
                  editor.graph.nodes[di].inputs.count >= 2 else { continue }
            let depthwise = editor.graph.nodes[di]
            depthwiseStages[node.name] = DepthwiseStage(
                bias: depthwise.input("bias"), batchNorm: batchNormEpilogues.removeValue(forKey: depthwise.name), activation: d.activation)
            var fused = node
            fused.op = .conv(.separable(SeparableConvAttributes(
                filters: c.filters, depthMultiplier: d.depthMultiplier, kernelSize: d.kernelSize, strides: d.strides,
                dilations: d.dilations, padding: d.padding, activation: c.activation)))
            fused.inputs = [depthwise.inputs[0], depthwise.inputs[1], node.inputs[1]] + (node.inputs.count > 2 ? [node.inputs[2]] : [])
            editor.eliminated[value] = "depthwise '\(depthwise.name)' and pointwise '\(node.name)' run as one pass"
            editor.graph.nodes[pi] = fused
            removed.insert(di)
        }
        editor.remove(removed)
    }

    /// Records each separable or depthwise node whose input comes only from a 1×1, stride-1,
    /// ungrouped convolution with an element-wise activation (`expansions`); the graph is
    /// unchanged. Run after `fuseDepthwisePointwise`, which makes MobileNetV2's depthwise and
    /// projection layers the separable node (EfficientNet's depthwise layer feeds its
    /// squeeze-and-excitation and stays alone).
    mutating func fuseExpansions(_ editor: _GraphEditor) {
        let (producer, reads) = editor.usage()
        for node in editor.graph.nodes {
            switch node.op {
            case .conv(.separable(let a)) where a.layout == .channelsLast: break
            case .conv(.depthwise(let a)) where a.layout == .channelsLast && a.activation.isElementwise: break
            default: continue
            }
            guard let value = node.inputs.first, let pi = producer[value], reads[value] == 1 else { continue }
            let expansion = editor.graph.nodes[pi]
            guard expansion.outputs == [value], expansion.inputs.count >= 2, editor.graph.weights[expansion.inputs[1]] != nil,
                  case .conv(.conv(let c)) = expansion.op, c.layout == .channelsLast, c.kernelLayout == .spatialFirst,
                  c.kernelSize == [1, 1], c.strides == [1, 1], c.dilations == [1, 1], c.groups == 1,
                  c.padding == .same || c.padding.isZero, c.activation.isElementwise else { continue }
            expansions[node.name] = expansion.name
        }
    }
}
