import Foundation
import XCTest
@testable import NPY

/// Files written by NumPy 2.4 (`np.save`, and `write_array(..., version=(2, 0))`), committed in
/// `Fixtures/`. We must read them and, for supported dtypes, reproduce them byte for byte.
final class NPYFixtureTests: XCTestCase {
    static let fixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .appendingPathComponent("Fixtures")

    private func fixture(_ name: String) -> URL {
        Self.fixtures.appendingPathComponent(name)
    }

    private func fileBytes(_ name: String) throws -> [UInt8] {
        [UInt8](try Data(contentsOf: fixture(name)))
    }

    func testReadsFloat32Matrix() throws {
        let array = try NPYFile.read(contentsOf: fixture("f4_2x3.npy"))
        XCTAssertEqual(array.shape, [2, 3])
        XCTAssertEqual(array.dtype, .float32)
        XCTAssertEqual(try array.floats(), (0..<6).map { Float($0) / 7 })
    }

    func testReadsFloat64() throws {
        let array = try NPYFile.read(contentsOf: fixture("f8_3.npy"))
        XCTAssertEqual(array.shape, [3])
        XCTAssertEqual(array.dtype, .float64)
        XCTAssertEqual(try array.doubles(), [0.1, -2.5, 1e300])
        XCTAssertEqual(try array.floats(), [Float(0.1), -2.5, .infinity])
    }

    func testReadsIntegers() throws {
        let int32 = try NPYFile.read(contentsOf: fixture("i4_2x2.npy"))
        XCTAssertEqual(int32.shape, [2, 2])
        XCTAssertEqual(try int32.int64s(), [1, -2, Int64(Int32.max), Int64(Int32.min)])
        XCTAssertEqual(try int32.floats(), [1, -2, Float(Int32.max), Float(Int32.min)])

        let int64 = try NPYFile.read(contentsOf: fixture("i8_0d.npy"))
        XCTAssertEqual(int64.shape, [])
        XCTAssertEqual(int64.elementCount, 1)
        XCTAssertEqual(try int64.int64s(), [-(1 << 62) - 5])
    }

    func testReadsUInt8AndBool() throws {
        let bytes = try NPYFile.read(contentsOf: fixture("u1_2x2x3.npy"))
        XCTAssertEqual(bytes.shape, [2, 2, 3])
        XCTAssertEqual(try bytes.uint8s(), (0..<12).map { UInt8($0 * 21) })

        let bools = try NPYFile.read(contentsOf: fixture("b1_4.npy"))
        XCTAssertEqual(bools.dtype, .bool)
        XCTAssertEqual(try bools.floats(), [1, 0, 0, 1])
    }

    func testReadsEmptyAnd0D() throws {
        let empty = try NPYFile.read(contentsOf: fixture("f4_0x3.npy"))
        XCTAssertEqual(empty.shape, [0, 3])
        XCTAssertEqual(try empty.floats(), [])

        let scalar = try NPYFile.read(contentsOf: fixture("f4_0d.npy"))
        XCTAssertEqual(scalar.shape, [])
        XCTAssertEqual(try scalar.floats(), [3.5])
    }

    func testReadsVersion2Header() throws {
        let header = try NPYFile.readHeader(contentsOf: fixture("f4_v2.npy"))
        XCTAssertEqual(header.version, .v2)
        XCTAssertEqual(header.dataOffset, 128)
        let array = try NPYFile.read(contentsOf: fixture("f4_v2.npy"))
        XCTAssertEqual(array.shape, [1, 2])
        XCTAssertEqual(try array.floats(), [1.5, -0.25])
    }

    /// Our header encoder must produce exactly NumPy's bytes (key order, spacing, the 21-digit
    /// growth reserve, 64-byte alignment), so files we write are indistinguishable from np.save's.
    func testWritesExactlyWhatNumPyWrites() throws {
        for name in ["f4_2x3.npy", "f8_3.npy", "i4_2x2.npy", "i8_0d.npy", "u1_2x2x3.npy", "b1_4.npy",
                     "f4_0x3.npy", "f4_0d.npy"] {
            let original = try fileBytes(name)
            let array = try NPYFile.read(contentsOf: fixture(name))
            XCTAssertEqual(try array.npyBytes(), original, name)
            let header = try original.withUnsafeBytes { try NPYHeader.parse($0) }
            XCTAssertEqual(header.encoded(), Array(original[..<header.dataOffset]), name)
        }
        let v2 = try fileBytes("f4_v2.npy")
        let array = try NPYFile.read(contentsOf: fixture("f4_v2.npy"))
        XCTAssertEqual(try array.npyBytes(version: .v2), v2)
    }

    func testRejectsBigEndianFortranAndStructuredFixtures() throws {
        XCTAssertThrowsError(try NPYFile.read(contentsOf: fixture("f4_bigendian.npy"))) { error in
            guard case NPYError.unsupportedDType(let path, ">f4") = error else { return XCTFail("\(error)") }
            XCTAssertTrue(path.hasSuffix("f4_bigendian.npy"))
        }
        XCTAssertThrowsError(try NPYFile.read(contentsOf: fixture("f4_fortran.npy"))) { error in
            guard case NPYError.fortranOrder = error else { return XCTFail("\(error)") }
            XCTAssertTrue("\(error)".contains("f4_fortran.npy: Fortran-ordered"), "\(error)")
        }
        XCTAssertThrowsError(try NPYFile.read(contentsOf: fixture("structured.npy"))) { error in
            guard case NPYError.unsupportedDType(_, let descr) = error else { return XCTFail("\(error)") }
            XCTAssertEqual(descr, "[('a', '<f4'), ('b', '<i4')]")
        }
    }

    func testMissingFileNamesThePath() {
        XCTAssertThrowsError(try NPYFile.read(contentsOf: fixture("missing.npy"))) { error in
            guard case NPYError.io(_, "open", ENOENT) = error else { return XCTFail("\(error)") }
            XCTAssertTrue("\(error)".hasSuffix("missing.npy: open failed: No such file or directory"), "\(error)")
        }
    }
}
