import ModelIR

/// Inference-only rewrites that change results by float rounding at most:
///
/// - **BatchNormalization fusion**: a `Conv2D`/`DepthwiseConv2D`/`SeparableConv2D`/`Dense` with a
///   linear activation whose output only feeds a BN over the channel axis absorbs the BN, either
///   into its epilogue (`batchNormEpilogues`: Keras's float32 `inv` and shift, weights untouched) or
///   into new owned weights: kernel `W·s` and bias `(b − mean)·s + β`, `s = γ / sqrt(var + ε)` per
///   output channel, computed in double and rounded once.
/// - **Activation fusion**: a standalone activation whose input only comes from such a node with a
///   linear activation becomes that node's fused activation (Keras's `Conv → BN → Activation`).
///
/// A value that disappears (the convolution's output before the BN) is recorded in `eliminated`,
/// so the executor can serve requests for it from an unrewritten program instead.
struct _GraphRewriter {
    var graph: Graph
    /// Value name → why it no longer exists.
    var eliminated: [String: String] = [:]
    /// Node name → the float32 `inv` and shift of the BN fused into its epilogue.
    var batchNormEpilogues: [String: (scale: [Float], shift: [Float])] = [:]
    /// Element-wise activations fused into the Add or Multiply node of that name (the IR's Add
    /// has no activation attribute, so the runtime keeps them here): ResNet's `Add → ReLU`.
    var elementwiseActivations: [String: Activation] = [:]
    /// SeparableConv2D node name → what runs between its depthwise and pointwise halves, for the
    /// nodes `fuseDepthwisePointwise` made from a `DepthwiseConv2D → 1×1 Conv2D` pair (Keras's
    /// SeparableConv2D has nothing there; MobileNet's pairs have a bias, a BN and a ReLU6).
    var depthwiseStages: [String: DepthwiseStage] = [:]

    /// The depthwise layer's own epilogue inside a fused pair.
    struct DepthwiseStage {
        /// Name of its bias weight (the folded one with `.weights` BN fusion), if any.
        var bias: String?
        var batchNorm: (scale: [Float], shift: [Float])?
        /// Element-wise (`_Activations.isElementwise`).
        var activation: Activation
    }

    init(_ graph: Graph) { self.graph = graph }

    /// Node indices that produce each value, and how many times each value is read.
    private func usage() -> (producer: [String: Int], reads: [String: Int]) {
        var producer: [String: Int] = [:], reads: [String: Int] = [:]
        for (i, node) in graph.nodes.enumerated() {
            for name in node.inputs { reads[name, default: 0] += 1 }
            for name in node.outputs { producer[name] = i }
        }
        return (producer, reads)
    }

    /// The node producing `value` if it may absorb what follows it: one output, read once, not a
    /// graph output, a linear activation.
    private func absorbingProducer(of value: String, _ producer: [String: Int], _ reads: [String: Int]) -> Int? {
        guard let p = producer[value], reads[value] == 1, !graph.outputs.contains(value),
              graph.nodes[p].outputs == [value] else { return nil }
        switch graph.nodes[p].op {
        case .conv2D(let a): return a.activation == .linear ? p : nil
        case .depthwiseConv2D(let a): return a.activation == .linear ? p : nil
        case .separableConv2D(let a): return a.activation == .linear ? p : nil
        case .dense(let a): return a.activation == .linear ? p : nil
        default: return nil
        }
    }

    /// Folds a ZeroPadding2D into the one convolution (Conv2D, DepthwiseConv2D, SeparableConv2D)
    /// that reads it when that convolution has explicit (or `valid`) padding: the pads add up,
    /// and the padded copy of the activation is never made (MobileNet pads before every stride-2
    /// depthwise layer, ResNet before its first convolution). Exact: the taps that fell on the
    /// copied zeros now fall in the convolution's own zero padding.
    mutating func foldZeroPadding() {
        let (producer, reads) = usage()
        var removed = Set<Int>()
        for (ci, node) in graph.nodes.enumerated() {
            guard let value = node.inputs.first, let pi = producer[value], reads[value] == 1, !graph.outputs.contains(value),
                  case let .zeroPadding2D(top, bottom, left, right) = graph.nodes[pi].op,
                  graph.nodes[pi].inputs.count == 1, !removed.contains(pi) else { continue }
            func merged(_ p: Padding2D) -> Padding2D? {
                guard case let .explicit(t, b, l, r) = p else { return nil }
                return .explicit(top: t + top, bottom: b + bottom, left: l + left, right: r + right)
            }
            var target = node
            switch node.op {
            case .conv2D(var a):
                guard let p = merged(a.padding) else { continue }
                a.padding = p; target.op = .conv2D(a)
            case .depthwiseConv2D(var a):
                guard let p = merged(a.padding) else { continue }
                a.padding = p; target.op = .depthwiseConv2D(a)
            case .separableConv2D(var a):
                guard let p = merged(a.padding) else { continue }
                a.padding = p; target.op = .separableConv2D(a)
            default: continue
            }
            eliminated[value] = "zero padding '\(graph.nodes[pi].name)' was folded into '\(node.name)'"
            target.inputs[0] = graph.nodes[pi].inputs[0]
            graph.nodes[ci] = target
            removed.insert(pi)
        }
        graph.nodes = graph.nodes.enumerated().filter { !removed.contains($0.offset) }.map(\.element)
    }

    /// Runs a DepthwiseConv2D and the 1×1, stride-1 Conv2D that alone reads it as one
    /// SeparableConv2D node (MobileNet's every block): the runtime then computes the depthwise
    /// output a chunk of rows at a time into scratch that stays in cache and multiplies it at once,
    /// instead of writing the whole intermediate to memory and reading it back. The depthwise
    /// layer's bias, fused BN and (element-wise) activation go to `depthwiseStages`; the
    /// arithmetic is unchanged, so the results are identical. Run after BN and activation fusion.
    mutating func fuseDepthwisePointwise() {
        let (producer, reads) = usage()
        var removed = Set<Int>()
        for (pi, node) in graph.nodes.enumerated() {
            guard case .conv2D(let c) = node.op, c.kernelSize == [1, 1], c.strides == [1, 1], c.dilations == [1, 1],
                  c.groups == 1, c.padding == .same || c.padding == .valid, node.inputs.count == 1,
                  let value = node.inputs.first, let di = producer[value], !removed.contains(di), reads[value] == 1,
                  !graph.outputs.contains(value), graph.nodes[di].outputs == [value], graph.nodes[di].inputs.count == 1,
                  case .depthwiseConv2D(let d) = graph.nodes[di].op, _Activations.isElementwise(d.activation),
                  let depthwiseKernel = graph.nodes[di].weights.first else { continue }
            let depthwise = graph.nodes[di]
            depthwiseStages[node.name] = DepthwiseStage(
                bias: d.useBias && depthwise.weights.count > 1 ? depthwise.weights[1] : nil,
                batchNorm: batchNormEpilogues.removeValue(forKey: depthwise.name), activation: d.activation)
            var fused = node
            fused.op = .separableConv2D(SeparableConv2DAttributes(
                filters: c.filters, depthMultiplier: d.depthMultiplier, kernelSize: d.kernelSize, strides: d.strides,
                dilations: d.dilations, padding: d.padding, useBias: c.useBias, activation: c.activation))
            fused.inputs = depthwise.inputs
            fused.weights = [depthwiseKernel] + node.weights
            eliminated[value] = "depthwise '\(depthwise.name)' and pointwise '\(node.name)' run as one pass"
            graph.nodes[pi] = fused
            removed.insert(di)
        }
        graph.nodes = graph.nodes.enumerated().filter { !removed.contains($0.offset) }.map(\.element)
    }

    /// The Add/Multiply producing `value` when only the activation reads it and it has none yet.
    private func elementwiseProducer(of value: String, _ producer: [String: Int], _ reads: [String: Int]) -> Int? {
        guard let p = producer[value], reads[value] == 1, !graph.outputs.contains(value),
              graph.nodes[p].outputs == [value], elementwiseActivations[graph.nodes[p].name] == nil else { return nil }
        switch graph.nodes[p].op {
        case .add, .multiply: return p
        default: return nil
        }
    }

    /// Fuses each foldable BN (see the type's summary) into its producer's epilogue or weights.
    mutating func fuseBatchNormalization(intoWeights: Bool) throws {
        let (producer, reads) = usage()
        var removed = Set<Int>()
        for (bi, bn) in graph.nodes.enumerated() {
            guard case .batchNormalization(let attrs) = bn.op, bn.inputs.count == 1, bn.outputs.count == 1,
                  let pi = absorbingProducer(of: bn.inputs[0], producer, reads) else { continue }
            var node = graph.nodes[pi]
            if !intoWeights {
                func values(_ role: String) throws -> [Float]? {
                    guard let i = bn.op.weightRoles.firstIndex(of: role), i < bn.weights.count else { return nil }
                    guard let w = graph.weights[bn.weights[i]] else {
                        throw RuntimeError.invalidGraph(.missingWeight(node: bn.name, weight: bn.weights[i]))
                    }
                    guard w.info.dtype.isFloatingPoint else {
                        throw RuntimeError.unsupportedWeightType(node: bn.name, weight: role, dtype: w.info.dtype)
                    }
                    return w.data.floatArray(as: w.info.dtype)
                }
                let mean = try values("moving_mean") ?? [], variance = try values("moving_variance") ?? []
                let gamma = try values("gamma"), beta = try values("beta")
                guard variance.count == mean.count, gamma.map({ $0.count == mean.count }) ?? true,
                      beta.map({ $0.count == mean.count }) ?? true else { continue }
                let c = _BatchNormKernel.coefficients(gamma: gamma, beta: beta, mean: mean, variance: variance, epsilon: attrs.epsilon)
                batchNormEpilogues[node.name] = c
                eliminated[bn.inputs[0]] = "batch normalization '\(bn.name)' was fused into the epilogue of '\(node.name)'"
                node.outputs = bn.outputs
                graph.nodes[pi] = node
                removed.insert(bi)
                continue
            }
            let stats = try batchNormScale(bn, attrs)
            let roles = node.op.weightRoles
            func load(_ role: String) throws -> [Float] {
                guard let i = roles.firstIndex(of: role), i < node.weights.count, let w = graph.weights[node.weights[i]] else {
                    throw RuntimeError.invalidGraph(.missingWeight(node: node.name, weight: role))
                }
                guard w.info.dtype.isFloatingPoint else {
                    throw RuntimeError.unsupportedWeightType(node: node.name, weight: role, dtype: w.info.dtype)
                }
                return w.data.floatArray(as: w.info.dtype)
            }
            let kernelRole: String, channels: Int, useBias: Bool
            switch node.op {
            case .conv2D(let a): (kernelRole, channels, useBias) = ("kernel", a.filters, a.useBias)
            case .depthwiseConv2D(let a):
                let c = node.weights.first.flatMap { graph.weights[$0]?.info.shape.dropLast().last } ?? 0
                (kernelRole, channels, useBias) = ("depthwise_kernel", c * a.depthMultiplier, a.useBias)
            case .separableConv2D(let a): (kernelRole, channels, useBias) = ("pointwise_kernel", a.filters, a.useBias)
            case .dense(let a): (kernelRole, channels, useBias) = ("kernel", a.units, a.useBias)
            default: continue
            }
            // Shape inference has checked this already; a mismatch here means the graph changed under us.
            guard channels == stats.scale.count, channels > 0 else { continue }
            let kernel = try load(kernelRole)
            guard kernel.count % channels == 0 else { continue }
            let bias = useBias ? try load("bias") : [Float](repeating: 0, count: channels)
            // The output channel is the fastest axis of every kernel layout here (HWIO, HWCM, IO).
            var folded = [Float](repeating: 0, count: kernel.count)
            for i in 0..<kernel.count { folded[i] = Float(Double(kernel[i]) * stats.scale[i % channels]) }
            var foldedBias = [Float](repeating: 0, count: channels)
            for c in 0..<channels { foldedBias[c] = Float((Double(bias[c]) - stats.mean[c]) * stats.scale[c] + stats.beta[c]) }

            let kernelIndex = roles.firstIndex(of: kernelRole) ?? 0
            let oldKernel = graph.weights[node.weights[kernelIndex]]
            let kernelName = uniqueWeightName("\(node.name)/\(kernelRole)+\(bn.name)")
            let biasName = uniqueWeightName("\(node.name)/bias+\(bn.name)")
            graph.weights[kernelName] = Weight(
                info: TensorInfo(name: kernelName, shape: oldKernel?.info.shape ?? [kernel.count], layout: oldKernel?.info.layout ?? .unspecified),
                data: TensorData(floats: folded), trainable: false, source: "folded \(bn.name) into \(node.name)")
            graph.weights[biasName] = Weight(info: TensorInfo(name: biasName, shape: [channels], layout: .channel),
                                             data: TensorData(floats: foldedBias), trainable: false,
                                             source: "folded \(bn.name) into \(node.name)")
            var weights = node.weights
            weights[kernelIndex] = kernelName
            if useBias { weights[roles.count - 1] = biasName } else { weights.append(biasName) }
            switch node.op {
            case .conv2D(var a): a.useBias = true; node.op = .conv2D(a)
            case .depthwiseConv2D(var a): a.useBias = true; node.op = .depthwiseConv2D(a)
            case .separableConv2D(var a): a.useBias = true; node.op = .separableConv2D(a)
            case .dense(var a): a.useBias = true; node.op = .dense(a)
            default: break
            }
            node.weights = weights
            eliminated[bn.inputs[0]] = "batch normalization '\(bn.name)' was folded into '\(node.name)'"
            node.outputs = bn.outputs
            graph.nodes[pi] = node
            removed.insert(bi)
        }
        graph.nodes = graph.nodes.enumerated().filter { !removed.contains($0.offset) }.map(\.element)
    }

    mutating func fuseActivations() {
        let (producer, reads) = usage()
        var removed = Set<Int>()
        for (ai, node) in graph.nodes.enumerated() {
            guard case .activation(let activation) = node.op, node.inputs.count == 1, node.outputs.count == 1 else { continue }
            if let pi = elementwiseProducer(of: node.inputs[0], producer, reads), _Activations.isElementwise(activation) {
                var target = graph.nodes[pi]
                elementwiseActivations[target.name] = activation
                eliminated[node.inputs[0]] = "activation '\(node.name)' was fused into '\(target.name)'"
                target.outputs = node.outputs
                graph.nodes[pi] = target
                removed.insert(ai)
                continue
            }
            guard let pi = absorbingProducer(of: node.inputs[0], producer, reads) else { continue }
            var target = graph.nodes[pi]
            switch target.op {
            case .conv2D(var a): a.activation = activation; target.op = .conv2D(a)
            case .depthwiseConv2D(var a): a.activation = activation; target.op = .depthwiseConv2D(a)
            case .separableConv2D(var a): a.activation = activation; target.op = .separableConv2D(a)
            case .dense(var a): a.activation = activation; target.op = .dense(a)
            default: continue
            }
            eliminated[node.inputs[0]] = "activation '\(node.name)' was fused into '\(target.name)'"
            target.outputs = node.outputs
            graph.nodes[pi] = target
            removed.insert(ai)
        }
        graph.nodes = graph.nodes.enumerated().filter { !removed.contains($0.offset) }.map(\.element)
    }

    /// Per-channel `γ / sqrt(var + ε)` in double, with mean and β.
    private func batchNormScale(_ bn: Node, _ a: BatchNormAttributes) throws -> (scale: [Double], mean: [Double], beta: [Double]) {
        var values: [String: [Double]] = [:]
        for (role, name) in zip(bn.op.weightRoles, bn.weights) {
            guard let w = graph.weights[name] else { throw RuntimeError.invalidGraph(.missingWeight(node: bn.name, weight: name)) }
            guard w.info.dtype.isFloatingPoint else {
                throw RuntimeError.unsupportedWeightType(node: bn.name, weight: role, dtype: w.info.dtype)
            }
            values[role] = w.data.floatArray(as: w.info.dtype).map(Double.init)
        }
        let mean = values["moving_mean"] ?? [], variance = values["moving_variance"] ?? []
        let n = mean.count
        let gamma = values["gamma"] ?? [Double](repeating: 1, count: n)
        let beta = values["beta"] ?? [Double](repeating: 0, count: n)
        guard variance.count == n, gamma.count == n, beta.count == n else {
            throw RuntimeError.invalidGraph(.shapeMismatch(node: bn.name, detail: "batch-norm weights differ in length"))
        }
        let eps = Double(a.epsilon)
        let scale = (0..<n).map { gamma[$0] / (variance[$0] + eps).squareRoot() }
        return (scale, mean, beta)
    }

    private func uniqueWeightName(_ base: String) -> String {
        var name = base, i = 1
        while graph.weights[name] != nil {
            name = "\(base)#\(i)"
            i += 1
        }
        return name
    }
}
