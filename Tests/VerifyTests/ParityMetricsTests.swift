import Verify
import XCTest

final class ParityMetricsTests: XCTestCase {
    func testRelativeErrorUsesTheWholeOutputsScale() {
        let m = ParityMetrics(actual: [1, 2, 3.001, -4], expected: [1, 2, 3, -4])
        XCTAssertEqual(m.maxAbsoluteError, 0.001, accuracy: 1e-6)
        XCTAssertEqual(m.relativeError, 0.001 / 4, accuracy: 1e-7)
        XCTAssertEqual(m.worstIndex, 2)
        XCTAssertTrue(m.passes(tolerance: 1e-3))
        XCTAssertFalse(m.passes(tolerance: 1e-4))
        XCTAssertEqual(m.cosineSimilarity, 1, accuracy: 1e-6)
    }

    func testExactAndDegenerateCases() {
        XCTAssertEqual(ParityMetrics(actual: [0, 0], expected: [0, 0]).relativeError, 0)
        XCTAssertEqual(ParityMetrics(actual: [1, 0], expected: [0, 0]).relativeError, .infinity)
        XCTAssertEqual(ParityMetrics(actual: [.nan, 0], expected: [1, 0]).relativeError, .infinity)
        XCTAssertFalse(ParityMetrics(actual: [.infinity], expected: [1]).passes(tolerance: 1))
        XCTAssertEqual(ParityMetrics(actual: [1, 0], expected: [-1, 0]).cosineSimilarity, -1, accuracy: 1e-12)
    }
}
