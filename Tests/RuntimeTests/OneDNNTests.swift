import Foundation
import ModelIR
import XCTest
import _TestSupport
@testable import Runtime

/// The oneDNN convolutions: loaded on this machine (scripts/setup.sh installs libdnnl-dev, whose
/// libdnnl2 the runtime opens), chosen per layer by `auto` and everywhere by `onednn`, against
/// the naive loops (the sweeps of Conv2DTests and DepthwiseConv2DTests run them too), with their
/// reordered weights kept in a kernel store like the Winograd transforms.
final class OneDNNTests: XCTestCase {
    func testLoaded() {
        XCTAssertTrue(_OneDNN.isAvailable, "oneDNN did not load: \(_OneDNN.unavailableReason)")
    }

    private func convGraph(_ attrs: ConvAttributes, cin: Int, seed: UInt64 = 1) -> Graph {
        var b = GraphBuilder(seed: seed)
        b.input("x", [-1, 24, 24, cin])
        b.node("conv", .conv(.conv(attrs)), ["x"], weights: [b.weight("k", attrs.kernelSize + [cin / attrs.groups, attrs.filters]), b.weight("b", [attrs.filters])])
        return b.graph(outputs: ["conv"])
    }

    private func kernel(_ graph: Graph, _ convolution: ConvolutionAlgorithm) throws -> any _Kernel {
        try XCTUnwrap(Executor(graph: graph, options: ExecutorOptions(convolution: convolution)).program.steps.first?.kernel)
    }

    /// `auto`: Winograd for a 3×3 stride-1 layer on a large map with enough channels, SGEMM for a
    /// strided 1×1, oneDNN for the rest; `onednn` everywhere; `im2col` never.
    func testChoicePerLayer() throws {
        let pointwise = convGraph(ConvAttributes(filters: 32, kernelSize: [1, 1]), cin: 16)
        let strided = convGraph(ConvAttributes(filters: 32, kernelSize: [3, 3], strides: [2, 2], padding: .same), cin: 16)
        let winograd = convGraph(ConvAttributes(filters: 32, kernelSize: [3, 3], padding: .same), cin: 32)
        let stridedPointwise = convGraph(ConvAttributes(filters: 32, kernelSize: [1, 1], strides: [2, 2]), cin: 16)
        XCTAssertTrue(try kernel(pointwise, .auto) is _OneDNNConv2DKernel)
        XCTAssertTrue(try kernel(strided, .auto) is _OneDNNConv2DKernel)
        // A strided 1x1 stays on SGEMM unless oneDNN has AVX-512; both ways where the CPU has it.
        let current = _ISA.current
        defer { _ISA.force(current) }
        for level in [_ISA.avx2, .avx512] where level.isSupported {
            _ISA.force(level)
            let chosen = try kernel(stridedPointwise, .auto)
            XCTAssertTrue(level == .avx512 ? chosen is _OneDNNConv2DKernel : chosen is _Conv2DKernel, "strided 1x1 at \(level.name)")
        }
        XCTAssertTrue(try kernel(stridedPointwise, .onednn) is _OneDNNConv2DKernel)
        XCTAssertTrue(try kernel(winograd, .auto) is _WinogradConv2DKernel)
        XCTAssertTrue(try kernel(winograd, .onednn) is _OneDNNConv2DKernel)
        for graph in [pointwise, strided, winograd] { XCTAssertTrue(try kernel(graph, .im2col) is _Conv2DKernel) }
        // Dense weights are not reordered; a conv keeps its im2col kernel as the fallback.
        let k = try XCTUnwrap(try kernel(strided, .onednn) as? _OneDNNConv2DKernel)
        XCTAssertTrue(k.fallback is _Conv2DKernel)
        XCTAssertFalse(k.convolution.implementation.isEmpty)
    }

    /// Bias, a batch normalization and each activation as post-ops (or after, for one oneDNN
    /// would round differently), against the naive loops, at several batch sizes (one primitive
    /// each, sharing the reordered weights).
    func testEpiloguesAndBatches() throws {
        for (index, activation) in Conv2DTests.activations.enumerated() {
            var b = GraphBuilder(seed: UInt64(index))
            b.input("x", [-1, -1, -1, 6])
            b.node("conv", .conv(.conv(ConvAttributes(filters: 10, kernelSize: [3, 3], strides: [2, 2], padding: .same))), ["x"],
                   weights: [b.weight("k", [3, 3, 6, 10]), b.weight("b", [10])])
            BatchNormTests.addBatchNorm(&b, "bn", input: "conv", channels: 10)
            b.node("act", .activation(activation), ["bn"])
            let graph = b.graph(outputs: ["act"])
            for batch in [1, 3] {
                try checkAgainstReference(graph, inputShapes: ["x": [batch, 11, 13, 6]], options: ExecutorOptions(convolution: .onednn),
                                          seed: UInt64(batch), "\(activation) batch \(batch)")
            }
        }
    }

    func testReorderedWeightsGoToTheKernelStore() throws {
        let store = KernelStoreTests.MemoryStore()
        let cin = 8, cout = 16
        let file = try KernelStoreTests.FakeFile(TestSupport.randomFloats(cin * cout, seed: 5), identity: "dev:ino")
        let kernel = Weight(info: TensorInfo(name: "k", shape: [1, 1, cin, cout]), data: TensorData(view: file.bytes, owner: file))
        let graph = Graph(name: "pw", inputs: [TensorInfo(name: "x", shape: [-1, 5, 5, cin], layout: .nhwc)], outputs: ["conv"],
                          nodes: [Node(name: "conv", op: .conv(.conv(ConvAttributes(filters: cout, kernelSize: [1, 1]))), inputs: ["x", "k"])],
                          weights: ["k": kernel])
        let input = Tensor(shape: [2, 5, 5, cin], floats: TestSupport.randomFloats(2 * 25 * cin, seed: 6))
        func use(_ e: Executor) throws -> _WinogradConv2DKernel.CacheUse {
            try XCTUnwrap(e.program.steps.first?.kernel as? _OneDNNConv2DKernel).convolution.cacheUse
        }
        let uncached = try Executor(graph: graph, options: ExecutorOptions(convolution: .onednn)).run(input: input)
        let first = try Executor(graph: graph, options: ExecutorOptions(convolution: .onednn, kernelStore: store))
        XCTAssertEqual(try use(first), .stored)
        XCTAssertEqual(store.keys.count, 1)
        XCTAssertTrue(store.keys[0].hasPrefix("onednn "), store.keys[0])
        let second = try Executor(graph: graph, options: ExecutorOptions(convolution: .onednn, kernelStore: store))
        XCTAssertEqual(try use(second), .hit)
        XCTAssertEqual(try second.run(input: input).floats, uncached.floats)
        withExtendedLifetime(file) {}
    }
}

extension OneDNNTests {
    /// The parts for the workers cover every output row of every image once, and each reads the
    /// input rows its output rows need (with the padding of the image's edges only).
    func testPartsCoverTheOutputOnce() {
        let g = _OneDNNConvolution.Geometry(kernelSize: [3, 3], strides: [2, 2], dilations: [1, 1], groups: 1, inChannels: 4, outChannels: 4)
        for (n, pieces) in [(1, 2), (1, 3), (2, 4), (3, 4), (3, 2), (20, 2), (1, 1)] {
            let h = 15
            let parts = _OneDNNConvolution.parts(g, .same, input: [n, h, 11, 4], pieces: pieces)
            var rows = [[Int]](repeating: [], count: n)
            for (image, part) in parts {
                for i in image..<(image + part.batch) { rows[i] += Array(part.outRow..<(part.outRow + part.outHeight)) }
                // oneDNN's size formula gives exactly the part's output rows.
                XCTAssertEqual((part.inHeight + part.padTop + part.padBottom - 3) / 2 + 1, part.outHeight)
                XCTAssertTrue(part.inRow == 0 || part.padTop == 0, "only the top band pads the top")
                if part.batch > 1 { XCTAssertEqual(part.inHeight, h, "a run of images reads whole images") }
            }
            for i in 0..<n { XCTAssertEqual(rows[i], Array(0..<8), "n \(n), pieces \(pieces), image \(i)") }
            XCTAssertEqual(parts.count, n >= pieces ? pieces : n * min((pieces + n - 1) / n, 8))
        }
    }

    /// A 1×1 stride-2 convolution of an even-sized map (ResNet's downsampling) never reads the
    /// last input row: runs of several images must still step by whole images.
    func testRunsOfImagesWhoseLastRowIsUnread() throws {
        var b = GraphBuilder(seed: 4)
        b.input("x", [-1, -1, -1, 6])
        b.node("conv", .conv(.conv(ConvAttributes(filters: 8, kernelSize: [1, 1], strides: [2, 2]))), ["x"],
               weights: [b.weight("k", [1, 1, 6, 8]), b.weight("b", [8])])
        for threads in [1, 2] {
            var options = ExecutorOptions(threads: threads, convolution: .onednn)
            options.minimumParallelWork = 1
            for batch in [2, 3, 6] {
                try checkAgainstReference(b.graph(outputs: ["conv"]), inputShapes: ["x": [batch, 8, 10, 6]], options: options,
                                          "threads \(threads) batch \(batch)")
            }
        }
    }

    /// Bands of one image and runs of images on 3 and 4 workers, against the naive loops.
    /// A separable convolution runs its two oneDNN convolutions part by part on each worker:
    /// bands of one image (more workers than images), runs of images a few at a time (middle rows
    /// of 512 KiB per image: four per step within the 2 MiB budget, and a remainder of one), and
    /// whole runs; against the naive loops.
    func testSeparablePartsRunBothConvolutionsInTurn() throws {
        var b = GraphBuilder(seed: 4)
        b.input("x", [-1, -1, -1, 32])
        b.node("sep", .conv(.separable(SeparableConvAttributes(filters: 8, depthMultiplier: 4, kernelSize: [3, 3], padding: .same,
                                                               activation: .swish))),
               ["x"], weights: [b.weight("dk", [3, 3, 32, 4]), b.weight("pk", [1, 1, 128, 8]), b.weight("b", [8])])
        let graph = b.graph(outputs: ["sep"])
        XCTAssertEqual(_OneDNNSeparableConv2DKernel.middleBudget / (32 * 32 * 128 * 4), 4, "the test's steps")
        for (threads, batch) in [(3, 1), (1, 5), (2, 5), (2, 2)] {
            var options = ExecutorOptions(convolution: .onednn)
            options.threads = threads
            let e = try Executor(graph: graph, options: options)
            XCTAssertTrue(e.program.steps.first?.kernel is _OneDNNSeparableConv2DKernel, "runs on oneDNN")
            try checkAgainstReference(graph, inputShapes: ["x": [batch, 32, 32, 32]], options: options, "threads \(threads) batch \(batch)")
        }
    }

    /// Parts over more workers than images and the reverse; the activation oneDNN fuses (ReLU),
    /// one each worker applies to the part it wrote (swish), and one over the whole output after
    /// the convolution (softmax).
    func testSplitsOverWorkers() throws {
        for activation: Activation in [.relu, .swish, .softmax(axis: -1)] {
            var b = GraphBuilder(seed: 9)
            b.input("x", [-1, -1, -1, 5])
            b.node("conv", .conv(.conv(ConvAttributes(filters: 7, kernelSize: [3, 3], dilations: [2, 1], padding: .same,
                                                      activation: activation))),
                   ["x"], weights: [b.weight("k", [3, 3, 5, 7]), b.weight("b", [7])])
            b.node("dw", .conv(.depthwise(DepthwiseConvAttributes(depthMultiplier: 2, kernelSize: [3, 3], strides: [2, 2], padding: .same,
                                                                  activation: activation == .relu ? .linear : .sigmoid))),
                   ["conv"], weights: [b.weight("dk", [3, 3, 7, 2])])
            let graph = b.graph(outputs: ["dw"])
            for threads in [3, 4] {
                var options = stressOptions()
                options.threads = threads
                options.convolution = .onednn
                for batch in [1, 2, 5] {
                    try checkAgainstReference(graph, inputShapes: ["x": [batch, 13, 9, 5]], options: options,
                                              "\(activation) threads \(threads) batch \(batch)")
                }
            }
        }
    }
}

extension OneDNNTests {
    /// `auto` with AVX-512: a 3×3 layer on a map too small for F(4×4) per image runs on oneDNN
    /// for small batches and on F(4×4), built on the first large batch, for large ones; both
    /// against the naive loops. Without AVX-512 the per-image rule stands.
    func testSmallMapsSwitchAlgorithmWithTheBatch() throws {
        var b = GraphBuilder(seed: 21)
        b.input("x", [-1, 8, 8, 32])
        b.node("conv", .conv(.conv(ConvAttributes(filters: 24, kernelSize: [3, 3], padding: .same, activation: .relu))), ["x"],
               weights: [b.weight("k", [3, 3, 32, 24]), b.weight("b", [24])])
        let graph = b.graph(outputs: ["conv"])
        let current = _ISA.current
        defer { _ISA.force(current) }
        if _ISA.avx2.isSupported {
            _ISA.force(.avx2)
            XCTAssertTrue(try kernel(graph, .auto) is _WinogradConv2DKernel, "without AVX-512: F(2x2) by the per-image rule")
        }
        guard _ISA.avx512.isSupported else { return }
        _ISA.force(.avx512)
        let switched = try XCTUnwrap(try kernel(graph, .auto) as? _BatchSwitchConv2DKernel)
        XCTAssertTrue(switched.small?.kernel is _OneDNNConv2DKernel)
        XCTAssertEqual(switched.small?.pixels, 128)
        XCTAssertNil(switched.medium, "24 filters of 32 channels: no F(2x2) tier")
        let executor = try Executor(graph: graph, options: ExecutorOptions(convolution: .auto))
        let step = try XCTUnwrap(executor.program.steps.first?.kernel as? _BatchSwitchConv2DKernel)
        for batch in [1, 2, 3, 20] {
            let input = Tensor(shape: [batch, 8, 8, 32], floats: TestSupport.randomFloats(batch * 8 * 8 * 32, seed: UInt64(batch)))
            let got = try executor.run(input: input)
            XCTAssertEqual(step.large.isBuilt, batch >= 3, "batch \(batch): F(4x4) exists once a batch has over 128 output pixels")
            let want = try Executor(graph: graph, options: ExecutorOptions(convolution: batch >= 3 ? .winograd4x4 : .onednn)).run(input: input)
            XCTAssertTrue(got.floats == want.floats, "batch \(batch): the chosen algorithm's own result")
            try checkAgainstReference(graph, inputShapes: ["x": [batch, 8, 8, 32]], options: ExecutorOptions(convolution: .auto),
                                      seed: UInt64(batch), "batch \(batch)")
        }
    }
}

extension OneDNNTests {
    /// `auto` with AVX-512 and a large kernel (256 → 512 channels) on a 9×9 map: oneDNN up to 128
    /// output pixels, F(2×2) up to 800, F(4×4) beyond, each built on the first batch that needs it
    /// and giving that algorithm's own result. No F(2×2) tier on a map of 800 pixels or more per
    /// image, nor on one both tile alike (8×8).
    func testLargeKernelsTakeF2BetweenSmallAndLargeBatches() throws {
        func graph(size: Int) -> Graph {
            var b = GraphBuilder(seed: 22)
            b.input("x", [-1, size, size, 256])
            b.node("conv", .conv(.conv(ConvAttributes(filters: 512, kernelSize: [3, 3], padding: .same, activation: .relu))), ["x"],
                   weights: [b.weight("k", [3, 3, 256, 512]), b.weight("b", [512])])
            return b.graph(outputs: ["conv"])
        }
        let current = _ISA.current
        defer { _ISA.force(current) }
        guard _ISA.avx512.isSupported else { return }
        _ISA.force(.avx512)
        XCTAssertTrue(try kernel(graph(size: 30), .auto) is _WinogradConv2DKernel, "30×30 = 900 pixels per image: F(4x4) alone")
        XCTAssertNil(try XCTUnwrap(try kernel(graph(size: 8), .auto) as? _BatchSwitchConv2DKernel).medium, "8×8: F(4x4) tiles it exactly")
        let executor = try Executor(graph: graph(size: 9), options: ExecutorOptions(convolution: .auto))
        let step = try XCTUnwrap(executor.program.steps.first?.kernel as? _BatchSwitchConv2DKernel)
        XCTAssertEqual(step.small?.pixels, 128)
        XCTAssertEqual(step.medium?.pixels, 800)
        for (batch, want) in [(1, ConvolutionAlgorithm.onednn), (2, .winograd2x2), (9, .winograd2x2), (10, .winograd4x4)] {
            let input = Tensor(shape: [batch, 9, 9, 256], floats: TestSupport.randomFloats(batch * 9 * 9 * 256, seed: UInt64(batch)))
            let got = try executor.run(input: input)
            XCTAssertEqual(step.medium?.kernel.isBuilt, batch >= 2, "batch \(batch)")
            XCTAssertEqual(step.large.isBuilt, batch >= 10, "batch \(batch)")
            let expected = try Executor(graph: graph(size: 9), options: ExecutorOptions(convolution: want)).run(input: input)
            XCTAssertTrue(got.floats == expected.floats, "batch \(batch): \(want)'s own result")
        }
        // 18×18 (324 pixels per image): F(2x2) at batch 1 and 2, F(4x4) from batch 3.
        let mid = try Executor(graph: graph(size: 18), options: ExecutorOptions(convolution: .auto))
        let midStep = try XCTUnwrap(mid.program.steps.first?.kernel as? _BatchSwitchConv2DKernel)
        _ = try mid.run(input: Tensor(shape: [1, 18, 18, 256], floats: TestSupport.randomFloats(18 * 18 * 256, seed: 3)))
        XCTAssertEqual(midStep.medium?.kernel.isBuilt, true)
        XCTAssertFalse(midStep.large.isBuilt)
    }

    /// A primitive keeps its memory objects between executions (re-pointed when a buffer moves):
    /// one executor run on several inputs, batch sizes and again on the first, with more
    /// concurrent executions than kept slots (12 workers, 8 slots), each output equal to a fresh
    /// executor's, bit for bit.
    func testKeptMemoryObjectsFollowEveryBuffer() throws {
        var b = GraphBuilder(seed: 12)
        b.input("x", [-1, -1, -1, 6])
        b.node("conv", .conv(.conv(ConvAttributes(filters: 16, kernelSize: [3, 3], strides: [2, 2], padding: .same, activation: .relu))),
               ["x"], weights: [b.weight("k", [3, 3, 6, 16]), b.weight("b", [16])])
        b.node("pw", .conv(.conv(ConvAttributes(filters: 8, kernelSize: [1, 1]))), ["conv"], weights: [b.weight("pk", [1, 1, 16, 8])])
        let graph = b.graph(outputs: ["pw"])
        var options = stressOptions()
        options.threads = 12
        options.convolution = .onednn
        let kept = try Executor(graph: graph, options: options)
        let inputs = [(1, 1), (12, 2), (3, 3), (12, 4), (1, 1)].map { batch, seed in
            Tensor(shape: [batch, 17, 15, 6], floats: TestSupport.randomFloats(batch * 17 * 15 * 6, seed: UInt64(seed)))
        }
        for (index, input) in inputs.enumerated() {
            let fresh = try Executor(graph: graph, options: options).run(input: input)
            XCTAssertTrue(try kept.run(input: input).floats == fresh.floats, "run \(index), batch \(input.shape[0]): differs from a fresh executor's")
        }
        try checkAgainstReference(graph, inputShapes: ["x": [12, 17, 15, 6]], options: options, "12 workers")
    }
}

extension OneDNNTests {
    /// `memory: .low` turns `auto` into im2col: no reordered or transformed weights.
    func testLowMemoryKeepsNoWeightCopies() throws {
        let pointwise = convGraph(ConvAttributes(filters: 32, kernelSize: [1, 1]), cin: 16)
        let winograd = convGraph(ConvAttributes(filters: 32, kernelSize: [3, 3], padding: .same), cin: 32)
        for graph in [pointwise, winograd] {
            var options = ExecutorOptions()
            options.memory = .low
            let kernel = try XCTUnwrap(Executor(graph: graph, options: options).program.steps.first?.kernel as? _Conv2DKernel)
            XCTAssertTrue(kernel.kernel.isView(of: graph.weights["k"]!.data))
        }
    }
}

extension OneDNNTests {
    /// A convolution on a small map with a kernel of 1 MiB or more splits by output channels:
    /// slices of unequal width (three workers: 96, 96, 64 of 256 filters), one per worker for a
    /// batch smaller than the workers and every slice per run of images for a larger one, with a
    /// fused batch norm and an activation oneDNN fuses (ReLU) or the slices apply (swish); a
    /// separable convolution's pointwise half the same way. Against the naive loops.
    func testSmallMapsWithLargeKernelsSplitByChannels() throws {
        for (index, activation) in [Activation.relu, .swish].enumerated() {
            var b = GraphBuilder(seed: UInt64(20 + index))
            b.input("x", [-1, 3, 2, 128])
            b.node("conv", .conv(.conv(ConvAttributes(filters: 256, kernelSize: [3, 3], padding: .same))), ["x"],
                   weights: [b.weight("k", [3, 3, 128, 256], scale: 0.05), b.weight("b", [256])])
            BatchNormTests.addBatchNorm(&b, "bn", input: "conv", channels: 256)
            b.node("act", .activation(activation), ["bn"])
            let conv = b.graph(outputs: ["act"])

            b = GraphBuilder(seed: UInt64(30 + index))
            b.input("x", [-1, 3, 2, 512])
            b.node("sep", .conv(.separable(SeparableConvAttributes(filters: 512, kernelSize: [3, 3], padding: .same, activation: activation))),
                   ["x"], weights: [b.weight("dk", [3, 3, 512, 1]), b.weight("pk", [1, 1, 512, 512], scale: 0.05), b.weight("b", [512])])
            let separable = b.graph(outputs: ["sep"])

            for threads in [2, 3] {
                var options = ExecutorOptions(convolution: .onednn)
                options.threads = threads
                let e = try Executor(graph: conv, options: options)
                XCTAssertTrue(e.program.steps.first?.kernel is _OneDNNSlicedConv2DKernel, "split by channels")
                let s = try XCTUnwrap(try Executor(graph: separable, options: options).program.steps.first?.kernel as? _OneDNNSeparableConv2DKernel)
                if case .sliced = s.pointwise {} else { XCTFail("the pointwise half splits by channels") }
                if threads == 3 {
                    let slices = try XCTUnwrap(e.program.steps.first?.kernel as? _OneDNNSlicedConv2DKernel).slices.slices
                    XCTAssertEqual(slices.map(\.channels.count), [96, 96, 64])
                }
                for batch in [1, 3] {
                    try checkAgainstReference(conv, inputShapes: ["x": [batch, 3, 2, 128]], options: options,
                                              "conv \(activation) threads \(threads) batch \(batch)")
                    try checkAgainstReference(separable, inputShapes: ["x": [batch, 3, 2, 512]], options: options,
                                              "separable \(activation) threads \(threads) batch \(batch)")
                }
            }
        }
    }

    /// A slice of a kernel's output channels: the right elements, and a name derived from the
    /// file bytes only when the kernel has one.
    func testKernelSlicesCopyTheirChannels() {
        let kernel = _FloatWeights(copying: (0..<24).map(Float.init))  // [2, 1, 1, 12]: rows of 12 channels
        let slice = _FloatWeights(outputChannels: 4..<9, of: kernel, outChannels: 12)
        XCTAssertEqual(slice.array, [4, 5, 6, 7, 8, 16, 17, 18, 19, 20])
        XCTAssertNil(slice.sourceIdentity, "a computed kernel has no file to name")
    }
}
