import XCTest
@testable import Runtime

/// The OpenBLAS kernel-family choice when OpenBLAS does not recognise the CPU.
final class BLASCoreTests: XCTestCase {
    func testBestCoreFromFlags() {
        XCTAssertEqual(_BLASCore.bestCore(flags: ["sse3", "avx", "avx2", "fma", "avx512f", "avx512bw", "avx512vl", "avx512dq", "avx512cd"]),
                       "SkylakeX")
        XCTAssertEqual(_BLASCore.bestCore(flags: ["avx", "avx2", "fma", "avx512f"]), "Haswell")
        XCTAssertNil(_BLASCore.bestCore(flags: ["sse3", "avx"]))
    }

    /// After the first executor, OpenBLAS never runs its SSE3 fallback on a CPU with AVX2.
    func testExecutorSelectsAVXKernels() throws {
        _ = try Executor(graph: GraphTests.sequentialGraph())
        let flags = (try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8)) ?? ""
        if flags.contains(" avx2") && ProcessInfo.processInfo.environment["OPENBLAS_CORETYPE"] == nil {
            XCTAssertNotEqual(Executor.blasCore, "Prescott")
        }
    }
}
