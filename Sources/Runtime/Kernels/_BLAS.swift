import Foundation

/// The runtime's only door into OpenBLAS, loaded on first use rather than linked.
///
/// Why at run time: OpenBLAS reads `OPENBLAS_CORETYPE` and `OPENBLAS_NUM_THREADS` once, while
/// the library initialises. Loading it from here lets the runtime set both first:
/// - **One OpenBLAS thread.** The executor splits every GEMM over the cores itself (row or column
///   blocks, or whole Winograd products, on `_Parallel`'s workers, each calling single-threaded
///   SGEMM), so only one set of threads exists: no OpenBLAS workers spinning in `sched_yield`
///   while the runtime's own threads transform tiles, and no four busy threads on two cores.
/// - **The right kernels.** Debian's OpenBLAS 0.3.21 (`DYNAMIC_ARCH`) picks kernels from the CPU
///   model number and falls back to SSE3 on CPUs newer than itself (Emerald Rapids, model 207, on
///   the development machine), 5–8× slower. The family is chosen here from the CPU's feature
///   flags instead (`SkylakeX` for AVX-512, `Haswell` for AVX2+FMA), whose SGEMM kernels are the
///   ones OpenBLAS uses on every newer CPU of those families. A user's `OPENBLAS_CORETYPE` wins.
/// Both variables are restored after loading. Commands that never multiply (convert, summary,
/// the isolated importer) never load OpenBLAS at all, which also shortens their start.
enum _BLAS {
    typealias SGEMM = @convention(c) (Int32, Int32, Int32, Int32, Int32, Int32, Float, UnsafePointer<Float>?, Int32,
                                      UnsafePointer<Float>?, Int32, Float, UnsafeMutablePointer<Float>?, Int32) -> Void
    typealias SGEMV = @convention(c) (Int32, Int32, Int32, Int32, Float, UnsafePointer<Float>?, Int32,
                                      UnsafePointer<Float>?, Int32, Float, UnsafeMutablePointer<Float>?, Int32) -> Void
    typealias CoreName = @convention(c) () -> UnsafeMutablePointer<CChar>?

    // CBLAS constants (cblas.h): CblasRowMajor, CblasNoTrans, CblasTrans.
    private static let rowMajor: Int32 = 101, noTrans: Int32 = 111, trans: Int32 = 112

    struct Library: @unchecked Sendable {
        let sgemm: SGEMM
        let sgemv: SGEMV
        /// OpenBLAS's kernel family (`SkylakeX`, `Haswell`, …).
        let core: String
    }

    /// The loaded library, or why it could not be loaded.
    static let library: Result<Library, RuntimeError> = load()

    /// Loads OpenBLAS if needed. - Throws: `RuntimeError.blasUnavailable`.
    static func require() throws -> Library { try library.get() }

    /// Library file names tried in order; `WTOOL_OPENBLAS` (a path) goes first when set.
    static let candidates = ["libopenblas.so.0", "libopenblas.so", "libopenblas.dylib"]

    private static func load() -> Result<Library, RuntimeError> {
        let environment = ProcessInfo.processInfo.environment
        var saved: [String: String?] = [:]
        func set(_ name: String, _ value: String) {
            saved[name] = environment[name]
            setenv(name, value, 1)
        }
        set("OPENBLAS_NUM_THREADS", "1")
        set("OMP_NUM_THREADS", "1")   // the OpenMP build of libopenblas0 reads this one
        if environment["OPENBLAS_CORETYPE"] == nil, let core = bestCore(flags: cpuFlags()) { set("OPENBLAS_CORETYPE", core) }
        defer {
            for (name, value) in saved {
                if let value { setenv(name, value, 1) } else { unsetenv(name) }
            }
        }
        var errors: [String] = []
        for name in (environment["WTOOL_OPENBLAS"].map { [$0] } ?? []) + candidates {
            guard let handle = dlopen(name, RTLD_NOW | RTLD_LOCAL) else {
                errors.append(dlerror().map { String(cString: $0) } ?? name)
                continue
            }
            guard let gemm = dlsym(handle, "cblas_sgemm"), let gemv = dlsym(handle, "cblas_sgemv") else {
                errors.append("\(name): no cblas_sgemm/cblas_sgemv")
                continue
            }
            var core = "unknown"
            if let f = dlsym(handle, "openblas_get_corename"), let p = unsafeBitCast(f, to: CoreName.self)() {
                core = String(cString: p)
            }
            return .success(Library(sgemm: unsafeBitCast(gemm, to: SGEMM.self), sgemv: unsafeBitCast(gemv, to: SGEMV.self), core: core))
        }
        return .failure(.blasUnavailable(errors.first ?? "no candidate"))
    }

    /// `C[m×n] = A[m×k] · B[k×n] + beta·C`, all row-major with leading dimensions `lda`, `ldb`,
    /// `ldc` (elements between rows, so a submatrix or a channel group is a pointer offset), on the
    /// calling thread. Callers split bigger products with `_Parallel.gemm`.
    ///
    /// A single row goes to `sgemv`, which OpenBLAS 0.3.21 does not do on its own. `m` is split
    /// into `Int32`-sized pieces; `n`, `k` and the leading dimensions come from weight shapes,
    /// which the executor bounds when it prepares the node. The executor checks that the library
    /// loaded before any kernel runs.
    static func gemm(m: Int, n: Int, k: Int, a: UnsafePointer<Float>, lda: Int, b: UnsafePointer<Float>, ldb: Int,
                     c: UnsafeMutablePointer<Float>, ldc: Int, beta: Float = 0) {
        guard m > 0, n > 0 else { return }
        if k == 0 {
            for r in 0..<m { (c + r * ldc).update(repeating: 0, count: n) }
            return
        }
        guard case .success(let blas) = library else { preconditionFailure("OpenBLAS is not loaded") }
        if m == 1 {
            // y[n] = Bᵀ x with B stored k×n row-major.
            blas.sgemv(rowMajor, trans, Int32(k), Int32(n), 1, b, Int32(ldb), a, 1, beta, c, 1)
            return
        }
        let step = Int(Int32.max) / 2
        var row = 0
        while row < m {
            let rows = min(step, m - row)
            blas.sgemm(rowMajor, noTrans, noTrans, Int32(rows), Int32(n), Int32(k), 1, a + row * lda, Int32(lda), b, Int32(ldb),
                       beta, c + row * ldc, Int32(ldc))
            row += rows
        }
    }

    /// GEMM rows a call should have at least: OpenBLAS packs the whole right-hand (weight) matrix
    /// on every call, so chunked products keep at least this many rows per call (per worker) even
    /// when that exceeds the scratch bound. At 512 rows, packing a `K × N` matrix costs a few
    /// percent of the multiplication (perf on VGG16/ResNet50 layers: `sgemm_itcopy` equalled
    /// `sgemm_kernel` at 25 rows).
    static let minimumRowsPerCall = 512

    /// Largest dimension a BLAS argument can take.
    static let maximumDimension = Int(Int32.max) / 2

    /// The best OpenBLAS x86-64 kernel family for these `/proc/cpuinfo` flags, if better than SSE3.
    static func bestCore(flags: Set<String>) -> String? {
        if flags.isSuperset(of: ["avx512f", "avx512bw", "avx512vl", "avx512dq", "avx512cd"]) { return "SkylakeX" }
        if flags.isSuperset(of: ["avx2", "fma"]) { return "Haswell" }
        return nil
    }

    /// The CPU feature flags the kernel reports (it hides those the OS has not enabled).
    private static func cpuFlags() -> Set<String> {
        #if os(Linux) && arch(x86_64)
        guard let text = try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8),
              let line = text.split(separator: "\n").first(where: { $0.hasPrefix("flags") }),
              let colon = line.firstIndex(of: ":") else { return [] }
        return Set(line[line.index(after: colon)...].split(separator: " ").map(String.init))
        #else
        return []
        #endif
    }
}

extension _Parallel {
    /// `C = A · B` (row-major, as `_BLAS.gemm`) split into at most `workers` blocks, one
    /// single-threaded SGEMM each: blocks of rows when `m ≥ n` (each block re-packs B, the smaller
    /// operand then), else blocks of columns (each re-packs A). Blocks are multiples of 16, the
    /// AVX-512 width, and small products stay on the calling thread.
    func gemm(m: Int, n: Int, k: Int, a: UnsafePointer<Float>, lda: Int, b: UnsafePointer<Float>, ldb: Int,
              c: UnsafeMutablePointer<Float>, ldc: Int) {
        let splitRows = m >= n
        let blocks = ((splitRows ? m : n) + 15) / 16
        forEachRange(blocks, workPerItem: _Parallel.work(16, splitRows ? n : m, k, 4)) { range in
            let lo = range.lowerBound * 16
            if splitRows {
                let hi = min(range.upperBound * 16, m)
                _BLAS.gemm(m: hi - lo, n: n, k: k, a: a + lo * lda, lda: lda, b: b, ldb: ldb, c: c + lo * ldc, ldc: ldc)
            } else {
                let hi = min(range.upperBound * 16, n)
                _BLAS.gemm(m: m, n: hi - lo, k: k, a: a, lda: lda, b: b + lo, ldb: ldb, c: c + lo, ldc: ldc)
            }
        }
    }
}
