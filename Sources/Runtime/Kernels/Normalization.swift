import ModelIR

/// Keras `BatchNormalization` in inference mode / ONNX `BatchNormalization`, over the last
/// (channel) axis of an NHWC or `[N, C]` tensor.
///
/// Computed as Keras does in float32: `inv = rsqrt(var + ε) · γ`, `y = x · inv + (β − mean · inv)`;
/// `inv` and the shift are prepared once at load. When the executor folds a BN into the preceding
/// convolution or dense layer this kernel is not used at all.
struct _BatchNormKernel: _Kernel {
    /// `rsqrt(var + ε) · γ` per channel.
    let scale: _FloatWeights
    /// `β − mean · scale` per channel.
    let shift: _FloatWeights

    var bufferUse: _BufferUse { .inPlace }

    /// Float32 coefficients from the Keras weights (γ and β default to 1 and 0 when absent).
    static func coefficients(gamma: [Float]?, beta: [Float]?, mean: [Float], variance: [Float], epsilon: Float)
        -> (scale: [Float], shift: [Float])
    {
        var scale = [Float](repeating: 0, count: mean.count)
        var shift = [Float](repeating: 0, count: mean.count)
        for c in 0..<mean.count {
            var inv = 1 / (variance[c] + epsilon).squareRoot()
            if let gamma { inv *= gamma[c] }
            var s = -mean[c] * inv
            if let beta { s += beta[c] }
            scale[c] = inv
            shift[c] = s
        }
        return (scale, shift)
    }

    func run(_ a: _KernelArguments) {
        let c = a.outputShape.last ?? 1
        let rows = (Shape.elementCount(a.outputShape) ?? 0) / max(c, 1)
        let input = a.inputs[0], output = a.output
        let scale = self.scale.pointer, shift = self.shift.pointer
        a.parallel.forEachRange(rows, workPerItem: c) { range in
            for r in range {
                let x = input + r * c, y = output + r * c
                for ch in 0..<c { y[ch] = x[ch] * scale[ch] + shift[ch] }
            }
        }
    }
}
