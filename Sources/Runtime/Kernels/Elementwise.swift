import ModelIR

/// Keras `Add` / ONNX `Add` and Keras `Multiply` / ONNX `Mul` over two or more inputs of one shape
/// (any layout; no broadcasting, as the IR's shape inference requires equal shapes).
struct _ElementwiseKernel: _Kernel {
    enum Kind { case add, multiply }
    let kind: Kind

    var bufferUse: _BufferUse { .inPlace }

    func run(_ a: _KernelArguments) {
        let count = _elementCount(a.outputShape) ?? 0
        let inputs = a.inputs, output = a.output, kind = self.kind
        let block = 4096
        a.parallel.forEachRange((count + block - 1) / block, workPerItem: block * inputs.count) { range in
            let lo = range.lowerBound * block, hi = min(range.upperBound * block, count)
            let x = inputs[0], y = inputs[1]
            switch kind {
            case .add: for i in lo..<hi { output[i] = x[i] + y[i] }
            case .multiply: for i in lo..<hi { output[i] = x[i] * y[i] }
            }
            for z in inputs.dropFirst(2) {
                switch kind {
                case .add: for i in lo..<hi { output[i] += z[i] }
                case .multiply: for i in lo..<hi { output[i] *= z[i] }
                }
            }
        }
    }
}
