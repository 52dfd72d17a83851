import Foundation
import ModelIR
@testable import SWMFormat
import XCTest
import _TestSupport

/// One test per rule of schemas/swm.md §5, each from bytes edited by hand. Checksums are fixed
/// up after each edit so that the rule under test, not a checksum, is what fires.
final class SWMHeaderValidationTests: XCTestCase {
    static let valid: [UInt8] = {
        let url = TestSupport.temporaryDirectory().appendingPathComponent("v.swm")
        try! SWMWriter().write(TestSupport.smallGraph(), to: url.path)
        return Array(try! Data(contentsOf: url))
    }()

    func parse(_ bytes: [UInt8]) throws -> SWMHeader {
        try bytes.withUnsafeBytes { try SWMHeader.parse($0) }
    }

    /// Recomputes header_crc32 and fixed_crc32 after an edit.
    func fixCRCs(_ bytes: inout [UInt8]) {
        let headerSize = Int(bytes.withUnsafeBytes { $0.le(16, as: UInt64.self) })
        let graphSize = Int(bytes.withUnsafeBytes { $0.le(52, as: UInt32.self) })
        if headerSize <= bytes.count, headerSize - graphSize >= 64 {
            bytes.storeLE(bytes.withUnsafeBytes { swmCRC32(UnsafeRawBufferPointer(rebasing: $0[64..<(headerSize - graphSize)])) }, at: 56)
        }
        bytes.storeLE(bytes.withUnsafeBytes { swmCRC32(UnsafeRawBufferPointer(rebasing: $0[0..<60])) }, at: 60)
    }

    func expect(_ bytes: [UInt8], _ matches: (SWMError) -> Bool, file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertThrowsError(try parse(bytes), file: file, line: line) { error in
            guard let e = error as? SWMError else { return XCTFail("unexpected \(error)", file: file, line: line) }
            XCTAssertTrue(matches(e), "wrong error: \(e)", file: file, line: line)
        }
    }

    func edited(fix: Bool = true, _ edit: (inout [UInt8]) -> Void) -> [UInt8] {
        var b = Self.valid
        edit(&b)
        if fix { fixCRCs(&b) }
        return b
    }

    let entry0 = 64

    func testValidFileParses() throws {
        let h = try parse(Self.valid)
        XCTAssertEqual(h.tensors.count, 5)
    }

    func testEmptyAndWrongMagic() {
        expect([], { $0 == .notSWM })
        expect(Array("not a model at all, just text".utf8), { $0 == .notSWM })
        expect(Array(Self.valid.prefix(4)), { if case .truncated = $0 { true } else { false } })
        expect(Array(Self.valid.prefix(40)), { if case .truncated = $0 { true } else { false } })
    }

    func testVersionAndEndianness() {
        expect(edited { $0.storeLE(UInt16(2), at: 8) }, { $0 == .unsupportedVersion(major: 2, minor: 1) })
        expect(edited { $0.storeLE(UInt32(0x0A0B_0C0D).byteSwapped, at: 12) }, { $0 == .bigEndian })
        expect(edited { $0.storeLE(UInt32(7), at: 12) }, { if case .corruptHeader = $0 { true } else { false } })
    }

    func testChecksumsOfTheHeader() {
        expect(edited(fix: false) { $0[45] ^= 1 }, { $0 == .corruptHeader(detail: "fixed header checksum mismatch") })
        expect(edited(fix: false) { b in
            b[70] ^= 1 // inside the tensor table
            b.storeLE(b.withUnsafeBytes { swmCRC32(UnsafeRawBufferPointer(rebasing: $0[0..<60])) }, at: 60)
        }, { $0 == .corruptHeader(detail: "header checksum mismatch") })
    }

    func testHeaderSizeRules() {
        expect(edited { $0.storeLE(UInt64(1234), at: 16) }, { if case .corruptHeader(let d) = $0 { d.contains("does not match") } else { false } })
        expect(edited { $0.storeLE(UInt32(1 << 21), at: 40) }, { if case .corruptHeader(let d) = $0 { d.contains("tensor count") } else { false } })
        // A huge dims count: the formula then exceeds the 64 MiB cap.
        expect(edited { b in
            b.storeLE(UInt32(10_000_000), at: 44)
            let size = 64 + 48 * 5 + 8 * 10_000_000 + Int(b.withUnsafeBytes { $0.le(48, as: UInt32.self) }) + Int(b.withUnsafeBytes { $0.le(52, as: UInt32.self) })
            b.storeLE(UInt64(size), at: 16)
        }, { if case .corruptHeader(let d) = $0 { d.contains("cap") } else { false } })
    }

    func testDataSectionRules() {
        expect(edited { $0.storeLE(UInt64(4000), at: 24) }, { if case .corruptHeader(let d) = $0 { d.contains("page") } else { false } })
        expect(edited { $0 += [0, 0, 0] }, { if case .corruptHeader(let d) = $0 { d.contains("trailing") } else { false } })
        expect(edited { $0.removeLast(10) }, { if case .truncated = $0 { true } else { false } })
        expect(edited { $0 = Array($0.prefix(4096)) }, { if case .truncated = $0 { true } else { false } })
    }

    func tensorError(_ bytes: [UInt8], contains text: String, file: StaticString = #filePath, line: UInt = #line) {
        expect(bytes, { if case .invalidTensor(_, let d) = $0 { d.contains(text) } else { false } }, file: file, line: line)
    }

    func testTensorEntryRules() {
        tensorError(edited { $0[entry0 + 29] = 99 }, contains: "dtype")
        tensorError(edited { $0[entry0 + 30] = 77 }, contains: "layout")
        tensorError(edited { $0[entry0 + 31] = 2 }, contains: "reserved")
        tensorError(edited { $0[entry0 + 28] = 9 }, contains: "rank")
        tensorError(edited { $0.storeLE(UInt32(1 << 30), at: entry0 + 24) }, contains: "dims")
        tensorError(edited { $0.storeLE(UInt64(4), at: entry0 + 8) }, contains: "byte length")
        tensorError(edited { $0.storeLE(UInt64(32), at: entry0) }, contains: "aligned")
        tensorError(edited { $0.storeLE(UInt64(1 << 40), at: entry0) }, contains: "outside")
        tensorError(edited { $0.storeLE(UInt64.max - 63, at: entry0) }, contains: "outside")
        tensorError(edited { $0.storeLE(UInt32(1 << 20), at: entry0 + 16) }, contains: "string table")
        tensorError(edited { $0.storeLE(UInt32(0), at: entry0 + 20) }, contains: "string table")
    }

    func testDuplicateNamesOverlapAndUTF8() throws {
        let h = try parse(Self.valid)
        let second = entry0 + 48
        // Point tensor 1's name at tensor 0's name.
        let dup = edited { b in
            b.replaceSubrange((second + 16)..<(second + 24), with: b[(self.entry0 + 16)..<(self.entry0 + 24)])
        }
        tensorError(dup, contains: "duplicate")
        // Make tensor 1 start inside tensor 0 (both have 64-aligned offsets; tensor 0 is 432 bytes).
        XCTAssertGreaterThan(h.tensors[0].byteLength, 64)
        tensorError(edited { b in
            b.storeLE(UInt64(64), at: second)
        }, contains: "overlap")
        // Invalid UTF-8 in a name.
        let stringsStart = 64 + 48 * h.tensors.count + 8 * Int(Self.valid.withUnsafeBytes { $0.le(44, as: UInt32.self) })
        tensorError(edited { $0[stringsStart] = 0xFF }, contains: "UTF-8")
    }

    func testHugeDimensionsAndOverflow() {
        tensorError(edited { b in
            let dimsStart = 64 + 48 * 5
            b.storeLE(UInt64(1) << 41, at: dimsStart)
        }, contains: "too large")
        tensorError(edited { b in
            let dimsStart = 64 + 48 * 5
            for i in 0..<4 { b.storeLE(UInt64(1 << 39), at: dimsStart + 8 * i) }
        }, contains: "overflows")
    }

    func testGraphSectionDamageIsAGraphErrorNotACrash() throws {
        let h = try parse(Self.valid)
        var b = Self.valid
        for i in h.graphRange.dropFirst(4).prefix(20) { b[i] = UInt8(ascii: "x") }
        fixCRCs(&b)
        let url = TestSupport.temporaryDirectory().appendingPathComponent("g.swm")
        try Data(b).write(to: url)
        let file = try SWMFile(path: url.path)
        XCTAssertThrowsError(try file.graph()) { error in
            XCTAssertEqual(error as? SWMError, .invalidGraph(detail: "graph checksum mismatch"))
        }
        // With its CRC fixed up, damaged JSON is still a graph error, not a crash.
        b.storeLE(b.withUnsafeBytes { swmCRC32(UnsafeRawBufferPointer(rebasing: $0[(h.graphRange.lowerBound + 4)..<h.graphRange.upperBound])) },
                  at: h.graphRange.lowerBound)
        try Data(b).write(to: url)
        XCTAssertThrowsError(try SWMFile(path: url.path).graph()) { error in
            guard case SWMError.invalidGraph(let detail) = error else { return XCTFail("\(error)") }
            XCTAssertTrue(detail.contains("does not decode"), detail)
        }
    }
}
