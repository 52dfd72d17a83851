import Foundation
import ModelIR
@testable import ONNXFormat
import ONNXProto
import SwiftProtobuf
import XCTest
import _TestSupport

/// Broken, hostile and unsupported inputs: each a one-line `ONNXError`, never a crash.
final class MalformedModelTests: XCTestCase {
    func read(_ bytes: [UInt8], base: String? = nil) throws -> Graph {
        try bytes.withUnsafeBytes { try ONNXReader.read(bytes: $0, baseDirectory: base) }
    }

    func assertError(_ bytes: [UInt8], base: String? = nil, contains text: String, file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertThrowsError(try read(bytes, base: base), file: file, line: line) { error in
            XCTAssertTrue(error is ONNXError, "\(type(of: error)): \(error)", file: file, line: line)
            let message = "\(error)"
            XCTAssertTrue(message.contains(text), "'\(message)' does not mention '\(text)'", file: file, line: line)
            XCTAssertFalse(message.contains("\n"), "one line", file: file, line: line)
        }
    }

    var mini: [UInt8] { get throws { Array(try Data(contentsOf: URL(fileURLWithPath: TestSupport.sample("mini/mini.onnx")))) } }

    /// A minimal valid model (Relu) to break in one place at a time.
    func reluModel(_ edit: (inout ModelBuilder) -> Void = { _ in }) throws -> [UInt8] {
        var b = ModelBuilder()
        b.inputs = [ModelBuilder.valueInfo("x", [nil, 4])]
        b.outputs = [ModelBuilder.valueInfo("y", [nil, 4])]
        b.node("Relu", ["x"], ["y"], name: "relu")
        edit(&b)
        return try b.bytes()
    }

    func testTruncatedFilesFailCleanly() throws {
        let bytes = try mini
        XCTAssertNoThrow(try read(bytes))
        var failures = 0
        // Every cut through the header and the graph, then a stride through the initializers.
        for n in Array(0..<min(600, bytes.count)) + Array(stride(from: 600, to: bytes.count, by: 97)) {
            XCTAssertThrowsError(try read(Array(bytes[0..<n]))) { error in
                XCTAssertTrue(error is ONNXError, "cut at \(n): \(error)")
                failures += 1
            }
        }
        XCTAssertGreaterThan(failures, 600)
    }

    func testGarbageFailsCleanly() throws {
        assertError([], contains: "empty")
        assertError(Array("this is not a protobuf at all".utf8), contains: "not a valid ONNX protobuf")
        for seed in 0..<200 as Range<UInt64> {
            let noise = TestSupport.randomFloats(64 + Int(seed), seed: seed).map { UInt8(truncatingIfNeeded: Int(($0 + 1) * 1000)) }
            XCTAssertThrowsError(try read(noise)) { XCTAssertTrue($0 is ONNXError, "seed \(seed): \($0)") }
        }
        // Flipped bytes inside a real model.
        let bytes = try mini
        for i in stride(from: 0, to: bytes.count, by: 13) {
            var copy = bytes
            copy[i] ^= 0xA5
            do { _ = try read(copy) } catch { XCTAssertTrue(error is ONNXError, "flip at \(i): \(error)") }
        }
    }

    /// Protobuf decoders keep a field of the wrong wire type as an unknown field; we reject it.
    func testWrongWireTypesAreRejected() throws {
        // ir_version (field 1, varint) sent as a length-delimited field.
        assertError(try reluModel() + [0x0A, 0x01, 0x08], contains: "field 1 of ModelProto has the wrong wire type")
        // A node's op_type (field 4, string) sent as a varint.
        var b = ModelBuilder()
        b.inputs = [ModelBuilder.valueInfo("x", [nil, 4])]
        b.outputs = [ModelBuilder.valueInfo("y", [nil, 4])]
        let node = b.node("Relu", ["x"], ["y"], name: "relu")
        b.nodes = [try Onnx_NodeProto(serializedBytes: try node.serializedBytes() + [0x20, 0x05])]
        assertError(try b.bytes(), contains: "field 4 of NodeProto has the wrong wire type")
        // A field this schema does not know is fine (a newer ONNX may add some): field 127, varint.
        b.nodes = [try Onnx_NodeProto(serializedBytes: try node.serializedBytes() + [0xF8, 0x07, 0x01])]
        XCTAssertNoThrow(try read(try b.bytes()))
        // An enum field holding a value the enum does not define (AttributeProto.type = 99).
        var attr = Onnx_AttributeProto()
        attr.name = "alpha"
        attr.f = 0.5
        var leaky = b.node("LeakyRelu", ["x"], ["y"], name: "leaky")
        leaky.attribute = [try Onnx_AttributeProto(serializedBytes: try attr.serializedBytes() + [0xA0, 0x01, 0x63])]
        b.nodes = [leaky]
        assertError(try b.bytes(), contains: "field 20 of AttributeProto has the wrong wire type or an out-of-range enum value")
    }

    func testWrongAttributeTypes() throws {
        var b = ModelBuilder()
        b.inputs = [ModelBuilder.valueInfo("x", [nil, 2, 4, 4])]
        b.outputs = [ModelBuilder.valueInfo("y", [nil, 2, 4, 4])]
        b.initializer("w", [2, 2, 1, 1], [1, 0, 0, 1])
        b.node("Conv", ["x", "w"], ["y"], name: "conv", ["strides": .float(1)])
        assertError(try b.bytes(), contains: "node 'conv' (Conv): attribute 'strides' must be INTS, not FLOAT")
        b.nodes = []
        b.node("Conv", ["x", "w"], ["y"], name: "conv", ["strides": .ints([1, 1, 1])])
        assertError(try b.bytes(), contains: "attribute 'strides' must have 2 values")
        b.nodes = []
        b.node("Conv", ["x", "w"], ["y"], name: "conv", ["strides": .ints([1, 1 << 40])])
        assertError(try b.bytes(), contains: "out of range")
        b.nodes = []
        b.node("Conv", ["x", "w"], ["y"], name: "conv", ["group": .int(3)])
        assertError(try b.bytes(), contains: "node 'conv' (Conv): groups 3 must divide input channels 2")
        b.nodes = []
        b.node("Conv", ["x", "w"], ["y"], name: "conv", ["auto_pad": .string("MIDDLE")])
        assertError(try b.bytes(), contains: "attribute 'auto_pad' is 'MIDDLE', not one of NOTSET, SAME_UPPER, SAME_LOWER, VALID")
        b.nodes = []
        b.node("Conv", ["x", "w"], ["y"], name: "conv", ["kernel_shape": .ints([3, 3])])
        assertError(try b.bytes(), contains: "node 'conv' (Conv): weight 'kernel' has shape [2, 2, 1, 1], expected [2, 2, 3, 3]")
    }

    /// A valid node the IR cannot express is carried, never refused.
    func testUninterpretedNodesAreCarriedNotRefused() throws {
        var b = ModelBuilder()
        b.inputs = [ModelBuilder.valueInfo("x", [nil, 2, 4, 4])]
        b.outputs = [ModelBuilder.valueInfo("y", [nil, 2, 4, 4])]
        b.initializer("w", [2, 2, 1, 1], [1, 0, 0, 1])
        b.node("Conv", ["x", "w"], ["y"], name: "conv", ["colour": .string("blue")])
        let graph = try read(try b.bytes())
        guard case .custom(let c) = graph.nodes[0].op else { return XCTFail("\(graph.nodes[0].op)") }
        XCTAssertEqual(c.type, "Conv")
        XCTAssertEqual(c.reason, "attribute 'colour' is not interpreted")
        XCTAssertEqual(c.attribute("colour")?.text, "blue")
    }

    func testUnknownOpsAreCarriedWithTheirDomain() throws {
        let graph = try read(try reluModel { b in
            b.nodes = []
            var n = b.node("Frobnicate", ["x"], ["y"], name: "my_op")
            n.domain = "com.example"
            b.nodes = [n]
            b.domains = ["com.example": 3]
        })
        guard case .custom(let c) = graph.nodes[0].op else { return XCTFail("\(graph.nodes[0].op)") }
        XCTAssertEqual([c.domain, c.type], ["com.example", "Frobnicate"])
        XCTAssertEqual(c.domainVersion, 3)
        XCTAssertEqual(c.reason, "ops of domain 'com.example' are carried, not interpreted")
        // A node without a name is named after its op and index.
        let unnamed = try read(try reluModel { b in
            b.nodes = []
            b.node("Relu", ["x"], ["r"], name: "")
            var n = b.node("NoSuchOp", ["r"], ["y"])
            n.name = ""
            b.nodes[1] = n
        })
        XCTAssertEqual(unnamed.nodes.map(\.name), ["Relu_0", "NoSuchOp_1"])
        XCTAssertEqual(unnamed.nodes[1].op.displayName, "NoSuchOp")
    }

    func testStructuralErrors() throws {
        assertError(try reluModel { $0.irVersion = 0 }, contains: "ir_version")
        assertError(try reluModel { $0.opset = 99 }, contains: "opset 99 is not supported (1–28)")
        assertError(try reluModel { $0.opset = 0 }, contains: "opset_import of domain '' has version 0")
        assertError(try reluModel { $0.inputs = [ModelBuilder.valueInfo("x", [nil, 4], elemType: 14)] },
                    contains: "graph input 'x' has element type COMPLEX64, which wtool does not hold")
        assertError(try reluModel { $0.nodes[0].output = ["y", "extra"] }, contains: "node 'relu' (Relu): has 2 outputs (1 expected)")
        assertError(try reluModel { $0.nodes[0].input = ["nope"] }, contains: "node 'relu' reads 'nope', which no earlier node produces")
        assertError(try reluModel { $0.outputs = [ModelBuilder.valueInfo("z", [nil, 4])] }, contains: "graph output 'z' is produced by no node")
        assertError(try reluModel { b in
            b.nodes = []
            b.node("Relu", ["r"], ["y"], name: "second")
            b.node("Relu", ["x"], ["r"], name: "first")
        }, contains: "node 'second' reads 'r'")
        assertError(try reluModel { $0.inputs = [ModelBuilder.valueInfo("x", [nil, 1 << 40])] }, contains: "dimension 1099511627776")
        var m = ModelBuilder()
        m.inputs = [ModelBuilder.valueInfo("x", [nil, 4])]
        assertError(try m.bytes(), contains: "the graph has no outputs")
    }

    func testBadInitializers() throws {
        func model(_ t: Onnx_TensorProto) throws -> [UInt8] {
            var b = ModelBuilder()
            b.inputs = [ModelBuilder.valueInfo("x", [nil, 2])]
            b.outputs = [ModelBuilder.valueInfo("y", [nil, 2])]
            b.initializers = [t]
            b.node("Gemm", ["x", t.name], ["y"], name: "gemm")
            return try b.bytes()
        }
        var t = ModelBuilder.tensor("w", [2, 2], [1, 2, 3, 4])
        XCTAssertNoThrow(try read(try model(t)))
        t.dims = [1 << 40, 1 << 40]
        assertError(try model(t), contains: "initializer 'w': dimension")
        t.dims = [1 << 30, 1 << 30, 1 << 30]
        assertError(try model(t), contains: "overflow")
        t.dims = [-2, 2]
        assertError(try model(t), contains: "dimension -2")
        t.dims = [2, 3]
        assertError(try model(t), contains: "raw_data holds 16 bytes; f32 [2, 3] needs 24")
        t.dims = [2, 2]
        t.floatData = [1, 2, 3, 4]
        assertError(try model(t), contains: "both raw_data and float_data")
        var u = Onnx_TensorProto()
        u.name = "w"; u.dims = [2, 2]; u.dataType = 8
        assertError(try model(u), contains: "initializer 'w': element type STRING is not supported")
        u.dataType = 1
        assertError(try model(u), contains: "has no data")
        u.int64Data = [1, 2, 3, 4]
        assertError(try model(u), contains: "f32 data must be in float_data, not int64_data")
    }

    // MARK: - External data

    func externalModel(location: String, offset: Int? = nil, length: Int? = nil) throws -> [UInt8] {
        var b = ModelBuilder()
        b.inputs = [ModelBuilder.valueInfo("x", [nil, 2])]
        b.outputs = [ModelBuilder.valueInfo("y", [nil, 2])]
        var t = Onnx_TensorProto()
        t.name = "w"; t.dims = [2, 2]; t.dataType = 1
        t.dataLocation = .external
        var entries = [("location", location)]
        if let offset { entries.append(("offset", String(offset))) }
        if let length { entries.append(("length", String(length))) }
        t.externalData = entries.map { var e = Onnx_StringStringEntryProto(); e.key = $0.0; e.value = $0.1; return e }
        b.initializers = [t]
        b.node("Gemm", ["x", "w"], ["y"], name: "gemm")
        return try b.bytes()
    }

    func testExternalDataPathsAndBounds() throws {
        let root = TestSupport.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: root) }
        let modelDir = root.appendingPathComponent("model")
        try FileManager.default.createDirectory(at: modelDir.appendingPathComponent("sub"), withIntermediateDirectories: true)
        let weights: [Float] = [0, 0, 1, 2, 3, 4]  // 8 bytes of padding, then the tensor
        let bytes = weights.withUnsafeBytes { Data($0) }
        try bytes.write(to: modelDir.appendingPathComponent("sub/w.bin"))
        try bytes.write(to: root.appendingPathComponent("outside.bin"))
        try FileManager.default.createSymbolicLink(atPath: modelDir.appendingPathComponent("link.bin").path,
                                                   withDestinationPath: root.appendingPathComponent("outside.bin").path)
        let base = modelDir.path

        let graph = try read(try externalModel(location: "sub/w.bin", offset: 8, length: 16), base: base)
        XCTAssertEqual(graph.weights["w"]?.data.floatArray(as: .float32), [1, 2, 3, 4])
        XCTAssertNoThrow(try read(try externalModel(location: "./sub/../sub/w.bin", offset: 8), base: base))

        assertError(try externalModel(location: "../outside.bin"), base: base, contains: "leaves the model's folder")
        assertError(try externalModel(location: "sub/../../outside.bin"), base: base, contains: "leaves the model's folder")
        assertError(try externalModel(location: root.appendingPathComponent("outside.bin").path), base: base,
                    contains: "absolute paths are not allowed")
        assertError(try externalModel(location: "/etc/passwd"), base: base, contains: "absolute paths are not allowed")
        assertError(try externalModel(location: "link.bin"), base: base, contains: "through a symbolic link")
        assertError(try externalModel(location: "missing.bin"), base: base, contains: "no such file")
        assertError(try externalModel(location: "sub/w.bin", offset: 16), base: base, contains: "outside the 24-byte file")
        assertError(try externalModel(location: "sub/w.bin", offset: Int.max - 4), base: base, contains: "outside the 24-byte file")
        assertError(try externalModel(location: "sub/w.bin", offset: 8, length: 12), base: base, contains: "length 12 does not match")
        assertError(try externalModel(location: "sub/w.bin"), base: nil, contains: "needs the model's file path")
    }

    /// `_ProtoValidation.knownFields` is the schema's field numbers, message by message.
    func testKnownFieldTableMatchesTheSchema() throws {
        var text = try String(contentsOf: TestSupport.repoRoot.appendingPathComponent("schemas/onnx.proto"), encoding: .utf8)
        text = text.replacingOccurrences(of: "//[^\n]*", with: "", options: .regularExpression)
        let token = try NSRegularExpression(pattern: #"(message|enum|oneof)\s+(\w+)\s*\{|\}|(?:optional|repeated|required)?\s*[\w.]+\s+\w+\s*=\s*(\d+)\s*(?:\[[^\]]*\])?;|reserved[^;]*;"#)
        var stack: [(kind: String, name: String)] = []
        var fields: [String: Set<Int>] = [:]
        let ns = text as NSString
        for m in token.matches(in: text, range: NSRange(location: 0, length: ns.length)) {
            let whole = ns.substring(with: m.range)
            if m.range(at: 1).location != NSNotFound {
                stack.append((ns.substring(with: m.range(at: 1)), ns.substring(with: m.range(at: 2))))
            } else if whole == "}" {
                stack.removeLast()
            } else if m.range(at: 3).location != NSNotFound, stack.last?.kind != "enum" {
                let path = stack.filter { $0.kind == "message" }.map(\.name).joined(separator: ".")
                fields[path, default: []].insert(Int(ns.substring(with: m.range(at: 3)))!)
            }
        }
        XCTAssertEqual(fields["NodeProto"], [1, 2, 3, 4, 5, 6, 7, 8, 9, 10])
        for (message, numbers) in _ProtoValidation.knownFields {
            XCTAssertEqual(fields[message], numbers, message)
        }
    }
}
