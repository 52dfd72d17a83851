import ModelIR

/// A per-channel affine map over the last axis, in the rounding of the layer it stands for:
///
/// - Keras `BatchNormalization` in inference mode / ONNX `BatchNormalization` (NHWC or `[N, C]`):
///   `inv = rsqrt(var + ε) · γ`, `y = x · inv + (β − mean · inv)`, `inv` and the shift prepared
///   once at load. When the executor folds a BN into the preceding convolution or dense layer this
///   kernel is not used at all.
/// - Keras `Rescaling`: `x · scale + offset`.
/// - Keras `Normalization` with constant statistics: `(x − mean) / max(sqrt(variance), 1e-7)`, or
///   its inverse `mean + x · deviation` (`invert=True`).
///
/// The vectors are tiled to a whole number of SIMD lanes (`lcm(C, 8)` floats), so three-channel
/// images vectorise like any other tensor: the flat data is walked in blocks of that length.
struct _ChannelAffineKernel: _Kernel {
    enum Operation {
        /// `x · a + b`.
        case multiplyAdd
        /// `(x − a) / b`.
        case subtractDivide
    }
    let operation: Operation
    /// The channel count C (the last axis), which the vectors repeat over.
    let channels: Int
    /// `a` and `b` per channel, repeated to `period` floats.
    let a: _FloatWeights
    let b: _FloatWeights
    /// `lcm(C, 8)`.
    let period: Int

    var bufferUse: _BufferUse { .inPlace }

    /// `a` and `b` are one value (broadcast) or one per channel.
    init?(_ operation: Operation, channels: Int, a: [Float], b: [Float]) {
        guard channels > 0, a.count == 1 || a.count == channels, b.count == 1 || b.count == channels else { return nil }
        func gcd(_ x: Int, _ y: Int) -> Int { y == 0 ? x : gcd(y, x % y) }
        let period = channels * 8 / gcd(channels, 8)
        func tiled(_ v: [Float]) -> _FloatWeights {
            _FloatWeights(copying: (0..<period).map { v.count == 1 ? v[0] : v[$0 % channels] })
        }
        self.operation = operation
        self.channels = channels
        self.period = period
        self.a = tiled(a)
        self.b = tiled(b)
    }

    /// Float32 batch-normalization coefficients from the Keras weights (γ and β default to 1 and 0
    /// when absent).
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

    func run(_ arguments: _KernelArguments) {
        let count = Shape.elementCount(arguments.outputShape) ?? 0
        guard count > 0 else { return }
        // The lowering took C from the declared shape, which validated inputs keep.
        precondition(arguments.outputShape.last == channels, "\(arguments.outputShape) has not \(channels) channels")
        let input = arguments.inputs[0], output = arguments.output
        let a = self.a.pointer, b = self.b.pointer, period = self.period, operation = self.operation
        let blocks = (count + period - 1) / period
        arguments.parallel.forEachRange(blocks, workPerItem: period) { range in
            for block in range {
                let start = block * period, end = min(start + period, count)
                let x = input + start, y = output + start
                var i = 0
                switch operation {
                case .multiplyAdd:
                    while start + i + 8 <= end {
                        _Activations.store(_Activations.load(x + i) * _Activations.load(a + i) + _Activations.load(b + i), y + i)
                        i += 8
                    }
                    while start + i < end { y[i] = x[i] * a[i] + b[i]; i += 1 }
                case .subtractDivide:
                    while start + i + 8 <= end {
                        _Activations.store((_Activations.load(x + i) - _Activations.load(a + i)) / _Activations.load(b + i), y + i)
                        i += 8
                    }
                    while start + i < end { y[i] = (x[i] - a[i]) / b[i]; i += 1 }
                }
            }
        }
    }
}
