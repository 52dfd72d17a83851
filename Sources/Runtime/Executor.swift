import Foundation
import ModelIR

/// Runs a ``ModelIR/Graph`` on the CPU, in the graph's own layout and types: any rank and dtype
/// in, the source's shapes out (an NCHW ONNX model gives NCHW, a Keras model NHWC).
///
/// Preparation happens once, in `init`: the graph is validated and rewritten by graph passes —
/// channels-first convolutions and pooling get the NHWC layout the fast kernels use, with
/// Transposes that the next pass pushes through layout-agnostic ops until they cancel; then
/// BatchNormalization and activations fuse into the layer before them (see ``ExecutorOptions``).
/// Each node becomes a fast float32 kernel (convolutions with Winograd or im2col + BLAS, depthwise,
/// dense, pooling, element-wise, …: weights viewed zero-copy or converted once) or, for
/// everything else, the reference evaluator (any dtype and rank).
///
/// Buffers are planned per set of input shapes (and values of small integer inputs, which shape
/// subgraphs read): liveness-based reuse of one arena for the float32 activations, so memory is
/// about the two largest activations; the plan is kept for the next call with the same inputs.
/// Dimensions the graph leaves open (`-1`, ONNX `dim_param`) are bound by the inputs given.
///
/// Calls to `run` are serialised by an internal lock, so one executor may be shared between
/// threads; it is not faster to do so.
///
/// ```swift
/// let executor = try Executor(graph: graph)
/// let features = try executor.run(input: Tensor(shape: [20, 150, 150, 3], floats: pixels))
/// ```
public final class Executor: @unchecked Sendable {
    /// The graph as given (before the passes).
    public let graph: Graph
    public let options: ExecutorOptions

    /// The rewritten, lowered graph (internal for tests).
    let program: _Program
    let parallel: _Parallel
    private let lock = NSLock()
    // Guarded by `lock`:
    var referenceProgram: _Program?
    var plans: [PlanKey: (known: [String: Operand_], plan: _MemoryPlan)] = [:]
    var arenaBuffer = _FloatBuffer(count: 0)
    var scratchBuffer = _FloatBuffer(count: 0)

    struct PlanKey: Hashable {
        var reference: Bool
        var inputShapes: [[Int]]
        /// Values of the small integer inputs inference reads (shapes, axes).
        var inputValues: [[Int64]]
        var outputs: [Int]
    }

    /// Integer inputs with at most this many elements are read by inference (a Reshape's shape,
    /// a Slice's starts): their values are part of the plan.
    static let shapeInputLimit = 64

    /// Prepares `graph` for execution.
    /// - Parameters:
    ///   - graph: any valid graph, in its source's layout.
    ///   - options: fusion, threads, convolution algorithm, kernel cache.
    /// - Throws: `RuntimeError.invalidGraph` when the graph fails validation (naming the node),
    ///   `.unsupported` listing every node the runtime cannot execute (carried custom ops).
    public init(graph: Graph, options: ExecutorOptions = ExecutorOptions()) throws {
        self.graph = graph
        self.options = options
        do { try graph.validate() } catch let e as ModelIRError { throw RuntimeError.invalidGraph(e) }
        try Self.checkRunnable(graph)

        let shapes: [String: [Int]]
        do { shapes = try graph.inferShapes() } catch let e as ModelIRError { throw RuntimeError.invalidGraph(e) }
        var editor = _GraphEditor(graph)
        var fusion = _FusionPass()
        if options.layoutPasses {
            _LayoutPass.run(&editor, shapes: shapes)
            _TransposePass.run(&editor, ranks: shapes.compactMapValues { $0.count })
        }
        let ranks = (try? editor.graph.inferShapes())?.compactMapValues { $0.count } ?? [:]
        switch options.batchNormalization {
        case .separate: break
        case .epilogue: fusion.fuseBatchNormalization(&editor, intoWeights: false, ranks: ranks)
        case .weights: fusion.fuseBatchNormalization(&editor, intoWeights: true, ranks: ranks)
        }
        if options.fuseActivations {
            fusion.fuseActivations(&editor)
            fusion.foldZeroPadding(&editor)
            fusion.fuseDepthwisePointwise(&editor)
            fusion.fuseExpansions(editor)
        }
        _TransposePass.removeDead(&editor)
        do { try editor.graph.validate() } catch let e as ModelIRError {
            throw RuntimeError.invalidGraph(.unsupported(node: "(graph passes)", detail: "the rewritten graph is invalid: \(e)"))
        }
        _ = try _BLAS.require()
        let threads = max(options.threads ?? ProcessInfo.processInfo.activeProcessorCount, 1)
        let parallel = _Parallel(workers: threads, minimumWork: max(options.minimumParallelWork, 1))
        self.parallel = parallel
        // Values the rewrite removed are served by an unrewritten program.
        var eliminated = editor.eliminated
        let kept = Set(editor.graph.inputs.map(\.name) + editor.graph.nodes.flatMap(\.outputs))
        for node in graph.nodes { for o in node.outputs where !o.isEmpty && !kept.contains(o) && eliminated[o] == nil {
            eliminated[o] = "the graph passes rewrote it"
        } }
        self.program = try _Program(graph: editor.graph, eliminated: eliminated, fusion: fusion,
                                    lowering: _Program.Lowering(options, parallel: parallel))
    }

    /// Refuses, once, a graph with ops the runtime has no semantics for, naming every one.
    private static func checkRunnable(_ graph: Graph) throws {
        var counts: [String: (count: Int, first: String, reason: String)] = [:]
        var order: [String] = []
        for node in graph.nodes {
            guard case .custom(let c) = node.op else { continue }
            let key = c.domain.isEmpty || c.domain == "ai.onnx" ? c.type : "\(c.domain).\(c.type)"
            if let entry = counts[key] { counts[key] = (entry.count + 1, entry.first, entry.reason) } else {
                counts[key] = (1, node.name, c.reason)
                order.append(key)
            }
        }
        guard !order.isEmpty else { return }
        let total = order.reduce(0) { $0 + counts[$1]!.count }
        let list = order.map { key in
            let e = counts[key]!
            return "\(key) x\(e.count) (node '\(e.first)'\(e.reason.isEmpty ? "" : ": \(e.reason)"))"
        }.joined(separator: ", ")
        throw RuntimeError.cannotRun(detail: "\(total) op\(total == 1 ? "" : "s") cannot run: \(list)")
    }

    /// OpenBLAS's kernel family in use (`SkylakeX`, `Haswell`, …), for benchmark reports: the one
    /// the CPU's feature flags allow, unless `OPENBLAS_CORETYPE` says otherwise; "unavailable"
    /// when OpenBLAS cannot be loaded.
    public static var blasCore: String { (try? _BLAS.require().core) ?? "unavailable" }

    /// Names of the graph inputs, in order.
    public var inputNames: [String] { graph.inputs.map(\.name) }
    /// Names of the graph outputs, in order.
    public var outputNames: [String] { graph.outputs }

    /// Values of the source graph that preparation removed (a convolution's output before a folded
    /// BatchNormalization, before a fused activation), with the reason. `run(inputs:outputs:)`
    /// still returns them, computed by an unrewritten copy of the graph.
    public var rewrittenValues: [String: String] { program.eliminated }

    /// How many nodes of the prepared program run on the reference evaluator rather than a fast
    /// kernel, by type (for reports and tests).
    public var evaluatedNodeTypes: [String: Int] {
        var counts: [String: Int] = [:]
        for step in program.steps { if case .evaluate = step.work { counts[step.node.op.displayName, default: 0] += 1 } }
        return counts
    }

    /// Runs a graph with one input and one output.
    /// - Throws: `RuntimeError.notSingleInputOutput`, or the errors of `run(inputs:outputs:)`.
    public func run(input: Tensor) throws -> Tensor {
        guard graph.inputs.count == 1, graph.outputs.count == 1 else {
            throw RuntimeError.notSingleInputOutput(inputs: graph.inputs.count, outputs: graph.outputs.count)
        }
        let name = graph.outputs[0]
        guard let out = try run(inputs: [graph.inputs[0].name: input], outputs: [name])[name] else {
            throw RuntimeError.unknownValue(name)
        }
        return out
    }

    /// Runs the graph and returns any values by name: graph outputs or intermediate values, for
    /// example every layer's output to find the first one that diverges from Keras.
    ///
    /// Only the nodes the requested values depend on run, so inputs they do not need may be left
    /// out. A value the passes removed is computed by an unrewritten copy of the graph (prepared on
    /// first need, sharing the weights).
    /// - Parameters:
    ///   - inputs: tensors by graph-input name, in the graph's layout and dtype.
    ///   - outputs: names of values to return (node outputs or graph inputs); nil: the graph outputs.
    /// - Throws: `RuntimeError.unknownInput`, `.missingInput`, `.unknownValue`, `.badInputTensor`
    ///   when a tensor does not fit its declaration, `.shapeMismatch` when the shapes do not
    ///   propagate through the graph.
    public func run(inputs: [String: Tensor], outputs: [String]? = nil) throws -> [String: Tensor] {
        lock.lock()
        defer { lock.unlock() }
        var timings: [Double]? = nil
        return try execute(inputs: inputs, outputs: outputs ?? graph.outputs, timings: &timings)
    }

    /// Time spent in one node of the prepared program.
    public struct NodeTiming: Sendable, Equatable {
        /// The node's name (for a fused node, the convolution's or dense layer's).
        public var node: String
        /// Its type name.
        public var op: String
        /// Median seconds per run.
        public var seconds: Double
    }

    /// Runs the graph `runs` times (after one warm-up) and returns each executed node's median
    /// time, in execution order: where a model spends its time.
    public func profile(inputs: [String: Tensor], runs: Int = 5) throws -> [NodeTiming] {
        lock.lock()
        defer { lock.unlock() }
        var samples: [[Double]] = []
        for i in 0...max(runs, 1) {
            var timings: [Double]? = [Double](repeating: -1, count: program.steps.count)
            _ = try execute(inputs: inputs, outputs: graph.outputs, timings: &timings)
            if i > 0, let timings { samples.append(timings) }
        }
        return program.steps.indices.compactMap { s in
            let values = samples.map { $0[s] }.sorted()
            guard let mid = values.dropFirst(values.count / 2).first, mid >= 0 else { return nil }
            return NodeTiming(node: program.steps[s].node.name, op: program.steps[s].node.typeName, seconds: mid)
        }
    }

    /// The memory `run` would plan for these input shapes, without running anything.
    /// - Parameters:
    ///   - inputShapes: shapes by graph-input name.
    ///   - outputs: values to keep; the graph outputs when nil.
    public func memoryPlan(inputShapes: [String: [Int]], outputs: [String]? = nil) throws -> MemoryPlanSummary {
        lock.lock()
        defer { lock.unlock() }
        var fake: [String: Tensor] = [:]
        for (name, shape) in inputShapes {
            guard let info = graph.inputs.first(where: { $0.name == name }) else { throw RuntimeError.unknownInput(name) }
            try Self.check(shape: shape, dataCount: nil, dtype: info.dtype, against: info)
            fake[name] = Tensor(dtype: info.dtype, shape: shape, data: TensorData(copying: [UInt8]()))
        }
        let plan = try preparePlan(inputs: fake, outputs: outputs ?? graph.outputs).plan
        let f = MemoryLayout<Float>.stride
        return MemoryPlanSummary(arenaBytes: plan.arenaCount * f, scratchBytes: plan.scratchCount * f,
                                 unsharedBytes: plan.unsharedCount * f, steps: plan.steps.count)
    }

    /// Frees the activation arena, the scratch buffer and the cached plans; the next `run`
    /// plans and allocates again.
    public func releaseBuffers() {
        lock.lock()
        defer { lock.unlock() }
        plans.removeAll()
        arenaBuffer = _FloatBuffer(count: 0)
        scratchBuffer = _FloatBuffer(count: 0)
    }
}

/// Owned, 64-byte aligned float memory for the arena and the scratch.
final class _FloatBuffer: @unchecked Sendable {
    let pointer: UnsafeMutablePointer<Float>
    let count: Int

    /// `count` rounded up to whole 64-byte lines of floats: offsets of that many floats from a
    /// buffer's start (the arena's values, a kernel's scratch regions) stay 64-byte aligned.
    static func alignedCount(_ count: Int) -> Int { (count + 15) / 16 * 16 }

    init(count: Int) {
        self.count = count
        pointer = UnsafeMutableRawPointer.allocate(byteCount: max(count, 1) * MemoryLayout<Float>.stride, alignment: 64)
            .bindMemory(to: Float.self, capacity: max(count, 1))
    }

    /// A buffer, or nil when the allocation fails (`ulimit -v`, an overcommit limit): the plan
    /// is refused with an error instead of the trap `allocate` ends in.
    init?(failableCount count: Int) {
        var raw: UnsafeMutableRawPointer?
        let (bytes, overflow) = max(count, 1).multipliedReportingOverflow(by: MemoryLayout<Float>.stride)
        guard !overflow, posix_memalign(&raw, 64, bytes) == 0, let raw else { return nil }
        self.count = count
        pointer = raw.bindMemory(to: Float.self, capacity: max(count, 1))
    }

    deinit { pointer.deallocate() }
}
