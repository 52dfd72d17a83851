import Dispatch
import ModelIR
import XCTest
@testable import Runtime
import _TestSupport

/// Whole graphs against the naive executor, intermediate values, buffer planning and reuse,
/// zero-copy weights and dtype conversion.
final class GraphTests: XCTestCase {
    /// conv → BN → relu → pool → conv → flatten → dense(relu) → dense(softmax).
    static func sequentialGraph() -> Graph {
        var b = GraphBuilder()
        b.input("image", [-1, 12, 10, 3])
        b.node("conv1", .conv(.conv(ConvAttributes(filters: 6, kernelSize: [3, 3], padding: .same))), ["image"],
               weights: [b.weight("conv1/k", [3, 3, 3, 6]), b.weight("conv1/b", [6])])
        BatchNormTests.addBatchNorm(&b, "bn1", input: "conv1", channels: 6)
        b.node("relu1", .activation(.relu), ["bn1"])
        b.node("pool1", .pool(.max(PoolAttributes(poolSize: [2, 2], strides: [2, 2]))), ["relu1"])
        b.node("conv2", .conv(.conv(ConvAttributes(filters: 5, kernelSize: [3, 3], strides: [2, 1], padding: .valid, activation: .relu))),
               ["pool1"], weights: [b.weight("conv2/k", [3, 3, 6, 5]), b.weight("conv2/b", [5])])
        b.node("flatten", .tensor(.flatten(axis: 1)), ["conv2"])
        b.node("fc1", .linear(.dense(DenseAttributes(units: 11, activation: .relu))), ["flatten"],
               weights: [b.weight("fc1/k", [2 * 3 * 5, 11]), b.weight("fc1/b", [11])])
        b.node("predictions", .linear(.dense(DenseAttributes(units: 4, activation: .softmax(axis: -1)))), ["fc1"],
               weights: [b.weight("fc2/k", [11, 4]), b.weight("fc2/b", [4])])
        return b.graph(outputs: ["predictions"])
    }

    /// Two inputs; branches joined by Add and Concatenate; padding, depthwise, average pooling,
    /// global pooling; a dead branch nothing reads.
    static func branchingGraph() -> Graph {
        var b = GraphBuilder()
        b.input("x", [-1, -1, -1, 4])
        b.input("y", [-1, -1, -1, 3])
        b.node("a", .conv(.conv(ConvAttributes(filters: 6, kernelSize: [3, 3], padding: .same))), ["x"],
               weights: [b.weight("a/k", [3, 3, 4, 6]), b.weight("a/b", [6])])
        b.node("b", .conv(.conv(ConvAttributes(filters: 6, kernelSize: [1, 1]))), ["x"], weights: [b.weight("b/k", [1, 1, 4, 6])])
        b.node("sum", .elementwise(.variadic(.add)), ["a", "b"])
        b.node("relu", .activation(.relu6), ["sum"])
        b.node("c", .conv(.conv(ConvAttributes(filters: 2, kernelSize: [3, 3], padding: .same))), ["y"],
               weights: [b.weight("c/k", [3, 3, 3, 2])])
        b.node("cat", .tensor(.concat(axis: -1)), ["relu", "c", "x"])
        b.node("pad", .tensor(.pad(PadAttributes(pads: [0, 1, 0, 0, 0, 0, 1, 0]))), ["cat"])
        b.node("dw", .conv(.depthwise(DepthwiseConvAttributes(depthMultiplier: 2, kernelSize: [3, 3], strides: [2, 2]))), ["pad"],
               weights: [b.weight("dw/k", [3, 3, 12, 2]), b.weight("dw/b", [24])])
        BatchNormTests.addBatchNorm(&b, "dwbn", input: "dw", channels: 24)
        b.node("swish", .activation(.swish), ["dwbn"])
        b.node("avg", .pool(.average(PoolAttributes(poolSize: [2, 2], strides: [1, 1], padding: .same))), ["swish"])
        b.node("gate", .activation(.sigmoid), ["avg"])
        b.node("scaled", .elementwise(.variadic(.mul)), ["avg", "gate"])
        b.node("unused", .activation(.tanh), ["scaled"])
        b.node("gap", .pool(.globalAverage(GlobalPoolAttributes(keepDims: false))), ["scaled"])
        b.node("out", .linear(.dense(DenseAttributes(units: 3, activation: .softmax(axis: -1)))), ["gap"],
               weights: [b.weight("out/k", [24, 3]), b.weight("out/b", [3])])
        return b.graph(outputs: ["out"])
    }

    func testSequentialGraph() throws {
        let graph = Self.sequentialGraph()
        for options in [ExecutorOptions(), stressOptions(), ExecutorOptions(batchNormalization: .separate, fuseActivations: false, threads: 1), ExecutorOptions(batchNormalization: .weights)] {
            try checkAgainstReference(graph, inputShapes: ["image": [3, 12, 10, 3]], options: options, "\(options)")
            try checkAgainstReference(graph, inputShapes: ["image": [1, 12, 10, 3]], options: options, "\(options)")
        }
    }

    func testBranchingGraph() throws {
        let graph = Self.branchingGraph()
        for options in [ExecutorOptions(), stressOptions()] {
            try checkAgainstReference(graph, inputShapes: ["x": [2, 7, 9, 4], "y": [2, 7, 9, 3]], options: options)
            try checkAgainstReference(graph, inputShapes: ["x": [1, 10, 6, 4], "y": [1, 10, 6, 3]], options: options)
        }
    }

    func testTestSupportSmallGraph() throws {
        try checkAgainstReference(TestSupport.smallGraph(), inputShapes: ["input": [2, 8, 8, 3]])
    }

    /// Every value of the branching graph at once, including those folding and fusion removed,
    /// each matching the naive executor: the per-layer "which layer diverges first" report.
    func testEveryIntermediateValue() throws {
        let graph = Self.branchingGraph()
        let names = graph.inputs.map(\.name) + graph.nodes.map(\.name)
        let x = Tensor(shape: [2, 5, 6, 4], floats: TestSupport.randomFloats(240, seed: 1))
        let y = Tensor(shape: [2, 5, 6, 3], floats: TestSupport.randomFloats(180, seed: 2))
        let executor = try Executor(graph: graph)
        XCTAssertFalse(executor.rewrittenValues.isEmpty)
        let got = try executor.run(inputs: ["x": x, "y": y], outputs: names)
        let want = try NaiveExecutor.run(graph, inputs: ["x": RefTensor(x), "y": RefTensor(y)])
        for name in names { assertClose(got[name]!, want[name]!, name) }
        // The optimised program still answers the graph output alone.
        assertClose(try executor.run(inputs: ["x": x, "y": y], outputs: ["out"])["out"]!, want["out"]!)
    }

    /// Only what the requested values depend on runs; inputs they do not need may be omitted.
    func testOnlyNeededNodesRun() throws {
        let graph = Self.branchingGraph()
        let executor = try Executor(graph: graph)
        let y = Tensor(shape: [1, 4, 4, 3], floats: TestSupport.randomFloats(48, seed: 5))
        let got = try executor.run(inputs: ["y": y], outputs: ["c"])
        let want = try NaiveExecutor.run(graph, inputs: ["y": RefTensor(y), "x": RefTensor(zeros: [1, 4, 4, 4])])
        assertClose(got["c"]!, want["c"]!)
        XCTAssertEqual(try executor.memoryPlan(inputShapes: ["y": [1, 4, 4, 3]], outputs: ["c"]).steps, 1)
        XCTAssertThrowsError(try executor.run(inputs: ["y": y], outputs: ["out"])) { error in
            XCTAssertEqual(error as? RuntimeError, .missingInput("x"))
        }
    }

    /// One executor run at changing batch and spatial sizes gives what fresh executors give.
    func testBufferReuseAcrossShapes() throws {
        var b = GraphBuilder()
        b.input("x", [-1, -1, -1, 3])
        b.node("c1", .conv(.conv(ConvAttributes(filters: 8, kernelSize: [3, 3], padding: .same, activation: .relu))), ["x"],
               weights: [b.weight("c1/k", [3, 3, 3, 8]), b.weight("c1/b", [8])])
        b.node("p1", .pool(.max(PoolAttributes(poolSize: [2, 2], strides: [2, 2], padding: .same))), ["c1"])
        b.node("c2", .conv(.conv(ConvAttributes(filters: 5, kernelSize: [3, 3], strides: [2, 2], padding: .same))), ["p1"],
               weights: [b.weight("c2/k", [3, 3, 8, 5])])
        BatchNormTests.addBatchNorm(&b, "bn", input: "c2", channels: 5)
        b.node("r", .activation(.relu), ["bn"])
        let graph = b.graph(outputs: ["r"])
        let shared = try Executor(graph: graph, options: ExecutorOptions(scratchBytes: 4096))
        for (i, shape) in [[2, 12, 12, 3], [3, 9, 13, 3], [1, 20, 17, 3], [2, 12, 12, 3], [5, 4, 4, 3]].enumerated() {
            let x = Tensor(shape: shape, floats: TestSupport.randomFloats(shape.reduce(1, *), seed: UInt64(i)))
            let again = try shared.run(input: x)
            let fresh = try Executor(graph: graph, options: ExecutorOptions(scratchBytes: 4096)).run(input: x)
            XCTAssertEqual(again.shape, fresh.shape)
            assertClose(again, RefTensor(fresh), tolerance: 1e-6, "shape \(shape)")
            try checkAgainstReference(graph, inputShapes: ["x": shape], "shape \(shape)")
        }
    }

    /// A chain of eight equal layers needs two activation buffers, not nine; a standalone
    /// activation works in place.
    func testLivenessReusesBuffers() throws {
        var b = GraphBuilder()
        b.input("x", [-1, -1, -1, 8])
        var last = "x"
        for i in 0..<8 {
            last = b.node("conv\(i)", .conv(.conv(ConvAttributes(filters: 8, kernelSize: [3, 3], padding: .same))), [last],
                          weights: [b.weight("k\(i)", [3, 3, 8, 8])])
            last = b.node("relu\(i)", .activation(.relu), [last])
        }
        let graph = b.graph(outputs: [last])
        let activation = 2 * 16 * 16 * 8 * 4
        for fuse in [true, false] {
            let executor = try Executor(graph: graph, options: ExecutorOptions(fuseActivations: fuse))
            let plan = try executor.memoryPlan(inputShapes: ["x": [2, 16, 16, 8]])
            XCTAssertEqual(plan.arenaBytes, 2 * activation, "fuse \(fuse)")
            XCTAssertEqual(plan.unsharedBytes, (fuse ? 9 : 17) * activation)
        }
        try checkAgainstReference(graph, inputShapes: ["x": [2, 16, 16, 8]], options: ExecutorOptions(fuseActivations: false))
    }

    /// Aligned f32 weights are used where they lie; other dtypes are converted once, and a
    /// misaligned f32 view is copied. All give the reference result.
    func testWeightsAreZeroCopyOrConvertedOnce() throws {
        for dtype in [DType.float32, .float16, .bfloat16, .float64] {
            var b = GraphBuilder()
            b.input("x", [-1, 6, 6, 3])
            b.node("conv", .conv(.conv(ConvAttributes(filters: 4, kernelSize: [3, 3]))), ["x"],
                   weights: [b.weight("k", [3, 3, 3, 4], dtype: dtype), b.weight("b", [4], dtype: dtype)])
            b.node("dense", .linear(.dense(DenseAttributes(units: 3))), ["conv"], weights: [b.weight("d", [4, 3], dtype: dtype)])
            let graph = b.graph(outputs: ["dense"])
            let executor = try Executor(graph: graph, options: ExecutorOptions(convolution: .im2col))
            let conv = try XCTUnwrap(executor.program.steps[0].kernel as? _Conv2DKernel)
            XCTAssertEqual(conv.kernel.isView(of: graph.weights["k"]!.data), dtype == .float32, "\(dtype)")
            XCTAssertEqual(conv.kernel.count, 108)
            try checkAgainstReference(graph, inputShapes: ["x": [2, 6, 6, 3]], "\(dtype)")
        }
        // A view starting two bytes into a buffer is not Float-aligned: it must be copied, not read in place.
        let floats = TestSupport.randomFloats(12, seed: 4)
        let backing = TensorData(byteCount: 48 + 2) { raw in
            floats.withUnsafeBytes { raw.baseAddress!.advanced(by: 2).copyMemory(from: $0.baseAddress!, byteCount: 48) }
        }
        let misaligned = TensorData(view: UnsafeRawBufferPointer(rebasing: backing.bytes[2...]), owner: backing.owner)
        var b = GraphBuilder()
        b.input("x", [-1, 4])
        b.node("dense", .linear(.dense(DenseAttributes(units: 3))), ["x"], weights: ["w"])
        b.weights["w"] = Weight(info: TensorInfo(name: "w", shape: [4, 3]), data: misaligned)
        let executor = try Executor(graph: b.graph(outputs: ["dense"]))
        let dense = try XCTUnwrap(executor.program.steps[0].kernel as? _DenseKernel)
        XCTAssertFalse(dense.kernel.isView(of: misaligned))
        try checkAgainstReference(b.graph(outputs: ["dense"]), inputShapes: ["x": [2, 4]])
    }

    func testEmptyBatch() throws {
        let executor = try Executor(graph: Self.sequentialGraph())
        let out = try executor.run(input: Tensor(shape: [0, 12, 10, 3], floats: []))
        XCTAssertEqual(out, Tensor(shape: [0, 4], floats: []))
    }

    /// Concurrent callers are serialised and each gets its own correct result.
    func testConcurrentRuns() throws {
        let graph = Self.sequentialGraph()
        let executor = try Executor(graph: graph)
        let inputs = (0..<4).map { Tensor(shape: [$0 + 1, 12, 10, 3], floats: TestSupport.randomFloats(($0 + 1) * 360, seed: UInt64($0))) }
        let expected = try inputs.map { try Executor(graph: graph).run(input: $0) }
        let results = UnsafeMutableBufferPointer<Tensor?>.allocate(capacity: 4)
        results.initialize(repeating: nil)
        defer { results.deallocate() }
        nonisolated(unsafe) let slots = results
        DispatchQueue.concurrentPerform(iterations: 4) { i in slots[i] = try? executor.run(input: inputs[i]) }
        for i in 0..<4 { assertClose(try XCTUnwrap(results[i]), RefTensor(expected[i]), tolerance: 1e-6) }
    }
}

/// ResNet's `Add → ReLU`: the activation runs inside the Add, its input stays reachable through
/// the unfused copy, and the results equal the naive executor's.
final class ElementwiseFusionTests: XCTestCase {
    func testAddReluIsFused() throws {
        var b = GraphBuilder(seed: 5)
        b.input("x", [-1, -1, -1, 8])
        b.node("a", .conv(.conv(ConvAttributes(filters: 8, kernelSize: [1, 1]))), ["x"], weights: [b.weight("ka", [1, 1, 8, 8])])
        b.node("sum", .elementwise(.variadic(.add)), ["a", "x"])
        b.node("relu", .activation(.relu), ["sum"])
        b.node("m", .elementwise(.variadic(.mul)), ["relu", "x"])
        b.node("sig", .activation(.sigmoid), ["m"])
        let graph = b.graph(outputs: ["sig"])
        let executor = try Executor(graph: graph)
        XCTAssertEqual(executor.program.steps.map(\.node.name), ["a", "sum", "m"])
        XCTAssertEqual((executor.program.steps[1].kernel as? _ElementwiseKernel)?.activation, .relu)
        XCTAssertEqual((executor.program.steps[2].kernel as? _ElementwiseKernel)?.activation, .sigmoid)
        XCTAssertNotNil(executor.rewrittenValues["sum"])
        for options in [ExecutorOptions(), stressOptions()] {
            try checkAgainstReference(graph, inputShapes: ["x": [2, 9, 70, 8]], options: options)
        }
        // The fused-away value is still computed on request.
        let x = Tensor(shape: [1, 3, 3, 8], floats: TestSupport.randomFloats(72, seed: 3))
        let sum = try executor.run(inputs: ["x": x], outputs: ["sum"])["sum"]
        XCTAssertTrue(sum?.floats.contains { $0 < 0 } ?? false, "the pre-ReLU sum has negative values")
    }
}

/// ZeroPadding → convolution with `valid` or explicit padding becomes one padded convolution.
final class ZeroPaddingFoldTests: XCTestCase {
    func testPaddingFoldsIntoConvolutions() throws {
        var b = GraphBuilder(seed: 9)
        b.input("x", [-1, -1, -1, 8])
        b.node("pad1", .tensor(.pad(PadAttributes(pads: [0, 0, 2, 0, 0, 1, 1, 0]))), ["x"])
        b.node("dw", .conv(.depthwise(DepthwiseConvAttributes(kernelSize: [3, 3], strides: [2, 2], padding: .valid))),
               ["pad1"], weights: [b.weight("kdw", [3, 3, 8, 1])])
        b.node("pad2", .tensor(.pad(PadAttributes(pads: [0, 3, 3, 0, 0, 3, 3, 0]))), ["dw"])
        b.node("conv", .conv(.conv(ConvAttributes(filters: 5, kernelSize: [7, 7], strides: [2, 2],
                                                padding: .explicit(begin: [1, 0], end: [0, 1])))), ["pad2"],
               weights: [b.weight("k", [7, 7, 8, 5]), b.weight("b", [5])])
        b.node("pad3", .tensor(.pad(PadAttributes(pads: [0, 1, 1, 0, 0, 1, 1, 0]))), ["conv"])
        b.node("same", .conv(.conv(ConvAttributes(filters: 3, kernelSize: [3, 3], padding: .same))), ["pad3"],
               weights: [b.weight("k2", [3, 3, 5, 3]), b.weight("b2", [3])])
        let graph = b.graph(outputs: ["same"])
        let executor = try Executor(graph: graph)
        // `same` padding depends on the input size, so pad3 stays.
        XCTAssertEqual(executor.program.steps.map(\.node.name), ["dw", "conv", "pad3", "same"])
        XCTAssertNotNil(executor.rewrittenValues["pad1"])
        try checkAgainstReference(graph, inputShapes: ["x": [2, 23, 19, 8]])
        try checkAgainstReference(graph, inputShapes: ["x": [1, 23, 19, 8]], options: stressOptions())
    }
}

/// MobileNet's `DepthwiseConv2D → BN → ReLU6 → Conv2D 1×1 → BN → ReLU6` runs as one separable pass,
/// with the depthwise bias, BN and activation between the halves; results equal the naive
/// executor's, and the depthwise output stays reachable.
final class DepthwisePointwiseFusionTests: XCTestCase {
    static func block(multiplier: Int = 1, strides: [Int] = [1, 1], pointwiseStrides: [Int] = [1, 1], extraReader: Bool = false) -> Graph {
        var b = GraphBuilder(seed: 11)
        b.input("x", [-1, -1, -1, 16])
        b.node("dw", .conv(.depthwise(DepthwiseConvAttributes(depthMultiplier: multiplier, kernelSize: [3, 3], strides: strides,
                                                                padding: .same))),
               ["x"], weights: [b.weight("kdw", [3, 3, 16, multiplier]), b.weight("bdw", [16 * multiplier])])
        BatchNormTests.addBatchNorm(&b, "dwbn", input: "dw", channels: 16 * multiplier)
        b.node("dwrelu", .activation(.relu6), ["dwbn"])
        b.node("pw", .conv(.conv(ConvAttributes(filters: 24, kernelSize: [1, 1], strides: pointwiseStrides))), ["dwrelu"],
               weights: [b.weight("kpw", [1, 1, 16 * multiplier, 24])])
        BatchNormTests.addBatchNorm(&b, "pwbn", input: "pw", channels: 24)
        b.node("pwrelu", .activation(.relu6), ["pwbn"])
        var outputs = ["pwrelu"]
        if extraReader {
            b.node("tap", .activation(.sigmoid), ["dwrelu"])
            outputs.append("tap")
        }
        return b.graph(outputs: outputs)
    }

    func testPairRunsAsOneSeparablePass() throws {
        for (multiplier, strides) in [(1, [1, 1]), (1, [2, 2]), (2, [1, 2])] {
            let graph = Self.block(multiplier: multiplier, strides: strides)
            let executor = try Executor(graph: graph, options: ExecutorOptions(convolution: .im2col))
            XCTAssertEqual(executor.program.steps.map(\.node.name), ["pw"], "one step, the pointwise node's")
            let kernel = try XCTUnwrap(executor.program.steps.first?.kernel as? _SeparableConv2DKernel)
            XCTAssertEqual(kernel.depthwiseEpilogue?.activation, .relu6)
            // On oneDNN: two primitives, the depthwise ReLU6 a post-op, the Swift pass as the fallback.
            let onednn = try XCTUnwrap(Executor(graph: graph).program.steps.first?.kernel as? _OneDNNSeparableConv2DKernel)
            XCTAssertEqual(onednn.depthwiseActivation, .linear)
            XCTAssertNotNil(onednn.depthwise.fusedActivation)
            XCTAssertTrue(onednn.fallback is _SeparableConv2DKernel)
            XCTAssertNotNil(executor.rewrittenValues["dwrelu"])
            for options in [ExecutorOptions(), ExecutorOptions(convolution: .im2col), stressOptions(), ExecutorOptions(batchNormalization: .weights)] {
                try checkAgainstReference(graph, inputShapes: ["x": [2, 13, 11, 16]], options: options, "\(multiplier) \(strides)")
            }
            // The intermediate is still computed on request, clipped by the ReLU6.
            let x = Tensor(shape: [1, 6, 6, 16], floats: TestSupport.randomFloats(576, seed: 4, scale: 20))
            let got = try executor.run(inputs: ["x": x], outputs: ["dwrelu", "pwrelu"])
            let want = try NaiveExecutor.run(graph, inputs: ["x": RefTensor(x)])
            assertClose(try XCTUnwrap(got["dwrelu"]), try XCTUnwrap(want["dwrelu"]), "dwrelu")
            assertClose(try XCTUnwrap(got["pwrelu"]), try XCTUnwrap(want["pwrelu"]), "pwrelu")
        }
    }

    func testNotFusedWhenTheIntermediateHasAnotherReaderOrThePointwiseIsStrided() throws {
        for (graph, steps) in [(Self.block(extraReader: true), ["dw", "pw", "tap"]), (Self.block(pointwiseStrides: [2, 2]), ["dw", "pw"])] {
            let executor = try Executor(graph: graph)
            XCTAssertFalse(executor.program.steps.contains { $0.kernel is _SeparableConv2DKernel })
            XCTAssertEqual(executor.program.steps.map(\.node.name), steps)
            try checkAgainstReference(graph, inputShapes: ["x": [1, 9, 9, 16]])
        }
    }
}

/// MobileNetV2's inverted residual block, `Conv2D 1×1 → BN → ReLU6 → DepthwiseConv2D → BN → ReLU6
/// → Conv2D 1×1 → BN`, runs as one oneDNN step: the expansion computes, part by part, the rows the
/// depthwise convolution reads (bands of one image, runs of images), or makes a pass of its own
/// on small maps and before a pointwise convolution split by output channels; against the naive
/// executor in each case, the expansion's output still reachable.
final class ExpansionFusionTests: XCTestCase {
    static func block(channels: Int = 8, expanded: Int = 48, filters: Int = 16, strides: [Int] = [1, 1],
                      activation: Activation = .relu6, extraReader: Bool = false, size: Int = -1) -> Graph {
        var b = GraphBuilder(seed: 31)
        b.input("x", [-1, size, size, channels])
        b.node("e", .conv(.conv(ConvAttributes(filters: expanded, kernelSize: [1, 1]))), ["x"],
               weights: [b.weight("ke", [1, 1, channels, expanded]), b.weight("be", [expanded])])
        BatchNormTests.addBatchNorm(&b, "ebn", input: "e", channels: expanded)
        b.node("eact", .activation(activation), ["ebn"])
        b.node("dw", .conv(.depthwise(DepthwiseConvAttributes(kernelSize: [3, 3], strides: strides, padding: .same))), ["eact"],
               weights: [b.weight("kdw", [3, 3, expanded, 1])])
        BatchNormTests.addBatchNorm(&b, "dwbn", input: "dw", channels: expanded)
        b.node("dwrelu", .activation(.relu6), ["dwbn"])
        b.node("pw", .conv(.conv(ConvAttributes(filters: filters, kernelSize: [1, 1]))), ["dwrelu"],
               weights: [b.weight("kpw", [1, 1, expanded, filters])])
        BatchNormTests.addBatchNorm(&b, "pwbn", input: "pw", channels: filters)
        var outputs = ["pwbn"]
        if extraReader {
            b.node("tap", .activation(.sigmoid), ["eact"])
            outputs.append("tap")
        }
        return b.graph(outputs: outputs)
    }

    private func kernel(_ e: Executor) throws -> _OneDNNSeparableConv2DKernel {
        XCTAssertEqual(e.program.steps.map(\.node.name), ["pw"], "one step, the pointwise node's")
        return try XCTUnwrap(e.program.steps.first?.kernel as? _OneDNNSeparableConv2DKernel)
    }

    func testBlockRunsAsOneStepInPartsOrPasses() throws {
        // ReLU6 is a oneDNN post-op; swish is applied by each worker to the rows it expanded.
        for (activation, strides) in [(Activation.relu6, [1, 1]), (.swish, [2, 2])] {
            let graph = Self.block(strides: strides, activation: activation)
            for threads in [1, 2, 3] {
                var options = stressOptions()
                options.threads = threads
                let executor = try Executor(graph: graph, options: options)
                let k = try kernel(executor)
                XCTAssertNotNil(k.expansion)
                XCTAssertNotNil(executor.rewrittenValues["eact"])
                for (size, batch) in [(40, 1), (40, 2), (9, 1), (9, 5)] {
                    let input = [batch, size, size - 3, 8]
                    let output = [batch, (size + strides[0] - 1) / strides[0], (size - 3 + strides[1] - 1) / strides[1], 16]
                    // Bands of a 9-row map repeat too many rows; runs of images repeat none.
                    XCTAssertEqual(k.fusesExpansion(input: input, output: output), size == 40 || batch >= threads,
                                   "\(activation) threads \(threads) \(input)")
                    try checkAgainstReference(graph, inputShapes: ["x": input], options: options,
                                              "\(activation) threads \(threads) \(input)")
                }
            }
        }
    }

    /// On small maps a large pointwise kernel is split by output channels: the expansion and the
    /// depthwise convolution each make a pass over the whole batch first.
    func testBeforeAPointwiseSplitByOutputChannels() throws {
        let graph = Self.block(channels: 32, expanded: 256, filters: 1024, size: 8)
        var options = ExecutorOptions()
        options.threads = 2
        let k = try kernel(try Executor(graph: graph, options: options))
        guard case .sliced = k.pointwise else { return XCTFail("the pointwise convolution is split by output channels") }
        XCTAssertFalse(k.fusesExpansion(input: [1, 8, 8, 32], output: [1, 8, 8, 1024]))
        for batch in [1, 2] {
            try checkAgainstReference(graph, inputShapes: ["x": [batch, 8, 8, 32]], options: options, tolerance: 2e-5, "batch \(batch)")
        }
    }

    /// EfficientNet's block: the depthwise output feeds a squeeze-and-excitation (here its
    /// pooling), so no pointwise convolution joins; the expansion and the depthwise convolution run as one step, the
    /// depthwise one writing the output.
    func testExpandedDepthwiseAlone() throws {
        var b = GraphBuilder(seed: 32)
        b.input("x", [-1, -1, -1, 8])
        b.node("e", .conv(.conv(ConvAttributes(filters: 32, kernelSize: [1, 1]))), ["x"], weights: [b.weight("ke", [1, 1, 8, 32])])
        BatchNormTests.addBatchNorm(&b, "ebn", input: "e", channels: 32)
        b.node("eact", .activation(.swish), ["ebn"])
        b.node("dw", .conv(.depthwise(DepthwiseConvAttributes(kernelSize: [5, 5], strides: [2, 2], padding: .same))), ["eact"],
               weights: [b.weight("kdw", [5, 5, 32, 1])])
        BatchNormTests.addBatchNorm(&b, "dwbn", input: "dw", channels: 32)
        b.node("dwact", .activation(.swish), ["dwbn"])
        b.node("pool", .pool(.globalAverage(GlobalPoolAttributes())), ["dwact"])
        let graph = b.graph(outputs: ["dwact", "pool"])
        for threads in [1, 2, 3] {
            var options = stressOptions()
            options.threads = threads
            let executor = try Executor(graph: graph, options: options)
            XCTAssertEqual(executor.program.steps.map(\.node.name), ["dw", "pool"])
            let k = try XCTUnwrap(executor.program.steps.first?.kernel as? _OneDNNSeparableConv2DKernel)
            guard case .none = k.pointwise else { return XCTFail("no pointwise convolution") }
            XCTAssertNotNil(k.expansion)
            for (size, batch) in [(40, 1), (40, 2), (9, 1), (9, 4)] {
                let bands = batch >= threads ? 1 : (threads + batch - 1) / batch
                XCTAssertEqual(k.fusesExpansion(input: [batch, size, size, 8], output: [batch, (size + 1) / 2, (size + 1) / 2, 32]),
                               // A 5×5 stride-2 band repeats 3 rows at each inner edge.
                               (bands - 1) * 3 * 10 <= size, "threads \(threads) size \(size) batch \(batch)")
                try checkAgainstReference(graph, inputShapes: ["x": [batch, size, size, 8]], options: options,
                                          "threads \(threads) size \(size) batch \(batch)")
            }
        }
    }

    func testIntermediateStaysReachable() throws {
        let graph = Self.block()
        let executor = try Executor(graph: graph)
        let x = Tensor(shape: [2, 12, 12, 8], floats: TestSupport.randomFloats(2 * 12 * 12 * 8, seed: 5, scale: 4))
        let got = try executor.run(inputs: ["x": x], outputs: ["eact", "pwbn"])
        let want = try NaiveExecutor.run(graph, inputs: ["x": RefTensor(x)])
        assertClose(try XCTUnwrap(got["eact"]), try XCTUnwrap(want["eact"]), "eact")
        assertClose(try XCTUnwrap(got["pwbn"]), try XCTUnwrap(want["pwbn"]), "pwbn")
    }

    /// Not taken in: an expansion with another reader, or any expansion when the convolutions do
    /// not run on oneDNN.
    func testSeparateWhenReadElsewhereOrNotOnOneDNN() throws {
        let shared = try Executor(graph: Self.block(extraReader: true))
        XCTAssertEqual(shared.program.steps.map(\.node.name), ["e", "pw", "tap"])
        let im2col = try Executor(graph: Self.block(), options: ExecutorOptions(convolution: .im2col))
        XCTAssertEqual(im2col.program.steps.map(\.node.name), ["e", "pw"])
        XCTAssertNil(im2col.rewrittenValues["eact"])
        try checkAgainstReference(Self.block(extraReader: true), inputShapes: ["x": [1, 9, 9, 8]])
        try checkAgainstReference(Self.block(), inputShapes: ["x": [1, 9, 9, 8]], options: ExecutorOptions(convolution: .im2col))
    }
}
