import ModelIR
import XCTest
@testable import Runtime

/// DepthwiseConv2D and SeparableConv2D against the naive loops: depth multipliers 1–3, strides,
/// dilations, paddings, batch 1 and 3, odd channel counts, fused activations.
final class DepthwiseConv2DTests: XCTestCase {
    func testDepthwiseSweep() throws {
        var index = 0
        for kernel in [[3, 3], [1, 1], [5, 3]] {
            for stride in 1...3 {
                for dilation in 1...2 {
                    for padding in Conv2DTests.paddings {
                        index += 1
                        let multiplier = [1, 2, 3][index % 3]
                        let c = [5, 7, 1][(index / 3) % 3]
                        let shape = [index % 2 == 0 ? 1 : 3, 9 + index % 3, 10 + index % 4, c]
                        let attrs = DepthwiseConvAttributes(depthMultiplier: multiplier, kernelSize: kernel,
                                                              strides: [stride, stride], dilations: [dilation, dilation], padding: padding,
                                                              activation: Conv2DTests.activations[index % Conv2DTests.activations.count])
                        var b = GraphBuilder(seed: UInt64(index))
                        b.input("x", [-1, -1, -1, c])
                        var w = [b.weight("k", kernel + [c, multiplier])]
                        if index % 3 != 0 { w.append(b.weight("b", [c * multiplier])) }
                        b.node("dw", .conv(.depthwise(attrs)), ["x"], weights: w)
                        var options = index % 2 == 0 ? ExecutorOptions() : stressOptions()
                        for algorithm in [ConvolutionAlgorithm.im2col, .onednn] {
                            options.convolution = algorithm
                            try checkAgainstReference(b.graph(outputs: ["dw"]), inputShapes: ["x": shape], options: options,
                                                      seed: UInt64(index), "case \(index) \(algorithm): \(attrs) input \(shape)")
                        }
                    }
                }
            }
        }
    }

    func testSeparableSweep() throws {
        var index = 0
        for kernel in [[3, 3], [2, 1]] {
            for stride in 1...2 {
                for dilation in 1...2 {
                    for padding in Conv2DTests.paddings {
                        index += 1
                        let multiplier = [1, 2][index % 2]
                        let c = [3, 6, 5][index % 3], filters = [7, 4, 9][(index / 2) % 3]
                        let shape = [index % 2 == 0 ? 1 : 3, 8 + index % 3, 9 + index % 2, c]
                        let attrs = SeparableConvAttributes(filters: filters, depthMultiplier: multiplier, kernelSize: kernel,
                                                              strides: [stride, stride], dilations: [dilation, dilation],
                                                              padding: padding,
                                                              activation: Conv2DTests.activations[index % Conv2DTests.activations.count])
                        var b = GraphBuilder(seed: UInt64(index))
                        b.input("x", [-1, -1, -1, c])
                        var w = [b.weight("dk", kernel + [c, multiplier]), b.weight("pk", [1, 1, c * multiplier, filters])]
                        if index % 3 != 0 { w.append(b.weight("b", [filters])) }
                        b.node("sep", .conv(.separable(attrs)), ["x"], weights: w)
                        // Odd cases: chunks of one or two output rows.
                        var options = index % 2 == 0 ? ExecutorOptions() : stressOptions(scratchBytes: 4 * 10 * c * multiplier * (1 + index % 2))
                        for algorithm in [ConvolutionAlgorithm.im2col, .onednn] {
                            options.convolution = algorithm
                            try checkAgainstReference(b.graph(outputs: ["sep"]), inputShapes: ["x": shape], options: options,
                                                      seed: UInt64(index), "case \(index) \(algorithm): \(attrs) input \(shape)")
                        }
                    }
                }
            }
        }
    }
}
