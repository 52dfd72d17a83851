import Foundation
@testable import WTool
import XCTest

/// The summary's number formatting, done in integers, against Foundation's `%.2f` and the
/// obvious grouping: Keras prints sizes with Python's `.2f`, which rounds the exact binary value
/// half to even, as C's printf does.
final class SummaryFormattingTests: XCTestCase {
    func testReadableSizeMatchesPrintfRounding() {
        var samples = [0, 1, 4, 1023, 1024, 1025, 1_048_575, 1_048_576, 94_350_848, 1 << 40, 5 << 50, Int.max / 100]
        // Exact ties in every unit: an odd multiple of 1/8 of the unit is x.xx5 (0.125, 0.375, …),
        // which printf rounds to even; and the bytes on either side of each tie.
        for unit in [1, 1024, 1 << 20, 1 << 30] {
            for k in stride(from: 1, through: 41, by: 2) {
                let tie = k * unit / 8
                samples += [tie - 1, tie, tie + 1]
            }
        }
        var rng = SystemRandomNumberGenerator()
        for _ in 0..<2000 { samples.append(Int.random(in: 0...(1 << 42), using: &rng)) }
        for bytes in samples {
            var value = Double(bytes)
            var expected = ""
            for unit in ["B", "KB", "MB", "GB"] {
                if value < 1024 || unit == "GB" { expected = String(format: "%.2f %@", value, unit); break }
                value /= 1024
            }
            XCTAssertEqual(ModelSummary.readableSize(bytes), expected, "\(bytes) bytes")
        }
    }

    func testGroupedThousands() {
        let cases: [(Int, String)] = [(0, "0"), (7, "7"), (999, "999"), (1000, "1,000"), (34809, "34,809"),
                                      (23_587_712, "23,587,712"), (123_456_789_012, "123,456,789,012"), (-1234, "-1,234")]
        for (n, text) in cases { XCTAssertEqual(ModelSummary.grouped(n), text) }
    }
}
