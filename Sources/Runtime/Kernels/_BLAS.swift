import CBLAS

/// The runtime's only doors into OpenBLAS, taking `Int`s so no caller converts to `blasint`.
enum _BLAS {
    /// `C[m×n] = A[m×k] · B[k×n] + beta·C`, all row-major with leading dimensions `lda`, `ldb`,
    /// `ldc` (elements between rows, so a submatrix or a channel group is a pointer offset).
    ///
    /// A single row goes to `sgemv`, which OpenBLAS 0.3.21 does not do on its own. `m` is split
    /// into `Int32`-sized pieces; `n`, `k` and the leading dimensions come from weight shapes,
    /// which the executor bounds when it prepares the node.
    static func gemm(m: Int, n: Int, k: Int, a: UnsafePointer<Float>, lda: Int, b: UnsafePointer<Float>, ldb: Int,
                     c: UnsafeMutablePointer<Float>, ldc: Int, beta: Float = 0) {
        guard m > 0, n > 0 else { return }
        if k == 0 {
            for r in 0..<m { (c + r * ldc).update(repeating: 0, count: n) }
            return
        }
        if m == 1 {
            // y[n] = Bᵀ x with B stored k×n row-major.
            cblas_sgemv(CblasRowMajor, CblasTrans, blasint(k), blasint(n), 1, b, blasint(ldb), a, 1, beta, c, 1)
            return
        }
        let step = Int(Int32.max) / 2
        var row = 0
        while row < m {
            let rows = min(step, m - row)
            cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, blasint(rows), blasint(n), blasint(k), 1,
                        a + row * lda, blasint(lda), b, blasint(ldb), beta, c + row * ldc, blasint(ldc))
            row += rows
        }
    }

    /// Sets OpenBLAS's thread count for the whole process (it has no per-call setting).
    static func setThreads(_ count: Int) {
        openblas_set_num_threads(Int32(clamping: max(count, 1)))
    }

    static var threads: Int { Int(openblas_get_num_threads()) }

    /// Largest dimension a BLAS argument can take.
    static let maximumDimension = Int(Int32.max) / 2
}
