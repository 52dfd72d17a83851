import CDNNL
import Synchronization

/// Products `C[m × n] = A[m × k] · B[k × n]` of dense row-major float32 matrices on oneDNN's
/// matmul (its brgemm kernels), with each `B` reordered once into oneDNN's blocked layout: the
/// α² transformed-domain products of a Winograd convolution, whose `B` are the transformed
/// kernel's matrices. OpenBLAS's SGEMM packs both operands on every call; brgemm reads `A` in
/// place and `B` already packed (`bench`-style timings of VGG16's products at batch 1, one
/// thread: 0.50–0.84× of SGEMM's time, docs/performance.md).
///
/// The blocked layout depends on `k`, `n` and the instruction set, not on `m`: the layout is
/// learnt once, and the primitive for each row count (a chunk's tiles) is built on first use with
/// that layout fixed.
final class _OneDNNMatMul: @unchecked Sendable {
    let k: Int
    let n: Int
    /// Floats one reordered `B` takes (its bytes rounded up to whole floats).
    let floatsPerMatrix: Int
    /// A hash of the layout, for cache keys.
    let layout: UInt64
    /// oneDNN's implementation name for the layout's sample product.
    let implementation: String
    /// The layout-only descriptor whose weights layout every primitive takes.
    private let prototype: OpaquePointer
    private let primitives = Mutex<[Int: Primitive?]>([:])

    private final class Primitive: @unchecked Sendable {
        let handle: OpaquePointer
        init(_ handle: OpaquePointer) { self.handle = handle }
        deinit { wt_dnnl_matmul_destroy(handle) }
    }

    /// Learns oneDNN's layout for `k × n` matrices (`sampleRows` rows of `A`); nil when oneDNN is
    /// unavailable or refuses, or would not use its brgemm kernels (AVX-512 in Debian's oneDNN
    /// 2.6): its other matmuls pack per call like SGEMM, and were not measured faster.
    init?(k: Int, n: Int, sampleRows: Int) {
        guard _OneDNN.isAvailable, k > 0, n > 0,
              let prototype = wt_dnnl_matmul_create(Int64(max(sampleRows, 1)), Int64(k), Int64(n), nil, 1, nil, 0) else { return nil }
        guard String(cString: wt_dnnl_matmul_implementation(prototype)).hasPrefix("brg") else {
            wt_dnnl_matmul_destroy(prototype)
            return nil
        }
        self.k = k
        self.n = n
        self.prototype = prototype
        floatsPerMatrix = (wt_dnnl_matmul_weights_bytes(prototype) + 3) / 4
        layout = wt_dnnl_matmul_weights_layout(prototype)
        implementation = String(cString: wt_dnnl_matmul_implementation(prototype))
    }

    deinit { wt_dnnl_matmul_destroy(prototype) }

    /// Whether products of `k × n` matrices with about `rows` rows (nil: unknown, taken as many)
    /// are worth oneDNN. Measured with scripts/bench_matmul.c (one thread, AVX-512; time on
    /// oneDNN ÷ SGEMM): small products that stay in cache are SGEMM's (rows × k × n = 100×64×64
    /// 1.06, 289×32×64 1.05, 289×48×64 1.09, 25×64×64 1.25), larger ones oneDNN's (289×64×64 0.80,
    /// 1444×32×64 0.67, 1444×64×64 0.50, and every kernel of 128×128 or more: 25×128×128 0.99,
    /// 361×128×128 0.84, 81×512×512 0.77).
    static func pays(k: Int, n: Int, rows: Int?) -> Bool {
        let weights = max(k * n, 1)
        guard weights < 1 << 14, let rows else { return true }
        return rows >= ((1 << 20) + weights - 1) / weights
    }

    /// Reorders `count` row-major `k × n` matrices, `k·n` floats apart from `matrices`, into
    /// `destination` (`floatsPerMatrix` floats apart). False when oneDNN fails.
    func reorder(_ matrices: UnsafePointer<Float>, count: Int, into destination: UnsafeMutablePointer<Float>) -> Bool {
        (0..<count).allSatisfy { i in
            wt_dnnl_matmul_reorder_weights(prototype, matrices + i * k * n, destination + i * floatsPerMatrix, nil, 0) == 0
        }
    }

    /// `c = a · b` for `rows` rows, `b` a reordered matrix. False when oneDNN refuses or fails (the
    /// caller falls back).
    func multiply(rows: Int, _ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, into c: UnsafeMutablePointer<Float>) -> Bool {
        guard let primitive = primitive(rows: rows) else { return false }
        return wt_dnnl_matmul_execute(primitive.handle, a, b, c, nil, 0) == 0
    }

    private func primitive(rows: Int) -> Primitive? {
        if let known = primitives.withLock({ $0[rows] }) { return known }
        let built = wt_dnnl_matmul_create(Int64(rows), Int64(k), Int64(n), prototype, 0, nil, 0).map(Primitive.init)
        return primitives.withLock { table in
            if let raced = table[rows] { return raced }
            table[rows] = built
            return built
        }
    }
}
