import Foundation
import WTool
import XCTest
import _TestSupport

/// A cgroup memory limit tight for the model (below 5× its weights + 256 MiB) chooses kernels
/// without weight copies; no limit, a roomy one or an explicit choice leave the options as they are.
final class MemoryPreferenceTests: XCTestCase {
    func testCgroupLimitChoosesLowMemory() throws {
        let graph = try ModelLoader.load(path: TestSupport.sample("mini_classifier/mini_classifier.keras3.h5")).graph
        let weights = graph.weights.values.reduce(0) { $0 + $1.data.count }
        let options = ExecutorOptions()
        XCTAssertEqual(InferenceSession.fitted(options, graph: graph, limit: nil).memory, .normal)
        XCTAssertEqual(InferenceSession.fitted(options, graph: graph, limit: weights * 5 + (256 << 20)).memory, .normal)
        XCTAssertEqual(InferenceSession.fitted(options, graph: graph, limit: weights * 5 + (256 << 20) - 1).memory, .low)
        var low = options
        low.memory = .low
        XCTAssertEqual(InferenceSession.fitted(low, graph: graph, limit: nil).memory, .low)
    }
}
