import Foundation
import ONNXFormat
import XCTest
import _TestSupport

/// The onnx-reader fuzzer's seeds (Fuzz/corpus/onnx-reader: tf2onnx's export of the mini model
/// and wtool's own, NHWC and NCHW) must stay readable, or the fuzzer would start from nothing.
final class FuzzSeedTests: XCTestCase {
    func testTheFuzzerSeedsRead() throws {
        let seeds = TestSupport.repoRoot.appendingPathComponent("Fuzz/corpus/onnx-reader")
        let names = try FileManager.default.contentsOfDirectory(atPath: seeds.path).sorted()
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
}
