import XCTest
@testable import Runtime

/// Loading OpenBLAS at run time: the kernel family from the CPU flags, one OpenBLAS thread, and
/// the split GEMM against a single call.
final class BLASCoreTests: XCTestCase {
    func testBestCoreFromFlags() {
        XCTAssertEqual(_BLAS.bestCore(flags: ["sse3", "avx", "avx2", "fma", "avx512f", "avx512bw", "avx512vl", "avx512dq", "avx512cd"]),
                       "SkylakeX")
        XCTAssertEqual(_BLAS.bestCore(flags: ["avx", "avx2", "fma", "avx512f"]), "Haswell")
        XCTAssertNil(_BLAS.bestCore(flags: ["sse3", "avx"]))
    }

    /// After the first executor, OpenBLAS never runs its SSE3 fallback on a CPU with AVX2, and the
    /// variables set for loading it are gone from the environment again.
    func testExecutorLoadsOpenBLASWithAVXKernels() throws {
        let before = ProcessInfo.processInfo.environment
        _ = try Executor(graph: GraphTests.sequentialGraph())
        XCTAssertNotEqual(Executor.blasCore, "unavailable")
        let flags = (try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8)) ?? ""
        if flags.contains(" avx2") && before["OPENBLAS_CORETYPE"] == nil {
            XCTAssertNotEqual(Executor.blasCore, "Prescott")
        }
        let after = ProcessInfo.processInfo.environment
        for name in ["OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "OPENBLAS_CORETYPE"] {
            XCTAssertEqual(after[name], before[name], name)
        }
    }

    /// Row blocks (m ≥ n), column blocks (m < n), block edges that are not multiples of 16, and
    /// leading dimensions wider than the matrix: every element equals one unsplit SGEMM's.
    func testSplitGemmEqualsOneCall() throws {
        _ = try _BLAS.require()
        let parallel = _Parallel(workers: 3, minimumWork: 1)
        for (m, n, k) in [(37, 5, 9), (3, 70, 11), (1, 33, 4), (50, 50, 1)] {
            let lda = k + 2, ldb = n + 3, ldc = n + 1
            let a = (0..<(m * lda)).map { Float(($0 * 7) % 13) - 6 }
            let b = (0..<(k * ldb)).map { Float(($0 * 5) % 11) - 5 }
            var split = [Float](repeating: .nan, count: m * ldc), single = split
            parallel.gemm(m: m, n: n, k: k, a: a, lda: lda, b: b, ldb: ldb, c: &split, ldc: ldc)
            _BLAS.gemm(m: m, n: n, k: k, a: a, lda: lda, b: b, ldb: ldb, c: &single, ldc: ldc)
            for r in 0..<m {
                XCTAssertEqual(Array(split[(r * ldc)..<(r * ldc + n)]), Array(single[(r * ldc)..<(r * ldc + n)]), "\(m)×\(n)×\(k) row \(r)")
            }
        }
    }
}
