import Foundation
import ModelIR
@testable import ONNXFormat
import ONNXProto
import Runtime
import XCTest
import _TestSupport

/// Hand-built ONNX graphs in the layouts real exporters produce, imported and run by wtool's runtime,
/// against a naive NCHW evaluation of the same ONNX graph (`Ref`).
final class ImportSemanticsTests: XCTestCase {
    func random(_ count: Int, _ seed: UInt64, scale: Float = 0.5) -> [Float] {
        TestSupport.randomFloats(count, seed: seed, scale: scale)
    }

    func importGraph(_ b: ModelBuilder) throws -> Graph {
        try b.bytes().withUnsafeBytes { try ONNXReader.read(bytes: $0) }
    }

    func run(_ graph: Graph, nhwc: RefTensor) throws -> Tensor {
        try Executor(graph: graph).run(input: Tensor(shape: nhwc.shape, data: nhwc.floats))
    }

    /// PyTorch-style: NCHW input straight into Conv; BatchNormalization, Clip(0, 6) as inputs,
    /// a depthwise Conv (group = C, multiplier 2), Flatten of a 3x3 NCHW map (C, H, W order), Gemm
    /// with transB and alpha, Softmax.
    func testNCHWModelWithDepthwiseFlattenAndGemm() throws {
        var b = ModelBuilder()
        b.inputs = [ModelBuilder.valueInfo("x", [nil, 4, 6, 6])]
        b.outputs = [ModelBuilder.valueInfo("probs", [nil, 10])]
        let w1 = random(8 * 4 * 9, 1), b1 = random(8, 2)
        let scale = random(8, 3).map { $0 + 1 }, beta = random(8, 4), mean = random(8, 5), variance = random(8, 6).map { abs($0) + 0.5 }
        let wd = random(16 * 9, 7), bd = random(16, 8)
        let wg = random(10 * 144, 9, scale: 0.2), cg = random(10, 10)
        b.initializer("w1", [8, 4, 3, 3], w1); b.initializer("b1", [8], b1)
        b.initializer("bn.scale", [8], scale); b.initializer("bn.B", [8], beta)
        b.initializer("bn.mean", [8], mean); b.initializer("bn.var", [8], variance)
        b.initializer("zero", [], [0]); b.initializer("six", [], [6])
        b.initializer("wd", [16, 1, 3, 3], wd); b.initializer("bd", [16], bd)
        b.initializer("fc.weight", [10, 144], wg); b.initializer("fc.bias", [10], cg)
        b.node("Conv", ["x", "w1", "b1"], ["c1"], name: "conv1", ["pads": .ints([1, 1, 1, 1]), "strides": .ints([2, 2]), "kernel_shape": .ints([3, 3])])
        b.node("BatchNormalization", ["c1", "bn.scale", "bn.B", "bn.mean", "bn.var"], ["n1"], name: "bn", ["epsilon": .float(1e-3)])
        b.node("Clip", ["n1", "zero", "six"], ["r1"], name: "relu6")
        b.node("Conv", ["r1", "wd", "bd"], ["c2"], name: "dw", ["group": .int(8), "pads": .ints([1, 1, 1, 1])])
        b.node("LeakyRelu", ["c2"], ["l2"], name: "leaky", ["alpha": .float(0.2)])
        b.node("Flatten", ["l2"], ["f"], name: "flatten", ["axis": .int(1)])
        b.node("Gemm", ["f", "fc.weight", "fc.bias"], ["logits"], name: "fc", ["transB": .int(1), "alpha": .float(0.5)])
        b.node("Softmax", ["logits"], ["probs"], name: "softmax", ["axis": .int(-1)])

        let graph = try importGraph(b)
        XCTAssertEqual(graph.inputs.map(\.shape), [[-1, 6, 6, 4]], "the NCHW input becomes NHWC")
        XCTAssertEqual(graph.metadata.extra["onnx.input_layout.x"], "NCHW")
        XCTAssertEqual(graph.nodes.map(\.op.kind), ["conv2d", "batch_normalization", "activation", "depthwise_conv2d", "flatten", "dense"])
        if case .depthwiseConv2D(let a) = graph.nodes[3].op {
            XCTAssertEqual(a.depthMultiplier, 2)
            XCTAssertEqual(a.activation, .leakyReLU(alpha: 0.2))
            XCTAssertEqual(a.padding, .same)
        } else { XCTFail("dw is \(graph.nodes[3].op)") }
        XCTAssertEqual(graph.nodes[2].op, .activation(.relu6))
        if case .dense(let a) = graph.nodes[5].op { XCTAssertEqual(a.activation, .softmax(axis: -1)) } else { XCTFail() }
        if case .conv2D(let a) = graph.nodes[0].op { XCTAssertEqual(a.padding, .explicit(top: 1, bottom: 1, left: 1, right: 1)) }
        XCTAssertEqual(graph.weights["bn.mean"]?.trainable, false)
        XCTAssertEqual(graph.weights["bn.scale"]?.trainable, true)

        let x = RefTensor(shape: [2, 4, 6, 6], floats: random(2 * 4 * 36, 11, scale: 2))
        var r = Ref.conv(x, RefTensor(shape: [8, 4, 3, 3], floats: w1), b1.map(Double.init), strides: [2, 2], pads: [1, 1, 1, 1])
        r = Ref.batchNorm(r, scale: scale.map(Double.init), bias: beta.map(Double.init), mean: mean.map(Double.init),
                          variance: variance.map(Double.init), epsilon: Double(Float(1e-3)))
        r = r.map { min(max($0, 0), 6) }
        r = Ref.conv(r, RefTensor(shape: [16, 1, 3, 3], floats: wd), bd.map(Double.init), pads: [1, 1, 1, 1], group: 8)
        r = r.map { $0 > 0 ? $0 : 0.2 * $0 }
        r = RefTensor(shape: [2, 144], data: r.data)
        r = Ref.gemm(r, RefTensor(shape: [10, 144], floats: wg.map { $0 * 0.5 }), cg.map(Double.init), transB: true)
        r = Ref.softmaxLastAxis(r)

        let out = try run(graph, nhwc: x.transposed([0, 2, 3, 1]))
        XCTAssertEqual(out.shape, [2, 10])
        XCTAssertLessThanOrEqual(Ref.relative(out.data, r.floats), 1e-5)
    }

    /// tf2onnx-style: NHWC input, Transpose, Pad, a strided Conv whose bias and scale come as
    /// Add/Mul of constants, Relu, Average/MaxPool with pads, Transpose back, Reshape, MatMul + Add.
    func testNHWCModelWithFoldedBiasPaddingPoolsAndMatMul() throws {
        var b = ModelBuilder()
        b.opset = 13
        b.inputs = [ModelBuilder.valueInfo("x", [nil, 5, 5, 3])]
        b.outputs = [ModelBuilder.valueInfo("y", [nil, 3])]
        let w = random(4 * 3 * 9, 21), bias = random(4, 22), scale = random(4, 23)
        let wm = random(16 * 3, 24), bm = random(3, 25)
        b.initializer("w", [4, 3, 3, 3], w)
        b.initializer("bias", [1, 4, 1, 1], bias)
        b.initializer("scale", [4, 1, 1], scale)
        b.initializers.append(ModelBuilder.int64Tensor("pads", [0, 0, 1, 1, 0, 0, 0, 0]))
        b.initializers.append(ModelBuilder.int64Tensor("shape", [-1, 16]))
        b.initializer("wm", [16, 3], wm); b.initializer("bm", [3], bm)
        b.node("Transpose", ["x"], ["t"], name: "to_nchw", ["perm": .ints([0, 3, 1, 2])])
        b.node("Pad", ["t", "pads"], ["p"], name: "pad", ["mode": .string("constant")])
        b.node("Conv", ["p", "w"], ["c"], name: "conv", ["strides": .ints([2, 2])])
        b.node("Add", ["c", "bias"], ["cb"], name: "bias_add")
        b.node("Mul", ["cb", "scale"], ["cs"], name: "scale_mul")
        b.node("Relu", ["cs"], ["r"], name: "relu")
        b.node("AveragePool", ["r"], ["a"], name: "avg", ["kernel_shape": .ints([2, 2]), "pads": .ints([0, 0, 1, 1]), "count_include_pad": .int(1)])
        b.node("MaxPool", ["a"], ["m"], name: "max", ["kernel_shape": .ints([2, 2]), "pads": .ints([1, 1, 0, 0])])
        b.node("Transpose", ["m"], ["back"], name: "to_nhwc", ["perm": .ints([0, 2, 3, 1])])
        b.node("Reshape", ["back", "shape"], ["flat"], name: "reshape")
        b.node("MatMul", ["flat", "wm"], ["mm"], name: "dense")
        b.node("Add", ["mm", "bm"], ["mb"], name: "dense_bias")
        b.node("Sigmoid", ["mb"], ["y"], name: "sigmoid")

        let graph = try importGraph(b)
        XCTAssertEqual(graph.inputs.map(\.shape), [[-1, 5, 5, 3]])
        XCTAssertEqual(graph.nodes.map(\.op.kind), ["zero_padding2d", "conv2d", "average_pool2d", "max_pool2d", "reshape", "dense"])
        XCTAssertEqual(graph.nodes[0].op, .zeroPadding2D(top: 1, bottom: 0, left: 1, right: 0))
        if case .conv2D(let a) = graph.nodes[1].op {
            XCTAssertTrue(a.useBias)
            XCTAssertEqual(a.activation, .relu)
        } else { XCTFail() }
        if case .dense(let a) = graph.nodes[5].op {
            XCTAssertTrue(a.useBias)
            XCTAssertEqual(a.activation, .sigmoid)
        } else { XCTFail() }
        XCTAssertEqual(graph.outputs, ["y"])

        let x = RefTensor(shape: [3, 5, 5, 3], floats: random(3 * 75, 26, scale: 2))
        var r = Ref.pad(x.transposed([0, 3, 1, 2]), [0, 0, 1, 1, 0, 0, 0, 0])
        r = Ref.conv(r, RefTensor(shape: [4, 3, 3, 3], floats: w), nil, strides: [2, 2])
        for i in r.data.indices { let c = (i / 4) % 4; r.data[i] = max((r.data[i] + Double(bias[c])) * Double(scale[c]), 0) }
        r = Ref.pool(r, kernel: [2, 2], strides: [1, 1], pads: [0, 0, 1, 1], max: false, countIncludePad: true)
        r = Ref.pool(r, kernel: [2, 2], strides: [1, 1], pads: [1, 1, 0, 0], max: true)
        r = r.transposed([0, 2, 3, 1])
        r = RefTensor(shape: [3, 16], data: r.data)
        r = Ref.gemm(r, RefTensor(shape: [16, 3], floats: wm), bm.map(Double.init)).map { 1 / (1 + Foundation.exp(-$0)) }

        let out = try run(graph, nhwc: x)
        XCTAssertEqual(out.shape, [3, 3])
        XCTAssertLessThanOrEqual(Ref.relative(out.data, r.floats), 1e-5)
    }

    /// Branches: two Convs, swish (Mul(x, Sigmoid(x))), Add of two tensors, Concat on channels,
    /// GlobalAveragePool + Squeeze (keepDims false), Dropout, Identity, Unsqueeze/Squeeze.
    func testBranchesConcatSwishGlobalPoolAndShapeOps() throws {
        var b = ModelBuilder()
        b.inputs = [ModelBuilder.valueInfo("x", [nil, 4, 4, 2])]
        b.outputs = [ModelBuilder.valueInfo("out", [nil, 6])]
        let wa = random(6, 31), ba = random(3, 32), wb = random(6, 33), bb = random(3, 34)
        b.initializer("wa", [3, 2, 1, 1], wa); b.initializer("ba", [3], ba)
        b.initializer("wb", [3, 2, 1, 1], wb); b.initializer("bb", [3], bb)
        b.initializers.append(ModelBuilder.int64Tensor("hw", [2, 3]))
        b.initializers.append(ModelBuilder.int64Tensor("one", [1]))
        b.initializer("ratio", [], [0.3])
        b.node("Transpose", ["x"], ["t"], name: "to_nchw", ["perm": .ints([0, 3, 1, 2])])
        b.node("Conv", ["t", "wa", "ba"], ["a"], name: "conv_a")
        b.node("Conv", ["t", "wb", "bb"], ["b"], name: "conv_b")
        b.node("Sigmoid", ["b"], ["sb"], name: "sig")
        b.node("Mul", ["b", "sb"], ["sw"], name: "swish")
        b.node("Add", ["a", "sw"], ["s"], name: "add")
        b.node("Concat", ["a", "s"], ["cat"], name: "concat", ["axis": .int(1)])
        b.node("GlobalAveragePool", ["cat"], ["g"], name: "gap")
        b.node("Squeeze", ["g", "hw"], ["sq"], name: "squeeze")
        b.node("Dropout", ["sq", "ratio"], ["d"], name: "dropout")
        b.node("Identity", ["d"], ["i"], name: "identity")
        b.node("Unsqueeze", ["i", "one"], ["u"], name: "unsqueeze")
        b.node("Squeeze", ["u", "one"], ["out"], name: "squeeze2")

        let graph = try importGraph(b)
        // Mul(b, Sigmoid(b)) became swish, then fused into conv_b like any activation.
        XCTAssertEqual(graph.nodes.map(\.op.kind),
                       ["conv2d", "conv2d", "add", "concatenate", "global_average_pool2d", "dropout", "reshape", "reshape"])
        if case .conv2D(let a) = graph.nodes[1].op { XCTAssertEqual(a.activation, .swish) } else { XCTFail() }
        XCTAssertEqual(graph.nodes[3].op, .concatenate(axis: -1))
        XCTAssertEqual(graph.nodes[4].op, .globalAveragePool2D(keepDims: false))
        XCTAssertEqual(graph.nodes[5].op, .dropout(rate: 0.3))

        let x = RefTensor(shape: [2, 4, 4, 2], floats: random(64, 35, scale: 2))
        let t = x.transposed([0, 3, 1, 2])
        let a = Ref.conv(t, RefTensor(shape: [3, 2, 1, 1], floats: wa), ba.map(Double.init))
        let bConv = Ref.conv(t, RefTensor(shape: [3, 2, 1, 1], floats: wb), bb.map(Double.init))
        let swish = bConv.map { $0 / (1 + Foundation.exp(-$0)) }
        let s = RefTensor(shape: a.shape, data: zip(a.data, swish.data).map(+))
        var cat = [Double]()
        for n in 0..<2 {
            let range = (n * 48)..<((n + 1) * 48)
            cat.append(contentsOf: a.data[range])
            cat.append(contentsOf: s.data[range])
        }
        let g = Ref.globalAveragePool(RefTensor(shape: [2, 6, 4, 4], data: cat))

        let out = try run(graph, nhwc: x)
        XCTAssertEqual(out.shape, [2, 6])
        XCTAssertLessThanOrEqual(Ref.relative(out.data, g.floats), 1e-5)
    }

    /// The same Gemm → Clip → Softmax model in the forms of opsets 10 (Clip attributes), 11, 13,
    /// 17 and 21 (Clip inputs) gives the same graph and outputs.
    func testOpsetFormsOfClipSoftmaxAndSqueeze() throws {
        let w = random(12, 41, scale: 4), c = random(3, 42)
        let x = RefTensor(shape: [2, 4], floats: random(8, 43, scale: 2))
        let expected = Ref.softmaxLastAxis(Ref.gemm(x, RefTensor(shape: [4, 3], floats: w), c.map(Double.init)).map { min(max($0, 0), 6) })
        for opset in [10, 11, 13, 17, 21] {
            var b = ModelBuilder()
            b.opset = opset
            b.inputs = [ModelBuilder.valueInfo("x", [nil, 4])]
            b.outputs = [ModelBuilder.valueInfo("y", [nil, 3])]
            b.initializer("w", [4, 3], w); b.initializer("c", [3], c)
            b.node("Gemm", ["x", "w", "c"], ["g"], name: "gemm")
            if opset < 11 {
                b.node("Clip", ["g"], ["r"], name: "clip", ["min": .float(0), "max": .float(6)])
            } else {
                b.initializer("lo", [], [0]); b.initializer("hi", [1], [6])
                b.node("Clip", ["g", "lo", "hi"], ["r"], name: "clip")
            }
            b.node("Softmax", ["r"], ["y"], name: "softmax", ["axis": .int(1)])
            let graph = try importGraph(b)
            XCTAssertEqual(graph.nodes.map(\.op), [.dense(DenseAttributes(units: 3, activation: .relu6)), .activation(.softmax(axis: -1))], "opset \(opset)")
            XCTAssertEqual(graph.metadata.extra["onnx.opset"], String(opset))
            let out = try Executor(graph: graph).run(input: Tensor(shape: [2, 4], data: x.floats))
            XCTAssertLessThanOrEqual(Ref.relative(out.data, expected.floats), 1e-6, "opset \(opset)")
        }
    }

    /// Initializers in float_data, FLOAT16 in int32_data, DOUBLE and INT64 typed fields.
    func testInitializerEncodings() throws {
        var b = ModelBuilder()
        b.inputs = [ModelBuilder.valueInfo("x", [nil, 2])]
        b.outputs = [ModelBuilder.valueInfo("y", [nil, 2])]
        var w = Onnx_TensorProto()
        w.name = "w"; w.dims = [2, 2]; w.dataType = 1; w.floatData = [1, 2, 3, 4]
        var c = Onnx_TensorProto()
        c.name = "c"; c.dims = [2]; c.dataType = 10
        c.int32Data = [Int32(DTypeConversion.floatToHalf(0.5)), Int32(DTypeConversion.floatToHalf(-1.5))]
        var w2 = Onnx_TensorProto()
        w2.name = "w2"; w2.dims = [2, 2]; w2.dataType = 11; w2.doubleData = [1, 0, 0, 2]
        b.initializers = [w, c, w2, ModelBuilder.int64Tensor("shape", [0, 2])]
        b.node("Gemm", ["x", "w", "c"], ["g"], name: "gemm")
        b.node("MatMul", ["g", "w2"], ["m"], name: "matmul")
        b.node("Reshape", ["m", "shape"], ["y"], name: "reshape")
        let graph = try importGraph(b)
        XCTAssertEqual(graph.weights["c"]?.info.dtype, .float16)
        XCTAssertEqual(graph.weights["w2"]?.info.dtype, .float64)
        let out = try Executor(graph: graph).run(input: Tensor(shape: [1, 2], data: [1, 1]))
        // [1, 1]·[[1, 2], [3, 4]] + [0.5, -1.5] = [4.5, 4.5]; then · diag(1, 2).
        XCTAssertEqual(out.data, [4.5, 9])
    }

    /// A tensor and a graph output that is a pass-through of the input keep their names.
    func testGraphOutputsKeepTheirNames() throws {
        var b = ModelBuilder()
        b.inputs = [ModelBuilder.valueInfo("x", [nil, 3])]
        b.outputs = [ModelBuilder.valueInfo("same", [nil, 3]), ModelBuilder.valueInfo("act", [nil, 3])]
        b.node("Identity", ["x"], ["same"], name: "id")
        b.node("Relu", ["x"], ["r"], name: "relu")
        b.node("Identity", ["r"], ["act"], name: "id2")
        let graph = try importGraph(b)
        XCTAssertEqual(graph.outputs, ["same", "act"])
        let out = try Executor(graph: graph).run(inputs: ["x": Tensor(shape: [1, 3], data: [-1, 0, 2])], outputs: ["same", "act"])
        XCTAssertEqual(out["same"]?.data, [-1, 0, 2])
        XCTAssertEqual(out["act"]?.data, [0, 0, 2])
    }
}
