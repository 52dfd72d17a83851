import ModelIR
import XCTest
@testable import Runtime

/// Winograd F(2×2, 3×3) and F(4×4, 3×3) against the naive Double loop: tile edges (sizes that are
/// not multiples of the tile, 1×1 and 2×2 images), same/valid/asymmetric padding, batches whose
/// tile rows straddle images, channel counts around the 64-wide transform block, fused epilogues,
/// chunks of a single tile row, and which layers `auto` sends to Winograd.
final class WinogradTests: XCTestCase {
    static let paddings: [Padding] = [.same, .valid, .explicit(begin: [2, 1], end: [0, 3])]

    private func convGraph(cin: Int, cout: Int, padding: Padding, activation: Activation = .relu, bias: Bool = true,
                           seed: UInt64 = 1) -> Graph {
        var b = GraphBuilder(seed: seed)
        b.input("x", [-1, -1, -1, cin])
        var w = [b.weight("k", [3, 3, cin, cout])]
        if bias { w.append(b.weight("b", [cout])) }
        b.node("conv", .conv(.conv(ConvAttributes(filters: cout, kernelSize: [3, 3], padding: padding,
                                                activation: activation))), ["x"], weights: w)
        return b.graph(outputs: ["conv"])
    }

    /// Every case twice: the transformed-domain products on oneDNN's matmul (weights reordered
    /// once; where oneDNN is installed, as on CI) and on OpenBLAS's SGEMM.
    func testSweepAgainstReference() throws {
        for onOneDNN in [true, false] { try sweep(productsOnOneDNN: onOneDNN) }
    }

    private func sweep(productsOnOneDNN: Bool) throws {
        var index = 0
        for algorithm in [ConvolutionAlgorithm.winograd2x2, .winograd4x4] {
            // F(4×4) rounds more (coefficients up to 8 and 1/24): its own, measured bound.
            let tolerance = algorithm == .winograd2x2 ? 2e-6 : 2e-5
            for padding in Self.paddings {
                for (size, batch, cin, cout) in [([1, 1], 1, 3, 4), ([2, 2], 2, 5, 3), ([7, 9], 3, 17, 6), ([10, 8], 1, 70, 65),
                                                 ([13, 13], 2, 8, 129)] {
                    index += 1
                    if padding == .valid && (size[0] < 3 || size[1] < 3) { continue }
                    let graph = convGraph(cin: cin, cout: cout, padding: padding,
                                          activation: [.linear, .relu, .softmax(axis: -1), .sigmoid][index % 4], bias: index % 3 != 0,
                                          seed: UInt64(index))
                    var options = index % 2 == 0 ? ExecutorOptions() : stressOptions(scratchBytes: 4)
                    options.convolution = algorithm
                    options.winogradProductsOnOneDNN = productsOnOneDNN
                    let executor = try Executor(graph: graph, options: options)
                    let kernel = try XCTUnwrap(executor.program.steps[0].kernel as? _WinogradConv2DKernel, "case \(index)")
                    // oneDNN's brgemm matmul (AVX-512) where it exists; SGEMM when turned off.
                    if !productsOnOneDNN { XCTAssertNil(kernel.products, "case \(index)") }
                    if productsOnOneDNN, _OneDNN.isAvailable, _ISA.current == .avx512 {
                        XCTAssertEqual(kernel.products?.implementation.hasPrefix("brg"), true, "case \(index)")
                    }
                    try checkAgainstReference(graph, inputShapes: ["x": [batch] + size + [cin]], options: options,
                                              tolerance: tolerance, seed: UInt64(index),
                                              "\(algorithm) case \(index) (products on \(productsOnOneDNN ? "oneDNN" : "SGEMM")): "
                                                + "\(padding) \(size) batch \(batch) \(cin)→\(cout)")
                }
            }
        }
    }

    /// A fused batch norm lands in the Winograd epilogue as in the im2col one.
    func testBatchNormEpilogue() throws {
        var b = GraphBuilder(seed: 3)
        b.input("x", [-1, -1, -1, 20])
        b.node("conv", .conv(.conv(ConvAttributes(filters: 24, kernelSize: [3, 3], padding: .same))), ["x"],
               weights: [b.weight("k", [3, 3, 20, 24])])
        BatchNormTests.addBatchNorm(&b, "bn", input: "conv", channels: 24)
        b.node("act", .activation(.relu), ["bn"])
        let graph = b.graph(outputs: ["act"])
        let executor = try Executor(graph: graph)
        XCTAssertEqual(executor.program.steps.count, 1, "BN and ReLU fused into the convolution")
        XCTAssertTrue(executor.program.steps[0].kernel is _WinogradConv2DKernel)
        try checkAgainstReference(graph, inputShapes: ["x": [2, 11, 6, 20]], tolerance: 1e-5)
    }

    /// `auto` uses Winograd for 3×3 stride-1 layers with at least 16 input channels (F(4×4) when the
    /// image size is not declared), and oneDNN for the rest; `im2col` uses neither.
    func testAutoChoosesPerLayer() throws {
        func kernel(_ cin: Int, strides: [Int] = [1, 1], dilations: [Int] = [1, 1], kernelSize: [Int] = [3, 3],
                    _ algorithm: ConvolutionAlgorithm = .auto) throws -> any _Kernel {
            var b = GraphBuilder()
            b.input("x", [-1, -1, -1, cin])
            b.node("conv", .conv(.conv(ConvAttributes(filters: 8, kernelSize: kernelSize, strides: strides, dilations: dilations,
                                                    padding: .same))), ["x"],
                   weights: [b.weight("k", kernelSize + [cin, 8]), b.weight("b", [8])])
            return try Executor(graph: b.graph(outputs: ["conv"]), options: ExecutorOptions(convolution: algorithm)).program.steps[0].kernel!
        }
        XCTAssertEqual((try kernel(16) as? _WinogradConv2DKernel)?.transform, .f4, "unknown image size")
        XCTAssertTrue(try kernel(3) is _OneDNNConv2DKernel, "RGB input goes to oneDNN")
        XCTAssertTrue(try kernel(32, strides: [2, 2]) is _OneDNNConv2DKernel)
        XCTAssertTrue(try kernel(32, dilations: [2, 2]) is _OneDNNConv2DKernel)
        XCTAssertTrue(try kernel(32, kernelSize: [5, 5]) is _OneDNNConv2DKernel)
        XCTAssertTrue(try kernel(32, .im2col) is _Conv2DKernel)
        XCTAssertEqual((try kernel(3, .winograd4x4) as? _WinogradConv2DKernel)?.transform, .f4)
    }

    /// Which products go to oneDNN: every kernel of 128×128 or more, a smaller one's when a chunk
    /// has enough rows (the kernel then keeps its row-major form too), per the measurements `pays`
    /// cites; both ways agree with the reference.
    func testProductsOnOneDNNWhenTheyPay() throws {
        if _OneDNN.isAvailable, _ISA.current == .avx512 {
            for (channels, keepsRowMajor) in [(64, true), (128, false)] {
                let graph = convGraph(cin: channels, cout: channels, padding: .same)
                var options = ExecutorOptions(convolution: .winograd4x4)
                options.minimumGemmRows = 1
                let kernel = try XCTUnwrap(Executor(graph: graph, options: options).program.steps[0].kernel as? _WinogradConv2DKernel)
                XCTAssertNotNil(kernel.products)
                XCTAssertEqual(kernel.smallProductWeights != nil, keepsRowMajor, "\(channels) channels")
                // 9 tiles (few rows: SGEMM for 64 channels), 300 tiles (oneDNN for both).
                for shape in channels == 64 ? [[1, 12, 12, 64], [3, 40, 40, 64]] : [[1, 12, 12, 128]] {
                    try checkAgainstReference(graph, inputShapes: ["x": shape], options: options, tolerance: 2e-5, "\(channels) \(shape)")
                }
            }
        }
        XCTAssertTrue(_OneDNNMatMul.pays(k: 128, n: 128, rows: 1))
        XCTAssertTrue(_OneDNNMatMul.pays(k: 512, n: 512, rows: 25))
        XCTAssertTrue(_OneDNNMatMul.pays(k: 64, n: 64, rows: 1444), "VGG16 block1_conv2 at 150×150, F(4×4)")
        XCTAssertTrue(_OneDNNMatMul.pays(k: 64, n: 64, rows: 289))
        XCTAssertFalse(_OneDNNMatMul.pays(k: 64, n: 64, rows: 100))
        XCTAssertFalse(_OneDNNMatMul.pays(k: 32, n: 64, rows: 289), "InceptionV3's stem at 139×139")
        XCTAssertTrue(_OneDNNMatMul.pays(k: 32, n: 64, rows: 1444))
        XCTAssertTrue(_OneDNNMatMul.pays(k: 3, n: 4, rows: nil), "size unknown: large images are where Winograd is used")
        XCTAssertTrue(_OneDNNMatMul.pays(k: 16, n: 16, rows: Int.max))
    }

    /// The cost model behind `auto` at VGG16's and ResNet50's layer sizes: F(4×4) on big maps,
    /// F(2×2) where few tiles make packing the α² weight matrices dominate, im2col on the smallest.
    func testCheapestBySize() {
        XCTAssertEqual(_WinogradTransform.cheapest(height: 150, width: 150), .f4)
        XCTAssertEqual(_WinogradTransform.cheapest(height: 37, width: 37), .f4)
        XCTAssertEqual(_WinogradTransform.cheapest(height: 28, width: 28), .f4)
        XCTAssertEqual(_WinogradTransform.cheapest(height: 18, width: 18), .f2)
        XCTAssertEqual(_WinogradTransform.cheapest(height: 9, width: 9), .f2)
        XCTAssertNil(_WinogradTransform.cheapest(height: 7, width: 7))
        XCTAssertNil(_WinogradTransform.cheapest(height: 1, width: 1))
        XCTAssertEqual(_WinogradTransform.cheapest(height: nil, width: nil), .f4)
    }

    /// The kernel transform `G g Gᵀ` of a kernel with a single 1 at tap (k, l) is the outer
    /// product of G's columns k and l.
    func testKernelTransformOfUnitTaps() {
        for t in [_WinogradTransform.f2, .f4] {
            let alpha = t.alpha
            for k in 0..<3 {
                for l in 0..<3 {
                    var g = [Float](repeating: 0, count: 9)
                    g[k * 3 + l] = 1
                    var u = [Float](repeating: .nan, count: alpha * alpha)
                    u.withUnsafeMutableBufferPointer { u in
                        t.transformKernel(g, inChannels: 1, outChannels: 1, into: u.baseAddress!, parallel: .serial)
                    }
                    for i in 0..<alpha {
                        for j in 0..<alpha {
                            XCTAssertEqual(u[i * alpha + j], Float(t.g[i * 3 + k] * t.g[j * 3 + l]), accuracy: 1e-7)
                        }
                    }
                }
            }
        }
    }

    /// V and M of one chunk stay under the scratch bound (a chunk is whole tile rows, at least one).
    func testScratchIsBoundedByChunks() throws {
        let graph = convGraph(cin: 16, cout: 16, padding: .same)
        let shape = [2, 20, 20, 16]
        // One tile row of F(2×2) at width 20: 10 tiles × 16 products × 32 channels.
        let oneRow = 10 * 16 * 32
        var options = ExecutorOptions(scratchBytes: oneRow * 3 * 4, convolution: .winograd2x2)
        options.minimumGemmRows = 1
        let plan = try Executor(graph: graph, options: options).memoryPlan(inputShapes: ["x": shape])
        XCTAssertEqual(plan.scratchBytes, (3 * oneRow + 16) * 4)
        try checkAgainstReference(graph, inputShapes: ["x": shape], options: options, tolerance: 2e-6)
        // By default a chunk has at least 512 tiles (the GEMMs' rows): all 200 here.
        options.minimumGemmRows = ExecutorOptions().minimumGemmRows
        let whole = try Executor(graph: graph, options: options).memoryPlan(inputShapes: ["x": shape])
        XCTAssertEqual(whole.scratchBytes, (20 * oneRow + 16) * 4)
    }
}
