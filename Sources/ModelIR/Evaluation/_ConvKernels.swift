/// The geometry of a window op over 1–3 spatial axes, widened to three (leading axes of size 1,
/// window 1, stride 1) so one loop nest serves every rank. Sizes are those inference checked, so
/// the index arithmetic below (`o · stride + k · dilation − pad`, all ≤ 2⁶⁰ each) cannot overflow.
struct _WindowGeometry {
    var input: [Int]
    var output: [Int]
    var kernel: [Int]
    var strides: [Int]
    var dilations: [Int]
    var padBegin: [Int]

    init(input: [Int], output: [Int], kernel: [Int], strides: [Int], dilations: [Int], padBegin: [Int]) {
        let lead = max(3 - input.count, 0)
        func widened(_ v: [Int], _ fill: Int) -> [Int] { [Int](repeating: fill, count: lead) + v }
        self.input = widened(input, 1)
        self.output = widened(output, 1)
        self.kernel = widened(kernel, 1)
        self.strides = widened(strides, 1)
        self.dilations = widened(dilations, 1)
        self.padBegin = widened(padBegin, 0)
    }

    var inputCount: Int { input[0] * input[1] * input[2] }
    var outputCount: Int { output[0] * output[1] * output[2] }
    var kernelCount: Int { kernel[0] * kernel[1] * kernel[2] }

    /// The `j` in `0..<count` with `0 ≤ start + j · step < size`.
    @inline(__always)
    static func validRange(start: Int, step: Int, count: Int, size: Int) -> Range<Int> {
        let low = start >= 0 ? 0 : (-start + step - 1) / step
        let high = start < size ? min(count, (size - 1 - start) / step + 1) : 0
        return min(low, high)..<high
    }
}

/// Convolution and transposed convolution on channels-first buffers, as matrix products over
/// column tiles (im2col / col2im) whose inner loops run contiguously over output (or input)
/// positions, so the compiler vectorises them. The tiles bound the scratch memory by the kernel
/// size whatever the image size.
enum _ConvKernels {
    /// Scratch elements per column tile (the tile holds at least 64 positions).
    static let tileBudget = 1 << 15

    /// `c[i, t] = Σ_r a[i·lda + r] · b[r·ldb + t]` for `i < m`, `t < n`, `r < k` (overwrites `c`).
    /// Blocks of four rows of `a` by eight columns of `b` are summed in SIMD registers over all
    /// of `r` (each sum still runs in order of `r`, as the scalar loop would), the edges one by one.
    static func multiply<T: _EvaluationFloat>(m: Int, n: Int, k: Int, _ a: UnsafePointer<T>, lda: Int,
                                              _ b: UnsafePointer<T>, ldb: Int, into c: UnsafeMutablePointer<T>, ldc: Int) {
        guard m > 0, n > 0 else { return }
        let wide = n - n % 8
        let bRaw = UnsafeRawPointer(b)
        let stride = MemoryLayout<T>.stride
        var i = 0
        while i < m {
            let rows = min(4, m - i)
            let a0 = a + i * lda
            let a1 = a0 + (rows > 1 ? lda : 0), a2 = a0 + (rows > 2 ? 2 * lda : 0), a3 = a0 + (rows > 3 ? 3 * lda : 0)
            var t = 0
            while t < wide {
                var s0 = SIMD8<T>(), s1 = SIMD8<T>(), s2 = SIMD8<T>(), s3 = SIMD8<T>()
                for r in 0..<k {
                    let v = bRaw.loadUnaligned(fromByteOffset: (r * ldb + t) * stride, as: SIMD8<T>.self)
                    s0 += v * a0[r]
                    s1 += v * a1[r]
                    s2 += v * a2[r]
                    s3 += v * a3[r]
                }
                let c0 = UnsafeMutableRawPointer(c + i * ldc + t)
                c0.storeBytes(of: s0, as: SIMD8<T>.self)
                if rows > 1 { (c0 + ldc * stride).storeBytes(of: s1, as: SIMD8<T>.self) }
                if rows > 2 { (c0 + 2 * ldc * stride).storeBytes(of: s2, as: SIMD8<T>.self) }
                if rows > 3 { (c0 + 3 * ldc * stride).storeBytes(of: s3, as: SIMD8<T>.self) }
                t += 8
            }
            for row in 0..<rows {
                let ar = a0 + row * lda, cr = c + (i + row) * ldc
                for t in wide..<n {
                    var sum: T = 0
                    for r in 0..<k { sum += ar[r] * b[r * ldb + t] }
                    cr[t] = sum
                }
            }
            i += rows
        }
    }

    /// A forward convolution, channels first: `y[n, g·Fg + f, p] = Σ_{c, k} w[g·Fg + f, c, k] ·
    /// x[n, g·Cg + c, p · stride + k · dilation − padBegin]`, taps in the padding reading 0.
    /// Weights are `[F, Cg, K…]` (ONNX's OIHW).
    static func convolve<T: _EvaluationFloat>(_ x: UnsafeBufferPointer<T>, batch: Int, channels: Int,
                                              _ w: UnsafeBufferPointer<T>, filters: Int, groups: Int,
                                              _ g: _WindowGeometry, into y: UnsafeMutableBufferPointer<T>) {
        guard let xs = x.baseAddress, let ws = w.baseAddress, let ys = y.baseAddress, groups > 0 else { return }
        let inCount = g.inputCount, outCount = g.outputCount, kCount = g.kernelCount
        let cg = channels / groups, fg = filters / groups
        let depth = cg * kCount
        guard outCount > 0, fg > 0 else { return }
        let pointwise = kCount == 1 && g.strides.allSatisfy { $0 == 1 } && g.padBegin.allSatisfy { $0 == 0 }
            && g.input == g.output
        if pointwise {
            for n in 0..<batch {
                for gi in 0..<groups {
                    multiply(m: fg, n: outCount, k: cg, ws + gi * fg * cg, lda: cg,
                             xs + (n * channels + gi * cg) * inCount, ldb: inCount,
                             into: ys + (n * filters + gi * fg) * outCount, ldc: outCount)
                }
            }
            return
        }
        let tile = min(outCount, max(64, tileBudget / max(depth, 1)))
        let columns = UnsafeMutablePointer<T>.allocate(capacity: depth * tile)
        defer { columns.deallocate() }
        for n in 0..<batch {
            for gi in 0..<groups {
                let image = xs + (n * channels + gi * cg) * inCount
                var p0 = 0
                while p0 < outCount {
                    let length = min(tile, outCount - p0)
                    gatherColumns(image, channels: cg, g, from: p0, count: length, into: columns, stride: tile)
                    multiply(m: fg, n: length, k: depth, ws + gi * fg * depth, lda: depth, columns, ldb: tile,
                             into: ys + (n * filters + gi * fg) * outCount + p0, ldc: outCount)
                    p0 += length
                }
            }
        }
    }

    /// Fills `columns[(c·K + k)·stride + t]` with the input tap of kernel position `k` for output
    /// position `first + t` (0 in the padding).
    private static func gatherColumns<T: _EvaluationFloat>(_ image: UnsafePointer<T>, channels: Int, _ g: _WindowGeometry,
                                                           from first: Int, count: Int,
                                                           into columns: UnsafeMutablePointer<T>, stride: Int) {
        let (inD, inH, inW) = (g.input[0], g.input[1], g.input[2])
        let (outH, outW) = (g.output[1], g.output[2])
        let (kD, kH, kW) = (g.kernel[0], g.kernel[1], g.kernel[2])
        let (sD, sH, sW) = (g.strides[0], g.strides[1], g.strides[2])
        let (dD, dH, dW) = (g.dilations[0], g.dilations[1], g.dilations[2])
        let (pD, pH, pW) = (g.padBegin[0], g.padBegin[1], g.padBegin[2])
        let plane = g.inputCount
        var p = first
        while p < first + count {
            let ow0 = p % outW, line = p / outW
            let oh = line % outH, od = line / outH
            let length = min(outW - ow0, first + count - p)
            let t0 = p - first
            for c in 0..<channels {
                let channel = image + c * plane
                for kd in 0..<kD {
                    let id = od * sD + kd * dD - pD
                    for kh in 0..<kH {
                        let ih = oh * sH + kh * dH - pH
                        let rowBase = ((c * kD + kd) * kH + kh) * kW
                        guard id >= 0, id < inD, ih >= 0, ih < inH else {
                            for kw in 0..<kW { (columns + (rowBase + kw) * stride + t0).update(repeating: 0, count: length) }
                            continue
                        }
                        let source = channel + (id * inH + ih) * inW
                        for kw in 0..<kW {
                            let dst = columns + (rowBase + kw) * stride + t0
                            let start = ow0 * sW + kw * dW - pW
                            let valid = _WindowGeometry.validRange(start: start, step: sW, count: length, size: inW)
                            for j in 0..<valid.lowerBound { dst[j] = 0 }
                            if sW == 1 {
                                for j in valid { dst[j] = source[start + j] }
                            } else {
                                for j in valid { dst[j] = source[start + j * sW] }
                            }
                            for j in valid.upperBound..<length { dst[j] = 0 }
                        }
                    }
                }
            }
            p += length
        }
    }

    /// A transposed convolution (the adjoint of `convolve`), channels first:
    /// `y[n, g·Fg + f, i · stride + k · dilation − padBegin] += Σ_c w[g, f·K + k, c] · x[n, g·Cg + c, i]`,
    /// contributions outside the output dropped; `y` must hold zeros. Weights are
    /// `[groups, Fg·K, Cg]`; `g.input` is the transposed convolution's input, `g.output` its output.
    static func convolveTransposed<T: _EvaluationFloat>(_ x: UnsafeBufferPointer<T>, batch: Int, channels: Int,
                                                        _ w: UnsafeBufferPointer<T>, filters: Int, groups: Int,
                                                        _ g: _WindowGeometry, into y: UnsafeMutableBufferPointer<T>) {
        guard let xs = x.baseAddress, let ws = w.baseAddress, let ys = y.baseAddress, groups > 0 else { return }
        let inCount = g.inputCount, outCount = g.outputCount, kCount = g.kernelCount
        let cg = channels / groups, fg = filters / groups
        let rows = fg * kCount
        guard inCount > 0, outCount > 0, rows > 0 else { return }
        let (inH, inW) = (g.input[1], g.input[2])
        let (outD, outH, outW) = (g.output[0], g.output[1], g.output[2])
        let (kD, kH, kW) = (g.kernel[0], g.kernel[1], g.kernel[2])
        let (sD, sH, sW) = (g.strides[0], g.strides[1], g.strides[2])
        let (dD, dH, dW) = (g.dilations[0], g.dilations[1], g.dilations[2])
        let (pD, pH, pW) = (g.padBegin[0], g.padBegin[1], g.padBegin[2])
        let tile = min(inCount, max(64, tileBudget / rows))
        let columns = UnsafeMutablePointer<T>.allocate(capacity: rows * tile)
        defer { columns.deallocate() }
        for n in 0..<batch {
            for gi in 0..<groups {
                let image = xs + (n * channels + gi * cg) * inCount
                let weights = ws + gi * rows * cg
                var i0 = 0
                while i0 < inCount {
                    let count = min(tile, inCount - i0)
                    multiply(m: rows, n: count, k: cg, weights, lda: cg, image + i0, ldb: inCount, into: columns, ldc: tile)
                    // Scatter each tile row (filter f, kernel position k) onto the output taps.
                    var i = i0
                    while i < i0 + count {
                        let iw0 = i % inW, line = i / inW
                        let ih = line % inH, id = line / inH
                        let length = min(inW - iw0, i0 + count - i)
                        let t0 = i - i0
                        for f in 0..<fg {
                            let plane = ys + (n * filters + gi * fg + f) * outCount
                            for kd in 0..<kD {
                                let od = id * sD + kd * dD - pD
                                guard od >= 0, od < outD else { continue }
                                for kh in 0..<kH {
                                    let oh = ih * sH + kh * dH - pH
                                    guard oh >= 0, oh < outH else { continue }
                                    let line = plane + (od * outH + oh) * outW
                                    for kw in 0..<kW {
                                        let src = columns + (((f * kD + kd) * kH + kh) * kW + kw) * tile + t0
                                        let start = iw0 * sW + kw * dW - pW
                                        let valid = _WindowGeometry.validRange(start: start, step: sW, count: length, size: outW)
                                        if sW == 1 {
                                            for j in valid { line[start + j] += src[j] }
                                        } else {
                                            for j in valid { line[start + j * sW] += src[j] }
                                        }
                                    }
                                }
                            }
                        }
                        i += length
                    }
                    i0 += count
                }
            }
        }
    }
}
