@testable import FileSupport
import XCTest

/// `_XXH64`, the kernel-cache checksum, against values libxxhash 0.8.1 (`XXH64()`) gives for the
/// same bytes: every tail length (0–7 bytes, a 4-byte word, 8-byte words) and the 32-byte stripes.
final class XXH64Tests: XCTestCase {
    /// Byte i of the pattern is (31·i + 7) mod 256.
    let pattern = (0..<1000).map { UInt8(truncatingIfNeeded: $0 * 31 + 7) }

    func testMatchesLibxxhash() {
        let expected: [(Int, UInt64)] = [
            (0, 0xef46db3751d8e999), (1, 0xa96c7f0ce858bbb7), (3, 0x56e6957632a487f9), (4, 0xc60d15b1e3ff8f04),
            (8, 0x3da5c7aa269683e0), (31, 0x4a74f3a1a39ad4a1), (32, 0x8d57d6a4671cc43d), (33, 0x62c9fd21ed857664),
            (100, 0xefa0ad2d3e70c151), (1000, 0x99594f4828043d35),
        ]
        for (count, value) in expected {
            XCTAssertEqual(pattern.prefix(count).withUnsafeBytes { _XXH64.hash($0) }, value, "\(count) bytes")
        }
        XCTAssertEqual(pattern.prefix(100).withUnsafeBytes { _XXH64.hash($0, seed: 12345) }, 0x4f2e446ab943e539)
    }

    func testEveryFlippedBitChangesTheHash() {
        var bytes = Array(pattern.prefix(256))
        let good = bytes.withUnsafeBytes { _XXH64.hash($0) }
        for bit in stride(from: 0, to: 256 * 8, by: 13) {
            bytes[bit / 8] ^= UInt8(1 << (bit % 8))
            XCTAssertNotEqual(bytes.withUnsafeBytes { _XXH64.hash($0) }, good, "bit \(bit)")
            bytes[bit / 8] ^= UInt8(1 << (bit % 8))
        }
    }
}
