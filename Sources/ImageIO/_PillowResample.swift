/// Ports of Pillow's resampling (src/libImaging/Geometry.c, Resample.c) for 8-bit images of 1, 3
/// or 4 channels, kept operation for operation so results are bit-identical. Pillow filters each
/// channel of a pixel separately with the same integer arithmetic, whatever the mode. The source box is always
/// the whole image (`box = (0, 0, width, height)`, what `Image.resize` passes by default).
enum _PillowResample {
    /// `Image.resize(size, NEAREST)`: `_imaging.c` builds the affine map
    /// a = [inW/outW, 0, 0; 0, inH/outH, 0] and `ImagingScaleAffine` samples it. The source
    /// coordinate is accumulated in doubles (`xo += a[0]`), starting from half a step, and
    /// truncated (`COORD`), so the accumulation is reproduced rather than multiplied out.
    static func nearest(_ image: Image, outWidth: Int, outHeight: Int) -> Image {
        let channels = image.channels
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

        var output = [UInt8](repeating: 0, count: outWidth * outHeight * channels)
        image.pixels.withUnsafeBufferPointer { source in
            output.withUnsafeMutableBufferPointer { target in
                var yo = 0 + yScale * 0.5
                for y in 0..<outHeight {
                    let yi = coord(yo)
                    // Rows and columns that map outside the source stay 0 (`fill` = 1).
                    if yi >= 0, yi < inHeight, xMin < xMax {
                        let sourceRow = yi * inWidth * channels
                        let targetRow = y * outWidth * channels
                        for x in xMin..<xMax {
                            let s = sourceRow + sourceColumn[x] * channels
                            let t = targetRow + x * channels
                            for channel in 0..<channels {
                                target[t + channel] = source[s + channel]
                            }
                        }
                    }
                    yo += yScale
                }
            }
        }
        return Image(uncheckedWidth: outWidth, height: outHeight, mode: image.mode, pixels: output)
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
    static func bilinear(_ image: Image, outWidth: Int, outHeight: Int) -> Image {
        let channels = image.channels
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
                pixels = verticalPass(pixels, rowBytes: width * channels, taps: taps(inSize: inHeight, outSize: outHeight), rowOffset: 0)
                height = outHeight
            }
            if needHorizontal {
                pixels = horizontalPass(pixels, width: width, channels: channels, rows: height, firstRow: 0,
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
                pixels = horizontalPass(pixels, width: width, channels: channels, rows: lastRow - firstRow, firstRow: firstRow,
                                        taps: taps(inSize: inWidth, outSize: outWidth), outWidth: outWidth)
                width = outWidth
                height = lastRow - firstRow
                rowOffset = firstRow
            }
            if needVertical {
                pixels = verticalPass(pixels, rowBytes: width * channels, taps: verticalTaps, rowOffset: rowOffset)
                height = outHeight
            }
        }
        return Image(uncheckedWidth: width, height: height, mode: image.mode, pixels: pixels)
    }

    // The passes accumulate in Int32 like Pillow's `int`: Σ weights ≈ 2^22, so a sum stays
    // below 255 × 2^22 + 2^21 < 2^31, and wrapping operators (which let the loops vectorize)
    // never actually wrap.

    /// `ImagingResampleHorizontal_8bpc`: output row `yy` filters source row `yy + firstRow` of
    /// `source` (`width` pixels of `channels` bytes per row), each channel on its own.
    private static func horizontalPass(_ source: [UInt8], width: Int, channels: Int, rows: Int, firstRow: Int,
                                       taps: Taps, outWidth: Int) -> [UInt8] {
        var output = [UInt8](repeating: 0, count: outWidth * rows * channels)
        source.withUnsafeBufferPointer { source in
            output.withUnsafeMutableBufferPointer { target in
                // A literal channel count lets the compiler unroll the per-channel loops (RGB
                // would otherwise run about 20% slower than a 3-channel-only pass).
                switch channels {
                case 1: horizontalRows(source, target, width: width, channels: 1, rows: rows, firstRow: firstRow, taps: taps, outWidth: outWidth)
                case 3: horizontalRows(source, target, width: width, channels: 3, rows: rows, firstRow: firstRow, taps: taps, outWidth: outWidth)
                default: horizontalRows(source, target, width: width, channels: 4, rows: rows, firstRow: firstRow, taps: taps, outWidth: outWidth)
                }
            }
        }
        return output
    }

    @inline(__always)
    private static func horizontalRows(_ source: UnsafeBufferPointer<UInt8>, _ target: UnsafeMutableBufferPointer<UInt8>,
                                       width: Int, channels: Int, rows: Int, firstRow: Int, taps: Taps, outWidth: Int) {
        let half = SIMD4<Int32>(repeating: Int32(1 << (precisionBits - 1)))
        taps.starts.withUnsafeBufferPointer { starts in
            taps.counts.withUnsafeBufferPointer { counts in
                taps.weights.withUnsafeBufferPointer { weights in
                    for yy in 0..<rows {
                        let sourceRow = (yy + firstRow) * width * channels
                        var t = yy * outWidth * channels
                        for xx in 0..<outWidth {
                            var sum = half
                            var p = sourceRow + starts[xx] * channels
                            let k0 = xx * taps.ksize
                            for x in 0..<counts[xx] {
                                var sample = SIMD4<Int32>()
                                for channel in 0..<channels { sample[channel] = Int32(source[p + channel]) }
                                sum = sum &+ sample &* weights[k0 + x]
                                p += channels
                            }
                            for channel in 0..<channels { target[t + channel] = clip8(sum[channel]) }
                            t += channels
                        }
                    }
                }
            }
        }
    }

    /// `ImagingResampleVertical_8bpc`: output row `yy` filters the source rows from
    /// `starts[yy] - rowOffset` (the source may begin at image row `rowOffset`), `rowBytes` bytes
    /// each. Rows are accumulated whole: every byte is one channel's sample, filtered alike.
    private static func verticalPass(_ source: [UInt8], rowBytes: Int, taps: Taps, rowOffset: Int) -> [UInt8] {
        let half = Int32(1 << (precisionBits - 1))
        let stride = rowBytes
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

extension _PillowResample {
    /// Convert.c's `rgba2rgbA` (`"RGBA"` → `"RGBa"`): each colour becomes MULDIV255(c, alpha),
    /// MULDIV255(a, b) = ((a·b + 128) >> 8 + a·b + 128) >> 8; the alpha is kept.
    static func premultiplied(_ rgba: [UInt8]) -> [UInt8] {
        var output = rgba
        for pixel in stride(from: 0, to: rgba.count, by: 4) {
            let alpha = Int(rgba[pixel + 3])
            for channel in 0..<3 {
                let t = Int(rgba[pixel + channel]) * alpha + 128
                output[pixel + channel] = UInt8(truncatingIfNeeded: ((t >> 8) + t) >> 8)
            }
        }
        return output
    }

    /// Convert.c's `rgbA2rgba` (`"RGBa"` → `"RGBA"`): each colour becomes min(255, 255·c / alpha)
    /// with integer division, except that alpha 0 and 255 leave the colours as they are.
    static func unpremultiplied(_ rgba: [UInt8]) -> [UInt8] {
        var output = rgba
        for pixel in stride(from: 0, to: rgba.count, by: 4) {
            let alpha = Int(rgba[pixel + 3])
            guard alpha != 0, alpha != 255 else { continue }
            for channel in 0..<3 {
                output[pixel + channel] = UInt8(min(255, 255 * Int(rgba[pixel + channel]) / alpha))
            }
        }
        return output
    }
}
