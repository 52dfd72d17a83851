import ModelIR
import XCTest
@testable import Runtime
import _TestSupport

/// Standalone inference-mode BatchNormalization, Rescaling and Normalization on the per-channel
/// kernel, and folding a BN into the preceding layer.
final class BatchNormTests: XCTestCase {
    /// Adds BN weights (γ, β as the flags say; variance positive) and the node.
    static func addBatchNorm(_ b: inout GraphBuilder, _ name: String, input: String, channels c: Int,
                             scale: Bool = true, center: Bool = true, dtype: DType = .float32) {
        var w: [String] = []
        w.append(scale ? b.weight("\(name)/gamma", [c], values: TestSupport.randomFloats(c, seed: 11).map { 1 + $0 * 0.5 }, dtype: dtype) : "")
        w.append(center ? b.weight("\(name)/beta", [c], dtype: dtype) : "")
        w.append(b.weight("\(name)/mean", [c], dtype: dtype))
        w.append(b.weight("\(name)/var", [c], values: TestSupport.randomFloats(c, seed: 12).map { 0.5 + abs($0) }, dtype: dtype))
        b.node(name, .normalization(.batch(BatchNormAttributes(epsilon: 1e-3))), [input], weights: w)
    }

    func testStandaloneBatchNorm() throws {
        for (i, (scale, center)) in [(true, true), (false, true), (true, false), (false, false)].enumerated() {
            for shape in [[3, 4, 5, 6], [2, 7]] {
                var b = GraphBuilder()
                b.input("x", [-1] + shape.dropFirst())
                Self.addBatchNorm(&b, "bn", input: "x", channels: shape.last!, scale: scale, center: center)
                try checkAgainstReference(b.graph(outputs: ["bn"]), inputShapes: ["x": shape],
                                          options: i % 2 == 0 ? ExecutorOptions() : stressOptions(), "scale \(scale) center \(center)")
            }
        }
    }

    /// Keras Rescaling and Normalization (constant statistics, as weights or from the config,
    /// inverted or not) run on the per-channel kernel and give the reference evaluator's values
    /// bit for bit, for channel counts that do and do not fill the SIMD lanes.
    func testRescalingAndNormalizationMatchTheEvaluatorExactly() throws {
        for (i, channels) in [1, 3, 8, 13, 24].enumerated() {
            let perChannel = TestSupport.randomFloats(channels, seed: UInt64(40 + i))
            let variance = TestSupport.randomFloats(channels, seed: UInt64(60 + i)).map { abs($0) + 0.01 }
            var graphs: [(String, Graph)] = []
            for scale in [[Float(1) / 127.5], perChannel] {
                var b = GraphBuilder()
                b.input("x", [-1, -1, -1, channels])
                b.node("r", .normalization(.rescale(RescaleAttributes(scale: scale, offset: [-1]))), ["x"])
                graphs.append(("rescale \(scale.count)", b.graph(outputs: ["r"])))
            }
            for invert in [false, true] {
                var b = GraphBuilder()
                b.input("x", [-1, -1, -1, channels])
                let m = b.weight("m", [channels], values: perChannel), v = b.weight("v", [channels], values: variance)
                b.node("n", .normalization(.standardize(StandardizeAttributes(invert: invert))), ["x"], weights: [m, v])
                graphs.append(("standardize weights invert \(invert)", b.graph(outputs: ["n"])))
                b = GraphBuilder()
                b.input("x", [-1, -1, -1, channels])
                b.node("n", .normalization(.standardize(StandardizeAttributes(invert: invert, mean: perChannel.map(Double.init),
                                                                              variance: variance.map(Double.init)))), ["x"])
                graphs.append(("standardize config invert \(invert)", b.graph(outputs: ["n"])))
            }
            var b = GraphBuilder()
            b.input("x", [-1, -1, -1, channels])
            b.node("n", .normalization(.standardize(StandardizeAttributes(axes: [], mean: [0.5], variance: [4]))), ["x"])
            graphs.append(("standardize one statistic", b.graph(outputs: ["n"])))
            for (name, g) in graphs {
                let x = Tensor(shape: [2, 5, 7, channels], floats: TestSupport.randomFloats(70 * channels, seed: UInt64(i)).map { $0 * 200 })
                let e = try Executor(graph: g, options: i % 2 == 0 ? ExecutorOptions() : stressOptions())
                XCTAssertEqual(e.evaluatedNodeTypes, [:], "\(name) C=\(channels) runs on the fast kernel")
                XCTAssertEqual(try e.run(inputs: ["x": x])[g.outputs[0]], try g.evaluate(inputs: ["x": x])[g.outputs[0]],
                               "\(name) C=\(channels)")
            }
        }
    }

    /// Graphs `layer → BN` for each foldable layer kind, with and without the layer's bias.
    static func foldableGraphs() -> [(String, Graph, [Int])] {
        var graphs: [(String, Graph, [Int])] = []
        for useBias in [true, false] {
            var b = GraphBuilder()
            b.input("x", [-1, -1, -1, 3])
            var w = [b.weight("k", [3, 3, 3, 6])]
            if useBias { w.append(b.weight("b", [6])) }
            b.node("conv", .conv(.conv(ConvAttributes(filters: 6, kernelSize: [3, 3], padding: .same))), ["x"], weights: w)
            addBatchNorm(&b, "bn", input: "conv", channels: 6)
            graphs.append(("conv bias \(useBias)", b.graph(outputs: ["bn"]), [2, 7, 6, 3]))

            b = GraphBuilder()
            b.input("x", [-1, -1, -1, 4])
            w = [b.weight("k", [3, 3, 4, 2])]
            if useBias { w.append(b.weight("b", [8])) }
            b.node("dw", .conv(.depthwise(DepthwiseConvAttributes(depthMultiplier: 2, kernelSize: [3, 3], strides: [2, 2],
                                                                     padding: .same))), ["x"], weights: w)
            addBatchNorm(&b, "bn", input: "dw", channels: 8, scale: useBias)
            graphs.append(("depthwise bias \(useBias)", b.graph(outputs: ["bn"]), [1, 9, 8, 4]))

            b = GraphBuilder()
            b.input("x", [-1, -1, -1, 4])
            w = [b.weight("dk", [3, 3, 4, 1]), b.weight("pk", [1, 1, 4, 5])]
            if useBias { w.append(b.weight("b", [5])) }
            b.node("sep", .conv(.separable(SeparableConvAttributes(filters: 5, kernelSize: [3, 3], padding: .valid))),
                   ["x"], weights: w)
            addBatchNorm(&b, "bn", input: "sep", channels: 5, center: useBias)
            graphs.append(("separable bias \(useBias)", b.graph(outputs: ["bn"]), [3, 6, 7, 4]))

            b = GraphBuilder()
            b.input("x", [-1, 10])
            w = [b.weight("k", [10, 7])]
            if useBias { w.append(b.weight("b", [7])) }
            b.node("dense", .linear(.dense(DenseAttributes(units: 7))), ["x"], weights: w)
            addBatchNorm(&b, "bn", input: "dense", channels: 7, dtype: .float16)
            graphs.append(("dense bias \(useBias)", b.graph(outputs: ["bn"]), [4, 10]))
        }
        return graphs
    }

    /// Folded weights agree with the separate BN to 1e-6 relative; the epilogue gives the very same
    /// floats as the separate BN (the same float32 operations in the same order). All match the reference.
    func testFoldingIsExact() throws {
        for (label, graph, shape) in Self.foldableGraphs() {
            let separate = try Executor(graph: graph, options: ExecutorOptions(batchNormalization: .separate))
            XCTAssertEqual(separate.program.steps.count, 2)
            let x = Tensor(shape: shape, floats: TestSupport.randomFloats(shape.reduce(1, *), seed: 3))
            let unfolded = try separate.run(input: x)
            for mode in [BatchNormalizationFusion.weights, .epilogue] {
                let folded = try Executor(graph: graph, options: ExecutorOptions(batchNormalization: mode))
                XCTAssertEqual(folded.program.steps.count, 1, "\(label): BN was not folded (\(mode))")
                XCTAssertEqual(Set(folded.rewrittenValues.keys), [graph.nodes[0].name])
                let y = try folded.run(input: x)
                if mode == .epilogue {
                    XCTAssertEqual(y, unfolded, "\(label): epilogue vs separate")
                } else {
                    assertClose(y, RefTensor(unfolded), tolerance: 1e-6, "\(label) folded vs unfolded")
                }
                try checkAgainstReference(graph, inputShapes: ["x": shape], options: ExecutorOptions(batchNormalization: mode), label)
            }
        }
    }

    /// Conv1D → BN (SpliceAI's blocks, written by Keras 2.0.5): no fast kernel runs a 1-D
    /// convolution, so the BN is folded into its weights in either mode (it used to be recorded
    /// as an epilogue that the evaluator never applied, and silently dropped).
    func testConv1DFoldsIntoWeightsInEitherMode() throws {
        var b = GraphBuilder()
        b.input("x", [-1, -1, 4])
        b.node("conv", .conv(.conv(ConvAttributes(filters: 6, kernelSize: [5], dilations: [2], padding: .same))), ["x"],
               weights: [b.weight("k", [5, 4, 6]), b.weight("b", [6])])
        Self.addBatchNorm(&b, "bn", input: "conv", channels: 6)
        let graph = b.graph(outputs: ["bn"])
        let x = Tensor(shape: [2, 30, 4], floats: TestSupport.randomFloats(240, seed: 5))
        // The separate BN is the reference (the test reference executor has no 1-D convolution).
        let unfolded = try Executor(graph: graph, options: ExecutorOptions(batchNormalization: .separate)).run(input: x)
        for mode in [BatchNormalizationFusion.weights, .epilogue] {
            let folded = try Executor(graph: graph, options: ExecutorOptions(batchNormalization: mode))
            XCTAssertEqual(folded.program.steps.count, 1, "BN was not folded (\(mode))")
            assertClose(try folded.run(input: x), RefTensor(unfolded), tolerance: 1e-6, "conv1d folded (\(mode)) vs separate")
        }
    }

    /// Folding into weights makes owned kernels; the epilogue leaves the graph's weights in place
    /// (on im2col, the path that reads weights where they are).
    func testEpilogueKeepsWeightsZeroCopy() throws {
        let (_, graph, _) = Self.foldableGraphs()[0]
        let epilogue = try Executor(graph: graph, options: ExecutorOptions(batchNormalization: .epilogue, convolution: .im2col))
        let weights = try Executor(graph: graph, options: ExecutorOptions(batchNormalization: .weights, convolution: .im2col))
        let k = graph.weights["k"]!.data
        XCTAssertTrue(try XCTUnwrap(epilogue.program.steps[0].kernel as? _Conv2DKernel).kernel.isView(of: k))
        XCTAssertFalse(try XCTUnwrap(weights.program.steps[0].kernel as? _Conv2DKernel).kernel.isView(of: k))
    }

    /// What must not be folded: a BN after a non-linear activation, a layer output read twice, a
    /// layer output that is a graph output.
    func testFoldingOnlyWhenExact() throws {
        var b = GraphBuilder()
        b.input("x", [-1, 5, 5, 2])
        b.node("conv", .conv(.conv(ConvAttributes(filters: 3, kernelSize: [1, 1], activation: .relu))), ["x"],
               weights: [b.weight("k", [1, 1, 2, 3]), b.weight("b", [3])])
        Self.addBatchNorm(&b, "bn", input: "conv", channels: 3)
        b.node("conv2", .conv(.conv(ConvAttributes(filters: 3, kernelSize: [1, 1]))), ["bn"], weights: [b.weight("k2", [1, 1, 3, 3])])
        Self.addBatchNorm(&b, "bn2", input: "conv2", channels: 3)
        b.node("sum", .elementwise(.variadic(.add)), ["bn2", "conv2"])
        let graph = b.graph(outputs: ["sum"])
        let e = try Executor(graph: graph)
        XCTAssertEqual(e.program.steps.count, 5)
        XCTAssertTrue(e.rewrittenValues.isEmpty)
        try checkAgainstReference(graph, inputShapes: ["x": [2, 5, 5, 2]])

        var c = GraphBuilder()
        c.input("x", [-1, 5, 5, 2])
        c.node("conv", .conv(.conv(ConvAttributes(filters: 3, kernelSize: [1, 1]))), ["x"], weights: [c.weight("k", [1, 1, 2, 3])])
        Self.addBatchNorm(&c, "bn", input: "conv", channels: 3)
        XCTAssertEqual(try Executor(graph: c.graph(outputs: ["bn"])).program.steps.count, 1)
        XCTAssertEqual(try Executor(graph: c.graph(outputs: ["bn", "conv"])).program.steps.count, 2)
    }

    /// Keras's Conv → BN → Activation('relu') becomes one node; the removed values are still served.
    func testFoldThenFuseAndServeRemovedValues() throws {
        var b = GraphBuilder()
        b.input("x", [-1, -1, -1, 3])
        b.node("conv", .conv(.conv(ConvAttributes(filters: 4, kernelSize: [3, 3], padding: .same))), ["x"],
               weights: [b.weight("k", [3, 3, 3, 4]), b.weight("b", [4])])
        Self.addBatchNorm(&b, "bn", input: "conv", channels: 4)
        b.node("relu", .activation(.relu), ["bn"])
        let graph = b.graph(outputs: ["relu"])
        let e = try Executor(graph: graph)
        XCTAssertEqual(e.program.steps.count, 1)
        XCTAssertEqual(Set(e.rewrittenValues.keys), ["conv", "bn"])
        let x = Tensor(shape: [2, 6, 5, 3], floats: TestSupport.randomFloats(180, seed: 9))
        let all = try e.run(inputs: ["x": x], outputs: ["conv", "bn", "relu"])
        let ref = try NaiveExecutor.run(graph, inputs: ["x": RefTensor(x)])
        for name in ["conv", "bn", "relu"] { assertClose(all[name]!, ref[name]!, name) }
        assertClose(try e.run(input: x), ref["relu"]!)
        // The value after the BN comes from the unfused program, equal to the fused output before relu.
        XCTAssertEqual(all["relu"]!.floats, all["bn"]!.floats.map { max($0, 0) })
    }
}
