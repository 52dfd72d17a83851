/// Ports of Pillow's resampling (src/libImaging/Geometry.c, Resample.c) for 3-channel 8-bit
/// images, kept operation for operation so results are bit-identical. The source box is always
/// the whole image (`box = (0, 0, width, height)`, what `Image.resize` passes by default).
enum _PillowResample {
    /// `Image.resize(size, NEAREST)`: `_imaging.c` builds the affine map
    /// a = [inW/outW, 0, 0; 0, inH/outH, 0] and `ImagingScaleAffine` samples it. The source
    /// coordinate is accumulated in doubles (`xo += a[0]`), starting from half a step, and
    /// truncated (`COORD`), so the accumulation is reproduced rather than multiplied out.
    static func nearest(_ image: RGBImage, outWidth: Int, outHeight: Int) -> RGBImage {
        let inWidth = image.width
        let inHeight = image.height
        // `(double)(box[2] - box[0]) / xsize` with a float box.
        let xScale = Double(Float(inWidth) - Float(0)) / Double(outWidth)
        let yScale = Double(Float(inHeight) - Float(0)) / Double(outHeight)

        var sourceColumn = [Int](repeating: 0, count: outWidth)
        var xMin = outWidth
        var xMax = 0
        var xo = 0 + xScale * 0.5
        for x in 0..<outWidth {
            let xin = coord(xo)
            if xin >= 0, xin < inWidth {
                xMax = x + 1
                if x < xMin { xMin = x }
                sourceColumn[x] = xin
            }
            xo += xScale
        }

        var output = [UInt8](repeating: 0, count: outWidth * outHeight * 3)
        image.pixels.withUnsafeBufferPointer { source in
            output.withUnsafeMutableBufferPointer { target in
                var yo = 0 + yScale * 0.5
                for y in 0..<outHeight {
                    let yi = coord(yo)
                    // Rows and columns that map outside the source stay 0 (`fill` = 1).
                    if yi >= 0, yi < inHeight, xMin < xMax {
                        let sourceRow = yi * inWidth * 3
                        let targetRow = y * outWidth * 3
                        for x in xMin..<xMax {
                            let s = sourceRow + sourceColumn[x] * 3
                            let t = targetRow + x * 3
                            target[t] = source[s]
                            target[t + 1] = source[s + 1]
                            target[t + 2] = source[s + 2]
                        }
                    }
                    yo += yScale
                }
            }
        }
        return RGBImage(uncheckedWidth: outWidth, height: outHeight, pixels: output)
    }

    /// Geometry.c's `COORD`: negative → −1, otherwise truncation.
    private static func coord(_ value: Double) -> Int {
        value < 0 ? -1 : Int(value)
    }

    // MARK: Bilinear

    /// Resample.c's `PRECISION_BITS`: coefficients are fixed point with 22 fractional bits.
    private static let precisionBits = 32 - 8 - 2

    /// The filter taps of every output position along one axis: output `i` reads `counts[i]`
    /// source samples from `starts[i]`, weighted by `weights[i * ksize ..< i * ksize + counts[i]]`
    /// (22-bit fixed point).
    struct Taps {
        var starts: [Int]
        var counts: [Int]
        var weights: [Int32]
        var ksize: Int

        var outSize: Int { starts.count }
        /// One past the last source index any output reads.
        var end: Int { starts.indices.last.map { starts[$0] + counts[$0] } ?? 0 }
    }

    /// `precompute_coeffs` + `normalize_coeffs_8bpc` for the bilinear (triangle) filter over
    /// the box [0, inSize).
    static func taps(inSize: Int, outSize: Int) -> Taps {
        let in0: Float = 0
        let in1 = Float(inSize)
        let scale = Double(in1 - in0) / Double(outSize)
        let filterScale = max(scale, 1.0)
        let support = 1.0 * filterScale
        let ksize = Int(support.rounded(.up)) * 2 + 1
        var starts = [Int](repeating: 0, count: outSize)
        var counts = [Int](repeating: 0, count: outSize)
        var fixed = [Int32](repeating: 0, count: outSize * ksize)
        var weights = [Double](repeating: 0, count: ksize)
        let unit = Double(1 << precisionBits)
        for xx in 0..<outSize {
            let center = Double(in0) + (Double(xx) + 0.5) * scale
            let ss = 1.0 / filterScale
            // `(int)` truncates toward zero, as Int(_: Double) does.
            let xMin = max(Int(center - support + 0.5), 0)
            let count = max(min(Int(center + support + 0.5), inSize) - xMin, 0)
            var total = 0.0
            for x in 0..<count {
                let w = triangle((Double(x + xMin) - center + 0.5) * ss)
                weights[x] = w
                total += w
            }
            for x in 0..<count {
                var k = weights[x]
                if total != 0 { k /= total }
                fixed[xx * ksize + x] = Int32(k < 0 ? Int(-0.5 + k * unit) : Int(0.5 + k * unit))
            }
            starts[xx] = xMin
            counts[xx] = count
        }
        return Taps(starts: starts, counts: counts, weights: fixed, ksize: ksize)
    }

    private static func triangle(_ value: Double) -> Double {
        let x = value < 0 ? -value : value
        return x < 1 ? 1 - x : 0
    }

    /// Resample.c's `clip8`: drop the fraction (arithmetic shift), clamp to 0...255.
    @inline(__always)
    private static func clip8(_ accumulator: Int32) -> UInt8 {
        UInt8(clamping: accumulator >> Int32(precisionBits))
    }

    /// `Image.resize(size, BILINEAR)` → `ImagingResample` → `ImagingResampleInner`, as of
    /// Pillow 13: two separable passes through 8-bit intermediates, each skipped when its
    /// dimension is unchanged. Normally the horizontal pass runs first (over only the source rows
    /// the vertical pass will read); since Pillow 13 (python-pillow/Pillow#9549) the vertical
    /// pass runs first when the height shrinks by more than twice as many pixels as the width
    /// does. The order matters: the intermediate is rounded to 8 bits, so the two orders differ
    /// by ±1 on some pixels. Every output byte is clip8(2^21 + Σ sample × weight).
    static func bilinear(_ image: RGBImage, outWidth: Int, outHeight: Int) -> RGBImage {
        let inWidth = image.width
        let inHeight = image.height
        let needHorizontal = outWidth != inWidth
        let needVertical = outHeight != inHeight
        // Pillow 13's condition, in pixels: !(ysize < boxH && boxH - ysize > 2 * (boxW - xsize)).
        let verticalFirst = outHeight < inHeight && (inHeight - outHeight) > 2 * (inWidth - outWidth)

        var pixels = image.pixels
        var width = inWidth
        var height = inHeight
        if verticalFirst {
            if needVertical {
                pixels = verticalPass(pixels, width: width, taps: taps(inSize: inHeight, outSize: outHeight), rowOffset: 0)
                height = outHeight
            }
            if needHorizontal {
                pixels = horizontalPass(pixels, width: width, rows: height, firstRow: 0,
                                        taps: taps(inSize: inWidth, outSize: outWidth), outWidth: outWidth)
                width = outWidth
            }
        } else {
            let verticalTaps = taps(inSize: inHeight, outSize: outHeight)
            var rowOffset = 0
            if needHorizontal {
                // Only the source rows the vertical pass will read: [first tap, last tap end).
                let firstRow = verticalTaps.starts.first ?? 0
                let lastRow = verticalTaps.end
                pixels = horizontalPass(pixels, width: width, rows: lastRow - firstRow, firstRow: firstRow,
                                        taps: taps(inSize: inWidth, outSize: outWidth), outWidth: outWidth)
                width = outWidth
                height = lastRow - firstRow
                rowOffset = firstRow
            }
            if needVertical {
                pixels = verticalPass(pixels, width: width, taps: verticalTaps, rowOffset: rowOffset)
                height = outHeight
            }
        }
        return RGBImage(uncheckedWidth: width, height: height, pixels: pixels)
    }

    // The passes accumulate in Int32 like Pillow's `int`: Σ weights ≈ 2^22, so a sum stays
    // below 255 × 2^22 + 2^21 < 2^31, and wrapping operators (which let the loops vectorize)
    // never actually wrap.

    /// `ImagingResampleHorizontal_8bpc` for RGB: output row `yy` filters source row
    /// `yy + firstRow` of `source` (`width` pixels per row).
    private static func horizontalPass(_ source: [UInt8], width: Int, rows: Int, firstRow: Int,
                                       taps: Taps, outWidth: Int) -> [UInt8] {
        let half = Int32(1 << (precisionBits - 1))
        var output = [UInt8](repeating: 0, count: outWidth * rows * 3)
        source.withUnsafeBufferPointer { source in
            output.withUnsafeMutableBufferPointer { target in
                taps.starts.withUnsafeBufferPointer { starts in
                    taps.counts.withUnsafeBufferPointer { counts in
                        taps.weights.withUnsafeBufferPointer { weights in
                            for yy in 0..<rows {
                                let sourceRow = (yy + firstRow) * width * 3
                                var t = yy * outWidth * 3
                                for xx in 0..<outWidth {
                                    var s0 = half, s1 = half, s2 = half
                                    var p = sourceRow + starts[xx] * 3
                                    let k0 = xx * taps.ksize
                                    for x in 0..<counts[xx] {
                                        let k = weights[k0 + x]
                                        s0 = s0 &+ Int32(source[p]) &* k
                                        s1 = s1 &+ Int32(source[p + 1]) &* k
                                        s2 = s2 &+ Int32(source[p + 2]) &* k
                                        p += 3
                                    }
                                    target[t] = clip8(s0)
                                    target[t + 1] = clip8(s1)
                                    target[t + 2] = clip8(s2)
                                    t += 3
                                }
                            }
                        }
                    }
                }
            }
        }
        return output
    }

    /// `ImagingResampleVertical_8bpc` for RGB: output row `yy` filters the source rows from
    /// `starts[yy] - rowOffset` (the source may begin at image row `rowOffset`). Rows are
    /// accumulated whole, in the same per-element order as Pillow's column loop.
    private static func verticalPass(_ source: [UInt8], width: Int, taps: Taps, rowOffset: Int) -> [UInt8] {
        let half = Int32(1 << (precisionBits - 1))
        let stride = width * 3
        var output = [UInt8](repeating: 0, count: stride * taps.outSize)
        var accumulator = [Int32](repeating: 0, count: stride)
        source.withUnsafeBufferPointer { source in
            output.withUnsafeMutableBufferPointer { target in
                accumulator.withUnsafeMutableBufferPointer { sum in
                    for yy in 0..<taps.outSize {
                        for column in 0..<stride { sum[column] = half }
                        let k0 = yy * taps.ksize
                        for y in 0..<taps.counts[yy] {
                            let k = taps.weights[k0 + y]
                            let row = (taps.starts[yy] - rowOffset + y) * stride
                            for column in 0..<stride {
                                sum[column] = sum[column] &+ Int32(source[row + column]) &* k
                            }
                        }
                        let targetRow = yy * stride
                        for column in 0..<stride {
                            target[targetRow + column] = clip8(sum[column])
                        }
                    }
                }
            }
        }
        return output
    }
}
