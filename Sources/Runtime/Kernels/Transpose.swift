import ModelIR

/// ONNX `Transpose` (and the Transposes the layout pass inserts around channels-first ops) on
/// float32: `output[i₀…] = input[…]` with `output.shape[k] = input.shape[perm[k]]`. When only
/// size-1 axes move the bytes are already in order and the plan makes the output a view.
///
/// The output is written row by row; each row walks the input with the stride of the axis that
/// becomes the output's last one, so NCHW → NHWC reads one channel plane per output channel.
struct _TransposeKernel: _Kernel {
    let perm: [Int]

    func bufferUse(inputShapes: [[Int]]) -> _BufferUse {
        guard let shape = inputShapes.first, shape.count == perm.count else { return .fresh }
        return _Perm.isReshape(perm, shape: shape) ? .view : .fresh
    }

    func run(_ a: _KernelArguments) {
        let inShape = a.inputShapes[0]
        let out = a.outputShape
        let rank = out.count
        guard rank > 0, let count = Shape.elementCount(out), count > 0 else {
            if rank == 0 { a.output[0] = a.inputs[0][0] }
            return
        }
        let inStrides = Shape.strides(inShape)
        let strides = perm.map { inStrides[$0] }   // input stride of each output axis
        let rowLength = out[rank - 1], rowStride = strides[rank - 1]
        let rows = count / rowLength
        let input = a.inputs[0], output = a.output
        a.parallel.forEachRange(rows, workPerItem: rowLength) { range in
            var index = [Int](repeating: 0, count: max(rank - 1, 0))
            var r = range.lowerBound
            for k in stride(from: rank - 2, through: 0, by: -1) {
                index[k] = r % out[k]
                r /= out[k]
            }
            for row in range {
                var offset = 0
                for k in 0..<(rank - 1) { offset += index[k] * strides[k] }
                let src = input + offset, dst = output + row * rowLength
                if rowStride == 1 {
                    dst.update(from: src, count: rowLength)
                } else {
                    for j in 0..<rowLength { dst[j] = src[j * rowStride] }
                }
                var k = rank - 2
                while k >= 0 {
                    index[k] += 1
                    if index[k] < out[k] { break }
                    index[k] = 0
                    k -= 1
                }
            }
        }
    }
}
