import Foundation
import ModelIR
@testable import SafetensorsFormat
import XCTest

/// One test per rule of the safetensors format (its README and `safetensors/src/tensor.rs`), each
/// from bytes written by hand: the 8-byte length, then the JSON, then the buffer.
final class SafetensorsHeaderValidationTests: XCTestCase {
    /// A file: `length` (default: the JSON's), the JSON, then `data`.
    func file(_ json: String, data: [UInt8] = [], length: UInt64? = nil) -> [UInt8] {
        let header = Array(json.utf8)
        var bytes: [UInt8] = []
        withUnsafeBytes(of: (length ?? UInt64(header.count)).littleEndian) { bytes += $0 }
        return bytes + header + data
    }

    func parse(_ bytes: [UInt8]) throws -> SafetensorsHeader {
        try bytes.withUnsafeBytes { try SafetensorsHeader.parse($0) }
    }

    func expect(_ bytes: [UInt8], _ expected: String, file: StaticString = #filePath, line: UInt = #line,
                _ kind: (SafetensorsError) -> Bool) {
        XCTAssertThrowsError(try parse(bytes), file: file, line: line) { error in
            guard let e = error as? SafetensorsError else { return XCTFail("unexpected \(error)", file: file, line: line) }
            XCTAssertTrue(kind(e), "wrong error: \(e)", file: file, line: line)
            XCTAssertTrue(e.description.contains(expected), "'\(e)' does not mention '\(expected)'", file: file, line: line)
        }
    }

    static func isTruncated(_ e: SafetensorsError) -> Bool { if case .truncated = e { true } else { false } }
    static func isHeader(_ e: SafetensorsError) -> Bool { if case .invalidHeader = e { true } else { false } }
    static func isTensor(_ e: SafetensorsError) -> Bool { if case .invalidTensor = e { true } else { false } }
    static func isTensor(_ name: String) -> (SafetensorsError) -> Bool {
        { if case .invalidTensor(name, _) = $0 { true } else { false } }
    }

    let f32x2 = #"{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}}"#

    // MARK: Files that parse

    func testValidFilesParse() throws {
        let h = try parse(file(#"{"__metadata__":{"format":"pt"},"b":{"dtype":"I64","shape":[1],"data_offsets":[0,8]},"a":{"dtype":"F16","shape":[2,1],"data_offsets":[8,12]}}  "#,
                               data: Array(repeating: 7, count: 12)))
        XCTAssertEqual(h.metadata, ["format": "pt"])
        XCTAssertEqual(h.tensors.map(\.name), ["b", "a"])
        XCTAssertEqual(h.tensors[1].shape, [2, 1])
        XCTAssertEqual(h.tensors[1].dataOffsets, 8..<12)
        XCTAssertEqual(h.tensors[1].fileOffset, 8 + h.headerSize + 8)
        // The smallest file: no tensors, no buffer.
        XCTAssertTrue(try parse(file("{}")).tensors.isEmpty)
    }

    func testEntriesInAnyOrderZeroSizedTensorsAndUnknownFields() throws {
        // Offsets decide the order, not the JSON; empty tensors sit anywhere on the boundaries.
        let h = try parse(file(#"{"z":{"dtype":"U8","shape":[3],"data_offsets":[5,8],"note":"ignored"},"e":{"dtype":"F32","shape":[0,4],"data_offsets":[5,5]},"y":{"data_offsets":[0,5],"shape":[5],"dtype":"BOOL"}}"#,
                               data: Array(repeating: 1, count: 8)))
        XCTAssertEqual(h.tensors.map(\.name), ["y", "e", "z"])
    }

    func testEveryDTypeOfTheFormatIsKnownWithItsSize() throws {
        for dtype in SafetensorsDType.allCases {
            let count = 8  // 8 elements end on a byte boundary for every bit size
            let bytes = count * dtype.bitSize / 8
            let h = try parse(file(#"{"t":{"dtype":"\#(dtype.rawValue)","shape":[\#(count)],"data_offsets":[0,\#(bytes)]}}"#,
                                   data: Array(repeating: 0, count: bytes)))
            XCTAssertEqual(h.tensors[0].dtype, dtype)
        }
    }

    func testEscapesInNamesAndMetadata() throws {
        let h = try parse(file(#"{"__metadata__":{"k":"line\nbreak \"q\" \u00e9 \ud83d\ude00 \/"},"a\\b":{"dtype":"U8","shape":[1],"data_offsets":[0,1]}}"#, data: [9]))
        XCTAssertEqual(h.metadata?["k"], "line\nbreak \"q\" é 😀 /")
        XCTAssertEqual(h.tensors[0].name, "a\\b")
    }

    func testMagic() {
        XCTAssertTrue(SafetensorsHeader.hasMagic(file(f32x2)))
        XCTAssertFalse(SafetensorsHeader.hasMagic(file(" {}")))
        XCTAssertFalse(SafetensorsHeader.hasMagic(file("{}", length: 200_000_000)))
        XCTAssertFalse(SafetensorsHeader.hasMagic(Array(file("{}").prefix(8))))
        XCTAssertFalse(SafetensorsHeader.hasMagic([0x89, 0x48, 0x44, 0x46, 0x0D, 0x0A, 0x1A, 0x0A, 0x7B]))  // HDF5
    }

    // MARK: The 8-byte length and the header bounds

    func testShorterThanTheLength() {
        expect([], "shorter than the 8-byte header length", Self.isTruncated)
        expect([1, 0, 0], "shorter than the 8-byte header length", Self.isTruncated)
    }

    func testHeaderOverTheCap() {
        expect(file("{}", length: 100_000_001), "over the format's 100000000-byte cap") { $0 == .headerTooLarge(size: 100_000_001) }
        expect(file("{}", length: .max), "cap") { $0 == .headerTooLarge(size: .max) }
    }

    func testHeaderPastTheEndOfTheFile() {
        expect(file("{}", length: 3), "the header claims 3 bytes, the file has 2", Self.isTruncated)
    }

    // MARK: The JSON

    func testHeaderNotUTF8() {
        var bytes = file(#"{"a\#u{e9}":{"dtype":"U8","shape":[0],"data_offsets":[0,0]}}"#)
        bytes[12] = 0xFF
        expect(bytes, "not valid UTF-8", Self.isHeader)
    }

    func testHeaderMustStartWithABrace() {
        expect(file(" {}"), "does not start with '{'", Self.isHeader)
        expect(file("[]"), "does not start with '{'", Self.isHeader)
    }

    func testHeaderNotJSON() {
        expect(file(#"{"a":1,}"#), "expected a string key", Self.isHeader)
        expect(file("{} x"), "unexpected bytes after the JSON object", Self.isHeader)
        expect(file("{}\u{0}"), "unexpected bytes after the JSON object", Self.isHeader)
        expect(file(#"{"a":tru}"#), "unexpected character", Self.isHeader)
        expect(file(#"{"a":01}"#), "expected ',' or '}'", Self.isHeader)
        expect(file(#"{"a":"\x"}"#), "bad escape", Self.isHeader)
        expect(file("{\"a\":\"tab\tin a string\"}"), "control character in a string", Self.isHeader)
        expect(file(#"{"a":"\ud800"}"#), "lone surrogate", Self.isHeader)
        expect(file(#"{"a""#), "expected ':'", Self.isHeader)
    }

    func testNestingIsBounded() {
        let deep = "{\"a\":" + String(repeating: "[", count: 100) + String(repeating: "]", count: 100) + "}"
        expect(file(deep), "nested deeper than 64 levels", Self.isHeader)
    }

    func testDuplicateTensorNamesAreRefused() {
        expect(file(#"{"a":{"dtype":"U8","shape":[1],"data_offsets":[0,1]},"a":{"dtype":"U8","shape":[1],"data_offsets":[1,2]}}"#, data: [1, 2]),
               "duplicate key 'a'", Self.isHeader)
        // Two spellings of one name (NFC and NFD) are one name to wtool.
        expect(file("{\"\u{e9}\":{\"dtype\":\"U8\",\"shape\":[1],\"data_offsets\":[0,1]},\"e\u{301}\":{\"dtype\":\"U8\",\"shape\":[1],\"data_offsets\":[1,2]}}", data: [1, 2]),
               "duplicate key", Self.isHeader)
    }

    func testDuplicateFieldsInAnEntryAreRefused() {
        expect(file(#"{"a":{"dtype":"U8","dtype":"F32","shape":[1],"data_offsets":[0,1]}}"#, data: [1]), "duplicate key 'dtype'", Self.isHeader)
    }

    func testMetadataMustMapStringsToStrings() {
        expect(file(#"{"__metadata__":{"epochs":3}}"#), "__metadata__ 'epochs' is a number; the format allows only strings", Self.isHeader)
        expect(file(#"{"__metadata__":["x"]}"#), "__metadata__ is an array", Self.isHeader)
    }

    // MARK: Tensor entries

    func testEntryMustBeAnObjectWithItsThreeFields() {
        expect(file(#"{"a":[1]}"#), "the entry is an array", Self.isTensor("a"))
        expect(file(#"{"a":{"shape":[1],"data_offsets":[0,1]}}"#, data: [1]), "no dtype", Self.isTensor("a"))
        expect(file(#"{"a":{"dtype":"U8","data_offsets":[0,1]}}"#, data: [1]), "no shape", Self.isTensor("a"))
        expect(file(#"{"a":{"dtype":"U8","shape":[1]}}"#, data: [1]), "no data_offsets", Self.isTensor("a"))
        expect(file(#"{"a":{"dtype":8,"shape":[1],"data_offsets":[0,1]}}"#, data: [1]), "dtype is a number", Self.isTensor("a"))
    }

    func testEmptyNameIsRefused() {
        expect(file(#"{"":{"dtype":"U8","shape":[1],"data_offsets":[0,1]}}"#, data: [1]), "the empty name", Self.isTensor(""))
    }

    func testUnknownDType() {
        expect(file(#"{"a":{"dtype":"F31","shape":[1],"data_offsets":[0,4]}}"#, data: [0, 0, 0, 0]), "unknown dtype 'F31'", Self.isTensor("a"))
        expect(file(#"{"a":{"dtype":"f32","shape":[1],"data_offsets":[0,4]}}"#, data: [0, 0, 0, 0]), "unknown dtype 'f32'", Self.isTensor("a"))
    }

    func testShapeMustHoldNonNegativeIntegers() {
        for dims in ["[-1]", "[1.0]", "[1e0]", "[\"2\"]", "[18446744073709551616]", "[9223372036854775808]"] {
            expect(file(#"{"a":{"dtype":"U8","shape":\#(dims),"data_offsets":[0,1]}}"#, data: [1]),
                   "shape must hold non-negative integers", Self.isTensor("a"))
        }
    }

    func testRankIsBounded() {
        let dims = "[" + Array(repeating: "1", count: 65).joined(separator: ",") + "]"
        expect(file(#"{"a":{"dtype":"U8","shape":\#(dims),"data_offsets":[0,1]}}"#, data: [1]), "over wtool's limit of 64", Self.isTensor("a"))
    }

    func testElementCountOverflow() {
        expect(file(#"{"a":{"dtype":"U8","shape":[4294967296,4294967296],"data_offsets":[0,1]}}"#, data: [1]), "overflows", Self.isTensor("a"))
    }

    func testByteLengthOverflow() {
        // 2^62 elements fit a UInt64; × 32 bits does not.
        expect(file(#"{"a":{"dtype":"F32","shape":[4611686018427387904],"data_offsets":[0,1]}}"#, data: [1]),
               "byte length of 4611686018427387904 × F32 overflows", Self.isTensor("a"))
    }

    func testByteLengthMustMatchTheShape() {
        expect(file(#"{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,9]}}"#, data: Array(repeating: 0, count: 9)),
               "hold 9 bytes; shape [2] of F32 needs 8", Self.isTensor("a"))
    }

    func testSubByteTensorsMustEndOnAByteBoundary() {
        expect(file(#"{"a":{"dtype":"F4","shape":[3],"data_offsets":[0,1]}}"#, data: [0]),
               "3 elements of 4-bit F4 do not end on a byte boundary", Self.isTensor("a"))
        expect(file(#"{"a":{"dtype":"F6_E2M3","shape":[2],"data_offsets":[0,1]}}"#, data: [0]), "byte boundary", Self.isTensor("a"))
    }

    func testOffsetsMustBeTwoOrderedIntegers() {
        expect(file(#"{"a":{"dtype":"U8","shape":[1],"data_offsets":[0]}}"#, data: [1]), "two non-negative integers", Self.isTensor("a"))
        expect(file(#"{"a":{"dtype":"U8","shape":[1],"data_offsets":[0,1,2]}}"#, data: [1]), "two non-negative integers", Self.isTensor("a"))
        expect(file(#"{"a":{"dtype":"U8","shape":[0],"data_offsets":[1,0]}}"#, data: [1]), "end before they begin", Self.isTensor("a"))
    }

    // MARK: The buffer

    func testOffsetsMustStartAtZero() {
        expect(file(#"{"a":{"dtype":"U8","shape":[1],"data_offsets":[1,2]}}"#, data: [0, 1]),
               "a hole of 1 bytes before it", Self.isTensor("a"))
    }

    func testNoHoleBetweenTensors() {
        expect(file(#"{"a":{"dtype":"U8","shape":[1],"data_offsets":[0,1]},"b":{"dtype":"U8","shape":[1],"data_offsets":[2,3]}}"#, data: [0, 1, 2]),
               "bytes 1..<2 belong to no tensor", Self.isTensor("b"))
    }

    func testNoOverlap() {
        expect(file(#"{"a":{"dtype":"U16","shape":[1],"data_offsets":[0,2]},"b":{"dtype":"U8","shape":[1],"data_offsets":[1,2]}}"#, data: [0, 1]),
               "overlap tensor 'a'", Self.isTensor("b"))
        // The same range twice is an overlap too.
        expect(file(#"{"a":{"dtype":"U8","shape":[1],"data_offsets":[0,1]},"b":{"dtype":"U8","shape":[1],"data_offsets":[0,1]}}"#, data: [0]),
               "overlap tensor 'a'", Self.isTensor("b"))
    }

    func testBufferMustBeCoveredExactly() {
        expect(file(f32x2, data: Array(repeating: 0, count: 9)), "1 trailing bytes belong to no tensor") {
            if case .incompleteBuffer = $0 { true } else { false }
        }
        expect(file("{}", data: [0]), "1 trailing bytes") { if case .incompleteBuffer = $0 { true } else { false } }
    }

    func testTensorPastTheEndOfTheFile() {
        expect(file(f32x2, data: Array(repeating: 0, count: 7)), "run past the 7-byte data buffer", Self.isTensor("a"))
    }
}
