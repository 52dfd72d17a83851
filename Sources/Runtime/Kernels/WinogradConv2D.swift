import CKernels
import ModelIR
import Synchronization

/// The matrices of one Winograd minimal-filtering algorithm F(m×m, 3×3) (Lavin & Gray, "Fast
/// Algorithms for Convolutional Neural Networks", 2015): an output tile of m×m pixels is
/// `Aᵀ [(G g Gᵀ) ⊙ (Bᵀ d B)] A` for the α×α input tile `d` (α = m + 2) and the 3×3 kernel `g`,
/// α² multiplications instead of 9m². As in CNNs, this is a correlation (the kernel is not flipped).
struct _WinogradTransform: Sendable, Equatable {
    /// Output tile side.
    let m: Int
    /// Input tile side, `m + 2`.
    var alpha: Int { m + 2 }
    /// `Bᵀ`, α×α row-major.
    let bt: [Float]
    /// `G`, α×3 row-major (Double so tests can compare against exact products).
    let g: [Double]
    /// `Aᵀ`, m×α row-major.
    let at: [Float]

    /// F(2×2, 3×3): 16 products for 36, interpolation points 0, ±1, ∞; every transform coefficient
    /// is 0, ±1 or ±½, so the extra rounding error is small.
    static let f2 = _WinogradTransform(
        m: 2,
        bt: [1, 0, -1, 0,
             0, 1, 1, 0,
             0, -1, 1, 0,
             0, 1, 0, -1],
        g: [1, 0, 0,
            0.5, 0.5, 0.5,
            0.5, -0.5, 0.5,
            0, 0, 1],
        at: [1, 1, 1, 0,
             0, 1, -1, -1])

    /// F(4×4, 3×3): 36 products for 144, points 0, ±1, ±2, ∞. Coefficients up to 8 and ⅙, ¹⁄₂₄
    /// make it less accurate than F(2×2, 3×3).
    static let f4 = _WinogradTransform(
        m: 4,
        bt: [4, 0, -5, 0, 1, 0,
             0, -4, -4, 1, 1, 0,
             0, 4, -4, -1, 1, 0,
             0, -2, -1, 2, 1, 0,
             0, 2, -1, -2, 1, 0,
             0, 4, 0, -5, 0, 1],
        g: [1.0 / 4, 0, 0,
            -1.0 / 6, -1.0 / 6, -1.0 / 6,
            -1.0 / 6, 1.0 / 6, -1.0 / 6,
            1.0 / 24, 1.0 / 12, 1.0 / 6,
            1.0 / 24, -1.0 / 12, 1.0 / 6,
            0, 0, 1],
        at: [1, 1, 1, 1, 1, 0,
             0, 1, -1, 2, -2, 0,
             0, 1, 1, 4, 4, 0,
             0, 1, -1, 8, -8, 1])

    /// GEMM rows that cost as much as packing the right-hand matrix once: OpenBLAS re-packs the
    /// `Cin × Cout` weights on every call, whatever the number of rows, so a product of few rows
    /// (few tiles: a small image at batch 1) pays for packing more than for multiplying. Measured
    /// on VGG16's layers at batch 1 (perf: `sgemm_itcopy` ≈ `sgemm_kernel` at 25 rows).
    static let packingRows = 32

    /// For `ConvolutionAlgorithm.auto`: of im2col (9 products per output pixel, one 9·Cin × Cout
    /// matrix to pack), F(2×2) and F(4×4) (α² products per tile, α² matrices of Cin × Cout), the
    /// one with the smallest `matrices × (rows + packingRows)` for one image of this output size;
    /// nil means im2col. F(4×4) when the size is unknown (large images are where it pays).
    static func cheapest(height: Int?, width: Int?) -> _WinogradTransform? {
        guard let h = height, let w = width else { return .f4 }
        func cost(_ products: Int, _ rows: Int) -> Int { products * (rows + packingRows) }
        let im2col = cost(9, h * w)
        let f2 = cost(16, ((h + 1) / 2) * ((w + 1) / 2))
        let f4 = cost(36, ((h + 3) / 4) * ((w + 3) / 4))
        if f4 <= f2 && f4 < im2col { return .f4 }
        return f2 < im2col ? .f2 : nil
    }

    /// Whether a Conv2D can run this way: a 3×3 kernel, unit strides and dilations, one group.
    static func applies(to a: ConvAttributes) -> Bool {
        a.kernelSize == [3, 3] && a.strides == [1, 1] && a.dilations == [1, 1] && a.groups == 1
    }

    /// `U[ξ][ci][co] = (G g[·,·,ci,co] Gᵀ)[ξ]` for an HWIO `[3, 3, Cin, Cout]` kernel: α² matrices of
    /// `Cin × Cout`, each the right-hand side of one GEMM. In HWIO every tap is a contiguous
    /// `Cin × Cout` plane laid out like a `U[ξ]`, so the transform is plane-wide linear
    /// combinations (`G` along kh, then along kw), done a block of elements at a time in Float.
    func transformKernel(_ kernel: UnsafePointer<Float>, inChannels: Int, outChannels: Int,
                         into u: UnsafeMutablePointer<Float>, parallel: _Parallel) {
        let alpha = self.alpha, plane = inChannels * outChannels
        let g = self.g.map { Float($0) }
        let block = 2048
        parallel.forEachRange((plane + block - 1) / block, workPerItem: block * alpha * alpha * 3) { range in
            withUnsafeTemporaryAllocation(of: Float.self, capacity: alpha * 3 * block) { tmp in
                let t = tmp.baseAddress!
                for index in range {
                    let lo = index * block, n = min(block, plane - lo)
                    // t[i][l] = Σ_k G[i][k] · g[k][l]
                    for i in 0..<alpha {
                        let c0 = g[i * 3], c1 = g[i * 3 + 1], c2 = g[i * 3 + 2]
                        for l in 0..<3 {
                            let s0 = kernel + l * plane + lo, s1 = kernel + (3 + l) * plane + lo, s2 = kernel + (6 + l) * plane + lo
                            let d = t + (i * 3 + l) * block
                            for e in 0..<n { d[e] = c0 * s0[e] + c1 * s1[e] + c2 * s2[e] }
                        }
                    }
                    // U[i][j] = Σ_l t[i][l] · G[j][l]
                    for i in 0..<alpha {
                        let r0 = t + (i * 3) * block, r1 = r0 + block, r2 = r1 + block
                        for j in 0..<alpha {
                            let c0 = g[j * 3], c1 = g[j * 3 + 1], c2 = g[j * 3 + 2]
                            let d = u + (i * alpha + j) * plane + lo
                            for e in 0..<n { d[e] = r0[e] * c0 + r1[e] * c1 + r2[e] * c2 }
                        }
                    }
                }
            }
        }
    }
}

/// Keras `Conv2D` with a 3×3 kernel, unit strides and dilations (most of VGG, the 3×3 layers of
/// ResNet and Inception) by Winograd minimal filtering: fewer multiplications than im2col + SGEMM
/// (4× fewer for F(4×4, 3×3), 2.25× for F(2×2, 3×3)), the products as α² batched GEMMs.
///
/// The output is cut into m×m tiles, processed a chunk of whole tile rows at a time so the scratch
/// stays bounded: (1) input transform `V[ξ][tile][ci] = (Bᵀ d B)[ξ]`, vectorised over channels
/// (NHWC makes every pixel a contiguous channel vector; padding taps read a zero vector);
/// (2) α² SGEMMs `M[ξ] = V[ξ] · U[ξ]` (`tiles × Cin` by `Cin × Cout`) with the kernel transformed
/// once at load; (3) output transform `Aᵀ M A` into the output pixels, then the fused epilogue
/// (bias, batch norm, activation) over the chunk's rows while they are in cache.
struct _WinogradConv2DKernel: _Kernel {
    let transform: _WinogradTransform
    /// `U`: α² matrices of `Cin × Cout`, row-major for SGEMM, or each in oneDNN's blocked layout
    /// (`products`), owned or mapped from the kernel cache.
    let weights: _FloatWeights
    /// oneDNN's matmul for the α² products, nil for OpenBLAS's SGEMM.
    let products: _OneDNNMatMul?
    /// Row-major `U` kept beside the blocked one for a small kernel (under 128×128), whose
    /// products of few rows SGEMM computes faster (`_OneDNNMatMul.pays`, decided per chunk).
    let smallProductWeights: _FloatWeights?
    /// The same convolution with its products on SGEMM, built only if oneDNN fails at run time.
    private let fallback: _LazyKernel?
    let inChannels: Int
    let outChannels: Int
    let epilogue: _Epilogue
    let attributes: ConvAttributes
    /// Bound on V and M together, in floats; a chunk has at least `minimumChunkTiles` tiles (whole
    /// tile rows) whatever it is.
    let scratchLimit: Int
    /// Tiles a chunk has at least (the GEMMs' rows), whatever `scratchLimit` says.
    let minimumChunkTiles: Int
    /// Where `weights` came from, for tests.
    let cacheUse: CacheUse

    enum CacheUse: Sendable, Equatable {
        /// Transformed here; no cache, or a kernel with no stable source.
        case none
        /// Transformed here and written to the cache.
        case stored
        /// Mapped from the cache.
        case hit
    }

    /// Transforms `kernel` (HWIO `[3, 3, Cin, Cout]`), or maps the transform from `cache` when an
    /// earlier process stored it there; `transform` must apply to `attributes`. With
    /// `productsOnOneDNN` (and oneDNN's brgemm available), the transformed matrices are reordered
    /// for oneDNN's matmul, and that form is what the cache keeps (a small kernel also keeps its
    /// row-major form in memory, for products of few rows).
    init(kernel: _FloatWeights, transform: _WinogradTransform, epilogue: _Epilogue, attributes: ConvAttributes,
         scratchLimit: Int, minimumChunkTiles: Int = _BLAS.minimumRowsPerCall, parallel: _Parallel,
         cache: _KernelCache? = nil, productsOnOneDNN: Bool = false) {
        let cout = attributes.filters
        let cin = kernel.count / (9 * max(cout, 1))
        let alpha = transform.alpha
        let name = "winograd F(\(transform.m)x\(transform.m),3x3) \(cin)x\(cout)"
        let source = cache == nil ? nil : kernel.sourceIdentity
        var products = productsOnOneDNN ? _OneDNNMatMul(k: cin, n: cout, sampleRows: minimumChunkTiles) : nil
        // The row-major transform, made at most once; the cache keeps it only when it is the form
        // the products use (a small kernel's copy beside the blocked one is remade at each load:
        // a millisecond or so, and one cache entry per kernel).
        var plain: (weights: _FloatWeights, use: CacheUse)?
        func plainTransform(cached: Bool) -> (weights: _FloatWeights, use: CacheUse) {
            if let plain { return plain }
            let made = Self.transformed(kernel, transform, inChannels: cin, outChannels: cout, parallel: parallel,
                                        cache: cached ? cache : nil, key: source.map { "\(name) \($0)" })
            plain = made
            return made
        }
        var packed: (weights: _FloatWeights, use: CacheUse)?
        if let matmul = products {
            let count = alpha * alpha * matmul.floatsPerMatrix
            let key = source.map { "\(name) onednn \(String(matmul.layout, radix: 16)) \($0)" }
            if let cache, let key, let cached = cache.load(key: key, count: count) {
                packed = (cached, .hit)
            } else {
                let buffer = OwnedBuffer(byteCount: count * MemoryLayout<Float>.stride)
                let u = plainTransform(cached: false).weights
                let reordered = withExtendedLifetime(u) {
                    matmul.reorder(u.pointer, count: alpha * alpha, into: buffer.pointer.bindMemory(to: Float.self, capacity: max(count, 1)))
                }
                if reordered {
                    let weights = _FloatWeights(owning: buffer, count: count)
                    if let cache, let key { cache.store(key: key, weights) }
                    packed = (weights, cache != nil && key != nil ? .stored : .none)
                }
            }
            // oneDNN refused the reorder: SGEMM on the row-major transform.
            if packed == nil { products = nil }
        }
        let chosen = packed ?? plainTransform(cached: true)
        self.weights = chosen.weights
        self.cacheUse = chosen.use
        self.products = products
        self.smallProductWeights = products != nil && !_OneDNNMatMul.pays(k: cin, n: cout, rows: 1) ? plainTransform(cached: false).weights : nil
        self.fallback = products == nil ? nil : _LazyKernel {
            _WinogradConv2DKernel(kernel: kernel, transform: transform, epilogue: epilogue, attributes: attributes,
                                  scratchLimit: scratchLimit, minimumChunkTiles: minimumChunkTiles, parallel: parallel, cache: nil)
        }
        // The original is not read again by this kernel: a mapped file's pages leave our RSS.
        kernel.releaseResidentPages()
        self.transform = transform
        self.inChannels = cin
        self.outChannels = cout
        self.epilogue = epilogue
        self.attributes = attributes
        self.scratchLimit = scratchLimit
        self.minimumChunkTiles = minimumChunkTiles
    }

    /// The row-major transform `U` of `kernel`, mapped from `cache` under `key` or made here
    /// (and offered to the cache).
    private static func transformed(_ kernel: _FloatWeights, _ transform: _WinogradTransform, inChannels cin: Int, outChannels cout: Int,
                                    parallel: _Parallel, cache: _KernelCache?, key: String?) -> (weights: _FloatWeights, use: CacheUse) {
        let count = transform.alpha * transform.alpha * cin * cout
        if let cache, let key, let cached = cache.load(key: key, count: count) { return (cached, .hit) }
        let buffer = OwnedBuffer(byteCount: count * MemoryLayout<Float>.stride)
        let u = buffer.pointer.bindMemory(to: Float.self, capacity: max(count, 1))
        withExtendedLifetime(kernel) {
            transform.transformKernel(kernel.pointer, inChannels: cin, outChannels: cout, into: u, parallel: parallel)
        }
        let weights = _FloatWeights(owning: buffer, count: count)
        guard let cache, let key else { return (weights, .none) }
        cache.store(key: key, weights)
        return (weights, .stored)
    }

    private struct Tiling {
        let g: _WindowGeometry
        let tilesX: Int
        let tilesY: Int
        /// Tile rows over the whole batch.
        let tileRows: Int
        /// Tile rows per chunk.
        let rowsPerChunk: Int
        var tilesPerChunk: Int { rowsPerChunk * tilesX }
    }

    private func tiling(_ input: [Int], _ output: [Int]) -> Tiling {
        let g = _WindowGeometry(input: input, output: output, kernel: attributes.kernelSize, strides: attributes.strides,
                                dilations: attributes.dilations, padding: attributes.padding)
        let m = transform.m, alpha = transform.alpha
        let tilesX = (g.outWidth + m - 1) / m, tilesY = (g.outHeight + m - 1) / m
        let tileRows = g.batch * tilesY
        let perRow = max(alpha * alpha * (inChannels + outChannels) * tilesX, 1)
        // Each of the α² GEMMs gets a chunk's tiles as rows: at least `minimumRowsPerCall` of them.
        let minimumRows = (minimumChunkTiles + tilesX - 1) / tilesX
        let rows = max(1, min(tileRows, max(scratchLimit / perRow, minimumRows)))
        return Tiling(g: g, tilesX: tilesX, tilesY: tilesY, tileRows: tileRows, rowsPerChunk: rows)
    }

    func scratchCount(inputShapes: [[Int]], outputShape: [Int]) -> Int {
        let t = tiling(inputShapes[0], outputShape)
        let alpha = transform.alpha
        // V, M, and one zero pixel for the padding taps.
        return alpha * alpha * t.tilesPerChunk * (inChannels + outChannels) + inChannels
    }

    func run(_ a: _KernelArguments) {
        let t = tiling(a.inputShapes[0], a.outputShape)
        let g = t.g
        let alpha = transform.alpha, m = transform.m
        let cin = inChannels, cout = outChannels
        let chunkTiles = t.tilesPerChunk
        let v = a.scratch
        let mm = a.scratch + alpha * alpha * chunkTiles * cin
        let zeros = mm + alpha * alpha * chunkTiles * cout
        zeros.update(repeating: 0, count: cin)
        let input = a.inputs[0], output = a.output
        let transform = self.transform
        let fused = epilogue.cForm

        var firstRow = 0
        while firstRow < t.tileRows {
            let rows = min(t.rowsPerChunk, t.tileRows - firstRow)
            let tiles = rows * t.tilesX
            // (1) Input transform, tile by tile.
            a.parallel.forEachRange(tiles, workPerItem: alpha * alpha * cin * 4) { range in
                transform.inputTransform(input, g, tilesX: t.tilesX, tilesY: t.tilesY, firstTileRow: firstRow,
                                         tiles: range, chunkTiles: chunkTiles, channels: cin, zeros: zeros, into: v)
            }
            // (2) α² GEMMs in the transformed domain, whole products per worker: no block of one
            // product re-packs another's operands, however few tiles a small image has.
            // oneDNN's matmul, or SGEMM for a small kernel's products of few rows.
            let onOneDNN = products != nil && (smallProductWeights == nil || _OneDNNMatMul.pays(k: cin, n: cout, rows: tiles))
            let u = onOneDNN ? weights.pointer : (smallProductWeights ?? weights).pointer
            let failed = Atomic<Bool>(false)
            a.parallel.forEachRange(alpha * alpha, workPerItem: _Parallel.work(tiles, cin, cout)) { range in
                for xi in range {
                    if onOneDNN, let products {
                        if !products.multiply(rows: tiles, v + xi * chunkTiles * cin, u + xi * products.floatsPerMatrix,
                                               into: mm + xi * chunkTiles * cout) {
                            failed.store(true, ordering: .relaxed)
                        }
                    } else {
                        _BLAS.gemm(m: tiles, n: cout, k: cin, a: v + xi * chunkTiles * cin, lda: cin,
                                   b: u + xi * cin * cout, ldb: cout, c: mm + xi * chunkTiles * cout, ldc: cout)
                    }
                }
            }
            // oneDNN failed (out of memory for a primitive, say): the whole convolution again on SGEMM.
            if failed.load(ordering: .relaxed), let fallback { return fallback.kernel.run(a) }
            // (3) Output transform with the epilogue when the C kernels compute it, else the
            // epilogue after, on the chunk's output rows.
            a.parallel.forEachRange(tiles, workPerItem: alpha * alpha * cout * 4) { range in
                transform.outputTransform(mm, g, tilesX: t.tilesX, tilesY: t.tilesY, firstTileRow: firstRow,
                                          tiles: range, chunkTiles: chunkTiles, channels: cout, into: output, epilogue: fused)
            }
            if fused != nil {
                firstRow += rows
                continue
            }
            let firstImage = firstRow / t.tilesY, lastRow = firstRow + rows - 1
            let startPixel = (firstImage * g.outHeight + (firstRow % t.tilesY) * m) * g.outWidth
            let endPixel = ((lastRow / t.tilesY) * g.outHeight + min((lastRow % t.tilesY) * m + m, g.outHeight)) * g.outWidth
            epilogue.apply(output + startPixel * cout, rows: endPixel - startPixel, channels: cout, rank: 4,
                           parallel: a.parallel)
            firstRow += rows
        }
        epilogue.finish(output, shape: a.outputShape, parallel: a.parallel)
    }
}

extension _WinogradTransform {
    /// `V[ξ][tile][c] = (Bᵀ d B)[ξ]` for the chunk-local tiles `tiles` (0-based within the chunk
    /// that starts at tile row `firstTileRow`), by the C kernels' tile transform (AVX-512, AVX2 or
    /// portable; Lavin & Gray's factorisation with the zero coefficients gone).
    func inputTransform(_ input: UnsafePointer<Float>, _ g: _WindowGeometry, tilesX: Int, tilesY: Int, firstTileRow: Int,
                        tiles: Range<Int>, chunkTiles: Int, channels: Int, zeros: UnsafePointer<Float>,
                        into v: UnsafeMutablePointer<Float>) {
        let alpha = self.alpha, m = self.m
        let plane = chunkTiles * channels   // floats between V[ξ] and V[ξ + 1]
        withUnsafeTemporaryAllocation(of: UnsafePointer<Float>?.self, capacity: alpha * alpha) { pixels in
            let p = pixels.baseAddress!
            p.withMemoryRebound(to: UnsafePointer<Float>.self, capacity: alpha * alpha) { gathered in
                for tile in tiles {
                    Self.gatherTile(input, g, m: m, tilesX: tilesX, tilesY: tilesY, tile: firstTileRow * tilesX + tile,
                                    channels: channels, zeros: zeros, into: gathered)
                    wt_winograd_input_tile(Int32(m), p, Int64(channels), v + tile * channels, Int64(plane))
                }
            }
        }
    }

    /// Pointers to the α×α input pixels of tile `tile` (counted over the whole batch, row-major),
    /// `zeros` for those in the padding.
    @inline(__always)
    static func gatherTile(_ input: UnsafePointer<Float>, _ g: _WindowGeometry, m: Int, tilesX: Int, tilesY: Int, tile: Int,
                           channels: Int, zeros: UnsafePointer<Float>, into pixels: UnsafeMutablePointer<UnsafePointer<Float>>) {
        let alpha = m + 2
        let row = tile / tilesX
        let b = row / tilesY, y0 = (row % tilesY) * m - g.padTop, x0 = (tile % tilesX) * m - g.padLeft
        for k in 0..<alpha {
            let y = y0 + k
            for l in 0..<alpha {
                let x = x0 + l
                pixels[k * alpha + l] = (y < 0 || y >= g.height || x < 0 || x >= g.width)
                    ? zeros : input + ((b * g.height + y) * g.width + x) * channels
            }
        }
    }

    /// `Y = Aᵀ M A` for the chunk-local tiles `tiles`, written to the output pixels that exist (the
    /// last tile of a row or column may hang over the edge), with `epilogue` (C form) applied.
    func outputTransform(_ mm: UnsafePointer<Float>, _ g: _WindowGeometry, tilesX: Int, tilesY: Int, firstTileRow: Int,
                         tiles: Range<Int>, chunkTiles: Int, channels: Int, into output: UnsafeMutablePointer<Float>,
                         epilogue: wt_epilogue?) {
        let m = self.m
        let plane = chunkTiles * channels
        withUnsafeTemporaryAllocation(of: UnsafeMutablePointer<Float>?.self, capacity: m * m) { pixels in
            let p = pixels.baseAddress!
            for tile in tiles {
                let row = firstTileRow + tile / tilesX
                let b = row / tilesY, y0 = (row % tilesY) * m, x0 = (tile % tilesX) * m
                for i in 0..<m {
                    for j in 0..<m {
                        p[i * m + j] = y0 + i < g.outHeight && x0 + j < g.outWidth
                            ? output + ((b * g.outHeight + y0 + i) * g.outWidth + x0 + j) * channels : nil
                    }
                }
                if var e = epilogue {
                    wt_winograd_output_tile(Int32(m), mm + tile * channels, Int64(plane), Int64(channels), p, &e)
                } else {
                    wt_winograd_output_tile(Int32(m), mm + tile * channels, Int64(plane), Int64(channels), p, nil)
                }
            }
        }
    }
}
