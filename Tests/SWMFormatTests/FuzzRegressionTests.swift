import Foundation
import SWMFormat
import XCTest
import _TestSupport

/// Inputs that once crashed wtool or slipped past a check (Fixtures/fuzz, from the corruption
/// corpus and the fuzzer: scripts/make_corpus.py, scripts/fuzz.sh), each refused by the rule
/// that now catches it; and the fuzzer's seeds (Fuzz/corpus/swm-reader), which must stay sound.
final class FuzzRegressionTests: XCTestCase {
    static let fixtures = TestSupport.repoRoot.appendingPathComponent("Tests/SWMFormatTests/Fixtures/fuzz")

    /// Each fixture and the message its refusal must carry.
    static let expected: [String: String] = [
        // Explicit pooling padding of 2^62 made shape inference overflow: `summary` died (SIGILL).
        "pool-padding-2e62.swm": "node 'block1_pool': padding must be 2 begin and 2 end values in 0…2^60",
        // Conv dilations of 2^62 passed validation and overflowed in the runtime: `run` died (SIGILL).
        "conv-dilations-2e62.swm": "node 'block1_conv1': kernel, strides and dilations must be 2 integers in 1…2^60 each",
        // Found by the swm-reader fuzzer (AddressSanitizer: heap-buffer-overflow) in a reader built
        // without the byte-length bound: a tensor ending 64 bytes past the data section, CRCs fixed.
        "tensor-past-data-section.swm": "corrupt .swm tensor 'block2_conv1/bias': bytes 8000..<8064 lie outside the 8000-byte data section",
    ]

    func testEveryFixtureIsRefusedByTheRuleThatCatchesIt() throws {
        let names = try FileManager.default.contentsOfDirectory(atPath: Self.fixtures.path).filter { $0.hasSuffix(".swm") }.sorted()
        XCTAssertEqual(names, Self.expected.keys.sorted(), "every fixture has an expected message, and every message a fixture")
        for name in names {
            let path = Self.fixtures.appendingPathComponent(name).path
            XCTAssertThrowsError(try SWMFile(path: path).graph(), name) { error in
                XCTAssertTrue(error is SWMError, "\(name): \(error)")
                XCTAssertTrue("\(error)".contains(Self.expected[name] ?? "?"), "\(name): \(error)")
            }
            // The header alone, from bytes, as the fuzzer calls it.
            let bytes = try Data(contentsOf: URL(fileURLWithPath: path))
            _ = bytes.withUnsafeBytes { try? SWMHeader.parse($0) }
        }
    }

    func testTheFuzzerSeedsAreSound() throws {
        let seeds = TestSupport.repoRoot.appendingPathComponent("Fuzz/corpus/swm-reader")
        let names = try FileManager.default.contentsOfDirectory(atPath: seeds.path).sorted()
        XCTAssertGreaterThanOrEqual(names.count, 3)
        for name in names {
            let file = try SWMFile(path: seeds.appendingPathComponent(name).path)
            XCTAssertFalse(try file.graph().nodes.isEmpty, name)
            XCTAssertEqual(file.verifyChecksums(), [], name)
        }
    }
}
