import Foundation
import ModelIR
@testable import SWMFormat
import XCTest
import _TestSupport

final class SWMRoundTripTests: XCTestCase {
    var directory: URL!

    override func setUp() { directory = TestSupport.temporaryDirectory() }
    override func tearDown() { try? FileManager.default.removeItem(at: directory) }

    func path(_ name: String) -> String { directory.appendingPathComponent(name).path }

    func testRoundTripPreservesEveryNodeAttributeAndTensorByte() throws {
        let graph = TestSupport.smallGraph()
        try SWMWriter().write(graph, to: path("a.swm"))
        let file = try SWMFile(path: path("a.swm"))
        let back = try file.graph()
        XCTAssertEqual(back.name, graph.name)
        XCTAssertEqual(back.nodes, graph.nodes)
        XCTAssertEqual(back.inputs, graph.inputs)
        XCTAssertEqual(back.outputs, graph.outputs)
        XCTAssertEqual(back.metadata, graph.metadata)
        XCTAssertEqual(Set(back.weights.keys), Set(graph.weights.keys))
        for (name, weight) in graph.weights {
            let other = try XCTUnwrap(back.weights[name])
            XCTAssertEqual(other.info, weight.info, name)
            XCTAssertEqual(other.trainable, weight.trainable, name)
            XCTAssertEqual(other.source, weight.source, name)
            XCTAssertTrue(other.data.bytesEqual(weight.data), "bytes of \(name) changed")
        }
        XCTAssertTrue(file.verifyChecksums().isEmpty)
    }

    func testViewsAreAlignedAndZeroCopy() throws {
        try SWMWriter().write(TestSupport.smallGraph(), to: path("a.swm"))
        let file = try SWMFile(path: path("a.swm"))
        XCTAssertEqual(file.header.dataOffset % 4096, 0)
        for entry in file.tensors {
            let data = try XCTUnwrap(file.tensorData(named: entry.name))
            XCTAssertEqual(Int(bitPattern: data.bytes.baseAddress) % 64, 0, "\(entry.name) is not 64-byte aligned")
            // A second view of the same tensor points at the same mapped bytes: no copy was made.
            XCTAssertEqual(file.tensorData(named: entry.name)?.bytes.baseAddress, data.bytes.baseAddress)
        }
    }

    func testWriterIsDeterministic() throws {
        try SWMWriter().write(TestSupport.smallGraph(), to: path("a.swm"))
        try SWMWriter().write(TestSupport.smallGraph(), to: path("b.swm"))
        XCTAssertEqual(try Data(contentsOf: URL(fileURLWithPath: path("a.swm"))), try Data(contentsOf: URL(fileURLWithPath: path("b.swm"))))
    }

    func testHalfAndBFloatStorage() throws {
        let graph = TestSupport.smallGraph()
        for dtype in [DType.float16, .bfloat16] {
            let out = path("\(dtype).swm")
            try SWMWriter(floatStorage: dtype).write(graph, to: out)
            let back = try SWMFile(path: out).graph()
            for (name, weight) in graph.weights {
                let stored = try XCTUnwrap(back.weights[name])
                XCTAssertEqual(stored.info.dtype, dtype)
                XCTAssertEqual(stored.data.count, weight.elementCount * 2)
                let original = weight.data.floatArray(as: .float32)
                let restored = stored.data.floatArray(as: dtype)
                let tolerance: Float = dtype == .float16 ? 1e-3 : 8e-3
                for (a, b) in zip(original, restored) { XCTAssertEqual(a, b, accuracy: tolerance * max(1, abs(a))) }
            }
        }
    }

    func testRefusesToOverwriteAndLeavesNoTemporaryFiles() throws {
        try SWMWriter().write(TestSupport.smallGraph(), to: path("a.swm"))
        XCTAssertThrowsError(try SWMWriter().write(TestSupport.smallGraph(), to: path("a.swm")))
        try SWMWriter().write(TestSupport.smallGraph(), to: path("a.swm"), overwrite: true)
        var bad = TestSupport.smallGraph()
        bad.nodes[0].inputs = ["nowhere"]
        XCTAssertThrowsError(try SWMWriter().write(bad, to: path("bad.swm")))
        let names = try FileManager.default.contentsOfDirectory(atPath: directory.path)
        XCTAssertEqual(names, ["a.swm"], "only the committed file may remain")
    }

    func testEverySingleByteFlipInTensorDataIsCaught() throws {
        try SWMWriter().write(TestSupport.smallGraph(), to: path("a.swm"))
        let original = try Data(contentsOf: URL(fileURLWithPath: path("a.swm")))
        let header = try original.withUnsafeBytes { try SWMHeader.parse($0) }
        for entry in header.tensors {
            for offset in entry.fileOffset..<(entry.fileOffset + entry.byteLength) {
                var damaged = original
                damaged[offset] ^= 0x01
                let out = path("flip.swm")
                try damaged.write(to: URL(fileURLWithPath: out))
                let failures = try SWMFile(path: out).verifyChecksums()
                XCTAssertEqual(failures.map(\.tensor), [entry.name], "flip at \(offset) not attributed to \(entry.name)")
            }
        }
    }
}
