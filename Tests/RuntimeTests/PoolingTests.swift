import ModelIR
import XCTest
@testable import Runtime

/// Max and average pooling (Keras padding-excluding divisor and ONNX `count_include_pad`) and the
/// global pools against naive loops.
final class PoolingTests: XCTestCase {
    func testPool2DSweep() throws {
        var index = 0
        for isMax in [true, false] {
            for window in [[2, 2], [3, 3], [3, 2], [1, 1]] {
                for stride in 1...3 {
                    for padding in [Padding.same, .valid, .explicit(begin: [1, 0], end: [0, 1])] {
                        for includePad in isMax ? [false] : [false, true] {
                            index += 1
                            let attrs = PoolAttributes(poolSize: window, strides: [stride, stride + index % 2], padding: padding,
                                                         countIncludePad: includePad)
                            let c = [3, 5, 8][index % 3]
                            let shape = [index % 2 == 0 ? 1 : 3, 7 + index % 3, 8 + index % 2, c]
                            var b = GraphBuilder()
                            b.input("x", [-1, -1, -1, c])
                            b.node("pool", isMax ? .pool(.max(attrs)) : .pool(.average(attrs)), ["x"])
                            try checkAgainstReference(b.graph(outputs: ["pool"]), inputShapes: ["x": shape],
                                                      options: index % 2 == 0 ? ExecutorOptions() : stressOptions(),
                                                      seed: UInt64(index), "case \(index): max \(isMax) \(attrs) input \(shape)")
                        }
                    }
                }
            }
        }
    }

    /// Negative inputs: a padded max must ignore the padding instead of seeing zeros.
    func testSameMaxPoolIgnoresPadding() throws {
        var b = GraphBuilder()
        b.input("x", [-1, 3, 3, 1])
        b.node("pool", .pool(.max(PoolAttributes(poolSize: [2, 2], strides: [2, 2], padding: .same))), ["x"])
        let out = try Executor(graph: b.graph(outputs: ["pool"])).run(input: Tensor(shape: [1, 3, 3, 1], floats: (1...9).map { -Float($0) }))
        XCTAssertEqual(out.floats, [-1, -3, -7, -9])
    }

    func testGlobalPools() throws {
        for keep in [false, true] {
            for isMax in [false, true] {
                for (i, shape) in [[1, 5, 7, 3], [3, 4, 4, 70], [2, 1, 1, 129]].enumerated() {
                    var b = GraphBuilder()
                    b.input("x", [-1, -1, -1, shape[3]])
                    b.node("gp", isMax ? .pool(.globalMax(GlobalPoolAttributes(keepDims: keep))) : .pool(.globalAverage(GlobalPoolAttributes(keepDims: keep))), ["x"])
                    try checkAgainstReference(b.graph(outputs: ["gp"]), inputShapes: ["x": shape],
                                              options: i % 2 == 0 ? ExecutorOptions() : stressOptions(), "keep \(keep) max \(isMax) \(shape)")
                }
            }
        }
    }
}
