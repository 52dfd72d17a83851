import ModelIR

/// Keras `Add` / ONNX `Add` and Keras `Multiply` / ONNX `Mul` over two or more inputs of one shape
/// (any layout; no broadcasting, as the IR's shape inference requires equal shapes).
struct _ElementwiseKernel: _Kernel {
    enum Kind { case add, multiply }
    let kind: Kind
    /// A fused element-wise activation (never softmax), applied as each block is combined.
    var activation: Activation = .linear

    var bufferUse: _BufferUse { .inPlace }

    func run(_ a: _KernelArguments) {
        let count = Shape.elementCount(a.outputShape) ?? 0
        let inputs = a.inputs, output = a.output, kind = self.kind, activation = self.activation
        let block = 4096
        a.parallel.forEachRange((count + block - 1) / block, workPerItem: block * inputs.count) { range in
            let lo = range.lowerBound * block, hi = min(range.upperBound * block, count)
            // Explicit vectors: the output usually is input 0 (in place), which defeats the vectoriser.
            func combine(_ x: UnsafePointer<Float>, _ y: UnsafePointer<Float>) {
                var i = lo
                while i + 8 <= hi {
                    let a = _Activations.load(x + i), b = _Activations.load(y + i)
                    _Activations.store(kind == .add ? a + b : a * b, output + i)
                    i += 8
                }
                while i < hi {
                    output[i] = kind == .add ? x[i] + y[i] : x[i] * y[i]
                    i += 1
                }
            }
            combine(inputs[0], inputs[1])
            for z in inputs.dropFirst(2) { combine(output, z) }
            if activation != .linear {
                _Activations.apply(activation, source: output + lo, destination: output + lo, shape: [hi - lo], bias: nil,
                                   parallel: .serial)
            }
        }
    }
}
