import ModelIR

/// Keras `MaxPooling2D` / ONNX `MaxPool` and Keras `AveragePooling2D` / ONNX `AveragePool`:
/// NHWC in and out, `same` or explicit padding, any window and strides.
///
/// Padding never wins a max (TensorFlow pads with −∞). The average divides by the number of real
/// input cells under the window (Keras `same` semantics, ONNX `count_include_pad = 0`) or, with
/// `countIncludePad`, by the window area. Split over output rows (N·OH), vectorised over channels.
struct _Pool2DKernel: _Kernel {
    enum Kind { case max, average }
    let kind: Kind
    let attributes: PoolAttributes

    func run(_ a: _KernelArguments) {
        let g = _WindowGeometry(input: a.inputShapes[0], output: a.outputShape, kernel: attributes.poolSize,
                                strides: attributes.strides, dilations: [1, 1], padding: attributes.padding)
        let c = g.channels
        let input = a.inputs[0], output = a.output
        let kind = self.kind, includePad = attributes.countIncludePad
        a.parallel.forEachRange(g.batch * g.outHeight, workPerItem: _Parallel.work(g.outWidth, c, g.kernelHeight, g.kernelWidth)) { range in
            for row in range {
                let b = row / g.outHeight, oy = row % g.outHeight
                let y0 = max(g.inputY(oy, 0), 0), y1 = min(g.inputY(oy, 0) + g.kernelHeight, g.height)
                for ox in 0..<g.outWidth {
                    let x0 = max(g.inputX(ox, 0), 0), x1 = min(g.inputX(ox, 0) + g.kernelWidth, g.width)
                    let o = output + (row * g.outWidth + ox) * c
                    // A window wholly in the padding (only possible with explicit pads ≥ window) gives 0.
                    guard y0 < y1, x0 < x1 else {
                        o.update(repeating: 0, count: c)
                        continue
                    }
                    let first = input + ((b * g.height + y0) * g.width + x0) * c
                    o.update(from: first, count: c)
                    for y in y0..<y1 {
                        let line = input + (b * g.height + y) * g.width * c
                        for x in x0..<x1 where y != y0 || x != x0 {
                            let p = line + x * c
                            switch kind {
                            case .max: for ch in 0..<c { o[ch] = max(o[ch], p[ch]) }
                            case .average: for ch in 0..<c { o[ch] += p[ch] }
                            }
                        }
                    }
                    if kind == .average {
                        let count = includePad ? Double(g.kernelHeight) * Double(g.kernelWidth) : Double((y1 - y0) * (x1 - x0))
                        let scale = Float(1 / count)
                        for ch in 0..<c { o[ch] *= scale }
                    }
                }
            }
        }
    }
}

/// Keras `GlobalAveragePooling2D` / ONNX `GlobalAveragePool` and Keras `GlobalMaxPooling2D` /
/// ONNX `GlobalMaxPool`: NHWC `[N, H, W, C]` to `[N, C]`, or `[N, 1, 1, C]` with `keepDims`
/// (the same floats either way). The mean sums in double precision, so a 150×150 map loses
/// nothing to summation order.
struct _GlobalPoolKernel: _Kernel {
    let isMax: Bool

    func run(_ a: _KernelArguments) {
        let shape = a.inputShapes[0]
        let n = shape[0], pixels = shape[1] * shape[2], c = shape[3]
        let input = a.inputs[0], output = a.output
        let isMax = self.isMax
        guard pixels > 0 else {
            output.update(repeating: 0, count: n * c)
            return
        }
        // Split over (image, block of channels) so batch 1 still uses both cores.
        let block = 64
        let blocks = (c + block - 1) / block
        a.parallel.forEachRange(n * blocks, workPerItem: pixels * min(block, c)) { range in
            var sums = [Double](repeating: 0, count: block)
            for item in range {
                let b = item / blocks, c0 = (item % blocks) * block
                let width = min(block, c - c0)
                let image = input + b * pixels * c + c0
                let o = output + b * c + c0
                if isMax {
                    o.update(from: image, count: width)
                    for p in 1..<max(pixels, 1) {
                        let px = image + p * c
                        for ch in 0..<width { o[ch] = max(o[ch], px[ch]) }
                    }
                } else {
                    for ch in 0..<width { sums[ch] = 0 }
                    for p in 0..<pixels {
                        let px = image + p * c
                        for ch in 0..<width { sums[ch] += Double(px[ch]) }
                    }
                    for ch in 0..<width { o[ch] = Float(sums[ch] / Double(pixels)) }
                }
            }
        }
    }
}
