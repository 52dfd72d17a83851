import ModelIR
import XCTest
@testable import Runtime
import _TestSupport

/// Channels-first graphs (as ONNX files have them) run on the NHWC kernels through the layout
/// pass, with the Transposes cancelled between layers, and give what the same model written
/// channels-last gives.
final class LayoutPassTests: XCTestCase {
    /// A ResNet-like NCHW block: conv → BN(axis 1) → relu → max pool → grouped (depthwise) conv,
    /// a 1×1 shortcut conv, Add, ReLU, global average pool keeping dims, Flatten.
    static func nchwBlock() -> (Graph, Graph) {
        var nchw = GraphBuilder(seed: 5)
        nchw.inputs.append(TensorInfo(name: "x", shape: [-1, 3, 12, 10], layout: .nchw))
        var nhwc = GraphBuilder(seed: 5)
        nhwc.input("x", [-1, 12, 10, 3])
        func both(_ name: String, _ shape: [Int], oihw: Bool = false, hwcm: Int? = nil) -> (String, String) {
            let a = nchw.weight(name, shape)
            let values = nchw.weights[a]!.data.floatArray(as: .float32)
            var t = Tensor(shape: shape, floats: values)
            if oihw { t = _LayoutPass.transpose(t, [2, 3, 1, 0]) }
            if let m = hwcm { t = t.reshaped([t.shape[0], t.shape[1], t.shape[3] / m, m]) }
            let b = nhwc.weight(name, t.shape, values: t.floats)
            return (a, b)
        }
        // conv 3→8, 3×3, explicit pads, OIHW kernel.
        let (k1a, k1b) = both("k1", [8, 3, 3, 3], oihw: true)
        let (b1a, b1b) = both("b1", [8])
        nchw.node("conv1", .conv(.conv(ConvAttributes(filters: 8, kernelSize: [3, 3], padding: .explicit(begin: [1, 1], end: [1, 1]),
                                                      layout: .channelsFirst))), ["x"], weights: [k1a, b1a])
        nhwc.node("conv1", .conv(.conv(ConvAttributes(filters: 8, kernelSize: [3, 3], padding: .explicit(begin: [1, 1], end: [1, 1])))),
                  ["x"], weights: [k1b, b1b])
        let stats = [("g", 1.0 as Float), ("be", 0), ("m", 0), ("v", 1)].map { name, _ in both(name, [8]) }
        var variance = stats[3]
        variance = (nchw.weight("v+", [8], values: TestSupport.randomFloats(8, seed: 3).map { 0.5 + abs($0) }),
                    nhwc.weight("v+", [8], values: TestSupport.randomFloats(8, seed: 3).map { 0.5 + abs($0) }))
        nchw.node("bn", .normalization(.batch(BatchNormAttributes(epsilon: 1e-5, axis: 1))), ["conv1"],
                  weights: [stats[0].0, stats[1].0, stats[2].0, variance.0])
        nhwc.node("bn", .normalization(.batch(BatchNormAttributes(epsilon: 1e-5, axis: -1))), ["conv1"],
                  weights: [stats[0].1, stats[1].1, stats[2].1, variance.1])
        nchw.node("relu", .activation(.relu), ["bn"])
        nhwc.node("relu", .activation(.relu), ["bn"])
        nchw.node("pool", .pool(.max(PoolAttributes(poolSize: [2, 2], layout: .channelsFirst))), ["relu"])
        nhwc.node("pool", .pool(.max(PoolAttributes(poolSize: [2, 2]))), ["relu"])
        // Depthwise as ONNX writes it: groups = channels, kernel [C·M, 1, 3, 3].
        let (dwa, dwb) = both("k_dw", [16, 1, 3, 3], oihw: true, hwcm: 2)
        nchw.node("dw", .conv(.conv(ConvAttributes(filters: 16, kernelSize: [3, 3], padding: .same, groups: 8, layout: .channelsFirst))),
                  ["pool"], weights: [dwa])
        nhwc.node("dw", .conv(.depthwise(DepthwiseConvAttributes(depthMultiplier: 2, kernelSize: [3, 3], padding: .same))), ["pool"],
                  weights: [dwb])
        let (sa, sb) = both("k_short", [16, 8, 1, 1], oihw: true)
        nchw.node("short", .conv(.conv(ConvAttributes(filters: 16, kernelSize: [1, 1], layout: .channelsFirst))), ["pool"], weights: [sa])
        nhwc.node("short", .conv(.conv(ConvAttributes(filters: 16, kernelSize: [1, 1]))), ["pool"], weights: [sb])
        for g in [0, 1] {
            if g == 0 {
                nchw.node("add", .elementwise(.variadic(.add)), ["dw", "short"])
                nchw.node("relu2", .activation(.relu), ["add"])
                nchw.node("gap", .pool(.globalAverage(GlobalPoolAttributes(keepDims: true, layout: .channelsFirst))), ["relu2"])
                nchw.node("flat", .tensor(.flatten(axis: 1)), ["gap"])
            } else {
                nhwc.node("add", .elementwise(.variadic(.add)), ["dw", "short"])
                nhwc.node("relu2", .activation(.relu), ["add"])
                nhwc.node("gap", .pool(.globalAverage(GlobalPoolAttributes(keepDims: true))), ["relu2"])
                nhwc.node("flat", .tensor(.flatten(axis: 1)), ["gap"])
            }
        }
        return (nchw.graph(outputs: ["flat", "relu2"]), nhwc.graph(outputs: ["flat", "relu2"]))
    }

    func testChannelsFirstRunsOnTheNHWCKernelsWithTransposesCancelled() throws {
        let (nchw, nhwc) = Self.nchwBlock()
        let e = try Executor(graph: nchw)
        // Every op runs on a fast kernel; the only Transposes left are the input's and those that
        // give the channels-first outputs back.
        XCTAssertEqual(e.evaluatedNodeTypes, [:])
        let transposes = e.program.steps.filter { if case .tensor(.transpose) = $0.node.op { return true }; return false }
        XCTAssertLessThanOrEqual(transposes.count, 3, e.program.steps.map(\.node.name).joined(separator: " "))
        let x = TestSupport.randomFloats(2 * 3 * 12 * 10, seed: 8)
        let xNCHW = Tensor(shape: [2, 3, 12, 10], floats: x)
        let xNHWC = _LayoutPass.transpose(xNCHW, [0, 2, 3, 1])
        let got = try e.run(inputs: ["x": xNCHW])
        let want = try Executor(graph: nhwc).run(inputs: ["x": xNHWC])
        XCTAssertEqual(got["flat"]!.shape, [2, 16])
        XCTAssertEqual(got["relu2"]!.shape, [2, 16, 6, 5])
        assertClose(got["flat"]!, RefTensor(want["flat"]!), tolerance: 1e-6)
        assertClose(got["relu2"]!, RefTensor(_LayoutPass.transpose(want["relu2"]!, [0, 3, 1, 2])), tolerance: 1e-6)
        // Intermediate channels-first values the passes rewrote are still served, in NCHW.
        let pool = try e.run(inputs: ["x": xNCHW], outputs: ["pool"])["pool"]!
        XCTAssertEqual(pool.shape, [2, 8, 6, 5])
    }

    func testTransposeOfSizeOneAxesIsAView() throws {
        var b = GraphBuilder()
        b.input("x", [-1, 1, 1, 6])
        b.node("t", .tensor(.transpose(perm: [0, 3, 1, 2])), ["x"])
        let e = try Executor(graph: b.graph(outputs: ["t"]))
        let x = Tensor(shape: [2, 1, 1, 6], floats: (0..<12).map(Float.init))
        let out = try e.run(input: x)
        XCTAssertEqual(out.shape, [2, 6, 1, 1])
        XCTAssertEqual(out.floats, x.floats)
        let plan = try e.preparePlan(inputs: ["x": x], outputs: ["t"]).plan
        XCTAssertEqual(plan.views.count, 1)
    }

    func testTransposeKernelMatchesTheDefinition() throws {
        for (shape, perm) in [([2, 3, 4, 5], [0, 2, 3, 1]), ([2, 3, 4, 5], [0, 3, 1, 2]), ([3, 4, 5], [2, 0, 1]), ([6, 7], [1, 0])] {
            var b = GraphBuilder()
            b.input("x", [-1] + shape.dropFirst())
            b.node("t", .tensor(.transpose(perm: perm)), ["x"])
            let x = Tensor(shape: shape, floats: TestSupport.randomFloats(shape.reduce(1, *), seed: 4))
            let out = try Executor(graph: b.graph(outputs: ["t"]), options: stressOptions()).run(input: x)
            XCTAssertEqual(out, _LayoutPass.transpose(x, perm), "\(shape) \(perm)")
        }
    }
}
