import CKernels
import XCTest

/// Every instruction-set path of the C kernels against the portable one (they must agree to the
/// bit: same operations, same order, no fused multiply-adds), the portable one against the
/// transforms' definition, and the dispatch itself: forcing each level, and refusing one the CPU
/// lacks (AVX-512 on the development machine) without changing the level in use.
final class DispatchTests: XCTestCase {
    static let levels: [Int32] = [Int32(WT_ISA_PORTABLE.rawValue), Int32(WT_ISA_AVX2.rawValue), Int32(WT_ISA_AVX512.rawValue)]
    var saved: Int32 = 0

    override func setUp() { saved = wt_isa_current() }
    override func tearDown() { XCTAssertEqual(wt_isa_force(saved), saved) }

    /// The levels this CPU runs, portable first.
    var available: [Int32] { Self.levels.filter { wt_isa_supported($0) != 0 } }

    func testPortableIsAlwaysAvailableAndLevelsAreOrdered() {
        XCTAssertEqual(wt_isa_supported(Int32(WT_ISA_PORTABLE.rawValue)), 1)
        // A CPU with AVX-512 (as this code asks for it) has AVX2 and FMA too.
        if wt_isa_supported(Int32(WT_ISA_AVX512.rawValue)) != 0 { XCTAssertEqual(wt_isa_supported(Int32(WT_ISA_AVX2.rawValue)), 1) }
        XCTAssertEqual(wt_isa_best(), available.last)
        for level in Self.levels {
            XCTAssertEqual(wt_isa_parse(wt_isa_name(level)), level)
        }
        XCTAssertEqual(wt_isa_parse("sse9"), -1)
        XCTAssertEqual(wt_isa_parse(nil), -1)
    }

    /// Forcing a level the CPU has switches to it; one it lacks is refused and changes nothing.
    func testForcingEachLevel() {
        for level in Self.levels {
            XCTAssertEqual(wt_isa_force(Int32(WT_ISA_PORTABLE.rawValue)), Int32(WT_ISA_PORTABLE.rawValue))
            if wt_isa_supported(level) != 0 {
                XCTAssertEqual(wt_isa_force(level), level)
                XCTAssertEqual(wt_isa_current(), level)
            } else {
                XCTAssertEqual(wt_isa_force(level), -1, "\(String(cString: wt_isa_name(level))) is not available")
                XCTAssertEqual(wt_isa_current(), Int32(WT_ISA_PORTABLE.rawValue), "a refused level leaves the current one")
            }
        }
        XCTAssertEqual(wt_isa_force(7), -1)
    }

    /// Runs `body` once per available level and returns each result.
    private func perLevel<T>(_ body: () -> T) -> [(level: Int32, result: T)] {
        available.map { level in
            XCTAssertEqual(wt_isa_force(level), level)
            return (level, body())
        }
    }

    private func random(_ count: Int, seed: inout UInt64) -> [Float] {
        (0..<count).map { _ in
            seed = seed &* 6364136223846793005 &+ 1442695040888963407
            return Float(Int64(bitPattern: seed >> 11) % 2001 - 1000) / 250
        }
    }

    static let epilogueKinds: [(activation: Int32, alpha: Float, beta: Float)] = [
        (Int32(WT_ACT_LINEAR.rawValue), 0, 0), (Int32(WT_ACT_RELU.rawValue), 0, 0),
        (Int32(WT_ACT_LEAKY.rawValue), 0.3, 0), (Int32(WT_ACT_CLIP.rawValue), 0, 6),
    ]

    /// `withEpilogue(kind, bias?, scale+shift?)` over every combination.
    private func epilogues(channels: Int, seed: inout UInt64, _ body: (wt_epilogue?, String) -> Void) {
        let bias = random(channels, seed: &seed), scale = random(channels, seed: &seed), shift = random(channels, seed: &seed)
        bias.withUnsafeBufferPointer { b in
            scale.withUnsafeBufferPointer { s in
                shift.withUnsafeBufferPointer { h in
                    body(nil, "none")
                    for kind in Self.epilogueKinds {
                        for (useBias, useAffine) in [(false, false), (true, false), (false, true), (true, true)] {
                            var e = wt_epilogue()
                            e.bias = useBias ? b.baseAddress : nil
                            e.scale = useAffine ? s.baseAddress : nil
                            e.shift = useAffine ? h.baseAddress : nil
                            e.activation = kind.activation
                            e.alpha = kind.alpha
                            e.beta = kind.beta
                            body(e, "activation \(kind.activation) bias \(useBias) affine \(useAffine)")
                        }
                    }
                }
            }
        }
    }

    func testEpilogueEveryPathMatchesPortable() {
        var seed: UInt64 = 1
        for channels in [1, 3, 4, 7, 8, 15, 16, 17, 33, 64, 100] {
            let rows = 3
            var data = random(rows * channels, seed: &seed)
            data[0] = .nan
            data[min(1, data.count - 1)] = -0.0
            epilogues(channels: channels, seed: &seed) { e, label in
                guard var e else { return }
                let results = perLevel { () -> [UInt32] in
                    var copy = data
                    wt_epilogue_apply(&e, &copy, Int64(rows), Int64(channels))
                    return copy.map(\.bitPattern)
                }
                // The portable path against the formula, then every other path against it.
                let portable = results[0].result
                for (i, x) in data.enumerated() {
                    let c = i % channels
                    var y = x
                    if let b = e.bias { y = y + b[c] }
                    if let s = e.scale, let h = e.shift { y = y * s[c] + h[c] }
                    switch e.activation {
                    case Int32(WT_ACT_RELU.rawValue): y = y > 0 ? y : 0
                    case Int32(WT_ACT_LEAKY.rawValue): y = y > 0 ? y : e.alpha * y
                    case Int32(WT_ACT_CLIP.rawValue): y = min(y > 0 ? y : 0, e.beta)
                    default: break
                    }
                    XCTAssertEqual(Float(bitPattern: portable[i]).bitPattern, y.bitPattern, "\(label), channels \(channels), element \(i)")
                }
                for r in results.dropFirst() {
                    XCTAssertEqual(r.result, portable, "\(String(cString: wt_isa_name(r.level))): \(label), channels \(channels)")
                }
            }
        }
    }

    /// Bᵀ d B and Aᵀ M A from the matrices, in double.
    static let bt4: [[Double]] = [[4, 0, -5, 0, 1, 0], [0, -4, -4, 1, 1, 0], [0, 4, -4, -1, 1, 0],
                                  [0, -2, -1, 2, 1, 0], [0, 2, -1, -2, 1, 0], [0, 4, 0, -5, 0, 1]]
    static let at4: [[Double]] = [[1, 1, 1, 1, 1, 0], [0, 1, -1, 2, -2, 0], [0, 1, 1, 4, 4, 0], [0, 1, -1, 8, -8, 1]]
    static let bt2: [[Double]] = [[1, 0, -1, 0], [0, 1, 1, 0], [0, -1, 1, 0], [0, 1, 0, -1]]
    static let at2: [[Double]] = [[1, 1, 1, 0], [0, 1, -1, -1]]

    /// `left · x · leftᵀ` for a square `x` of side `left[0].count`.
    static func sandwich(_ left: [[Double]], _ x: [[Double]]) -> [[Double]] {
        let n = left.count, k = x.count
        let t = (0..<n).map { i in (0..<k).map { l in (0..<k).reduce(0) { $0 + left[i][$1] * x[$1][l] } } }
        return (0..<n).map { i in (0..<n).map { j in (0..<k).reduce(0) { $0 + t[i][$1] * left[j][$1] } } }
    }

    func testInputTransformEveryPathMatchesPortableAndDefinition() {
        var seed: UInt64 = 2
        for m in [2, 4] {
            let alpha = m + 2
            for channels in [1, 4, 5, 8, 12, 16, 19, 32, 45] {
                let pixels = (0..<alpha * alpha).map { _ in random(channels, seed: &seed) }
                let plane = channels + 3
                let results = perLevel { () -> [Float] in
                    var v = [Float](repeating: .nan, count: alpha * alpha * plane)
                    withPointers(pixels) { p in wt_winograd_input_tile(Int32(m), p, Int64(channels), &v, Int64(plane)) }
                    return v
                }
                let portable = results[0].result
                let bt = m == 4 ? Self.bt4 : Self.bt2
                for c in 0..<channels {
                    let d = (0..<alpha).map { k in (0..<alpha).map { l in Double(pixels[k * alpha + l][c]) } }
                    let want = Self.sandwich(bt, d)
                    for xi in 0..<alpha * alpha {
                        XCTAssertEqual(Double(portable[xi * plane + c]), want[xi / alpha][xi % alpha], accuracy: 1e-3,
                                       "F(\(m)) input, channels \(channels), c \(c), ξ \(xi)")
                    }
                }
                for r in results.dropFirst() {
                    XCTAssertEqual(r.result.map(\.bitPattern), portable.map(\.bitPattern),
                                   "\(String(cString: wt_isa_name(r.level))): F(\(m)) input, channels \(channels)")
                }
            }
        }
    }

    func testOutputTransformEveryPathMatchesPortableAndDefinition() {
        var seed: UInt64 = 3
        for m in [2, 4] {
            let alpha = m + 2
            for channels in [1, 4, 7, 8, 16, 21, 32, 40] {
                let plane = channels + 1
                let mm = random(alpha * alpha * plane, seed: &seed)
                // An edge tile: the last column and row hang over (NULL outputs).
                let present = (0..<m * m).map { k in k % m < m - 1 || k / m < m - 1 }
                epilogues(channels: channels, seed: &seed) { e, label in
                    let results = perLevel { () -> [Float] in
                        var out = [Float](repeating: -7, count: m * m * channels)
                        out.withUnsafeMutableBufferPointer { o in
                            var pointers: [UnsafeMutablePointer<Float>?] = (0..<m * m).map { present[$0] ? o.baseAddress! + $0 * channels : nil }
                            if var e {
                                wt_winograd_output_tile(Int32(m), mm, Int64(plane), Int64(channels), &pointers, &e)
                            } else {
                                wt_winograd_output_tile(Int32(m), mm, Int64(plane), Int64(channels), &pointers, nil)
                            }
                        }
                        return out
                    }
                    let portable = results[0].result
                    if e == nil {
                        let at = m == 4 ? Self.at4 : Self.at2
                        for c in 0..<channels {
                            let x = (0..<alpha).map { k in (0..<alpha).map { l in Double(mm[(k * alpha + l) * plane + c]) } }
                            let want = Self.sandwich(at, x)
                            for k in 0..<m * m {
                                let got = Double(portable[k * channels + c])
                                if present[k] {
                                    XCTAssertEqual(got, want[k / m][k % m], accuracy: 1e-3, "F(\(m)) output, channels \(channels), c \(c), k \(k)")
                                } else {
                                    XCTAssertEqual(got, -7, "an overhanging pixel is not written")
                                }
                            }
                        }
                    }
                    for r in results.dropFirst() {
                        XCTAssertEqual(r.result.map(\.bitPattern), portable.map(\.bitPattern),
                                       "\(String(cString: wt_isa_name(r.level))): F(\(m)) output, \(label), channels \(channels)")
                    }
                }
            }
        }
    }

    /// The logistic function (sigmoid, swish): every path gives the portable path's bits at every
    /// length (vector body and padded tail), and the portable path is within 4 ulp-scale of the
    /// double-precision definition over the whole float range, NaN kept, extremes saturated.
    func testSigmoidPathsAgreeAndMatchTheDefinition() {
        var seed: UInt64 = 11
        var x = random(1000, seed: &seed).map { $0 * 6 }  // ±24
        x += [0, -0.0, 1e-30, -1e-30, 88, -88, 87.5, -87.5, 100, -100, 1e30, -1e30, .infinity, -.infinity,
              Float.leastNonzeroMagnitude, -Float.leastNormalMagnitude, 0.3465736, -0.3465736, 15, -15, 17, -17, 3]
        for swish in [Int32(0), 1] {
            for count in [x.count, 1, 7, 9, 17, 33] {
                let input = Array(x.prefix(count))
                let results = perLevel { () -> [Float] in
                    var y = [Float](repeating: .nan, count: count)
                    wt_sigmoid(input, &y, Int64(count), swish)
                    return y
                }
                for r in results.dropFirst() {
                    XCTAssertEqual(r.result.map(\.bitPattern), results[0].result.map(\.bitPattern),
                                   "\(String(cString: wt_isa_name(r.level))) vs portable, swish \(swish), \(count) values")
                }
            }
            var y = [Float](repeating: 0, count: x.count)
            wt_sigmoid(x, &y, Int64(x.count), swish)
            for (v, got) in zip(x, y) {
                let s = 1 / (1 + Foundation.exp(-Double(v)))
                let want = swish != 0 ? Double(v) * s : s
                if v.isInfinite {
                    // Keras computes swish as x · sigmoid(x): −∞ · 0 is NaN.
                    if swish != 0, v < 0 { XCTAssertTrue(got.isNaN, "swish(-inf) = \(got)"); continue }
                    XCTAssertEqual(got, swish != 0 ? .infinity : (v > 0 ? 1 : 0), "\(v)")
                    continue
                }
                // Relative error from e^z (≤ 2 ulp) and the division; below FLT_MIN, e^z is 0, an
                // error of at most 1.2e-38 (times |x| for swish).
                let tolerance = 4e-7 * abs(want) + 1.2e-38 * max(1, abs(Double(v)))
                XCTAssertEqual(Double(got), want, accuracy: tolerance, "sigmoid\(swish != 0 ? " (swish)" : "")(\(v))")
            }
            var nan = [Float.nan, 1]
            wt_sigmoid(nan, &nan, 2, swish)
            XCTAssertTrue(nan[0].isNaN)
        }
    }
}

/// `body` with a C array of pointers to each array's elements.
private func withPointers<R>(_ arrays: [[Float]], _ body: (UnsafePointer<UnsafePointer<Float>?>) -> R) -> R {
    let buffers = arrays.map { a -> UnsafeMutablePointer<Float> in
        let p = UnsafeMutablePointer<Float>.allocate(capacity: max(a.count, 1))
        p.initialize(from: a, count: a.count)
        return p
    }
    defer { buffers.forEach { $0.deallocate() } }
    let pointers: [UnsafePointer<Float>?] = buffers.map { UnsafePointer($0) }
    return pointers.withUnsafeBufferPointer { body($0.baseAddress!) }
}
