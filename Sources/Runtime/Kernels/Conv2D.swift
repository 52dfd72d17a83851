import ModelIR

/// Keras `Conv2D` / ONNX `Conv`: NHWC input `[N, H, W, Cin]`, HWIO kernel `[kh, kw, Cin/groups,
/// Cout]`, optional bias `[Cout]`, strides, dilations, `same`/explicit padding, channel groups and a
/// fused activation; output NHWC `[N, OH, OW, Cout]`.
///
/// im2col + SGEMM: in NHWC the output is the matrix `out[N·OH·OW, Cout] = patches[N·OH·OW, kh·kw·Cin]
/// × kernel[kh·kw·Cin, Cout]`, and the HWIO kernel already *is* that right-hand matrix, so it is
/// used in place with no repacking. Channel group `g` is the column block `g·Cout/groups` of the
/// kernel and of the output (a pointer offset with the full leading dimension). Patches are built
/// a chunk of rows at a time so the scratch stays under `scratchLimit` floats however big the image
/// (but with at least `_BLAS.minimumRowsPerCall` rows per worker, so OpenBLAS's per-call packing
/// of the kernel stays cheap);
/// a 1×1 stride-1 unpadded convolution needs no patches at all (the input is the matrix).
struct _Conv2DKernel: _Kernel {
    let kernel: _FloatWeights
    /// Bias, fused batch normalization and activation (the one in `attributes` is not used).
    let epilogue: _Epilogue
    let attributes: ConvAttributes
    /// Bound on the im2col chunk, in floats.
    let scratchLimit: Int
    /// Rows a chunk has at least (GEMM rows per call × workers), whatever `scratchLimit` says.
    var minimumChunkRows: Int = 1

    private func geometry(_ input: [Int], _ output: [Int]) -> _WindowGeometry {
        _WindowGeometry(input: input, output: output, kernel: attributes.kernelSize, strides: attributes.strides,
                        dilations: attributes.dilations, padding: attributes.padding)
    }

    private func isPointwise(_ g: _WindowGeometry) -> Bool {
        g.kernelHeight == 1 && g.kernelWidth == 1 && g.strideY == 1 && g.strideX == 1
            && g.padTop == 0 && g.padLeft == 0 && g.outHeight == g.height && g.outWidth == g.width
    }

    /// Patch-matrix width for one group: `kh · kw · Cin/groups`.
    private func patchWidth(_ g: _WindowGeometry) -> Int {
        g.kernelHeight * g.kernelWidth * (g.channels / attributes.groups)
    }

    /// Patch rows per chunk: the bound covers a chunk's patches *and* its output rows, which the
    /// epilogue revisits, so a thin kernel (the first layer's K = 27) does not make a chunk whose
    /// output falls out of cache.
    private func rowsPerChunk(_ g: _WindowGeometry) -> Int {
        let bounded = scratchLimit / max(patchWidth(g) + attributes.filters, 1)
        return max(1, min(g.outputPixels, max(bounded, minimumChunkRows)))
    }

    func scratchCount(inputShapes: [[Int]], outputShape: [Int]) -> Int {
        let g = geometry(inputShapes[0], outputShape)
        return isPointwise(g) ? 0 : rowsPerChunk(g) * patchWidth(g)
    }

    func run(_ a: _KernelArguments) {
        let g = geometry(a.inputShapes[0], a.outputShape)
        let groups = attributes.groups
        let cout = attributes.filters
        let groupIn = g.channels / groups, groupOut = cout / groups
        let input = a.inputs[0]

        func epilogue(_ row: Int, _ rows: Int) {
            self.epilogue.apply(a.output + row * cout, rows: rows, channels: cout, rank: 4, parallel: a.parallel)
        }

        let m = g.outputPixels
        if isPointwise(g) {
            // Rows in chunks of about a quarter of the scratch bound, so the epilogue finds them in
            // cache, but enough rows per GEMM call that packing the kernel stays cheap.
            let chunkRows = max(minimumChunkRows, scratchLimit / 4 / max(cout, 1), 1)
            var row = 0
            while row < m {
                let rows = min(chunkRows, m - row)
                for group in 0..<groups {
                    a.parallel.gemm(m: rows, n: groupOut, k: groupIn, a: input + row * g.channels + group * groupIn, lda: g.channels,
                               b: kernel.pointer + group * groupOut, ldb: cout, c: a.output + row * cout + group * groupOut, ldc: cout)
                }
                epilogue(row, rows)
                row += rows
            }
        } else {
            let k = patchWidth(g)
            let chunkRows = rowsPerChunk(g)
            var row = 0
            while row < m {
                let rows = min(chunkRows, m - row)
                for group in 0..<groups {
                    Self.im2col(input, g, group: group, groupChannels: groupIn, rows: row..<(row + rows), into: a.scratch,
                                parallel: a.parallel)
                    a.parallel.gemm(m: rows, n: groupOut, k: k, a: a.scratch, lda: k, b: kernel.pointer + group * groupOut, ldb: cout,
                               c: a.output + row * cout + group * groupOut, ldc: cout)
                }
                epilogue(row, rows)
                row += rows
            }
        }
        self.epilogue.finish(a.output, shape: a.outputShape, parallel: a.parallel)
    }

    /// Writes the patch rows `rows` (output pixels in N·OH·OW order) of channel group `group` into
    /// `patches`, one row of `kh·kw·groupChannels` floats per pixel in HWI order; taps that fall in
    /// the padding are zeros.
    static func im2col(_ input: UnsafePointer<Float>, _ g: _WindowGeometry, group: Int, groupChannels: Int,
                       rows: Range<Int>, into patches: UnsafeMutablePointer<Float>, parallel: _Parallel) {
        let k = g.kernelHeight * g.kernelWidth * groupChannels
        let pixelsPerImage = g.outHeight * g.outWidth
        let channelOffset = group * groupChannels
        // With one group and unit dilation the kw taps of a kernel row are adjacent input pixels:
        // one copy of kw·Cin floats instead of kw copies of Cin.
        let contiguousRow = groupChannels == g.channels && g.dilationX == 1
        let rowRun = g.kernelWidth * groupChannels
        parallel.forEachRange(rows.count, workPerItem: k) { range in
            for local in range {
                let r = rows.lowerBound + local
                let b = r / pixelsPerImage, p = r % pixelsPerImage
                let oy = p / g.outWidth, ox = p % g.outWidth
                var dst = patches + local * k
                let x0 = g.inputX(ox, 0)
                for i in 0..<g.kernelHeight {
                    let y = g.inputY(oy, i)
                    if y < 0 || y >= g.height {
                        dst.update(repeating: 0, count: rowRun)
                        dst += rowRun
                        continue
                    }
                    let line = input + (b * g.height + y) * g.width * g.channels + channelOffset
                    if contiguousRow && x0 >= 0 && x0 + g.kernelWidth <= g.width {
                        dst.update(from: line + x0 * g.channels, count: rowRun)
                        dst += rowRun
                        continue
                    }
                    for j in 0..<g.kernelWidth {
                        let x = x0 + j * g.dilationX
                        if x < 0 || x >= g.width {
                            dst.update(repeating: 0, count: groupChannels)
                        } else {
                            dst.update(from: line + x * g.channels, count: groupChannels)
                        }
                        dst += groupChannels
                    }
                }
            }
        }
    }
}
