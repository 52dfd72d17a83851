import Foundation
import ONNXFormat
import XCTest
import _TestSupport

/// The onnx-reader fuzzer's seeds (Fuzz/corpus/onnx-reader: tf2onnx's export of the mini model
/// and wtool's own, NHWC and NCHW) must stay readable, or the fuzzer would start from nothing.
final class FuzzSeedTests: XCTestCase {
    func testTheFuzzerSeedsRead() throws {
        let seeds = TestSupport.repoRoot.appendingPathComponent("Fuzz/corpus/onnx-reader")
        let names = try FileManager.default.contentsOfDirectory(atPath: seeds.path).sorted().filter { $0.hasPrefix("mini-") }
        XCTAssertGreaterThanOrEqual(names.count, 3)
        for name in names {
            let bytes = try Data(contentsOf: seeds.appendingPathComponent(name))
            // As the fuzzer reads them: from bytes, external data refused.
            let graph = try bytes.withUnsafeBytes { try ONNXReader.read(bytes: $0, baseDirectory: nil, name: "seed") }
            XCTAssertEqual(graph.parameterCount.total, 1976, name)
            // And they write back.
            XCTAssertNoThrow(try ONNXWriter().serialize(graph), name)
        }
    }

    /// The ONNX node-test seeds (scripts/fuzz_seeds.py: the smallest node test of each op type)
    /// reach the importer's op paths: most import, and the rest are refused with an error.
    func testTheNodeTestSeedsReachTheImporter() throws {
        let seeds = TestSupport.repoRoot.appendingPathComponent("Fuzz/corpus/onnx-reader")
        let names = try FileManager.default.contentsOfDirectory(atPath: seeds.path).sorted().filter { $0.hasPrefix("node-") }
        XCTAssertGreaterThanOrEqual(names.count, 150, "one seed per op type")
        var imported = 0
        for name in names {
            let bytes = try Data(contentsOf: seeds.appendingPathComponent(name))
            if (try? bytes.withUnsafeBytes { try ONNXReader.read(bytes: $0, baseDirectory: nil, name: "seed") }) != nil { imported += 1 }
        }
        XCTAssertGreaterThanOrEqual(imported, names.count / 2, "\(imported) of \(names.count) import")
    }
}
