import Foundation
import ModelIR
@testable import ONNXFormat
import ONNXProto
import XCTest
import _TestSupport

/// Hand-built ONNX graphs in the layouts real exporters produce: imported as they are (one IR
/// node per ONNX node, NCHW kept, Transposes kept), and evaluated by the reference evaluator
/// against a naive NCHW evaluation of the same ONNX graph (`Ref`).
final class ImportSemanticsTests: XCTestCase {
    func random(_ count: Int, _ seed: UInt64, scale: Float = 0.5) -> [Float] { T.random(count, seed, scale: scale) }

    func importGraph(_ b: ModelBuilder) throws -> Graph { try T.read(b) }

    /// The graph's single output for input `x`.
    func run(_ graph: Graph, _ x: RefTensor, input: String = "x") throws -> Tensor {
        let out = try T.evaluate(graph, [input: Tensor(shape: x.shape, floats: x.floats)])
        return try XCTUnwrap(out[graph.outputs[0]])
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
        XCTAssertEqual(graph.inputs.map(\.shape), [[-1, 4, 6, 6]], "NCHW stays NCHW")
        XCTAssertEqual(graph.inputs[0].dimensionNames, ["N", "", "", ""])
        XCTAssertEqual(graph.nodes.map(\.name), ["conv1", "bn", "relu6", "dw", "leaky", "flatten", "fc", "softmax"])
        XCTAssertEqual(graph.nodes[0].op, .conv(.conv(ConvAttributes(
            filters: 8, kernelSize: [3, 3], strides: [2, 2], padding: .explicit(begin: [1, 1], end: [1, 1]), layout: .channelsFirst,
            kernelLayout: .spatialLast))))
        XCTAssertEqual(graph.nodes[0].inputs, ["x", "w1", "b1"])
        XCTAssertEqual(graph.weights["w1"]?.info.layout, .oihw)
        XCTAssertEqual(graph.nodes[1].op, .normalization(.batch(BatchNormAttributes(epsilon: 1e-3, axis: 1))))
        XCTAssertEqual(graph.nodes[1].inputs, ["c1", "bn.scale", "bn.B", "bn.mean", "bn.var"])
        XCTAssertEqual(graph.nodes[2].op, .elementwise(.clip(ClipAttributes(min: 0, max: 6))), "constant bounds become attributes")
        XCTAssertEqual(graph.nodes[2].inputs, ["n1"])
        XCTAssertNil(graph.weights["zero"], "a parameter moved into an attribute is no weight any more")
        guard case .conv(.conv(let dw)) = graph.nodes[3].op else { return XCTFail("\(graph.nodes[3].op)") }
        XCTAssertEqual(dw.groups, 8, "a depthwise convolution keeps its groups")
        XCTAssertEqual(dw.filters, 16)
        XCTAssertEqual(graph.nodes[4].op, .activation(.leakyReLU(alpha: 0.2)))
        XCTAssertEqual(graph.nodes[6].op, .linear(.gemm(GemmAttributes(alpha: 0.5, transB: true))))
        XCTAssertEqual(graph.nodes[7].op, .activation(.softmax(axis: -1)))
        XCTAssertEqual(try graph.inferShapes()["probs"], [-1, 10])

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

        let out = try run(graph, x)
        XCTAssertEqual(out.shape, [2, 10])
        XCTAssertLessThanOrEqual(T.relative(out.floats, r.floats), 1e-5)
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
        // One IR node per ONNX node: the Transposes stay (the runtime's layout pass cancels them),
        // nothing is fused.
        XCTAssertEqual(graph.nodes.map(\.op.kind), ["transpose", "pad", "conv", "add", "mul", "activation", "average_pool",
                                                    "max_pool", "transpose", "reshape", "matmul", "add", "activation"])
        XCTAssertEqual(graph.nodes[0].op, .tensor(.transpose(perm: [0, 3, 1, 2])))
        XCTAssertEqual(graph.nodes[1].op, .tensor(.pad(PadAttributes(pads: [0, 0, 1, 1, 0, 0, 0, 0]))))
        XCTAssertEqual(graph.nodes[1].inputs, ["t"])
        XCTAssertEqual(graph.nodes[6].op, .pool(.average(PoolAttributes(poolSize: [2, 2], strides: [1, 1],
            padding: .explicit(begin: [0, 0], end: [1, 1]), countIncludePad: true, layout: .channelsFirst))))
        XCTAssertEqual(graph.nodes[9].op, .tensor(.reshape(ReshapeAttributes(shape: [-1, 16]))))
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

        let out = try run(graph, x)
        XCTAssertEqual(out.shape, [3, 3])
        XCTAssertLessThanOrEqual(T.relative(out.floats, r.floats), 1e-5)
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
        XCTAssertEqual(graph.nodes.map(\.op.kind), ["transpose", "conv", "conv", "activation", "mul", "add", "concat",
                                                    "global_average_pool", "squeeze", "dropout", "identity", "unsqueeze", "squeeze"])
        XCTAssertEqual(graph.nodes[6].op, .tensor(.concat(axis: 1)))
        XCTAssertEqual(graph.nodes[7].op, .pool(.globalAverage(GlobalPoolAttributes(keepDims: true, layout: .channelsFirst))))
        XCTAssertEqual(graph.nodes[8].op, .tensor(.squeeze(axes: [2, 3])))
        XCTAssertEqual(graph.nodes[9].op, .tensor(.dropout(rate: Float(0.3))))
        XCTAssertEqual(graph.nodes[9].inputs, ["sq"])

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

        let out = try run(graph, x)
        XCTAssertEqual(out.shape, [2, 6])
        XCTAssertLessThanOrEqual(T.relative(out.floats, g.floats), 1e-5)
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
            // Before opset 13, Softmax's axis 1 of a rank-2 input is its last axis.
            XCTAssertEqual(graph.nodes.map(\.op), [.linear(.gemm(GemmAttributes())), .elementwise(.clip(ClipAttributes(min: 0, max: 6))),
                                                   .activation(.softmax(axis: opset < 13 ? -1 : 1))], "opset \(opset)")
            XCTAssertEqual(graph.metadata.extra["onnx.opset"], String(opset))
            let out = try run(graph, x)
            XCTAssertLessThanOrEqual(T.relative(out.floats, expected.floats), 1e-6, "opset \(opset)")
        }
    }

    /// Initializers in float_data, FLOAT16 in int32_data, DOUBLE and INT64 typed fields, each used
    /// at its own type (ONNX's Gemm, Add and MatMul take one type T: the model casts between them).
    func testInitializerEncodings() throws {
        var b = ModelBuilder()
        b.inputs = [ModelBuilder.valueInfo("x", [nil, 2])]
        b.outputs = [ModelBuilder.valueInfo("y", [nil, 2], elemType: 11)]
        var w = Onnx_TensorProto()
        w.name = "w"; w.dims = [2, 2]; w.dataType = 1; w.floatData = [1, 2, 3, 4]
        var c = Onnx_TensorProto()
        c.name = "c"; c.dims = [2]; c.dataType = 10
        c.int32Data = [Int32(DTypeConversion.floatToHalf(0.5)), Int32(DTypeConversion.floatToHalf(-1.5))]
        var w2 = Onnx_TensorProto()
        w2.name = "w2"; w2.dims = [2, 2]; w2.dataType = 11; w2.doubleData = [1, 0, 0, 2]
        b.initializers = [w, c, w2, ModelBuilder.int64Tensor("shape", [0, 2])]
        b.node("Gemm", ["x", "w"], ["g"], name: "gemm")
        b.node("Cast", ["g"], ["gh"], name: "to_half", ["to": .int(10)])
        b.node("Add", ["gh", "c"], ["a"], name: "add")
        b.node("Cast", ["a"], ["ad"], name: "to_double", ["to": .int(11)])
        b.node("MatMul", ["ad", "w2"], ["m"], name: "matmul")
        b.node("Reshape", ["m", "shape"], ["y"], name: "reshape")
        let graph = try importGraph(b)
        XCTAssertEqual(graph.weights["c"]?.info.dtype, .float16)
        XCTAssertEqual(graph.weights["w2"]?.info.dtype, .float64)
        XCTAssertEqual(graph.nodes.last?.op, .tensor(.reshape(ReshapeAttributes(shape: [0, 2]))))
        XCTAssertEqual(graph.weights["w"]?.data.floatArray(as: .float32), [1, 2, 3, 4])
        XCTAssertEqual(graph.weights["c"]?.data.floatArray(as: .float16), [0.5, -1.5])
        XCTAssertEqual(graph.weights["w2"]?.tensor.doubles, [1, 0, 0, 2])
        // [1, 1]·w = [4, 6]; + c = [4.5, 4.5]; ·diag(1, 2) = [4.5, 9].
        let y = try XCTUnwrap(try T.evaluate(graph, ["x": Tensor(shape: [1, 2], floats: [1, 1])])["y"])
        XCTAssertEqual(y.dtype, .float64)
        XCTAssertEqual(y.doubles, [4.5, 9])
    }

    /// ONNX's Gemm and MatMul take one type T for A, B and C (onnxruntime refuses a model that
    /// mixes them), and so does the IR: a float16 bias on a float32 Gemm is refused at import,
    /// naming the node, rather than silently promoted.
    func testMixedFloatTypesInGemmAreRefused() throws {
        var b = ModelBuilder()
        b.inputs = [ModelBuilder.valueInfo("x", [nil, 2])]
        b.outputs = [ModelBuilder.valueInfo("y", [nil, 2])]
        b.initializer("w", [2, 2], [1, 2, 3, 4])
        var c = Onnx_TensorProto()
        c.name = "c"; c.dims = [2]; c.dataType = 10
        c.int32Data = [Int32(DTypeConversion.floatToHalf(0.5)), Int32(DTypeConversion.floatToHalf(-1.5))]
        b.initializers.append(c)
        b.node("Gemm", ["x", "w", "c"], ["y"], name: "gemm")
        XCTAssertThrowsError(try importGraph(b)) { error in
            XCTAssertTrue("\(error)".contains("node 'gemm'"), "\(error)")
            XCTAssertTrue("\(error)".contains("share a type: f32 and f16"), "\(error)")
        }
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
        XCTAssertEqual(graph.nodes.map(\.outputs), [["same"], ["r"], ["act"]])
        let out = try T.evaluate(graph, ["x": Tensor(shape: [1, 3], floats: [-1, 0, 2])])
        XCTAssertEqual(out["same"]?.floats, [-1, 0, 2])
        XCTAssertEqual(out["act"]?.floats, [0, 0, 2])
    }
}
