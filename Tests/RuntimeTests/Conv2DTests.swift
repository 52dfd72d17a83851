import ModelIR
import XCTest
@testable import Runtime

/// Conv2D against the naive loop over sweeps of small shapes: kernel sizes, strides 1–3,
/// dilations 1–2, same/valid/asymmetric explicit padding, groups, batch 1 and 3, odd channel
/// counts, fused activations, chunked im2col and split loops.
final class Conv2DTests: XCTestCase {
    static let paddings: [Padding] = [.same, .valid, .explicit(begin: [2, 1], end: [0, 3])]
    static let activations: [Activation] = [.linear, .relu, .relu6, .sigmoid, .softmax(axis: -1), .softmax(axis: 2), .leakyReLU(alpha: 0.3)]

    func testSweep() throws {
        var index = 0
        for kernel in [[1, 1], [3, 3], [2, 3], [5, 1]] {
            for stride in 1...3 {
                for dilation in 1...2 {
                    for padding in Self.paddings {
                        index += 1
                        let groups = [1, 2, 3][index % 3]
                        let batch = index % 2 == 0 ? 1 : 3
                        let cin = groups * [3, 1, 5][index % 3], cout = groups * [5, 7, 2][(index / 3) % 3]
                        let shape = [batch, 9 + index % 4, 10 + index % 3, cin]
                        let attrs = ConvAttributes(filters: cout, kernelSize: kernel, strides: [stride, stride + index % 2],
                                                     dilations: [dilation, dilation], padding: padding, groups: groups, activation: Self.activations[index % Self.activations.count])
                        var b = GraphBuilder(seed: UInt64(index))
                        b.input("x", [-1, -1, -1, cin])
                        var w = [b.weight("k", kernel + [cin / groups, cout])]
                        if index % 4 != 1 { w.append(b.weight("b", [cout])) }
                        b.node("conv", .conv(.conv(attrs)), ["x"], weights: w)
                        // Every case on oneDNN and on im2col, the latter alternating the default
                        // chunking with split loops and an im2col chunk of a few rows.
                        var options = index % 2 == 0 ? ExecutorOptions() : stressOptions(scratchBytes: 4 * 7 * kernel[0] * kernel[1] * cin)
                        for algorithm in [ConvolutionAlgorithm.im2col, .onednn] {
                            options.convolution = algorithm
                            try checkAgainstReference(b.graph(outputs: ["conv"]), inputShapes: ["x": shape], options: options,
                                                      seed: UInt64(index), "case \(index) \(algorithm): \(attrs) input \(shape)")
                        }
                    }
                }
            }
        }
    }

    /// The 1×1 stride-1 path that multiplies the input in place, with and without groups.
    func testPointwiseNeedsNoScratch() throws {
        for groups in [1, 3] {
            var b = GraphBuilder()
            b.input("x", [-1, 5, 7, 6])
            b.node("conv", .conv(.conv(ConvAttributes(filters: 9, kernelSize: [1, 1], groups: groups))), ["x"],
                   weights: [b.weight("k", [1, 1, 6 / groups, 9]), b.weight("b", [9])])
            let graph = b.graph(outputs: ["conv"])
            try checkAgainstReference(graph, inputShapes: ["x": [2, 5, 7, 6]])
            // 330 rows: two chunks of at most 256 rows, each followed by its epilogue.
            try checkAgainstReference(graph, inputShapes: ["x": [3, 10, 11, 6]], options: stressOptions())
            let plan = try Executor(graph: graph).memoryPlan(inputShapes: ["x": [2, 5, 7, 6]])
            XCTAssertEqual(plan.scratchBytes, 0)
        }
    }

    /// A big image with a small scratch bound: the patch matrix is built a chunk at a time, with a
    /// partial last chunk, and the scratch never exceeds the bound.
    func testIm2colIsChunkedUnderTheScratchBound() throws {
        var b = GraphBuilder()
        b.input("x", [-1, -1, -1, 4])
        b.node("conv", .conv(.conv(ConvAttributes(filters: 8, kernelSize: [3, 3], padding: .same, activation: .relu))), ["x"],
               weights: [b.weight("k", [3, 3, 4, 8]), b.weight("b", [8])])
        let graph = b.graph(outputs: ["conv"])
        // (36 patch + 8 output floats) × 37 rows: chunks of 37 rows, the last one partial.
        var options = ExecutorOptions(scratchBytes: (36 + 8) * 4 * 37)
        options.minimumGemmRows = 1
        try checkAgainstReference(graph, inputShapes: ["x": [2, 17, 19, 4]], options: options)
        let plan = try Executor(graph: graph, options: options).memoryPlan(inputShapes: ["x": [2, 17, 19, 4]])
        XCTAssertEqual(plan.scratchBytes, 36 * 4 * 37)
        // By default a chunk keeps 512 GEMM rows per worker however small the bound: here the
        // whole 646-pixel image is one chunk.
        let defaults = try Executor(graph: graph, options: ExecutorOptions(threads: 2, scratchBytes: 4))
            .memoryPlan(inputShapes: ["x": [2, 17, 19, 4]])
        XCTAssertEqual(defaults.scratchBytes, 36 * 4 * 646)
    }

    /// Keras's `same` at sizes where the odd pixel of padding goes at the end.
    func testSamePaddingOddSizes() throws {
        for size in [[1, 1], [2, 2], [4, 5], [7, 6]] {
            for stride in [1, 2, 3] {
                var b = GraphBuilder()
                b.input("x", [-1, -1, -1, 2])
                b.node("conv", .conv(.conv(ConvAttributes(filters: 3, kernelSize: [3, 3], strides: [stride, stride], padding: .same))),
                       ["x"], weights: [b.weight("k", [3, 3, 2, 3]), b.weight("b", [3])])
                try checkAgainstReference(b.graph(outputs: ["conv"]), inputShapes: ["x": [1] + size + [2]], "size \(size) stride \(stride)")
            }
        }
    }
}
