import FileSupport
import Foundation
import ModelIR
@testable import SafetensorsFormat
import XCTest
import _TestSupport

/// The writer against the format's rules and the reference writer's layout, and graphs written
/// then read back.
final class SafetensorsRoundTripTests: XCTestCase {
    var directory: URL!
    override func setUp() { directory = TestSupport.temporaryDirectory() }
    override func tearDown() { try? FileManager.default.removeItem(at: directory) }
    func path(_ name: String) -> String { directory.appendingPathComponent(name).path }

    func floats(_ values: [Float]) -> TensorData { TensorData(floats: values) }

    /// The reference implementation's own serialization tests (`test_serialization`,
    /// `test_empty` in safetensors/src/tensor.rs), byte for byte.
    func testBytesMatchTheReferenceWriter() throws {
        try SafetensorsWriter.write([.init(name: "attn.0", dtype: .float32, shape: [1, 2, 3], data: floats([0, 1, 2, 3, 4, 5]))],
                                    metadata: nil, to: path("a.safetensors"))
        let json = #"{"attn.0":{"dtype":"F32","shape":[1,2,3],"data_offsets":[0,24]}}"#
        var expected: [UInt8] = [64, 0, 0, 0, 0, 0, 0, 0] + Array(json.utf8)
        [Float]([0, 1, 2, 3, 4, 5]).withUnsafeBytes { expected += $0 }
        XCTAssertEqual(Array(try Data(contentsOf: URL(fileURLWithPath: path("a.safetensors")))), expected)

        try SafetensorsWriter.write([], metadata: nil, to: path("empty.safetensors"))
        XCTAssertEqual(Array(try Data(contentsOf: URL(fileURLWithPath: path("empty.safetensors")))),
                       [8, 0, 0, 0, 0, 0, 0, 0] + Array("{}      ".utf8))
        try SafetensorsWriter.write([], metadata: ["framework": "pt"], to: path("meta.safetensors"))
        XCTAssertEqual(Array(try Data(contentsOf: URL(fileURLWithPath: path("meta.safetensors")))),
                       [40, 0, 0, 0, 0, 0, 0, 0] + Array(#"{"__metadata__":{"framework":"pt"}}     "#.utf8))
    }

    func testTensorsAreStoredByDescendingDTypeThenNameAndAligned() throws {
        let entries: [SafetensorsWriter.Entry] = [
            .init(name: "b", dtype: .bool, shape: [3], data: TensorData(copying: [1, 0, 1])),
            .init(name: "h", dtype: .float16, shape: [1], data: TensorData(copying: [0, 0x3C])),
            .init(name: "f2", dtype: .float32, shape: [2], data: floats([1, 2])),
            .init(name: "f10", dtype: .float32, shape: [1], data: floats([3])),
            .init(name: "u", dtype: .uint64, shape: [1], data: TensorData(copying: [UInt8](repeating: 5, count: 8))),
            .init(name: "i", dtype: .int64, shape: [0], data: TensorData(copying: [])),
            .init(name: "d", dtype: .float64, shape: [1], data: TensorData(copying: [UInt8](repeating: 6, count: 8))),
        ]
        try SafetensorsWriter.write(entries, metadata: ["é": "\u{1}\"/"], to: path("t.safetensors"))
        let file = try SafetensorsFile(path: path("t.safetensors"))
        XCTAssertEqual(file.tensors.map(\.name), ["u", "i", "d", "f10", "f2", "h", "b"])
        XCTAssertEqual(file.header.headerSize % 8, 0)
        for t in file.tensors where t.byteLength > 0 { XCTAssertEqual(t.fileOffset % (t.dtype.bitSize / 8), 0, t.name) }
        XCTAssertTrue(file.misalignedTensors.isEmpty)
        XCTAssertEqual(file.metadata, ["é": "\u{1}\"/"])
        let raw = Array(try Data(contentsOf: URL(fileURLWithPath: path("t.safetensors"))))
        XCTAssertTrue(String(decoding: raw[8..<(8 + file.header.headerSize)], as: UTF8.self)
            .hasPrefix(#"{"__metadata__":{"é":"\u0001\"/"},"u":{"dtype":"U64""#))
        for entry in entries {
            XCTAssertTrue(file.tensorData(named: entry.name)?.bytesEqual(entry.data) ?? false, entry.name)
        }
    }

    func testWriterRefusesWhatTheFormatCannotHold() {
        XCTAssertThrowsError(try SafetensorsWriter.write([.init(name: "a", dtype: .float32, shape: [2], data: floats([1]))],
                                                         metadata: nil, to: path("x.safetensors"))) {
            XCTAssertTrue("\($0)".contains("holds 4 bytes; shape [2] of f32 needs 8"), "\($0)")
        }
        XCTAssertThrowsError(try SafetensorsWriter.write([.init(name: "a", dtype: .float32, shape: [1], data: floats([1])),
                                                          .init(name: "a", dtype: .float32, shape: [1], data: floats([2]))],
                                                         metadata: nil, to: path("x.safetensors"))) {
            XCTAssertTrue("\($0)".contains("duplicate name"), "\($0)")
        }
        XCTAssertThrowsError(try SafetensorsWriter.write([.init(name: "__metadata__", dtype: .uint8, shape: [0], data: TensorData(copying: []))],
                                                         metadata: nil, to: path("x.safetensors")))
        XCTAssertFalse(FileManager.default.fileExists(atPath: path("x.safetensors")))
    }

    func testGraphRoundTrip() throws {
        let graph = TestSupport.smallGraph()
        try SafetensorsWriter().write(graph, to: path("small.safetensors"))
        let file = try SafetensorsFile(path: path("small.safetensors"))
        XCTAssertEqual(file.metadata?[SafetensorsModelMetadata.layoutKey], "source")
        XCTAssertEqual(file.tensors.count, 5)
        let back = try file.graph()
        XCTAssertEqual(back.nodes, graph.nodes)
        XCTAssertEqual(back.inputs, graph.inputs)
        XCTAssertEqual(back.outputs, graph.outputs)
        XCTAssertEqual(back.metadata, graph.metadata)
        XCTAssertEqual(Set(back.weights.keys), Set(graph.weights.keys))
        for (name, w) in graph.weights {
            let b = try XCTUnwrap(back.weights[name])
            XCTAssertEqual(b.info, w.info, name)
            XCTAssertEqual(b.trainable, w.trainable, name)
            XCTAssertEqual(b.source, w.source, name)
            XCTAssertTrue(b.data.bytesEqual(w.data), name)
            XCTAssertTrue(b.data.owner is MappedFile, "\(name) is a view of the mapping")
        }
        // The writer is deterministic.
        try SafetensorsWriter().write(graph, to: path("again.safetensors"))
        XCTAssertEqual(try Data(contentsOf: URL(fileURLWithPath: path("small.safetensors"))),
                       try Data(contentsOf: URL(fileURLWithPath: path("again.safetensors"))))
    }

    /// A graph with every kind of kernel `--pytorch-layout` permutes.
    func kernelZoo() -> Graph {
        var weights: [String: Weight] = [:]
        func add(_ name: String, _ shape: [Int], _ layout: Layout, seed: UInt64) {
            weights[name] = Weight(info: TensorInfo(name: name, shape: shape, layout: layout),
                                   data: floats(TestSupport.randomFloats(shape.reduce(1, *), seed: seed)))
        }
        add("conv/kernel", [3, 3, 2, 4], .hwio, seed: 1)
        add("dw/depthwise_kernel", [3, 3, 4, 2], .hwcm, seed: 2)
        add("sep/depthwise_kernel", [3, 3, 8, 1], .hwcm, seed: 3)
        add("sep/pointwise_kernel", [1, 1, 8, 5], .hwio, seed: 4)
        add("dense/kernel", [5, 3], .io, seed: 5)
        let nodes = [
            Node(name: "conv", op: .conv(.conv(ConvAttributes(filters: 4, kernelSize: [3, 3], padding: .same))), inputs: ["x", "conv/kernel"]),
            Node(name: "dw", op: .conv(.depthwise(DepthwiseConvAttributes(depthMultiplier: 2, kernelSize: [3, 3], padding: .same))),
                 inputs: ["conv", "dw/depthwise_kernel"]),
            Node(name: "sep", op: .conv(.separable(SeparableConvAttributes(filters: 5, kernelSize: [3, 3], padding: .same))),
                 inputs: ["dw", "sep/depthwise_kernel", "sep/pointwise_kernel"]),
            Node(name: "pool", op: .pool(.globalAverage(GlobalPoolAttributes())), inputs: ["sep"]),
            Node(name: "dense", op: .linear(.dense(DenseAttributes(units: 3))), inputs: ["pool", "dense/kernel"]),
        ]
        return Graph(name: "zoo", inputs: [TensorInfo(name: "x", shape: [-1, 6, 6, 2], layout: .nhwc)], outputs: ["dense"],
                     nodes: nodes, weights: weights)
    }

    func testPyTorchLayoutStoresKernelsOIHWAndReadsBackTheSameModel() throws {
        let graph = kernelZoo()
        try graph.validate()
        try SafetensorsWriter(pytorchLayout: true).write(graph, to: path("pt.safetensors"))
        let file = try SafetensorsFile(path: path("pt.safetensors"))
        XCTAssertEqual(file.metadata?[SafetensorsModelMetadata.layoutKey], "pytorch")
        let shapes = Dictionary(uniqueKeysWithValues: file.tensors.map { ($0.name, $0.shape) })
        XCTAssertEqual(shapes["conv/kernel"], [4, 2, 3, 3])           // OIHW
        XCTAssertEqual(shapes["dw/depthwise_kernel"], [8, 1, 3, 3])   // Conv2d(groups=4): [C·M, 1, kh, kw]
        XCTAssertEqual(shapes["sep/depthwise_kernel"], [8, 1, 3, 3])
        XCTAssertEqual(shapes["sep/pointwise_kernel"], [5, 8, 1, 1])
        XCTAssertEqual(shapes["dense/kernel"], [5, 3])                // Dense kernels stay [in, out]

        // The stored OIHW kernel, element by element: stored[o][i][y][x] = hwio[y][x][i][o].
        let hwio = graph.weights["conv/kernel"]!.tensor.floats
        let stored = Tensor(dtype: .float32, shape: [4, 2, 3, 3], data: file.tensorData(named: "conv/kernel")!).floats
        for o in 0..<4 { for i in 0..<2 { for y in 0..<3 { for x in 0..<3 {
            XCTAssertEqual(stored[((o * 2 + i) * 3 + y) * 3 + x], hwio[((y * 3 + x) * 2 + i) * 4 + o])
        } } } }
        // Depthwise: output channel c·M + m holds hwcm[y][x][c][m].
        let hwcm = graph.weights["dw/depthwise_kernel"]!.tensor.floats
        let dw = Tensor(dtype: .float32, shape: [8, 1, 3, 3], data: file.tensorData(named: "dw/depthwise_kernel")!).floats
        for c in 0..<4 { for m in 0..<2 { for y in 0..<3 { for x in 0..<3 {
            XCTAssertEqual(dw[((c * 2 + m) * 3 + y) * 3 + x], hwcm[((y * 3 + x) * 4 + c) * 2 + m])
        } } } }

        let back = try file.graph()
        XCTAssertEqual(back.nodes, graph.nodes)
        for (name, w) in graph.weights {
            XCTAssertEqual(back.weights[name]?.info, w.info, name)
            XCTAssertTrue(back.weights[name]?.data.bytesEqual(w.data) ?? false, "\(name) comes back bit for bit")
        }
        XCTAssertTrue(back.weights["dense/kernel"]?.data.owner is MappedFile)
        XCTAssertFalse(back.weights["conv/kernel"]?.data.owner is MappedFile, "a transposed kernel is a copy")
    }

    func testMisalignedTensorsAreCopiedIntoAlignedMemory() throws {
        // An unpadded header of 61 bytes puts the F32 tensor at file offset 69 + 1.
        let json = #"{"a":{"dtype":"U8","shape":[1],"data_offsets":[0,1]},"b":{"dtype":"F32","shape":[2],"data_offsets":[1,9]}}"#
        var bytes: [UInt8] = []
        withUnsafeBytes(of: UInt64(json.utf8.count).littleEndian) { bytes += $0 }
        bytes += Array(json.utf8) + [7]
        [Float](arrayLiteral: 1.5, -2).withUnsafeBytes { bytes += $0 }
        try Data(bytes).write(to: URL(fileURLWithPath: path("m.safetensors")))
        let file = try SafetensorsFile(path: path("m.safetensors"))
        XCTAssertEqual(file.misalignedTensors, ["b"])
        let b = try XCTUnwrap(file.tensorData(named: "b"))
        XCTAssertEqual(Int(bitPattern: b.bytes.baseAddress) % 4, 0)
        XCTAssertFalse(b.owner is MappedFile)
        XCTAssertEqual(b.floatArray(as: .float32), [1.5, -2])
        XCTAssertTrue(file.tensorData(named: "a")?.owner is MappedFile)
    }

    func testWeightsOnlyFilesHaveNoGraph() throws {
        try SafetensorsWriter.write([.init(name: "k", dtype: .float32, shape: [1], data: floats([1]))], metadata: ["format": "pt"],
                                    to: path("w.safetensors"))
        let file = try SafetensorsFile(path: path("w.safetensors"))
        XCTAssertFalse(file.hasGraph)
        XCTAssertThrowsError(try file.graph()) { XCTAssertEqual($0 as? SafetensorsError, .noGraph) }
        XCTAssertEqual(try file.weights()["k"]?.info, TensorInfo(name: "k", shape: [1]))
    }

    func testTypesWtoolCannotHoldAreRefusedWhenRead() throws {
        var bytes: [UInt8] = []
        let json = #"{"q":{"dtype":"F8_E4M3","shape":[8],"data_offsets":[0,8]}}"#
        withUnsafeBytes(of: UInt64(json.utf8.count).littleEndian) { bytes += $0 }
        bytes += Array(json.utf8) + [UInt8](repeating: 0, count: 8)
        try Data(bytes).write(to: URL(fileURLWithPath: path("fp8.safetensors")))
        let file = try SafetensorsFile(path: path("fp8.safetensors"))  // valid safetensors
        XCTAssertThrowsError(try file.weights()) {
            XCTAssertTrue("\($0)".contains("tensor 'q' holds F8_E4M3 elements, which wtool has no type for"), "\($0)")
        }
    }

    /// Rewrites the `__metadata__` of a file wtool wrote (same tensors).
    func rewrite(_ source: String, to target: String, tensors keep: (String) -> Bool = { _ in true },
                 metadata edit: (inout [String: String]) -> Void) throws {
        let file = try SafetensorsFile(path: source)
        var metadata = file.metadata ?? [:]
        edit(&metadata)
        let entries = file.tensors.filter { keep($0.name) }.map {
            SafetensorsWriter.Entry(name: $0.name, dtype: $0.dtype.modelType!, shape: $0.shape, data: file.tensorData(named: $0.name)!)
        }
        try SafetensorsWriter.write(entries, metadata: metadata, to: target)
    }

    func testEmbeddedGraphMustFitTheTensors() throws {
        try SafetensorsWriter().write(TestSupport.smallGraph(), to: path("s.safetensors"))
        func refusal(_ name: String, _ expected: String, metadata: (inout [String: String]) -> Void = { _ in },
                     tensors: (String) -> Bool = { _ in true }, line: UInt = #line) throws {
            try rewrite(path("s.safetensors"), to: path(name), tensors: tensors, metadata: metadata)
            XCTAssertThrowsError(try SafetensorsFile(path: path(name)).graph(), line: line) {
                XCTAssertTrue("\($0)".contains(expected), "'\($0)' does not mention '\(expected)'", line: line)
            }
        }
        try refusal("missing.safetensors", "node 'conv2' needs tensor 'conv2/kernel', which the file does not hold",
                    metadata: { $0[SafetensorsModelMetadata.tensorsKey] = nil }, tensors: { $0 != "conv2/kernel" })
        try refusal("stray-facts.safetensors", "describes tensor 'conv2/kernel', which the file does not hold", tensors: { $0 != "conv2/kernel" })
        try refusal("bad-json.safetensors", "wtool.graph does not decode") { $0[SafetensorsModelMetadata.graphKey] = "{\"name\": 1}" }
        try refusal("version.safetensors", "version 2") { $0[SafetensorsModelMetadata.versionKey] = "2" }
        try refusal("layout.safetensors", "unknown layout tag 'XYZW'") {
            $0[SafetensorsModelMetadata.tensorsKey] = #"{"conv1/kernel":{"layout":"XYZW","trainable":true}}"#
        }
        try refusal("permutation.safetensors", "does not fit shape") {
            $0[SafetensorsModelMetadata.tensorsKey] = #"{"conv1/kernel":{"layout":"HWIO","trainable":true,"pytorch":{"permutation":[0,0,1,2],"shape":[3,3,3,4]}}}"#
        }
        try refusal("unpermuted.safetensors", "tensor 'conv1/kernel' has shape [3, 3, 3, 4], not [3, 3, 4, 3]") {
            $0[SafetensorsModelMetadata.tensorsKey] = #"{"conv1/kernel":{"layout":"HWIO","trainable":true,"pytorch":{"permutation":[0,1,3,2],"shape":[3,3,3,4]}}}"#
        }
        // A tensor the graph does not use.
        let graph = TestSupport.smallGraph()
        var entries = graph.orderedWeightNames.map { n in
            SafetensorsWriter.Entry(name: n, dtype: .float32, shape: graph.weights[n]!.info.shape, data: graph.weights[n]!.data)
        }
        entries.append(.init(name: "stray", dtype: .float32, shape: [1], data: floats([0])))
        try SafetensorsWriter.write(entries, metadata: try SafetensorsFile(path: path("s.safetensors")).metadata, to: path("stray.safetensors"))
        XCTAssertThrowsError(try SafetensorsFile(path: path("stray.safetensors")).graph()) {
            XCTAssertTrue("\($0)".contains("tensor 'stray' is used by no node"), "\($0)")
        }
    }
}
