import Foundation
@testable import KerasFormat
import XCTest
import _TestSupport

/// `JSONValue.parse` (swift-protobuf's parser, Foundation's `JSONDecoder` where it refuses) reads
/// every document as `JSONDecoder` alone does, and accepts and refuses the same ones.
final class JSONValueTests: XCTestCase {
    /// The keras.applications configs of the fixtures (28 models and variants, Keras 3 and
    /// tf.keras, up to ~200 KB each): the same values either way.
    func testApplicationConfigsParseAsFoundationParsesThem() throws {
        let directory = TestSupport.repoRoot.appendingPathComponent("Tests/KerasFormatTests/Fixtures/applications")
        let names = try FileManager.default.contentsOfDirectory(atPath: directory.path).filter { $0.hasSuffix(".json") }.sorted()
        XCTAssertGreaterThan(names.count, 20)
        for name in names {
            let data = try Data(contentsOf: directory.appendingPathComponent(name))
            let fast = try JSONValue.parse(data)
            XCTAssertEqual(fast, try JSONValue.parseWithFoundation(data), name)
            XCTAssertNotNil(fast["keras3"] ?? fast["tf_keras"], "\(name): parsed to something with the fixture's keys")
        }
    }

    func testValuesOfEveryKind() throws {
        let value = try JSONValue.parse(Data(#"{"a": [1, -2.5e-7, 12345678901234567890], "b": "é\u0000\"x", "c": true, "d": false, "e": null, "f": {}, "g": []}"#.utf8))
        XCTAssertEqual(value, .object([
            "a": .array([.number(1), .number(-2.5e-7), .number(12345678901234567890)]),
            "b": .string("é\u{0}\"x"), "c": .bool(true), "d": .bool(false), "e": .null, "f": .object([:]), "g": .array([]),
        ]))
    }

    /// Documents swift-protobuf refuses and `JSONDecoder` accepts: the fallback keeps them read
    /// as before (a duplicate key keeps its first value, as `JSONDecoder` does).
    func testWhatOnlyFoundationAcceptsIsStillAccepted() throws {
        for text in [#"{"a": 1, "a": 2}"#, "\u{FEFF}{\"a\": 1}", #"{"a": 1,}"#] {
            let data = Data(text.utf8)
            XCTAssertEqual(try JSONValue.parse(data), try JSONValue.parseWithFoundation(data), text)
            XCTAssertEqual(try JSONValue.parse(data)["a"], .number(1), text)
        }
    }

    func testInvalidDocumentsAreRefusedWithTheConfigError() {
        for text in ["", "{", #"{"a": NaN}"#, #"{"a": 01}"#, #"{"a": true} x"#, "{\"a\": \"\\ud800\"}", "{\"a\": \"tab\there\"}"] {
            XCTAssertThrowsError(try JSONValue.parse(Data(text.utf8)), text) { error in
                XCTAssertEqual("\(error)", "\(KerasError.badConfig("the config is not valid JSON"))", text)
            }
        }
    }

    /// Nesting past swift-protobuf's limit (128 levels of JSON) goes to `JSONDecoder`, which reads
    /// it; far deeper nesting is refused by both, without exhausting the stack.
    func testDeepNesting() throws {
        let deep = String(repeating: "[", count: 200) + String(repeating: "]", count: 200)
        var value = try JSONValue.parse(Data(deep.utf8))
        var depth = 0
        while case .array(let inner) = value, let first = inner.first { value = first; depth += 1 }
        XCTAssertEqual(depth, 199)
        let tooDeep = String(repeating: "[", count: 100_000) + String(repeating: "]", count: 100_000)
        XCTAssertThrowsError(try JSONValue.parse(Data(tooDeep.utf8)))
    }
}
