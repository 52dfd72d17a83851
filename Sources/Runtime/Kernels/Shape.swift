import ModelIR

/// Keras `Flatten`, `Reshape` and `Dropout` (inference), ONNX `Flatten`, `Reshape`, `Dropout`,
/// `Identity`: row-major NHWC data does not move, so the output is a view of the input and the
/// kernel does nothing.
struct _ViewKernel: _Kernel {
    var bufferUse: _BufferUse { .view }
    func run(_ a: _KernelArguments) {}
}

/// Keras `ZeroPadding2D` / ONNX `Pad` (constant 0) on H and W of an NHWC tensor.
struct _ZeroPadding2DKernel: _Kernel {
    let top: Int, left: Int

    func run(_ a: _KernelArguments) {
        let s = a.inputShapes[0], o = a.outputShape
        let h = s[1], w = s[2], c = s[3], oh = o[1], ow = o[2]
        let input = a.inputs[0], output = a.output
        let top = self.top, left = self.left
        a.parallel.forEachRange(s[0] * oh, workPerItem: ow * c) { range in
            for row in range {
                let b = row / oh, y = row % oh - top
                let dst = output + row * ow * c
                guard y >= 0, y < h else {
                    dst.update(repeating: 0, count: ow * c)
                    continue
                }
                dst.update(repeating: 0, count: left * c)
                (dst + left * c).update(from: input + (b * h + y) * w * c, count: w * c)
                let tail = (left + w) * c
                (dst + tail).update(repeating: 0, count: ow * c - tail)
            }
        }
    }
}

/// Keras `Concatenate` / ONNX `Concat` along any non-batch axis (the channel axis of NHWC is the
/// common case): each input contributes a contiguous run per index of the axes before `axis`.
struct _ConcatenateKernel: _Kernel {
    let axis: Int

    func run(_ a: _KernelArguments) {
        let out = a.outputShape
        let ax = axis < 0 ? axis + out.count : axis
        let outer = Shape.elementCount(Array(out[..<ax])) ?? 0
        let inner = Shape.elementCount(Array(out[(ax + 1)...])) ?? 0
        let runs = a.inputShapes.map { $0[ax] * inner }
        let outRun = out[ax] * inner
        let inputs = a.inputs, output = a.output
        a.parallel.forEachRange(outer, workPerItem: outRun) { range in
            for o in range {
                var dst = output + o * outRun
                for (input, run) in zip(inputs, runs) {
                    dst.update(from: input + o * run, count: run)
                    dst += run
                }
            }
        }
    }
}
