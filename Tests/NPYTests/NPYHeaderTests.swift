import XCTest
@testable import NPY

/// One test per way a header can be wrong, from hand-written bytes.
final class NPYHeaderTests: XCTestCase {
    /// A file with the given version and header text (padded like NumPy unless `raw`) and data.
    private func file(_ header: String, version: (UInt8, UInt8) = (1, 0), data: [UInt8] = [], pad: Bool = true) -> [UInt8] {
        var text = Array(header.utf8)
        let lengthSize = version.0 == 1 ? 2 : 4
        if pad {
            while (8 + lengthSize + text.count + 1) % 64 != 0 { text.append(0x20) }
            text.append(0x0A)
        }
        var bytes: [UInt8] = [0x93, 0x4E, 0x55, 0x4D, 0x50, 0x59, version.0, version.1]
        for i in 0..<lengthSize { bytes.append(UInt8(truncatingIfNeeded: text.count >> (8 * i))) }
        return bytes + text + data
    }

    private func parse(_ bytes: [UInt8]) throws -> NPYArray {
        try bytes.withUnsafeBytes { try NPYArray(npyBytes: $0, path: "t.npy") }
    }

    private func assertError(_ bytes: [UInt8], file: StaticString = #filePath, line: UInt = #line,
                             _ check: (NPYError) -> Bool) {
        XCTAssertThrowsError(try parse(bytes), file: file, line: line) { error in
            guard let error = error as? NPYError else { return XCTFail("not an NPYError: \(error)", file: file, line: line) }
            XCTAssertTrue(check(error), "unexpected: \(error)", file: file, line: line)
            XCTAssertTrue(error.description.hasPrefix("t.npy: "), error.description, file: file, line: line)
        }
    }

    private func assertMalformed(_ header: String, containing fragment: String,
                                 file: StaticString = #filePath, line: UInt = #line) {
        assertError(self.file(header), file: file, line: line) { error in
            guard case .malformedHeader(_, let reason) = error else { return false }
            return reason.contains(fragment)
        }
    }

    let good = "{'descr': '<f4', 'fortran_order': False, 'shape': (2,), }"

    func testGoodHeaderParses() throws {
        let array = try parse(file(good, data: [0, 0, 128, 63, 0, 0, 0, 64]))
        XCTAssertEqual(try array.floats(), [1, 2])
    }

    func testAcceptsOtherSpellingsNumPyAccepts() throws {
        // Double quotes, other key order, no trailing comma, Python 2 longs, no padding, version 3.0.
        let header = "{\"shape\": (1L, 2L), \"fortran_order\": False, \"descr\": \"|u1\"}"
        let array = try parse(file(header, version: (3, 0), data: [7, 9], pad: false))
        XCTAssertEqual(array.shape, [1, 2])
        XCTAssertEqual(try array.uint8s(), [7, 9])
        let scalar = try parse(file("{'descr': '<i4', 'fortran_order': False, 'shape': ()}", data: [1, 0, 0, 0]))
        XCTAssertEqual(try scalar.int64s(), [1])
    }

    func testBadMagic() {
        assertError(Array("PK\u{3}\u{4}not numpy at all".utf8)) { $0 == .notNPY(path: "t.npy") }
        var bytes = file(good)
        bytes[1] = UInt8(ascii: "M")
        assertError(bytes) { $0 == .notNPY(path: "t.npy") }
    }

    func testEmptyAndTruncatedPreamble() {
        assertError([]) { $0 == .truncatedHeader(path: "t.npy", needed: 10, available: 0) }
        assertError([0x93, 0x4E, 0x55]) { $0 == .truncatedHeader(path: "t.npy", needed: 10, available: 3) }
        assertError([0x93, 0x4E, 0x55, 0x4D, 0x50, 0x59, 2, 0, 10, 0]) {
            $0 == .truncatedHeader(path: "t.npy", needed: 12, available: 10)
        }
    }

    func testTruncatedHeader() {
        let bytes = Array(file(good).prefix(40))
        assertError(bytes) { $0 == .truncatedHeader(path: "t.npy", needed: 128, available: 40) }
    }

    func testUnsupportedVersion() {
        assertError(file(good, version: (4, 0))) { $0 == .unsupportedVersion(path: "t.npy", major: 4, minor: 0) }
        assertError(file(good, version: (1, 1))) { $0 == .unsupportedVersion(path: "t.npy", major: 1, minor: 1) }
    }

    func testHeaderLengthBeyondLimit() {
        // A v2 header claiming 3 GB must be rejected before anything is read or allocated.
        let bytes: [UInt8] = [0x93, 0x4E, 0x55, 0x4D, 0x50, 0x59, 2, 0, 0, 0, 0, 0xC0] + Array("{}".utf8)
        assertError(bytes) { $0 == .headerTooLarge(path: "t.npy", length: 0xC000_0000, limit: 10_000) }
        var v1 = file(good)
        v1[8] = 0xFF
        v1[9] = 0xFF
        assertError(v1) { $0 == .headerTooLarge(path: "t.npy", length: 65535, limit: 10_000) }
    }

    func testBadDictionaries() {
        assertMalformed("['descr', 'shape']", containing: "expected '{'")
        assertMalformed("{'descr': '<f4', 'fortran_order': False}", containing: "found ['descr', 'fortran_order']")
        assertMalformed("{'descr': '<f4', 'fortran_order': False, 'shape': (2,), 'extra': 1, }", containing: "unsupported value")
        assertMalformed("{'descr': '<f4', 'fortran_order': False, 'shape': (2,), 'x': True}", containing: "found ['descr', 'fortran_order', 'shape', 'x']")
        assertMalformed("{'descr': '<f4', 'descr': '<f4', 'fortran_order': False, 'shape': (2,)}", containing: "duplicate key 'descr'")
        assertMalformed("{'descr': '<f4, 'fortran_order': False, 'shape': (2,)}", containing: "expected ',' or '}' at offset 17")
        assertMalformed("{'descr': '<f4', 'fortran_order': False, 'shape': (2,)", containing: "unterminated dictionary")
        assertMalformed("{'descr': '<f4', 'fortran_order': False, 'shape': (2,)} junk", containing: "unexpected text after the dictionary")
        assertMalformed("{'descr': '<f4', 'fortran_order': False, 'shape': (2)}", containing: "not a tuple")
        assertMalformed("{'descr': '<f4', 'fortran_order': False, 'shape': '2'}", containing: "'shape' is not a tuple")
        assertMalformed("{'descr': '<f4', 'fortran_order': 0, 'shape': (2,)}", containing: "unsupported value")
        assertMalformed("{'descr': '<f4', 'fortran_order': 'False', 'shape': (2,)}", containing: "'fortran_order' is not True or False")
        assertMalformed("{'descr': 4, 'fortran_order': False, 'shape': (2,)}", containing: "unsupported value")
        assertMalformed("{'descr': '<f4', 'fortran_order': Falsey, 'shape': (2,)}", containing: "expected True or False")
        assertMalformed("{'descr': '<f\\x34', 'fortran_order': False, 'shape': (2,)}", containing: "escape sequences")
        assertMalformed("{'descr': '<f4', 'fortran_order': False, 'shape': (2.0,)}", containing: "expected ',' or ')'")
        assertMalformed("{'descr': '<f4', 'fortran_order': False, 'shape': (2x,)}", containing: "unexpected character after an integer")
        assertMalformed("{'descr' '<f4', 'fortran_order': False, 'shape': (2,)}", containing: "expected ':'")
        assertMalformed("{'descr': '<f4', 'fortran_order': False, 'shape': (02,)}", containing: "leading zero")
        assertMalformed("{'descr': '<f4', 'fortran_order': False, 'shape': (,)}", containing: "expected an integer")
        assertMalformed("{'descr': '<f4', 'fortran_order': False, 'shape': (2,), 'é': 1}", containing: "non-ASCII")
        assertMalformed("", containing: "expected '{'")
    }

    func testNegativeAndHugeShapes() {
        assertError(file("{'descr': '<f4', 'fortran_order': False, 'shape': (2, -1), }")) {
            guard case .invalidShape(_, "(2, -1)", let reason) = $0 else { return false }
            return reason == "dimension -1 is negative"
        }
        assertError(file("{'descr': '<f4', 'fortran_order': False, 'shape': (99999999999999999999,), }")) {
            guard case .invalidShape(_, _, let reason) = $0 else { return false }
            return reason.hasSuffix("is too large")
        }
        // Each dimension fits, their product times 4 bytes does not.
        assertError(file("{'descr': '<f4', 'fortran_order': False, 'shape': (4294967296, 4294967296), }")) {
            $0 == .sizeOverflow(path: "t.npy", shape: [1 << 32, 1 << 32], dtype: .float32)
        }
        assertError(file("{'descr': '<f8', 'fortran_order': False, 'shape': (1152921504606846976,), }")) {
            $0 == .sizeOverflow(path: "t.npy", shape: [1 << 60], dtype: .float64)
        }
        let manyDimensions = "(" + String(repeating: "1, ", count: 65) + ")"
        assertError(file("{'descr': '<f4', 'fortran_order': False, 'shape': \(manyDimensions), }")) {
            guard case .invalidShape(_, _, let reason) = $0 else { return false }
            return reason == "more than 64 dimensions"
        }
    }

    func testFortranOrder() {
        assertError(file("{'descr': '<f4', 'fortran_order': True, 'shape': (2, 3), }", data: Array(repeating: 0, count: 24))) {
            $0 == .fortranOrder(path: "t.npy")
        }
    }

    func testUnsupportedDTypes() {
        for descr in [">f4", ">i8", ">f2", "<c8", "<U3", "|O", "f4", ">u2", "<V2", "<M8[s]"] {
            assertError(file("{'descr': '\(descr)', 'fortran_order': False, 'shape': (1,), }", data: [0, 0, 0, 0])) {
                $0 == .unsupportedDType(path: "t.npy", descr: descr)
            }
        }
    }

    func testShortAndTrailingData() {
        assertError(file(good, data: [0, 0, 128, 63, 0, 0, 0])) {
            $0 == .truncatedData(path: "t.npy", expected: 8, actual: 7)
        }
        assertError(file(good, data: [0, 0, 128, 63, 0, 0, 0, 64, 1])) {
            $0 == .trailingData(path: "t.npy", expected: 8, actual: 9)
        }
        assertError(file(good)) { $0 == .truncatedData(path: "t.npy", expected: 8, actual: 0) }
    }

    func testDescriptionsAreOneLine() {
        let errors: [NPYError] = [
            .notNPY(path: "a.npy"), .truncatedData(path: "a.npy", expected: 8, actual: 3),
            .trailingData(path: "a.npy", expected: 8, actual: 9), .fortranOrder(path: "a.npy"),
            .unsupportedDType(path: "a.npy", descr: ">f4"), .io(path: "a.npy", operation: "open", errno: ENOENT),
        ]
        for error in errors {
            XCTAssertTrue(error.description.hasPrefix("a.npy: "), error.description)
            XCTAssertFalse(error.description.contains("\n"))
        }
        XCTAssertEqual(NPYError.trailingData(path: "a.npy", expected: 8, actual: 9).description,
                       "a.npy: 1 trailing bytes after the 8 data bytes")
    }
}
