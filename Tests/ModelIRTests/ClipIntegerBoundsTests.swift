import ModelIR
import XCTest

final class ClipIntegerBoundsTests: XCTestCase {
    func testIntegerClipWithExtremeAttributeBoundsDoesNotTrap() throws {
        let x = ints([-5, 0, 7], nil, .int32)
        // Clip-6's defaults: ±FLT_MAX, far outside Int64.
        let wide = try evaluate(.elementwise(.clip(ClipAttributes(min: -3.4028234663852886e38, max: 3.4028234663852886e38))), [x])[0]
        XCTAssertEqual(wide.integers, [-5, 0, 7])
        let narrow = try evaluate(.elementwise(.clip(ClipAttributes(min: -1, max: 3))), [x])[0]
        XCTAssertEqual(narrow.integers, [-1, 0, 3])
        XCTAssertEqual(try evaluate(.elementwise(.clip(ClipAttributes(min: .nan))), [x])[0].integers, [0, 0, 7])
        let viaOperands = try evaluate(.elementwise(.clip(ClipAttributes())), [x, ints([-2], [], .int32), ints([5], [], .int32)])[0]
        XCTAssertEqual(viaOperands.integers, [-2, 0, 5])
    }

    func testUInt64ClipComparesUnsigned() throws {
        // -1 is 2^64 - 1 as uint64: above the upper bound 10, not below the lower bound 2.
        let x = ints([-1, 1, 5], nil, .uint64)
        let y = try evaluate(.elementwise(.clip(ClipAttributes())), [x, ints([2], [], .uint64), ints([10], [], .uint64)])[0]
        XCTAssertEqual(y.integers, [10, 2, 5])
    }
}
