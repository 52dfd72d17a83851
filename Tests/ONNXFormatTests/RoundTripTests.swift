import Foundation
import ModelIR
@testable import ONNXFormat
import ONNXProto
import Runtime
import SwiftProtobuf
import XCTest
import _TestSupport

/// IR → ONNX → IR: the graph comes back (names, ops, weights) and computes the same.
final class RoundTripTests: XCTestCase {
    func roundTrip(_ graph: Graph, _ writer: ONNXWriter = ONNXWriter()) throws -> Graph {
        try writer.serialize(graph).withUnsafeBytes { try ONNXReader.read(bytes: $0) }
    }

    func assertSameOutputs(_ a: Graph, _ b: Graph, input shape: [Int], tolerance: Float = 1e-6, seed: UInt64 = 7,
                           file: StaticString = #filePath, line: UInt = #line) throws {
        let count = shape.reduce(1, *)
        let x = Tensor(shape: shape, data: TestSupport.randomFloats(count, seed: seed, scale: 2))
        let ya = try Executor(graph: a).run(input: x)
        let yb = try Executor(graph: b).run(input: x)
        XCTAssertEqual(ya.shape, yb.shape, file: file, line: line)
        let scale = ya.data.map(abs).max() ?? 0
        XCTAssertGreaterThan(scale, 0, file: file, line: line)
        let diff = zip(ya.data, yb.data).map { abs($0 - $1) }.max() ?? .infinity
        XCTAssertLessThanOrEqual(diff / scale, tolerance, file: file, line: line)
    }

    func assertSameWeights(_ a: Graph, _ b: Graph, file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertEqual(Set(a.orderedWeightNames), Set(b.orderedWeightNames), file: file, line: line)
        for name in a.orderedWeightNames {
            guard let wa = a.weights[name], let wb = b.weights[name] else { continue }
            XCTAssertEqual(wa.info.shape, wb.info.shape, name, file: file, line: line)
            XCTAssertEqual(wa.info.layout, wb.info.layout, name, file: file, line: line)
            XCTAssertTrue(wa.data.bytesEqual(wb.data), "\(name) bytes differ", file: file, line: line)
        }
    }

    func testSmallGraphComesBackIdentical() throws {
        let graph = TestSupport.smallGraph()
        let back = try roundTrip(graph)
        XCTAssertEqual(back.nodes, graph.nodes)
        XCTAssertEqual(back.inputs, graph.inputs)
        XCTAssertEqual(back.outputs, graph.outputs)
        assertSameWeights(graph, back)
        XCTAssertEqual(back.metadata.extra["k"], "v")
        XCTAssertEqual(back.metadata.extra["onnx.metadata.source_format"], "test")
        XCTAssertEqual(back.metadata.producer, "wtool 0.1.0")
        try assertSameOutputs(graph, back, input: [2, 8, 8, 3], tolerance: 0)
    }

    func testMiniONNXComesBackIdentical() throws {
        let graph = try ONNXReader.read(path: TestSupport.sample("mini/mini.onnx"))
        let back = try roundTrip(graph)
        XCTAssertEqual(back.nodes, graph.nodes)
        XCTAssertEqual(back.inputs, graph.inputs)
        XCTAssertEqual(back.outputs, graph.outputs)
        assertSameWeights(graph, back)
        try assertSameOutputs(graph, back, input: [1, 32, 32, 3], tolerance: 0)
    }

    /// The written model's layout: NHWC input, one Transpose in, NCHW body, one Transpose out.
    func testWrittenLayoutIsTf2onnxLike() throws {
        let graph = try ONNXReader.read(path: TestSupport.sample("mini/mini.onnx"))
        let model = try Onnx_ModelProto(serializedBytes: try ONNXWriter().serialize(graph))
        XCTAssertEqual(model.producerName, "wtool")
        XCTAssertEqual(model.opsetImport.map(\.version), [17])
        XCTAssertEqual(model.irVersion, 8)
        let ops = model.graph.node.map(\.opType)
        XCTAssertEqual(ops, ["Transpose", "Conv", "Relu", "Conv", "Relu", "MaxPool", "Conv", "Relu", "MaxPool", "Transpose"])
        XCTAssertEqual(model.graph.input.map(\.name), ["input_1"])
        XCTAssertEqual(model.graph.output.map(\.name), ["block2_pool"])
        let dims = model.graph.output[0].type.tensorType.shape.dim.map { $0.dimValue }
        XCTAssertEqual(dims.dropFirst(), [8, 8, 16])
        let kernel = try XCTUnwrap(model.graph.initializer.first { $0.name.hasSuffix("block1_conv1/Conv2D/ReadVariableOp:0") })
        XCTAssertEqual(kernel.dims, [8, 3, 3, 3], "OIHW")

        var nchw = ONNXWriter()
        nchw.nchw = true
        let m2 = try Onnx_ModelProto(serializedBytes: try nchw.serialize(graph))
        XCTAssertEqual(m2.graph.node.map(\.opType).filter { $0 == "Transpose" }.count, 0)
        XCTAssertEqual(m2.graph.input[0].type.tensorType.shape.dim.dropFirst().map(\.dimValue), [3, 32, 32])
    }

    /// With `nchw`, the ONNX input and output are NCHW; read back, the IR is NHWC again and computes
    /// the same.
    func testNCHWInputsAndOutputs() throws {
        let graph = try ONNXReader.read(path: TestSupport.sample("mini/mini.onnx"))
        var writer = ONNXWriter()
        writer.nchw = true
        let back = try roundTrip(graph, writer)
        XCTAssertEqual(back.inputs.map(\.shape), [[-1, 32, 32, 3]])
        XCTAssertEqual(back.metadata.extra["onnx.input_layout.input_1"], "NCHW")
        XCTAssertEqual(back.metadata.extra["onnx.output_layout.block2_pool"], "NCHW")
        XCTAssertEqual(back.nodes.map(\.op), graph.nodes.map(\.op))
        try assertSameOutputs(graph, back, input: [2, 32, 32, 3], tolerance: 0)
    }

    /// Most IR ops in one graph: zero padding, depthwise (relu6), batch norm, grouped conv, separable
    /// conv (written as two Convs), add, multiply, concatenate, swish, average/max pooling, global
    /// pooling without kept dims, dense on [N, C] and on [N, 1, C] (MatMul + Add), reshape, dropout.
    func testRichGraphComputesTheSame() throws {
        let graph = Self.richGraph()
        try graph.validate()
        let back = try roundTrip(graph)
        var expectedNames = graph.nodes.map(\.name)
        expectedNames.insert("sep/depthwise", at: expectedNames.firstIndex(of: "sep")!)
        XCTAssertEqual(back.nodes.map(\.name), expectedNames)
        for node in graph.nodes where node.name != "sep" {
            XCTAssertEqual(back.node(named: node.name)?.op, node.op, node.name)
        }
        try assertSameOutputs(graph, back, input: [3, 9, 9, 3], tolerance: 1e-5)
        // And at another opset at each end of the range.
        for opset in [13, 21] {
            try assertSameOutputs(graph, try roundTrip(graph, ONNXWriter(opset: opset)), input: [2, 9, 9, 3], tolerance: 1e-5)
        }
    }

    func testExternalDataRoundTrip() throws {
        let dir = TestSupport.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let path = dir.appendingPathComponent("mini.onnx").path
        let graph = try ONNXReader.read(path: TestSupport.sample("mini/mini.onnx"))
        try ONNXWriter(externalDataThreshold: 0).write(graph, to: path)
        let dataPath = path + ".data"
        XCTAssertTrue(FileManager.default.fileExists(atPath: dataPath))
        let model = try Onnx_ModelProto(serializedBytes: Data(contentsOf: URL(fileURLWithPath: path)))
        let external = model.graph.initializer.filter { $0.dataLocation == .external }
        // The two larger kernels (4608 and 2304 bytes) go out; tensors under 1 KiB stay inline.
        XCTAssertEqual(external.map(\.dims), [[8, 8, 3, 3], [16, 8, 3, 3]])
        XCTAssertEqual(model.graph.initializer.count - external.count, 4)
        for t in external {
            XCTAssertFalse(t.hasRawData)
            let offset = Int(t.externalData.first { $0.key == "offset" }?.value ?? "") ?? -1
            XCTAssertEqual(offset % 4096, 0, "offsets are page aligned")
            XCTAssertEqual(t.externalData.first { $0.key == "location" }?.value, "mini.onnx.data")
        }
        let back = try ONNXReader.read(path: path)
        XCTAssertEqual(back.nodes, graph.nodes)
        assertSameWeights(graph, back)
        try assertSameOutputs(graph, back, input: [2, 32, 32, 3], tolerance: 0)

        // The default threshold keeps everything inline and writes no .data file.
        let inline = dir.appendingPathComponent("inline.onnx").path
        try ONNXWriter().write(graph, to: inline)
        XCTAssertFalse(FileManager.default.fileExists(atPath: inline + ".data"))
        try assertSameOutputs(graph, try ONNXReader.read(path: inline), input: [1, 32, 32, 3], tolerance: 0)
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
        bad.nodes[0].op = .conv2D(Conv2DAttributes(filters: 4, kernelSize: [3, 3], padding: .same, activation: .gelu))
        let badPath = dir.appendingPathComponent("bad.onnx").path
        XCTAssertThrowsError(try ONNXWriter().write(bad, to: badPath)) { error in
            XCTAssertEqual("\(error)", "cannot write node 'conv1' as ONNX: GELU needs opset 20 or later (--opset 20)")
        }
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: dir.path), ["m.onnx"])
    }

    func testOpsetOutsideTheWriterRangeIsRefused() {
        for opset in [12, 22] {
            XCTAssertThrowsError(try ONNXWriter(opset: opset).serialize(TestSupport.smallGraph())) { error in
                XCTAssertEqual("\(error)", "opset \(opset) cannot be written (13–21)")
            }
        }
    }

    static func richGraph() -> Graph {
        var weights: [String: Weight] = [:]
        var seed: UInt64 = 100
        func w(_ name: String, _ shape: [Int], _ layout: Layout, positive: Bool = false) -> String {
            seed += 1
            var values = TestSupport.randomFloats(shape.reduce(1, *), seed: seed, scale: 0.5)
            if positive { values = values.map { abs($0) + 0.5 } }
            weights[name] = Weight(info: TensorInfo(name: name, shape: shape, layout: layout), data: TensorData(floats: values),
                                   trainable: !positive)
            return name
        }
        let nodes = [
            Node(name: "pad", op: .zeroPadding2D(top: 1, bottom: 0, left: 1, right: 0), inputs: ["input"]),
            Node(name: "dw", op: .depthwiseConv2D(DepthwiseConv2DAttributes(depthMultiplier: 2, kernelSize: [3, 3], strides: [2, 2],
                                                                            activation: .relu6)),
                 inputs: ["pad"], weights: [w("dw/depthwise_kernel", [3, 3, 3, 2], .hwcm), w("dw/bias", [6], .channel)]),
            Node(name: "bn", op: .batchNormalization(BatchNormAttributes(epsilon: 1e-3)), inputs: ["dw"],
                 weights: [w("bn/gamma", [6], .channel), w("bn/beta", [6], .channel), w("bn/moving_mean", [6], .channel),
                           w("bn/moving_variance", [6], .channel, positive: true)]),
            // (A 1x1 "same" would come back as the equivalent "valid".)
            Node(name: "gconv", op: .conv2D(Conv2DAttributes(filters: 4, kernelSize: [1, 1], padding: .valid, groups: 2, useBias: false)),
                 inputs: ["bn"], weights: [w("gconv/kernel", [1, 1, 3, 4], .hwio)]),
            Node(name: "sep", op: .separableConv2D(SeparableConv2DAttributes(filters: 4, kernelSize: [3, 3], padding: .same, activation: .relu)),
                 inputs: ["bn"], weights: [w("sep/depthwise_kernel", [3, 3, 6, 1], .hwcm), w("sep/pointwise_kernel", [1, 1, 6, 4], .hwio),
                                           w("sep/bias", [4], .channel)]),
            Node(name: "add", op: .add, inputs: ["gconv", "sep"]),
            Node(name: "mul", op: .multiply, inputs: ["add", "gconv"]),
            Node(name: "cat", op: .concatenate(axis: -1), inputs: ["mul", "sep"]),
            Node(name: "swish", op: .activation(.swish), inputs: ["cat"]),
            Node(name: "avg", op: .averagePool2D(Pool2DAttributes(poolSize: [2, 2], strides: [1, 1], padding: .same)), inputs: ["swish"]),
            Node(name: "max", op: .maxPool2D(Pool2DAttributes(poolSize: [2, 2], strides: [2, 2], padding: .explicit(top: 0, bottom: 1, left: 0, right: 1))),
                 inputs: ["avg"]),
            Node(name: "gap", op: .globalAveragePool2D(keepDims: false), inputs: ["max"]),
            Node(name: "fc1", op: .dense(DenseAttributes(units: 5, activation: .leakyReLU(alpha: 0.1))), inputs: ["gap"],
                 weights: [w("fc1/kernel", [8, 5], .io), w("fc1/bias", [5], .channel)]),
            Node(name: "reshape", op: .reshape(targetShape: [1, 5]), inputs: ["fc1"]),
            Node(name: "drop", op: .dropout(rate: 0.5), inputs: ["reshape"]),
            Node(name: "fc2", op: .dense(DenseAttributes(units: 2, activation: .sigmoid)), inputs: ["drop"],
                 weights: [w("fc2/kernel", [5, 2], .io), w("fc2/bias", [2], .channel)]),
            Node(name: "out", op: .reshape(targetShape: [2]), inputs: ["fc2"]),
        ]
        return Graph(name: "rich", inputs: [TensorInfo(name: "input", shape: [-1, 9, 9, 3], layout: .nhwc)], outputs: ["out"],
                     nodes: nodes, weights: weights, metadata: Metadata(sourceFormat: "test", preprocessing: "caffe"))
    }
}
