/// The tile transforms of F(2×2, 3×3) and F(4×4, 3×3) written out, four channels per SIMD lane
/// group: the same sums as `_WinogradTransform`'s matrices, with the zero coefficients gone and
/// common terms shared (Lavin & Gray's factorisation), so a tile costs a few dozen vector
/// additions per four channels. Used when the channel count is a multiple of 4; the generic
/// matrix loops handle the rest.
enum _WinogradSIMD {
    typealias V = SIMD4<Float>

    @inline(__always) static func load(_ p: UnsafePointer<Float>) -> V {
        UnsafeRawPointer(p).loadUnaligned(as: V.self)
    }

    @inline(__always) static func store(_ x: V, _ p: UnsafeMutablePointer<Float>) {
        UnsafeMutableRawPointer(p).storeBytes(of: x, as: V.self)
    }

    /// `Bᵀ d` for F(4×4): rows (4, 0, −5, 0, 1, 0), (0, −4, −4, 1, 1, 0), (0, 4, −4, −1, 1, 0),
    /// (0, −2, −1, 2, 1, 0), (0, 2, −1, −2, 1, 0), (0, 4, 0, −5, 0, 1).
    @inline(__always)
    static func bt4(_ d0: V, _ d1: V, _ d2: V, _ d3: V, _ d4: V, _ d5: V) -> (V, V, V, V, V, V) {
        let a = d4 - 4 * d2, b = d3 - 4 * d1
        let c = d4 - d2, e = 2 * (d3 - d1)
        return (4 * d0 - 5 * d2 + d4, a + b, a - b, c + e, c - e, 4 * d1 - 5 * d3 + d5)
    }

    /// `Aᵀ m` for F(4×4): rows (1, 1, 1, 1, 1, 0), (0, 1, −1, 2, −2, 0), (0, 1, 1, 4, 4, 0),
    /// (0, 1, −1, 8, −8, 1).
    @inline(__always)
    static func at4(_ m0: V, _ m1: V, _ m2: V, _ m3: V, _ m4: V, _ m5: V) -> (V, V, V, V) {
        let p = m1 + m2, q = m1 - m2, r = m3 + m4, s = m3 - m4
        return (m0 + p + r, q + 2 * s, p + 4 * r, q + 8 * s + m5)
    }

    /// `Bᵀ d` for F(2×2): rows (1, 0, −1, 0), (0, 1, 1, 0), (0, −1, 1, 0), (0, 1, 0, −1).
    @inline(__always)
    static func bt2(_ d0: V, _ d1: V, _ d2: V, _ d3: V) -> (V, V, V, V) {
        (d0 - d2, d1 + d2, d2 - d1, d1 - d3)
    }

    /// `Aᵀ m` for F(2×2): rows (1, 1, 1, 0), (0, 1, −1, −1).
    @inline(__always)
    static func at2(_ m0: V, _ m1: V, _ m2: V, _ m3: V) -> (V, V) {
        (m0 + m1 + m2, m1 - m2 - m3)
    }

    /// See `_WinogradTransform.inputTransform`; `channels` is a multiple of 4, `m` is 2 or 4.
    static func inputTransform(m: Int, _ input: UnsafePointer<Float>, _ g: _WindowGeometry, tilesX: Int, tilesY: Int,
                               firstTileRow: Int, tiles: Range<Int>, chunkTiles: Int, channels: Int, zeros: UnsafePointer<Float>,
                               into v: UnsafeMutablePointer<Float>) {
        let alpha = m + 2
        let plane = chunkTiles * channels   // floats between V[ξ] and V[ξ + 1]
        withUnsafeTemporaryAllocation(of: UnsafePointer<Float>.self, capacity: alpha * alpha) { pixels in
            withUnsafeTemporaryAllocation(of: V.self, capacity: alpha * alpha) { t in
                for tile in tiles {
                    _WinogradTransform.gatherTile(input, g, m: m, tilesX: tilesX, tilesY: tilesY, tile: firstTileRow * tilesX + tile,
                                                  channels: channels, zeros: zeros, into: pixels.baseAddress!)
                    let out = v + tile * channels
                    var c = 0
                    while c < channels {
                        if m == 4 {
                            for l in 0..<6 {
                                let r = bt4(load(pixels[l] + c), load(pixels[6 + l] + c), load(pixels[12 + l] + c),
                                            load(pixels[18 + l] + c), load(pixels[24 + l] + c), load(pixels[30 + l] + c))
                                t[l] = r.0; t[6 + l] = r.1; t[12 + l] = r.2; t[18 + l] = r.3; t[24 + l] = r.4; t[30 + l] = r.5
                            }
                            for i in 0..<6 {
                                let r = bt4(t[i * 6], t[i * 6 + 1], t[i * 6 + 2], t[i * 6 + 3], t[i * 6 + 4], t[i * 6 + 5])
                                let o = out + i * 6 * plane + c
                                store(r.0, o); store(r.1, o + plane); store(r.2, o + 2 * plane)
                                store(r.3, o + 3 * plane); store(r.4, o + 4 * plane); store(r.5, o + 5 * plane)
                            }
                        } else {
                            for l in 0..<4 {
                                let r = bt2(load(pixels[l] + c), load(pixels[4 + l] + c), load(pixels[8 + l] + c),
                                            load(pixels[12 + l] + c))
                                t[l] = r.0; t[4 + l] = r.1; t[8 + l] = r.2; t[12 + l] = r.3
                            }
                            for i in 0..<4 {
                                let r = bt2(t[i * 4], t[i * 4 + 1], t[i * 4 + 2], t[i * 4 + 3])
                                let o = out + i * 4 * plane + c
                                store(r.0, o); store(r.1, o + plane); store(r.2, o + 2 * plane); store(r.3, o + 3 * plane)
                            }
                        }
                        c += 4
                    }
                }
            }
        }
    }

    /// See `_WinogradTransform.outputTransform`; `channels` is a multiple of 4, `m` is 2 or 4.
    static func outputTransform(m: Int, _ mm: UnsafePointer<Float>, _ g: _WindowGeometry, tilesX: Int, tilesY: Int,
                                firstTileRow: Int, tiles: Range<Int>, chunkTiles: Int, channels: Int,
                                into output: UnsafeMutablePointer<Float>) {
        let alpha = m + 2
        let plane = chunkTiles * channels
        withUnsafeTemporaryAllocation(of: V.self, capacity: m * alpha) { s in
            withUnsafeTemporaryAllocation(of: V.self, capacity: m * m) { y in
                for tile in tiles {
                    let row = firstTileRow + tile / tilesX
                    let b = row / tilesY, y0 = (row % tilesY) * m, x0 = (tile % tilesX) * m
                    let rowsHere = min(m, g.outHeight - y0), colsHere = min(m, g.outWidth - x0)
                    let src = mm + tile * channels
                    let dst = output + ((b * g.outHeight + y0) * g.outWidth + x0) * channels
                    var c = 0
                    while c < channels {
                        if m == 4 {
                            for l in 0..<6 {
                                let p = src + l * plane + c
                                let r = at4(load(p), load(p + 6 * plane), load(p + 12 * plane), load(p + 18 * plane),
                                            load(p + 24 * plane), load(p + 30 * plane))
                                s[l] = r.0; s[6 + l] = r.1; s[12 + l] = r.2; s[18 + l] = r.3
                            }
                            for i in 0..<4 {
                                let r = at4(s[i * 6], s[i * 6 + 1], s[i * 6 + 2], s[i * 6 + 3], s[i * 6 + 4], s[i * 6 + 5])
                                y[i * 4] = r.0; y[i * 4 + 1] = r.1; y[i * 4 + 2] = r.2; y[i * 4 + 3] = r.3
                            }
                        } else {
                            for l in 0..<4 {
                                let p = src + l * plane + c
                                let r = at2(load(p), load(p + 4 * plane), load(p + 8 * plane), load(p + 12 * plane))
                                s[l] = r.0; s[4 + l] = r.1
                            }
                            for i in 0..<2 {
                                let r = at2(s[i * 4], s[i * 4 + 1], s[i * 4 + 2], s[i * 4 + 3])
                                y[i * 2] = r.0; y[i * 2 + 1] = r.1
                            }
                        }
                        for i in 0..<rowsHere {
                            for j in 0..<colsHere {
                                store(y[i * m + j], dst + (i * g.outWidth + j) * channels + c)
                            }
                        }
                        c += 4
                    }
                }
            }
        }
    }
}
