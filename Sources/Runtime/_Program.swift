import ModelIR

/// A graph lowered for execution: values numbered, each node bound either to a prepared fast
/// kernel (float32, weights converted or viewed once) or to the reference evaluator. Immutable
/// once built.
final class _Program: @unchecked Sendable {
    /// Where a step's operand comes from.
    enum Operand {
        case value(Int)
        case constant(Tensor)
        case absent
    }

    enum Work {
        /// A fast kernel over float32 values; `inputs` are its data operands.
        case kernel(any _Kernel)
        /// The reference evaluator, over every operand (any dtype, shapes known only at run time).
        case evaluate
    }

    struct Step {
        let node: Node
        let work: Work
        /// Data operands of a fast kernel (value ids), in order.
        let inputs: [Int]
        /// Every operand, for the evaluator and for shape inference at run time.
        let operands: [Operand]
        /// Value ids of the node's outputs (-1 for an unnamed output).
        let outputs: [Int]
        /// The node (and its operands) whose work the kernel does first, on the step's first data
        /// operand, before `node`'s (an expansion, `_FusionPass.expansions`): `node` reads its
        /// output, which the program does not keep.
        var absorbed: (node: Node, operands: [Operand])? = nil

        /// The fast kernel, or nil when the step runs on the evaluator.
        var kernel: (any _Kernel)? {
            if case .kernel(let k) = work { return k }
            return nil
        }
    }

    let graph: Graph
    let valueNames: [String]
    let valueIDs: [String: Int]
    /// Element type of every value (from inference on the declared shapes).
    let valueTypes: [DType]
    /// Value ids of `graph.inputs`, in order.
    let graphInputs: [Int]
    let steps: [Step]
    /// Values of the source graph this program no longer computes, with the reason.
    let eliminated: [String: String]

    /// How nodes become kernels: the parts of `ExecutorOptions` that shape them.
    struct Lowering {
        /// Kernel scratch bound, in floats.
        let scratchLimit: Int
        let convolution: ConvolutionAlgorithm
        let parallel: _Parallel
        let minimumGemmRows: Int
        let kernelCache: _KernelCache?
        /// Winograd products on oneDNN's matmul (`ExecutorOptions.winogradProductsOnOneDNN`).
        let winogradProductsOnOneDNN: Bool

        init(_ options: ExecutorOptions, parallel: _Parallel) {
            self.scratchLimit = max(options.scratchBytes / MemoryLayout<Float>.stride, 1)
            self.convolution = options.memory == .low && options.convolution == .auto ? .im2col : options.convolution
            self.parallel = parallel
            self.minimumGemmRows = max(options.minimumGemmRows, 1)
            self.kernelCache = options.kernelStore.map { _KernelCache(store: $0) }
            self.winogradProductsOnOneDNN = options.winogradProductsOnOneDNN
        }
    }

    /// - Parameters:
    ///   - graph: already validated and rewritten.
    ///   - fusion: what the fusion pass decided (empty for an unrewritten program).
    init(graph: Graph, eliminated: [String: String], fusion: _FusionPass = _FusionPass(), lowering: Lowering) throws {
        self.graph = graph
        var names: [String] = [], ids: [String: Int] = [:]
        func id(_ name: String) -> Int {
            if let i = ids[name] { return i }
            ids[name] = names.count
            names.append(name)
            return names.count - 1
        }
        let inputIDs = graph.inputs.map { id($0.name) }
        let declared: [String: Operand_]
        do { declared = try graph.inferTypes(foldLimit: 0) } catch let e as ModelIRError { throw RuntimeError.invalidGraph(e) }

        var steps: [Step] = []
        var eliminated = eliminated
        func operands(_ inputs: [String]) -> [Operand] {
            inputs.map { name in
                if name.isEmpty { return .absent }
                if let w = graph.weights[name] { return .constant(w.tensor) }
                return .value(id(name))
            }
        }
        func append(_ node: Node, _ kernel: (any _Kernel)?, inputs: [String]? = nil, absorbed: (node: Node, operands: [Operand])? = nil) {
            let inputs = inputs ?? node.inputs
            let operands = operands(inputs)
            let dataInputs = kernel == nil ? [] : inputs.prefix(node.op.dataInputCount).filter { !$0.isEmpty }.compactMap { ids[$0] }
            let outputs = node.outputs.map { $0.isEmpty ? -1 : id($0) }
            steps.append(Step(node: node, work: kernel.map { .kernel($0) } ?? .evaluate, inputs: dataInputs, operands: operands,
                              outputs: outputs, absorbed: absorbed))
        }
        // An expansion's step waits for the separable node that reads it, which may take it in.
        let expansionNodes = Set(fusion.expansions.values)
        var waiting: [String: (node: Node, kernel: any _Kernel)] = [:]
        for node in graph.nodes {
            let kernel = try Self.lower(node, graph: graph, declared: declared, fusion: fusion, lowering: lowering)
            if kernel == nil, fusion.batchNormEpilogues[node.name] != nil {
                // The reference evaluator would drop the fused BN: refuse rather than compute without it.
                throw RuntimeError.unsupported(node: node.name, op: node.typeName,
                                               reason: "a batch normalization was fused into this layer, which has no fast kernel")
            }
            if expansionNodes.contains(node.name), let kernel, node.outputs.count == 1 {
                waiting[node.outputs[0]] = (node, kernel)
                continue
            }
            if fusion.expansions[node.name] != nil, let value = node.inputs.first, let expansion = waiting[value],
               let separable = (kernel as? _OneDNNSeparableConv2DKernel)
                   ?? (kernel as? _OneDNNConv2DKernel).flatMap({ _OneDNNSeparableConv2DKernel(depthwise: $0, workers: lowering.parallel.workers) }),
               let combined = separable.expanded(by: expansion.kernel) {
                waiting[value] = nil
                eliminated[value] = "the 1×1 convolution '\(expansion.node.name)' runs inside '\(node.name)'"
                let absorbed = (node: expansion.node, operands: operands(expansion.node.inputs))
                append(node, combined, inputs: [expansion.node.inputs[0]] + node.inputs.dropFirst(), absorbed: absorbed)
                continue
            }
            for name in node.inputs { if let w = waiting.removeValue(forKey: name) { append(w.node, w.kernel) } }
            append(node, kernel)
        }
        for w in waiting.values { append(w.node, w.kernel) }
        self.eliminated = eliminated
        self.valueNames = names
        self.valueIDs = ids
        self.valueTypes = names.map { declared[$0]?.dtype ?? .float32 }
        self.graphInputs = inputIDs
        self.steps = steps
    }

    /// The fast kernel for `node`, or nil to evaluate it.
    private static func lower(_ node: Node, graph: Graph, declared: [String: Operand_], fusion: _FusionPass,
                              lowering: Lowering) throws -> (any _Kernel)? {
        // Fast kernels read and write float32 only.
        let floats = node.dataInputs.allSatisfy { (graph.weights[$0]?.info.dtype ?? declared[$0]?.dtype) == .float32 }
            && node.outputs.allSatisfy { $0.isEmpty || declared[$0]?.dtype == .float32 }
        guard floats, node.outputs.count == 1 else { return nil }
        let inputShape = node.dataInputs.first.flatMap { declared[$0]?.shape }
        let outputShape = declared[node.outputs[0]]?.shape
        func constant(_ role: String) throws -> _FloatWeights? {
            guard let name = node.input(role) else { return nil }
            guard let w = graph.weights[name] else { return nil }
            return try _FloatWeights(w, node: node.name, role: role)
        }
        func isConstant(_ role: String) -> Bool { node.input(role).map { graph.weights[$0] != nil } ?? true }
        let parallel = lowering.parallel, scratchLimit = lowering.scratchLimit, minimumGemmRows = lowering.minimumGemmRows
        let batchNorm = fusion.batchNormEpilogues[node.name].map(owned)
        switch node.op {
        case .conv(let conv):
            guard conv.layout == .channelsLast, conv.spatialRank == 2, inputShape?.count == 4 else { return nil }
            switch conv {
            case .conv(let a):
                guard a.kernelLayout == .spatialFirst, isConstant("kernel"), isConstant("bias"), let k = try constant("kernel") else { return nil }
                try checkBLAS(node, k.count, a.filters)
                let epilogue = _Epilogue(bias: try constant("bias"), batchNorm: batchNorm, activation: a.activation)
                let inChannels = k.count / max(a.kernelSize.reduce(1, *) * a.filters, 1) * a.groups
                let cache = lowering.kernelCache, onOneDNN = lowering.winogradProductsOnOneDNN
                let winogradKernel: @Sendable (_WinogradTransform) -> _WinogradConv2DKernel = { transform in
                    _WinogradConv2DKernel(kernel: k, transform: transform, epilogue: epilogue, attributes: a, scratchLimit: scratchLimit,
                                          minimumChunkTiles: minimumGemmRows, parallel: parallel, cache: cache, productsOnOneDNN: onOneDNN)
                }
                let gemm = _Conv2DKernel(kernel: k, epilogue: epilogue, attributes: a, scratchLimit: scratchLimit,
                                         minimumChunkRows: minimumGemmRows * parallel.workers)
                func oneDNNKernel() -> any _Kernel {
                    let geometry = _OneDNNConvolution.Geometry(kernelSize: a.kernelSize, strides: a.strides, dilations: a.dilations,
                                                               groups: a.groups, inChannels: inChannels, outChannels: a.filters)
                    return oneDNN(kernel: k, geometry: geometry, padding: a.padding, epilogue: epilogue, input: inputShape,
                                  output: outputShape, lowering: lowering, fallback: gemm)
                }
                let medium = takesMediumTier(a, inChannels: inChannels, outputShape: outputShape, lowering: lowering)
                    ? (pixels: _BatchSwitchConv2DKernel.defaultMediumPixels, kernel: _LazyKernel { winogradKernel(.f2) }) : nil
                if switchesWithBatch(a, inChannels: inChannels, outputShape: outputShape, lowering: lowering) {
                    let small = oneDNNKernel()
                    if small is _OneDNNConv2DKernel || small is _OneDNNSlicedConv2DKernel {
                        return _BatchSwitchConv2DKernel(small: (_BatchSwitchConv2DKernel.defaultSmallPixels, small), medium: medium,
                                                        large: _LazyKernel { winogradKernel(.f4) })
                    }
                }
                if let transform = winograd(lowering.convolution, a, inChannels: inChannels, outputShape: outputShape) {
                    if transform == .f4, let medium {
                        return _BatchSwitchConv2DKernel(small: nil, medium: medium, large: _LazyKernel { winogradKernel(.f4) })
                    }
                    return winogradKernel(transform)
                }
                guard lowering.convolution.usesOneDNN else { return gemm }
                // `auto` keeps strided 1×1 convolutions (ResNet's and Xception's projection
                // shortcuts) on SGEMM where oneDNN has no AVX-512: its AVX2 code was 3–5× slower
                // than SGEMM on ResNet50's at batch 1, while its AVX-512 code is 0.64–0.80× of
                // SGEMM at batch 1 and 0.74–1.04× at batch 20 (docs/performance.md).
                if lowering.convolution == .auto, _ISA.current != .avx512,
                   a.kernelSize.allSatisfy({ $0 == 1 }), a.strides.contains(where: { $0 > 1 }) {
                    return gemm
                }
                return oneDNNKernel()
            case .depthwise(let a):
                guard isConstant("depthwise_kernel"), isConstant("bias"), let k = try constant("depthwise_kernel") else { return nil }
                let epilogue = _Epilogue(bias: try constant("bias"), batchNorm: batchNorm, activation: a.activation)
                let direct = _DepthwiseConv2DKernel(kernel: k, epilogue: epilogue, attributes: a)
                guard lowering.convolution.usesOneDNN, let channels = inputShape?.last, channels > 0,
                      k.count == a.kernelSize.reduce(1, *) * channels * a.depthMultiplier else { return direct }
                let geometry = _OneDNNConvolution.Geometry(kernelSize: a.kernelSize, strides: a.strides, dilations: a.dilations,
                                                           groups: channels, inChannels: channels, outChannels: channels * a.depthMultiplier)
                return oneDNN(kernel: k, geometry: geometry, padding: a.padding, epilogue: epilogue, input: inputShape,
                              output: outputShape, lowering: lowering, fallback: direct)
            case .separable(let a):
                guard isConstant("depthwise_kernel"), isConstant("pointwise_kernel"), isConstant("bias"),
                      let d = try constant("depthwise_kernel"), let p = try constant("pointwise_kernel") else { return nil }
                try checkBLAS(node, p.count)
                let epilogue = _Epilogue(bias: try constant("bias"), batchNorm: batchNorm, activation: a.activation)
                var kernel = _SeparableConv2DKernel(depthwiseKernel: d, pointwiseKernel: p, epilogue: epilogue, attributes: a,
                                                    scratchLimit: scratchLimit, minimumChunkPixels: minimumGemmRows * parallel.workers)
                if let stage = fusion.depthwiseStages[node.name] {
                    let bias = try stage.bias.map { name -> _FloatWeights in
                        guard let w = graph.weights[name] else { throw RuntimeError.invalidGraph(.missingWeight(node: node.name, weight: name)) }
                        return try _FloatWeights(w, node: node.name, role: "depthwise bias")
                    }
                    kernel.depthwiseEpilogue = _Epilogue(bias: bias, batchNorm: stage.batchNorm.map(owned), activation: stage.activation)
                }
                guard lowering.convolution.usesOneDNN, let channels = inputShape?.last, channels > 0,
                      d.count == a.kernelSize.reduce(1, *) * channels * a.depthMultiplier,
                      p.count == channels * a.depthMultiplier * a.filters else { return kernel }
                let middle = channels * a.depthMultiplier
                let stage = kernel.depthwiseEpilogue ?? _Epilogue(bias: nil, activation: .linear)
                let dwGeometry = _OneDNNConvolution.Geometry(kernelSize: a.kernelSize, strides: a.strides, dilations: a.dilations,
                                                             groups: channels, inChannels: channels, outChannels: middle)
                let pwGeometry = _OneDNNConvolution.Geometry(kernelSize: [1, 1], strides: [1, 1], dilations: [1, 1],
                                                             groups: 1, inChannels: middle, outChannels: a.filters)
                let middleShape = inputShape.flatMap { s in outputShape.map { [s[0], $0[1], $0[2], middle] } }
                guard let dw = _OneDNNConvolution(kernel: d, geometry: dwGeometry, padding: a.padding, bias: stage.bias,
                                                  scaleShift: stage.scaleShift, activation: stage.activation,
                                                  sampleInput: inputShape ?? [], cache: lowering.kernelCache) else { return kernel }
                let pointwise: _OneDNNSeparableConv2DKernel.Pointwise
                if let slices = _OneDNNChannelSlices(kernel: p, geometry: pwGeometry, padding: .valid, epilogue: epilogue,
                                                     sampleInput: middleShape ?? [], outputShape: outputShape,
                                                     cache: lowering.kernelCache, workers: parallel.workers) {
                    pointwise = .sliced(slices)
                } else {
                    guard let pw = _OneDNNConvolution(kernel: p, geometry: pwGeometry, padding: .valid, bias: epilogue.bias,
                                                      scaleShift: epilogue.scaleShift, activation: epilogue.activation,
                                                      sampleInput: middleShape ?? [], cache: lowering.kernelCache) else { return kernel }
                    pointwise = .whole(pw, activation: pw.fusedActivation == nil ? epilogue.activation : .linear)
                }
                return _OneDNNSeparableConv2DKernel(depthwise: dw, depthwiseActivation: dw.fusedActivation == nil ? stage.activation : .linear,
                                                    pointwise: pointwise, fallback: kernel, workers: parallel.workers)
            case .transposed:
                return nil
            }
        case .linear(.dense(let a)):
            guard isConstant("kernel"), isConstant("bias"), let k = try constant("kernel") else { return nil }
            try checkBLAS(node, k.count)
            let epilogue = _Epilogue(bias: try constant("bias"), batchNorm: batchNorm, activation: a.activation)
            return _DenseKernel(kernel: k, epilogue: epilogue, attributes: a)
        case .pool(.max(let a)), .pool(.average(let a)):
            guard a.layout == .channelsLast, a.poolSize.count == 2, inputShape?.count == 4, a.dilations == [1, 1], !a.ceilMode,
                  a.padding != .sameLower else { return nil }
            if case .pool(.max) = node.op { return _Pool2DKernel(kind: .max, attributes: a) }
            return _Pool2DKernel(kind: .average, attributes: a)
        case .pool(.globalAverage(let a)), .pool(.globalMax(let a)):
            guard a.layout == .channelsLast, inputShape?.count == 4 else { return nil }
            if case .pool(.globalMax) = node.op { return _GlobalPoolKernel(isMax: true) }
            return _GlobalPoolKernel(isMax: false)
        case .normalization(.batch(let a)):
            guard let rank = inputShape?.count, a.axis == -1 || a.axis == rank - 1,
                  ["gamma", "beta", "moving_mean", "moving_variance"].allSatisfy(isConstant) else { return nil }
            func values(_ role: String) throws -> [Float]? { try constant(role)?.array }
            guard let mean = try values("moving_mean"), let variance = try values("moving_variance") else { return nil }
            let gamma = try values("gamma"), beta = try values("beta")
            guard variance.count == mean.count, gamma.map({ $0.count == mean.count }) ?? true, beta.map({ $0.count == mean.count }) ?? true
            else { return nil }
            let c = _ChannelAffineKernel.coefficients(gamma: gamma, beta: beta, mean: mean, variance: variance, epsilon: a.epsilon)
            return _ChannelAffineKernel(.multiplyAdd, channels: mean.count, a: c.scale, b: c.shift)
        case .normalization(.rescale(let a)):
            guard let channels = inputShape?.last, channels > 0 else { return nil }
            return _ChannelAffineKernel(.multiplyAdd, channels: channels, a: a.scale, b: a.offset)
        case .normalization(.standardize(let a)):
            // Keras Normalization over the last axis (or none) with constant statistics, one per channel or one in all.
            guard let rank = inputShape?.count, let channels = inputShape?.last, channels > 0,
                  a.axes.allSatisfy({ Shape.normalizedAxis($0, rank: rank) == rank - 1 }) else { return nil }
            let mean: [Float], variance: [Float]
            if node.input("mean") != nil || node.input("variance") != nil {
                guard isConstant("mean"), isConstant("variance"), let m = try constant("mean")?.array, let v = try constant("variance")?.array
                else { return nil }
                (mean, variance) = (m, v)
            } else {
                guard let m = a.mean, let v = a.variance else { return nil }
                (mean, variance) = (m.map { Float($0) }, v.map { Float($0) })
            }
            let perChannel = a.axes.isEmpty ? 1 : channels
            guard mean.count == perChannel || mean.count == 1, variance.count == perChannel || variance.count == 1 else { return nil }
            let deviation = variance.map { max($0.squareRoot(), 1e-7) }
            return a.invert ? _ChannelAffineKernel(.multiplyAdd, channels: channels, a: deviation, b: mean)
                : _ChannelAffineKernel(.subtractDivide, channels: channels, a: mean, b: deviation)
        case .tensor(.pad(let a)):
            guard a.mode == .constant, (a.value ?? 0) == 0, a.axes == nil, node.inputs.dropFirst().allSatisfy(\.isEmpty),
                  let p = a.pads, p.count == 8, p[0] == 0, p[3] == 0, p[4] == 0, p[7] == 0, p.allSatisfy({ $0 >= 0 }) else { return nil }
            return _ZeroPadding2DKernel(top: p[1], left: p[2])
        case .tensor(.flatten), .tensor(.identity), .tensor(.squeeze(_?)), .tensor(.unsqueeze(_?)):
            return node.inputs.count == 1 ? _ViewKernel() : nil
        case .tensor(.reshape(let a)):
            return a.shape != nil && node.inputs.count == 1 ? _ViewKernel() : nil
        case .tensor(.dropout):
            return node.inputs.dropFirst().allSatisfy(\.isEmpty) ? _ViewKernel() : nil
        case .tensor(.transpose(let perm)):
            guard let rank = inputShape?.count else { return nil }
            return _TransposeKernel(perm: perm ?? Array((0..<rank).reversed()))
        case .tensor(.concat(let axis)):
            return node.inputs.allSatisfy({ graph.weights[$0] == nil }) ? _ConcatenateKernel(axis: axis) : nil
        case .activation(let a):
            if case .softmax(let axis) = a, let rank = inputShape?.count, Shape.normalizedAxis(axis, rank: rank) == nil { return nil }
            return _ActivationKernel(activation: a)
        case .elementwise(.variadic(let f)) where node.inputs.count >= 2:
            let kind: _ElementwiseKernel.Kind
            switch f {
            case .add: kind = .add
            case .mul: kind = .multiply
            case .max: kind = .maximum
            case .min: kind = .minimum
            case .mean: return nil
            }
            return try elementwise(kind, node, graph: graph, activation: fusion.elementwiseActivations[node.name] ?? .linear)
        case .elementwise(.binary(let f)) where f == .sub || f == .div:
            return try elementwise(f == .sub ? .subtract : .divide, node, graph: graph, activation: .linear)
        default:
            return nil
        }
    }

    /// An element-wise kernel over the node's operands, its constant operands bound now; nil
    /// when every operand is constant (the plan folds those) or one is not a float constant.
    private static func elementwise(_ kind: _ElementwiseKernel.Kind, _ node: Node, graph: Graph,
                                    activation: Activation) throws -> (any _Kernel)? {
        var kernel = _ElementwiseKernel(kind: kind, activation: activation, operandCount: node.inputs.count)
        for (k, name) in node.inputs.enumerated() {
            guard let w = graph.weights[name] else { continue }
            guard w.info.dtype == .float32 else { return nil }
            kernel.constants[k] = (try _FloatWeights(w, node: node.name, role: "operand \(k)"), w.info.shape)
        }
        return kernel.constants.count < node.inputs.count ? kernel : nil
    }

    /// A convolution on oneDNN with `fallback` for shapes it refuses, or `fallback` alone when
    /// oneDNN is unavailable or refuses the layer.
    private static func oneDNN(kernel: _FloatWeights, geometry: _OneDNNConvolution.Geometry, padding: Padding, epilogue: _Epilogue,
                               input: [Int]?, output: [Int]?, lowering: Lowering, fallback: any _Kernel) -> any _Kernel {
        let cache = lowering.kernelCache
        if let slices = _OneDNNChannelSlices(kernel: kernel, geometry: geometry, padding: padding, epilogue: epilogue,
                                             sampleInput: input ?? [], outputShape: output, cache: cache, workers: lowering.parallel.workers) {
            return _OneDNNSlicedConv2DKernel(slices: slices, fallback: fallback)
        }
        guard let convolution = _OneDNNConvolution(kernel: kernel, geometry: geometry, padding: padding, bias: epilogue.bias,
                                                   scaleShift: epilogue.scaleShift, activation: epilogue.activation,
                                                   sampleInput: input ?? [], cache: cache) else { return fallback }
        return _OneDNNConv2DKernel(convolution: convolution, fallback: fallback,
                                   activation: convolution.fusedActivation == nil ? epilogue.activation : .linear)
    }

    private static func checkBLAS(_ node: Node, _ dims: Int...) throws {
        if dims.contains(where: { $0 > _BLAS.maximumDimension }) {
            throw RuntimeError.unsupported(node: node.name, op: node.typeName, reason: "a weight dimension exceeds what BLAS can index (\(dims))")
        }
    }

    /// A fused batch norm's coefficients as the owned float32 weights an epilogue reads.
    private static func owned(_ c: (scale: [Float], shift: [Float])) -> (scale: _FloatWeights, shift: _FloatWeights) {
        (scale: _FloatWeights(copying: c.scale), shift: _FloatWeights(copying: c.shift))
    }

    /// Whether `auto` runs this layer as a ``_BatchSwitchConv2DKernel`` (oneDNN for small batches,
    /// F(4×4) for large ones): on a CPU where oneDNN has AVX-512, a 3×3 stride-1 layer on a map
    /// too small for `_WinogradTransform.cheapest` to pick F(4×4) per image.
    private static func switchesWithBatch(_ a: ConvAttributes, inChannels: Int, outputShape: [Int]?, lowering: Lowering) -> Bool {
        guard lowering.convolution == .auto, _ISA.current == .avx512, _WinogradTransform.applies(to: a), inChannels >= 16,
              let size = outputShape, size.count == 4, size[1] > 0, size[2] > 0 else { return false }
        return _WinogradTransform.cheapest(height: size[1], width: size[2]) != .f4
    }

    /// Whether `auto` runs this layer on F(2×2) between small and large batches
    /// (``_BatchSwitchConv2DKernel``): on a CPU where oneDNN has AVX-512, a 3×3 stride-1 layer with
    /// a kernel of `mediumWeights` floats per tap or more, on a map of fewer pixels than that tier's
    /// bound which F(2×2)'s tiles cover with less overhang than F(4×4)'s (18×18, 14×14, 9×9; not
    /// 4×4, 7×7 or 3×3, where both pad alike and F(4×4) has fewer products: InceptionV3's 3×3 maps
    /// at batch 20 took 3.65 ms on F(2×2) against 3.35 on F(4×4)).
    private static func takesMediumTier(_ a: ConvAttributes, inChannels: Int, outputShape: [Int]?, lowering: Lowering) -> Bool {
        guard lowering.convolution == .auto, _ISA.current == .avx512, _WinogradTransform.applies(to: a),
              inChannels * a.filters >= _BatchSwitchConv2DKernel.mediumWeights,
              let size = outputShape, size.count == 4, size[1] > 0, size[2] > 0 else { return false }
        func covered(_ m: Int) -> Int { (size[1] + m - 1) / m * m * ((size[2] + m - 1) / m * m) }
        return size[1] * size[2] < _BatchSwitchConv2DKernel.defaultMediumPixels && covered(2) < covered(4)
    }

    /// The Winograd variant `algorithm` picks for a convolution, or nil for im2col.
    /// - Parameter outputShape: the declared NHWC output shape, for `auto` (nil or -1 when unknown).
    private static func winograd(_ algorithm: ConvolutionAlgorithm, _ a: ConvAttributes, inChannels: Int,
                                 outputShape: [Int]?) -> _WinogradTransform? {
        guard _WinogradTransform.applies(to: a) else { return nil }
        switch algorithm {
        case .im2col, .onednn: return nil
        // A thin input (an RGB first layer) gives GEMMs too small to gain from fewer products.
        case .auto:
            guard inChannels >= 16 else { return nil }
            let size = outputShape.flatMap { $0.count == 4 && $0[1] > 0 && $0[2] > 0 ? ($0[1], $0[2]) : nil }
            return _WinogradTransform.cheapest(height: size?.0, width: size?.1)
        case .winograd2x2: return .f2
        case .winograd4x4: return .f4
        }
    }
}

/// `ModelIR.Operand` (the runtime has its own `_Program.Operand`).
typealias Operand_ = ModelIR.Operand
