import ModelIR

/// A graph lowered for execution: values numbered, each node bound to a prepared kernel with its
/// weights converted (or viewed) as float32. Immutable once built.
final class _Program: Sendable {
    struct Step: Sendable {
        let node: Node
        let kernel: any _Kernel
        let inputs: [Int]
        let output: Int
        /// For shape inference at plan time (`ShapeInference.outputShape`).
        let weightShapes: [[Int]]
    }

    let graph: Graph
    let valueNames: [String]
    let valueIDs: [String: Int]
    /// Value ids of `graph.inputs`, in order.
    let graphInputs: [Int]
    let steps: [Step]
    /// The step producing each value; nil for graph inputs.
    let producer: [Int?]
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

        init(_ options: ExecutorOptions, parallel: _Parallel) {
            self.scratchLimit = max(options.scratchBytes / MemoryLayout<Float>.stride, 1)
            self.convolution = options.convolution
            self.parallel = parallel
            self.minimumGemmRows = max(options.minimumGemmRows, 1)
            self.kernelCache = options.kernelStore.map { _KernelCache(store: $0) }
        }
    }

    /// - Parameter graph: already validated.
    init(graph: Graph, eliminated: [String: String], batchNormEpilogues: [String: (scale: [Float], shift: [Float])] = [:],
         elementwiseActivations: [String: Activation] = [:], depthwiseStages: [String: _GraphRewriter.DepthwiseStage] = [:],
         lowering: Lowering) throws {
        self.graph = graph
        self.eliminated = eliminated
        var names: [String] = [], ids: [String: Int] = [:]
        func id(_ name: String) -> Int {
            if let i = ids[name] { return i }
            ids[name] = names.count
            names.append(name)
            return names.count - 1
        }
        let inputIDs = graph.inputs.map { id($0.name) }
        // Ranks for attribute checks that need them (softmax axes); sizes may change at run time.
        let declared: [String: [Int]]
        do { declared = try graph.inferShapes() } catch let e as ModelIRError { throw RuntimeError.invalidGraph(e) }

        var steps: [Step] = []
        var producer: [Int?] = []
        for node in graph.nodes {
            guard node.outputs.count == 1 else {
                throw RuntimeError.unsupported(node: node.name, op: node.op.kerasClassName,
                                               reason: "nodes with \(node.outputs.count) outputs are not supported (one output each)")
            }
            let inputs = node.inputs.map(id)
            let batchNorm = batchNormEpilogues[node.name].map(Self.owned)
            let kernel = try Self.lower(node, graph: graph, declaredShape: declared[node.outputs[0]], batchNorm: batchNorm,
                                        elementwiseActivation: elementwiseActivations[node.name],
                                        depthwiseStage: depthwiseStages[node.name], lowering: lowering)
            let out = id(node.outputs[0])
            steps.append(Step(node: node, kernel: kernel, inputs: inputs, output: out,
                              weightShapes: node.weights.map { graph.weights[$0]?.info.shape ?? [] }))
        }
        producer = [Int?](repeating: nil, count: names.count)
        for (i, step) in steps.enumerated() { producer[step.output] = i }
        self.valueNames = names
        self.valueIDs = ids
        self.graphInputs = inputIDs
        self.steps = steps
        self.producer = producer
    }

    /// Binds one node's weights and attributes to its kernel.
    private static func lower(_ node: Node, graph: Graph, declaredShape: [Int]?, batchNorm: (scale: _FloatWeights, shift: _FloatWeights)?,
                              elementwiseActivation: Activation?, depthwiseStage: _GraphRewriter.DepthwiseStage?,
                              lowering: Lowering) throws -> any _Kernel {
        let scratchLimit = lowering.scratchLimit, parallel = lowering.parallel, minimumGemmRows = lowering.minimumGemmRows
        let roles = node.op.weightRoles
        let rank = declaredShape?.count ?? 4
        func weight(_ role: String) throws -> _FloatWeights {
            guard let i = roles.firstIndex(of: role), i < node.weights.count else {
                throw RuntimeError.invalidGraph(.missingWeight(node: node.name, weight: role))
            }
            return try weight(named: node.weights[i], role: role)
        }
        func weight(named name: String, role: String) throws -> _FloatWeights {
            guard let w = graph.weights[name] else { throw RuntimeError.invalidGraph(.missingWeight(node: node.name, weight: role)) }
            return try _FloatWeights(w, node: node.name, role: role)
        }
        func unsupported(_ reason: String) -> RuntimeError {
            .unsupported(node: node.name, op: node.op.kerasClassName, reason: reason)
        }
        func checkActivation(_ activation: Activation) throws {
            if case .softmax(let axis) = activation, !(axis >= -rank && axis < rank) {
                throw unsupported("softmax axis \(axis) is out of range for a rank-\(rank) tensor")
            }
        }
        func checkBLAS(_ dims: Int...) throws {
            if dims.contains(where: { $0 > _BLAS.maximumDimension }) {
                throw unsupported("a weight dimension exceeds what BLAS can index (\(dims))")
            }
        }
        switch node.op {
        case .conv2D(let a):
            try checkActivation(a.activation)
            let k = try weight("kernel")
            try checkBLAS(k.count, a.filters)
            let epilogue = _Epilogue(bias: a.useBias ? try weight("bias") : nil, batchNorm: batchNorm, activation: a.activation)
            if let transform = winograd(lowering.convolution, a, inChannels: k.count / max(9 * a.filters, 1),
                                        outputShape: declaredShape) {
                return _WinogradConv2DKernel(kernel: k, transform: transform, epilogue: epilogue, attributes: a,
                                             scratchLimit: scratchLimit, minimumChunkTiles: minimumGemmRows, parallel: parallel,
                                             cache: lowering.kernelCache)
            }
            return _Conv2DKernel(kernel: k, epilogue: epilogue, attributes: a, scratchLimit: scratchLimit,
                                 minimumChunkRows: minimumGemmRows * parallel.workers)
        case .depthwiseConv2D(let a):
            try checkActivation(a.activation)
            let epilogue = _Epilogue(bias: a.useBias ? try weight("bias") : nil, batchNorm: batchNorm, activation: a.activation)
            return _DepthwiseConv2DKernel(kernel: try weight("depthwise_kernel"), epilogue: epilogue, attributes: a)
        case .separableConv2D(let a):
            try checkActivation(a.activation)
            let p = try weight("pointwise_kernel")
            try checkBLAS(p.count)
            let epilogue = _Epilogue(bias: a.useBias ? try weight("bias") : nil, batchNorm: batchNorm, activation: a.activation)
            var kernel = _SeparableConv2DKernel(depthwiseKernel: try weight("depthwise_kernel"), pointwiseKernel: p,
                                                epilogue: epilogue, attributes: a, scratchLimit: scratchLimit,
                                                minimumChunkPixels: minimumGemmRows * parallel.workers)
            if let stage = depthwiseStage {
                kernel.depthwiseEpilogue = _Epilogue(bias: try stage.bias.map { try weight(named: $0, role: "depthwise bias") },
                                                     batchNorm: stage.batchNorm.map(Self.owned), activation: stage.activation)
            }
            return kernel
        case .dense(let a):
            try checkActivation(a.activation)
            let k = try weight("kernel")
            try checkBLAS(k.count)
            let epilogue = _Epilogue(bias: a.useBias ? try weight("bias") : nil, batchNorm: batchNorm, activation: a.activation)
            return _DenseKernel(kernel: k, epilogue: epilogue, attributes: a)
        case .maxPool2D(let a):
            return _Pool2DKernel(kind: .max, attributes: a)
        case .averagePool2D(let a):
            return _Pool2DKernel(kind: .average, attributes: a)
        case .globalAveragePool2D:
            return _GlobalPoolKernel(isMax: false)
        case .globalMaxPool2D:
            return _GlobalPoolKernel(isMax: true)
        case .batchNormalization(let a):
            func values(_ role: String) throws -> [Float]? {
                roles.contains(role) ? try weight(role).array : nil
            }
            let mean = try values("moving_mean") ?? [], variance = try values("moving_variance") ?? []
            let c = try Self.coefficients(gamma: try values("gamma"), beta: try values("beta"), mean: mean, variance: variance,
                                          epsilon: a.epsilon, node: node)
            return _BatchNormKernel(scale: _FloatWeights(copying: c.scale), shift: _FloatWeights(copying: c.shift))
        case let .zeroPadding2D(top, _, left, _):
            return _ZeroPadding2DKernel(top: top, left: left)
        case .flatten, .reshape, .dropout:
            return _ViewKernel()
        case .activation(let a):
            try checkActivation(a)
            return _ActivationKernel(activation: a)
        case .add:
            return _ElementwiseKernel(kind: .add, activation: elementwiseActivation ?? .linear)
        case .multiply:
            return _ElementwiseKernel(kind: .multiply, activation: elementwiseActivation ?? .linear)
        case .concatenate(let axis):
            return _ConcatenateKernel(axis: axis)
        }
    }

    /// A fused batch norm's coefficients as the owned float32 weights an epilogue reads.
    private static func owned(_ c: (scale: [Float], shift: [Float])) -> (scale: _FloatWeights, shift: _FloatWeights) {
        (scale: _FloatWeights(copying: c.scale), shift: _FloatWeights(copying: c.shift))
    }

    /// The Winograd variant `algorithm` picks for a convolution, or nil for im2col.
    /// - Parameter outputShape: the declared NHWC output shape, for `auto` (nil or -1 when unknown).
    private static func winograd(_ algorithm: ConvolutionAlgorithm, _ a: Conv2DAttributes, inChannels: Int,
                                 outputShape: [Int]?) -> _WinogradTransform? {
        guard _WinogradTransform.applies(to: a) else { return nil }
        switch algorithm {
        case .im2col: return nil
        // A thin input (an RGB first layer) gives GEMMs too small to gain from fewer products.
        case .auto:
            guard inChannels >= 16 else { return nil }
            let size = outputShape.flatMap { $0.count == 4 && $0[1] > 0 && $0[2] > 0 ? ($0[1], $0[2]) : nil }
            return _WinogradTransform.cheapest(height: size?.0, width: size?.1)
        case .winograd2x2: return .f2
        case .winograd4x4: return .f4
        }
    }

    private static func coefficients(gamma: [Float]?, beta: [Float]?, mean: [Float], variance: [Float], epsilon: Float,
                                     node: Node) throws -> (scale: [Float], shift: [Float]) {
        let n = mean.count
        guard variance.count == n, gamma.map({ $0.count == n }) ?? true, beta.map({ $0.count == n }) ?? true else {
            throw RuntimeError.invalidGraph(.shapeMismatch(node: node.name, detail: "batch-norm weights differ in length"))
        }
        return _BatchNormKernel.coefficients(gamma: gamma, beta: beta, mean: mean, variance: variance, epsilon: epsilon)
    }
}
