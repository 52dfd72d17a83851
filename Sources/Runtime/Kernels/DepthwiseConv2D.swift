import ModelIR

/// Keras `DepthwiseConv2D` / ONNX `Conv` with `group = C`: NHWC input `[N, H, W, C]`, HWCM kernel
/// `[kh, kw, C, M]` (M = depth multiplier), optional bias `[C·M]`, fused activation; output
/// `[N, OH, OW, C·M]` with output channel `c·M + m`, as in Keras.
///
/// A direct loop, vectorised over channels: flattened, the HWCM kernel of one tap is already in
/// output-channel order, so it needs no repacking. Work is split over output rows (N·OH).
struct _DepthwiseConv2DKernel: _Kernel {
    let kernel: _FloatWeights
    /// Bias, fused batch normalization and activation (the one in `attributes` is not used).
    let epilogue: _Epilogue
    let attributes: DepthwiseConvAttributes

    func run(_ a: _KernelArguments) {
        let g = _WindowGeometry(input: a.inputShapes[0], output: a.outputShape, kernel: attributes.kernelSize,
                                strides: attributes.strides, dilations: attributes.dilations, padding: attributes.padding)
        let outChannels = g.channels * attributes.depthMultiplier
        let epilogue = self.epilogue
        let input = a.inputs[0], output = a.output
        let kernel = self.kernel.pointer, multiplier = attributes.depthMultiplier
        let rows = g.batch * g.outHeight
        a.parallel.forEachRange(rows, workPerItem: _Parallel.work(g.outWidth, outChannels, g.kernelHeight, g.kernelWidth)) { range in
            let chunk = output + range.lowerBound * g.outWidth * outChannels
            Self.depthwiseRows(input, g, kernel: kernel, multiplier: multiplier, rows: range, into: chunk)
            epilogue.apply(chunk, rows: range.count * g.outWidth, channels: outChannels, rank: 4, parallel: .serial)
        }
        epilogue.finish(output, shape: a.outputShape, parallel: a.parallel)
    }

    /// Depthwise convolution without bias of the output rows `rows` (indices over N·OH) into
    /// `destination`, which holds those rows only (`rows.count · OW · C·M` floats).
    static func depthwiseRows(_ input: UnsafePointer<Float>, _ g: _WindowGeometry, kernel: UnsafePointer<Float>,
                              multiplier: Int, rows: Range<Int>, into destination: UnsafeMutablePointer<Float>) {
        let c = g.channels
        let outChannels = c * multiplier
        if multiplier == 1 && c % 8 == 0 {
            return depthwiseRowsVectorised(input, g, kernel: kernel, rows: rows, into: destination)
        }
        for row in rows {
            let b = row / g.outHeight, oy = row % g.outHeight
            let outRow = destination + (row - rows.lowerBound) * g.outWidth * outChannels
            for ox in 0..<g.outWidth {
                let o = outRow + ox * outChannels
                o.update(repeating: 0, count: outChannels)
                for i in 0..<g.kernelHeight {
                    let y = g.inputY(oy, i)
                    if y < 0 || y >= g.height { continue }
                    let line = input + (b * g.height + y) * g.width * c
                    for j in 0..<g.kernelWidth {
                        let x = g.inputX(ox, j)
                        if x < 0 || x >= g.width { continue }
                        let pixel = line + x * c
                        let tap = kernel + (i * g.kernelWidth + j) * outChannels
                        if multiplier == 1 {
                            for ch in 0..<c { o[ch] += pixel[ch] * tap[ch] }
                        } else {
                            for ch in 0..<c {
                                let v = pixel[ch]
                                let base = ch * multiplier
                                for m in 0..<multiplier { o[base + m] += v * tap[base + m] }
                            }
                        }
                    }
                }
            }
        }
    }
}

extension _DepthwiseConv2DKernel {
    /// `depthwiseRows` for depth multiplier 1 and a channel count that is a multiple of 8: eight
    /// channels at a time, the sum over the window kept in registers and stored once (the taps in
    /// the same order as the generic loop, so the results are identical).
    static func depthwiseRowsVectorised(_ input: UnsafePointer<Float>, _ g: _WindowGeometry, kernel: UnsafePointer<Float>,
                                        rows: Range<Int>, into destination: UnsafeMutablePointer<Float>) {
        typealias V = SIMD8<Float>
        let c = g.channels
        let taps = g.kernelHeight * g.kernelWidth
        withUnsafeTemporaryAllocation(of: UnsafePointer<Float>.self, capacity: taps) { pixelBuffer in
            withUnsafeTemporaryAllocation(of: Int.self, capacity: taps) { tapBuffer in
                let pixels = pixelBuffer.baseAddress!, tapIndex = tapBuffer.baseAddress!
                for row in rows {
                    let b = row / g.outHeight, oy = row % g.outHeight
                    let outRow = destination + (row - rows.lowerBound) * g.outWidth * c
                    for ox in 0..<g.outWidth {
                        // The taps inside the image, in (i, j) order.
                        var n = 0
                        for i in 0..<g.kernelHeight {
                            let y = g.inputY(oy, i)
                            if y < 0 || y >= g.height { continue }
                            for j in 0..<g.kernelWidth {
                                let x = g.inputX(ox, j)
                                if x < 0 || x >= g.width { continue }
                                pixels[n] = input + ((b * g.height + y) * g.width + x) * c
                                tapIndex[n] = (i * g.kernelWidth + j) * c
                                n += 1
                            }
                        }
                        let o = outRow + ox * c
                        var ch = 0
                        while ch < c {
                            var acc = V()
                            for t in 0..<n {
                                acc += _Activations.load(pixels[t] + ch) * _Activations.load(kernel + tapIndex[t] + ch)
                            }
                            _Activations.store(acc, o + ch)
                            ch += 8
                        }
                    }
                }
            }
        }
    }
}

/// Keras `SeparableConv2D`: the depthwise convolution above (HWCM kernel `[kh, kw, C, M]`, no bias)
/// followed by a pointwise 1×1 convolution (HWIO `[1, 1, C·M, Cout]`, used in place as the GEMM's
/// right-hand matrix), optional bias `[Cout]` and fused activation. ONNX has no single op: it is
/// a grouped `Conv` and a 1×1 `Conv`.
///
/// Runs a chunk of output rows at a time: depthwise into scratch, then one SGEMM per chunk, so the
/// intermediate never exists in full.
struct _SeparableConv2DKernel: _Kernel {
    let depthwiseKernel: _FloatWeights
    let pointwiseKernel: _FloatWeights
    /// Bias, fused batch normalization and activation (the one in `attributes` is not used).
    let epilogue: _Epilogue
    let attributes: SeparableConvAttributes
    let scratchLimit: Int
    /// Output pixels a chunk has at least (the pointwise GEMM's rows), whatever `scratchLimit` says.
    var minimumChunkPixels: Int = 1
    /// Applied to the depthwise output before the pointwise product: the bias, BN and activation
    /// of a DepthwiseConv2D fused with the 1×1 Conv2D after it (`_GraphRewriter.fuseDepthwisePointwise`);
    /// element-wise only. Nil for Keras's own SeparableConv2D.
    var depthwiseEpilogue: _Epilogue? = nil

    private func geometry(_ input: [Int], _ output: [Int]) -> _WindowGeometry {
        _WindowGeometry(input: input, output: output, kernel: attributes.kernelSize, strides: attributes.strides,
                        dilations: attributes.dilations, padding: attributes.padding)
    }

    /// Output rows (of OW pixels each) per chunk.
    private func rowsPerChunk(_ g: _WindowGeometry) -> Int {
        let rowFloats = max(g.outWidth * g.channels * attributes.depthMultiplier, 1)
        let minimumRows = (minimumChunkPixels + g.outWidth - 1) / max(g.outWidth, 1)
        return max(1, min(g.batch * g.outHeight, max(scratchLimit / rowFloats, minimumRows)))
    }

    func scratchCount(inputShapes: [[Int]], outputShape: [Int]) -> Int {
        let g = geometry(inputShapes[0], outputShape)
        return rowsPerChunk(g) * g.outWidth * g.channels * attributes.depthMultiplier
    }

    func run(_ a: _KernelArguments) {
        let g = geometry(a.inputShapes[0], a.outputShape)
        let mid = g.channels * attributes.depthMultiplier
        let cout = attributes.filters
        let totalRows = g.batch * g.outHeight
        let chunkRows = rowsPerChunk(g)
        let input = a.inputs[0], scratch = a.scratch
        let kernel = depthwiseKernel.pointer, multiplier = attributes.depthMultiplier
        let depthwiseEpilogue = self.depthwiseEpilogue
        var row = 0
        while row < totalRows {
            let rows = min(chunkRows, totalRows - row)
            let start = row
            a.parallel.forEachRange(rows, workPerItem: _Parallel.work(g.outWidth, mid, g.kernelHeight, g.kernelWidth)) { range in
                _DepthwiseConv2DKernel.depthwiseRows(input, g, kernel: kernel, multiplier: multiplier,
                                                     rows: (start + range.lowerBound)..<(start + range.upperBound),
                                                     into: scratch + range.lowerBound * g.outWidth * mid)
                depthwiseEpilogue?.apply(scratch + range.lowerBound * g.outWidth * mid, rows: range.count * g.outWidth,
                                         channels: mid, rank: 4, parallel: .serial)
            }
            let pixels = rows * g.outWidth
            let out = a.output + row * g.outWidth * cout
            a.parallel.gemm(m: pixels, n: cout, k: mid, a: scratch, lda: mid, b: pointwiseKernel.pointer, ldb: cout, c: out, ldc: cout)
            epilogue.apply(out, rows: pixels, channels: cout, rank: 4, parallel: a.parallel)
            row += rows
        }
        epilogue.finish(a.output, shape: a.outputShape, parallel: a.parallel)
    }
}
