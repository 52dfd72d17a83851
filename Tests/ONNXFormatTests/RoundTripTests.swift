import Foundation
import ModelIR
@testable import ONNXFormat
import ONNXProto
import SwiftProtobuf
import XCTest
import _TestSupport

/// IR → ONNX → IR. An ONNX-sourced (channels-first) graph comes back equal, node for node; a
/// channels-last (Keras) graph is written tf2onnx's way and computes the same.
final class RoundTripTests: XCTestCase {
    /// Same nodes, inputs, outputs, weights and declarations (the writer may declare more: the
    /// inferred types of outputs). A carried default-domain op is read back at the opset it was
    /// written at.
    func assertSameGraph(_ a: Graph, _ b: Graph, file: StaticString = #filePath, line: UInt = #line) {
        func normalized(_ n: Node) -> Node {
            var n = n
            if case .custom(var c) = n.op, c.domain.isEmpty { c.domainVersion = nil; n.op = .custom(c) }
            return n
        }
        XCTAssertEqual(b.nodes.map(\.name), a.nodes.map(\.name), file: file, line: line)
        for (x, y) in zip(a.nodes, b.nodes) { XCTAssertEqual(normalized(y), normalized(x), x.name, file: file, line: line) }
        XCTAssertEqual(b.inputs, a.inputs, file: file, line: line)
        XCTAssertEqual(b.outputs, a.outputs, file: file, line: line)
        for (name, info) in a.valueInfo { XCTAssertEqual(b.valueInfo[name], info, name, file: file, line: line) }
        XCTAssertEqual(Set(b.weights.keys), Set(a.weights.keys), file: file, line: line)
        for (name, w) in a.weights {
            guard let v = b.weights[name] else { continue }
            XCTAssertEqual(v.info.shape, w.info.shape, name, file: file, line: line)
            XCTAssertEqual(v.info.dtype, w.info.dtype, name, file: file, line: line)
            XCTAssertTrue(v.data.bytesEqual(w.data), "\(name) bytes differ", file: file, line: line)
        }
    }

    func assertSameOutputs(_ a: Graph, _ b: Graph, _ inputs: [String: Tensor], outputs: [String]? = nil, tolerance: Float = 1e-6,
                           file: StaticString = #filePath, line: UInt = #line) throws {
        let names = outputs ?? a.outputs
        let ya = try T.evaluate(a, inputs, outputs: names), yb = try T.evaluate(b, inputs, outputs: names)
        for name in names {
            let (p, q) = (try XCTUnwrap(ya[name]), try XCTUnwrap(yb[name]))
            XCTAssertEqual(p.shape, q.shape, name, file: file, line: line)
            XCTAssertEqual(p.dtype, q.dtype, name, file: file, line: line)
            XCTAssertLessThanOrEqual(T.relative(q.floats, p.floats), tolerance, name, file: file, line: line)
        }
    }

    /// An NCHW model of many op families, dynamic batch, a carried op and an If with a subgraph.
    static func onnxModel() throws -> Graph {
        var body = ModelBuilder()
        body.outputs = [ModelBuilder.valueInfo("z", nil)]
        body.node("Neg", ["g"], ["z"], name: "inner")
        var b = ModelBuilder()
        b.opset = 18
        b.domains = ["com.example": 4]
        b.inputs = [ModelBuilder.valueInfo("x", [nil, 4, 8, 8]), ModelBuilder.valueInfo("flag", [], elemType: 9),
                    ModelBuilder.valueInfo("target", [2], elemType: 7)]
        b.outputs = [ModelBuilder.valueInfo("probs", [nil, 5]), ModelBuilder.valueInfo("parts", nil), ModelBuilder.valueInfo("custom", nil),
                     ModelBuilder.valueInfo("branch", nil), ModelBuilder.valueInfo("reshaped", nil)]
        b.initializer("w", [8, 2, 3, 3], T.random(144, 1)); b.initializer("wb", [8], T.random(8, 2))
        for (i, name) in ["s", "bias", "mean"].enumerated() { b.initializer("bn.\(name)", [8], T.random(8, UInt64(3 + i))) }
        b.initializer("bn.var", [8], T.random(8, 6).map { abs($0) + 0.5 })
        b.initializer("tw", [8, 3, 2, 2], T.random(96, 7))
        b.initializer("fc", [5, 72], T.random(360, 8)); b.initializer("fcb", [5], T.random(5, 9))
        b.initializer("lo", [], [-1]); b.initializer("scales", [4], [1, 1, 2, 2])
        b.int64Initializer("pads", [0, 0, 1, 1, 0, 0, 1, 1]); b.int64Initializer("split", [1, 2])
        b.node("Conv", ["x", "w", "wb"], ["c"], name: "conv", ["group": .int(2), "pads": .ints([1, 1, 1, 1]), "strides": .ints([2, 2])])
        b.node("BatchNormalization", ["c", "bn.s", "bn.bias", "bn.mean", "bn.var"], ["n"], name: "bn")
        b.node("Clip", ["n", "lo"], ["r"], name: "clip")
        b.node("HardSigmoid", ["r"], ["h"], name: "hsig", ["alpha": .float(0.3)])
        b.node("Pad", ["h", "pads"], ["p"], name: "pad", ["mode": .string("reflect")])
        b.node("MaxPool", ["p"], ["m"], name: "pool", ["kernel_shape": .ints([3, 3]), "strides": .ints([2, 2]), "ceil_mode": .int(1)])
        b.node("ConvTranspose", ["m", "tw"], ["t"], name: "deconv", ["strides": .ints([2, 2]), "group": .int(1)])
        b.node("Resize", ["t", "", "scales"], ["u"], name: "resize", ["mode": .string("linear")])
        b.node("GlobalAveragePool", ["u"], ["g"], name: "gap")
        b.node("Flatten", ["m"], ["f"], name: "flatten")
        b.node("Gemm", ["f", "fc", "fcb"], ["logits"], name: "fc", ["transB": .int(1)])
        b.node("Softmax", ["logits"], ["probs"], name: "softmax")
        b.node("Split", ["u", "split"], ["parts", "rest"], name: "split", ["axis": .int(1)])
        var custom = b.node("Frobnicate", ["g", ""], ["custom"], name: "frob", ["k": .ints([1, 2]), "name": .string("x")])
        custom.domain = "com.example"
        b.nodes[b.nodes.count - 1] = custom
        b.node("If", ["flag"], ["branch"], name: "if", ["then_branch": .graph(body.graph), "else_branch": .graph(body.graph)])
        b.node("Reshape", ["g", "target"], ["reshaped"], name: "reshape")
        return try T.read(b)
    }

    func testONNXGraphComesBackIdentical() throws {
        let graph = try Self.onnxModel()
        XCTAssertEqual(graph.nodes.count, 16)
        for opset in [18, 21, 28] {
            let back = try T.roundTrip(graph, ONNXWriter(opset: opset))
            assertSameGraph(graph, back)
        }
        // The written model: node for node, the If's outer operand dropped again, opsets declared.
        let model = try Onnx_ModelProto(serializedBytes: try ONNXWriter(opset: 18).serialize(graph))
        XCTAssertEqual(model.graph.node.map(\.name), graph.nodes.map(\.name))
        XCTAssertEqual(model.graph.node.first { $0.name == "if" }?.input, ["flag"])
        XCTAssertEqual(model.graph.node.first { $0.name == "frob" }?.domain, "com.example")
        XCTAssertEqual(model.opsetImport.map { "\($0.domain):\($0.version)" }, [":18", "com.example:4"])
        XCTAssertEqual(model.graph.input[0].type.tensorType.shape.dim[0].dimParam, "N")
        XCTAssertEqual(model.graph.node.first { $0.name == "clip" }?.input.count, 2, "Clip's min as an input again")
        let x = Tensor(shape: [2, 4, 8, 8], floats: T.random(512, 10, scale: 2))
        // The global pool's [2, 3, 1, 1] read as [3, 2].
        let inputs = ["x": x, "target": Tensor(shape: [2], integers: [3, 2])]
        try assertSameOutputs(graph, try T.roundTrip(graph, ONNXWriter(opset: 18)), inputs, outputs: ["probs", "parts", "reshaped"])
        XCTAssertEqual(try T.evaluate(graph, inputs, outputs: ["reshaped"])["reshaped"]?.shape, [3, 2])
    }

    func testMiniONNXComesBackIdentical() throws {
        let graph = try ONNXReader.read(path: TestSupport.sample("mini/mini.onnx"))
        let back = try T.roundTrip(graph, ONNXWriter(opset: ONNXWriter.preferredOpset(for: graph)))
        assertSameGraph(graph, back)
        XCTAssertEqual(ONNXWriter.preferredOpset(for: graph), 15)
        XCTAssertEqual(ONNXWriter.preferredOpset(for: TestSupport.smallGraph()), ONNXWriter.defaultOpset)
    }

    /// A channels-last graph: NHWC input, one Transpose in, NCHW convolutions, back to NHWC before
    /// Flatten (which must see Keras's H, W, C order), OIHW kernels; `nchw` moves the input's
    /// Transpose to the caller.
    func testChannelsLastGraphIsWrittenTf2onnxStyle() throws {
        let graph = TestSupport.smallGraph()
        let model = try Onnx_ModelProto(serializedBytes: try ONNXWriter().serialize(graph))
        XCTAssertEqual(model.producerName, "wtool")
        XCTAssertEqual(model.opsetImport.map(\.version), [17])
        XCTAssertEqual(model.irVersion, 8)
        XCTAssertEqual(model.graph.node.map(\.opType), ["Transpose", "Conv", "Relu", "MaxPool", "Conv", "Transpose", "Flatten", "Gemm", "Softmax"])
        XCTAssertEqual(model.graph.input[0].type.tensorType.shape.dim.map(\.dimValue), [0, 8, 8, 3])
        let kernel = try XCTUnwrap(model.graph.initializer.first { $0.name == "conv1/kernel" })
        XCTAssertEqual(kernel.dims, [4, 3, 3, 3], "OIHW")
        XCTAssertEqual(model.graph.node[1].attribute.first { $0.name == "auto_pad" }?.s, Data("SAME_UPPER".utf8))

        var nchw = ONNXWriter()
        nchw.nchw = true
        let m2 = try Onnx_ModelProto(serializedBytes: try nchw.serialize(graph))
        XCTAssertEqual(m2.graph.node.map(\.opType), ["Conv", "Relu", "MaxPool", "Conv", "Transpose", "Flatten", "Gemm", "Softmax"])
        XCTAssertEqual(m2.graph.input[0].type.tensorType.shape.dim.dropFirst().map(\.dimValue), [3, 8, 8])

        let x = Tensor(shape: [2, 8, 8, 3], floats: T.random(384, 5, scale: 2))
        try assertSameOutputs(graph, try T.roundTrip(graph), ["input": x], tolerance: 1e-5)
    }

    /// Most Keras ops: zero padding, depthwise (relu6), batch norm over the last axis, grouped and
    /// separable convolutions, add, multiply, concatenate, swish, pools, global pooling without
    /// kept dims, dense on [N, C] and on [N, 1, C], reshape, dropout — at both ends of the range.
    func testRichKerasGraphComputesTheSame() throws {
        let graph = Self.richKerasGraph()
        try graph.validate()
        for opset in [13, 17, 21] {
            let model = try Onnx_ModelProto(serializedBytes: try ONNXWriter(opset: opset).serialize(graph))
            let ops = model.graph.node.map(\.opType)
            XCTAssertEqual(ops.filter { $0 == "Conv" }.count, 4, "depthwise, grouped, separable as two")
            XCTAssertEqual(ops.filter { $0 == "Transpose" }.count, 1, "one in; the global pool's squeeze leaves [N, C]: \(ops)")
            XCTAssertEqual(model.graph.node.first { $0.name == "bn" }?.opType, "BatchNormalization")
            let x = Tensor(shape: [2, 9, 9, 3], floats: T.random(486, 20, scale: 2))
            try assertSameOutputs(graph, try T.roundTrip(graph, ONNXWriter(opset: opset)), ["input": x], tolerance: 1e-5)
        }
    }

    func testExternalDataRoundTrip() throws {
        let dir = TestSupport.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let path = dir.appendingPathComponent("mini.onnx").path
        let graph = try ONNXReader.read(path: TestSupport.sample("mini/mini.onnx"))
        try ONNXWriter(externalDataThreshold: 0).write(graph, to: path)
        let model = try Onnx_ModelProto(serializedBytes: Data(contentsOf: URL(fileURLWithPath: path)))
        let external = model.graph.initializer.filter { $0.dataLocation == .external }
        // The two larger kernels (4608 and 2304 bytes) go out; tensors under 1 KiB stay inline.
        XCTAssertEqual(Set(external.map(\.dims)), [[16, 8, 3, 3], [8, 8, 3, 3]])
        XCTAssertEqual(model.graph.initializer.count - external.count, 4)
        for t in external {
            XCTAssertFalse(t.hasRawData)
            let offset = Int(t.externalData.first { $0.key == "offset" }?.value ?? "") ?? -1
            XCTAssertEqual(offset % 4096, 0, "offsets are page aligned")
            XCTAssertEqual(t.externalData.first { $0.key == "location" }?.value, "mini.onnx.data")
        }
        assertSameGraph(graph, try ONNXReader.read(path: path))
        // The default threshold keeps everything inline and writes no .data file.
        let inline = dir.appendingPathComponent("inline.onnx").path
        try ONNXWriter().write(graph, to: inline)
        XCTAssertFalse(FileManager.default.fileExists(atPath: inline + ".data"))
    }

    func testWriteIsAtomicAndRefusesToOverwrite() throws {
        let dir = TestSupport.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let path = dir.appendingPathComponent("m.onnx").path
        try ONNXWriter().write(TestSupport.smallGraph(), to: path)
        let before = try Data(contentsOf: URL(fileURLWithPath: path))
        XCTAssertThrowsError(try ONNXWriter().write(TestSupport.smallGraph(seed: 9), to: path))
        XCTAssertEqual(try Data(contentsOf: URL(fileURLWithPath: path)), before)
        try ONNXWriter().write(TestSupport.smallGraph(seed: 9), to: path, overwrite: true)
        XCTAssertNotEqual(try Data(contentsOf: URL(fileURLWithPath: path)), before)
        // A graph the writer cannot express leaves nothing behind.
        var bad = TestSupport.smallGraph()
        bad.nodes[1] = Node(name: "pool1", op: .custom(CustomOp(domain: "keras", type: "Lambda", inputNames: ["x"], reason: "Python code")),
                            inputs: ["conv1"])
        let badPath = dir.appendingPathComponent("bad.onnx").path
        XCTAssertThrowsError(try ONNXWriter().write(bad, to: badPath)) { error in
            XCTAssertEqual("\(error)", "cannot write node 'pool1' as ONNX: Keras layer Lambda has no ONNX counterpart (Python code)")
        }
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: dir.path), ["m.onnx"])
    }

    func testOpsetLimits() throws {
        for opset in [12, 29] {
            XCTAssertThrowsError(try ONNXWriter(opset: opset).serialize(TestSupport.smallGraph())) { error in
                XCTAssertEqual("\(error)", "opset \(opset) cannot be written (13–28)")
            }
        }
        // An op carried as read at opset 18 is not written at an older one.
        let graph = try Self.onnxModel()
        XCTAssertThrowsError(try ONNXWriter(opset: 17).serialize(graph)) { error in
            XCTAssertEqual("\(error)", "cannot write node 'if' as ONNX: If is carried as read at opset 18; write at --opset 18 or later")
        }
        // Activations newer than the target opset are written out in older ops.
        var g = TestSupport.smallGraph()
        g.nodes.insert(Node(name: "gelu", op: .activation(.gelu(approximate: false)), inputs: ["pool1"]), at: 2)
        g.nodes[3].inputs[0] = "gelu"
        let model = try Onnx_ModelProto(serializedBytes: try ONNXWriter(opset: 17).serialize(g))
        XCTAssertTrue(model.graph.node.contains { $0.opType == "Erf" })
        XCTAssertFalse(model.graph.node.contains { $0.opType == "Gelu" })
        let m20 = try Onnx_ModelProto(serializedBytes: try ONNXWriter(opset: 20).serialize(g))
        XCTAssertTrue(m20.graph.node.contains { $0.opType == "Gelu" })
    }

    /// SpaceToDepth's mode exists from opset 28: CRD is read and written there, refused before;
    /// DCR is written without the attribute at every opset.
    func testSpaceToDepthModes() throws {
        func graph(_ mode: String?) throws -> Graph {
            var b = ModelBuilder()
            b.opset = 28
            b.inputs = [ModelBuilder.valueInfo("x", [1, 2, 4, 6])]
            b.outputs = [ModelBuilder.valueInfo("y", nil)]
            var attributes: [String: ModelBuilder.Attr] = ["blocksize": .int(2)]
            if let mode { attributes["mode"] = .string(mode) }
            b.node("SpaceToDepth", ["x"], ["y"], name: "s2d", attributes)
            return try T.read(b)
        }
        let crd = try graph("CRD")
        XCTAssertEqual(crd.nodes[0].op, .tensor(.spaceToDepth(SpaceToDepthAttributes(blockSize: 2, columnRowDepth: true))))
        let model = try Onnx_ModelProto(serializedBytes: try ONNXWriter(opset: 28).serialize(crd))
        XCTAssertEqual(model.graph.node[0].attribute.first { $0.name == "mode" }?.s, Data("CRD".utf8))
        assertSameGraph(crd, try T.roundTrip(crd, ONNXWriter(opset: 28)))
        XCTAssertThrowsError(try ONNXWriter(opset: 21).serialize(crd)) { error in
            XCTAssertEqual("\(error)", "cannot write node 's2d' as ONNX: SpaceToDepth mode CRD needs opset 28 or later (--opset 28)")
        }
        for mode in [nil, "DCR"] {
            let dcr = try graph(mode)
            XCTAssertEqual(dcr.nodes[0].op, .tensor(.spaceToDepth(SpaceToDepthAttributes(blockSize: 2))))
            let m13 = try Onnx_ModelProto(serializedBytes: try ONNXWriter(opset: 13).serialize(dcr))
            XCTAssertEqual(m13.graph.node[0].attribute.map(\.name), ["blocksize"])
        }
    }

    /// ScatterND and ScatterElements (a `reduction` and an `axis`) are read as IR ops, computed, and
    /// written back as they were; a reduction newer than the target opset is refused by name.
    func testScatterOpsRoundTrip() throws {
        var b = ModelBuilder()
        b.opset = 18
        b.inputs = [ModelBuilder.valueInfo("x", [4, 3]), ModelBuilder.valueInfo("u", [2, 3]), ModelBuilder.valueInfo("v", [2, 3])]
        b.outputs = [ModelBuilder.valueInfo("y", nil), ModelBuilder.valueInfo("z", nil)]
        b.int64Initializer("rows", [3, 1], shape: [2, 1])
        b.int64Initializer("cols", [2, 0, 1, 1, 1, 0], shape: [2, 3])
        b.node("ScatterND", ["x", "rows", "u"], ["y"], name: "nd", ["reduction": .string("add")])
        b.node("ScatterElements", ["y", "cols", "v"], ["z"], name: "el", ["axis": .int(1), "reduction": .string("max")])
        let graph = try T.read(b)
        XCTAssertEqual(graph.nodes.map(\.op), [.tensor(.scatterND(reduction: .add)), .tensor(.scatterElements(axis: 1, reduction: .max))])
        assertSameGraph(graph, try T.roundTrip(graph, ONNXWriter(opset: 18)))
        let x = Tensor(shape: [4, 3], floats: (0..<12).map(Float.init))
        let u = Tensor(shape: [2, 3], floats: [100, 100, 100, 10, 10, 10])
        let v = Tensor(shape: [2, 3], floats: [-1, 50, 7, 500, 0, 9])
        let out = try T.evaluate(graph, ["x": x, "u": u, "v": v], outputs: ["z"])["z"]
        // Row 3 += 100, row 1 += 10; then row 0: max at columns 2, 0, 1 with -1, 50, 7; row 1 at columns 1, 1, 0.
        XCTAssertEqual(out?.floats, [50, 7, 2, 13, 500, 15, 6, 7, 8, 109, 110, 111])
        XCTAssertThrowsError(try ONNXWriter(opset: 17).serialize(graph)) { error in
            XCTAssertEqual("\(error)", "cannot write node 'el' as ONNX: a scatter with reduction 'max' needs opset 18 or later (--opset 18)")
        }
        XCTAssertThrowsError(try ONNXWriter(opset: 15).serialize(graph)) { error in
            XCTAssertEqual("\(error)", "cannot write node 'nd' as ONNX: a scatter with reduction 'add' needs opset 16 or later (--opset 16)")
        }
    }

    static func richKerasGraph() -> Graph {
        var weights: [String: Weight] = [:]
        var seed: UInt64 = 100
        func w(_ name: String, _ shape: [Int], positive: Bool = false) -> String {
            seed += 1
            var values = T.random(shape.reduce(1, *), seed)
            if positive { values = values.map { abs($0) + 0.5 } }
            weights[name] = Weight(info: TensorInfo(name: name, shape: shape), data: TensorData(floats: values), trainable: !positive)
            return name
        }
        let nodes = [
            Node(name: "pad", op: .tensor(.pad(PadAttributes(pads: [0, 1, 1, 0, 0, 0, 0, 0]))), inputs: ["input"]),
            Node(name: "dw", op: .conv(.depthwise(DepthwiseConvAttributes(depthMultiplier: 2, kernelSize: [3, 3], strides: [2, 2],
                                                                          activation: .relu6))),
                 inputs: ["pad", w("dw/depthwise_kernel", [3, 3, 3, 2]), w("dw/bias", [6])]),
            Node(name: "bn", op: .normalization(.batch(BatchNormAttributes(epsilon: 1e-3, axis: -1))),
                 inputs: ["dw", w("bn/gamma", [6]), w("bn/beta", [6]), w("bn/moving_mean", [6]), w("bn/moving_variance", [6], positive: true)]),
            Node(name: "gconv", op: .conv(.conv(ConvAttributes(filters: 4, kernelSize: [1, 1], groups: 2))),
                 inputs: ["bn", w("gconv/kernel", [1, 1, 3, 4])]),
            Node(name: "sep", op: .conv(.separable(SeparableConvAttributes(filters: 4, kernelSize: [3, 3], padding: .same, activation: .relu))),
                 inputs: ["bn", w("sep/depthwise_kernel", [3, 3, 6, 1]), w("sep/pointwise_kernel", [1, 1, 6, 4]), w("sep/bias", [4])]),
            Node(name: "add", op: .elementwise(.variadic(.add)), inputs: ["gconv", "sep"]),
            Node(name: "mul", op: .elementwise(.variadic(.mul)), inputs: ["add", "gconv"]),
            Node(name: "cat", op: .tensor(.concat(axis: -1)), inputs: ["mul", "sep"]),
            Node(name: "swish", op: .activation(.swish), inputs: ["cat"]),
            Node(name: "avg", op: .pool(.average(PoolAttributes(poolSize: [2, 2], strides: [1, 1], padding: .same))), inputs: ["swish"]),
            Node(name: "max", op: .pool(.max(PoolAttributes(poolSize: [2, 2], strides: [2, 2], padding: .explicit(begin: [0, 0], end: [1, 1])))),
                 inputs: ["avg"]),
            Node(name: "gap", op: .pool(.globalAverage(GlobalPoolAttributes(keepDims: false))), inputs: ["max"]),
            Node(name: "fc1", op: .linear(.dense(DenseAttributes(units: 5, activation: .leakyReLU(alpha: 0.1)))),
                 inputs: ["gap", w("fc1/kernel", [8, 5]), w("fc1/bias", [5])]),
            Node(name: "reshape", op: .tensor(.reshape(ReshapeAttributes(shape: [0, 1, 5]))), inputs: ["fc1"]),
            Node(name: "drop", op: .tensor(.dropout(rate: 0.5)), inputs: ["reshape"]),
            Node(name: "fc2", op: .linear(.dense(DenseAttributes(units: 2, activation: .sigmoid))),
                 inputs: ["drop", w("fc2/kernel", [5, 2]), w("fc2/bias", [2])]),
            Node(name: "out", op: .tensor(.reshape(ReshapeAttributes(shape: [0, 2]))), inputs: ["fc2"]),
        ]
        return Graph(name: "rich", inputs: [TensorInfo(name: "input", shape: [-1, 9, 9, 3], layout: .nhwc)], outputs: ["out"],
                     nodes: nodes, weights: weights, metadata: Metadata(sourceFormat: "test", preprocessing: "caffe"))
    }
}
