import Foundation
import ModelIR

/// Element-wise activations and softmax, as Keras 3 computes them in float32.
///
/// Standalone they match Keras `Activation`/`ReLU`/`LeakyReLU`/`Softmax` (ONNX `Relu`, `Clip`,
/// `LeakyRelu`, `Sigmoid`, `HardSigmoid` with alpha 1/6, `Tanh`, `Softmax`, `Elu`, `Selu`,
/// `Softplus`, `Gelu`); fused, they are the epilogue of Conv2D, DepthwiseConv2D, SeparableConv2D
/// and Dense (bias add and activation in one pass over the output while it is still in cache).
struct _ActivationKernel: _Kernel {
    let activation: Activation

    var bufferUse: _BufferUse { .inPlace }

    func run(_ a: _KernelArguments) {
        _Activations.apply(activation, source: a.inputs[0], destination: a.output, shape: a.outputShape, bias: nil,
                           parallel: a.parallel)
    }
}

/// A scalar function the generic loops specialise on, so each activation gets its own tight loop.
///
/// `lanes` is the same function on eight values; the loops use it explicitly because they run in
/// place (destination = source), which defeats the compiler's vectoriser (its overlap check
/// fails). The default applies the scalar function lane by lane; the piecewise-linear ones
/// override it with vector compares, giving identical results.
protocol _ScalarFunction {
    func callAsFunction(_ x: Float) -> Float
    func lanes(_ x: SIMD8<Float>) -> SIMD8<Float>
}

extension _ScalarFunction {
    @inline(__always) func lanes(_ x: SIMD8<Float>) -> SIMD8<Float> {
        var y = x
        for i in 0..<8 { y[i] = self(x[i]) }
        return y
    }
}

enum _Activations {
    /// Whether `activation` can be applied to any set of whole rows (last-axis vectors) of a tensor
    /// of rank `rank` independently: element-wise functions and softmax over the last axis.
    /// Whether `activation` maps each element on its own (everything but softmax).
    static func isElementwise(_ activation: Activation) -> Bool {
        if case .softmax = activation { return false }
        return true
    }

    static func isRowwise(_ activation: Activation, rank: Int) -> Bool {
        if case .softmax(let axis) = activation { return axis == -1 || axis == rank - 1 }
        return true
    }

    /// `destination[i] = activation((source[i] + bias[c]) · scale[c] + shift[c])`, `c = i % channels`,
    /// over a row-major tensor of `shape` (channels = the last axis); absent vectors are skipped
    /// (`scale` and `shift` come together). `source` may equal `destination`.
    static func apply(_ activation: Activation, source: UnsafePointer<Float>, destination: UnsafeMutablePointer<Float>,
                      shape: [Int], bias: UnsafePointer<Float>?, scale: UnsafePointer<Float>? = nil,
                      shift: UnsafePointer<Float>? = nil, parallel: _Parallel) {
        let channels = shape.last ?? 1
        let count = Shape.elementCount(shape) ?? 0
        guard count > 0, channels > 0 else { return }
        let rows = count / channels
        let affine = _Affine(bias: bias, scale: scale, shift: shift)
        switch activation {
        case .linear: map(Identity(), source, destination, rows, channels, affine, parallel)
        case .relu: map(ReLU(), source, destination, rows, channels, affine, parallel)
        case let .clippedReLU(maxValue, slope, threshold):
            if maxValue == 6, slope == 0, threshold == 0 {
                map(ReLU6(), source, destination, rows, channels, affine, parallel)
            } else {
                map(KerasReLU(maxValue: maxValue, negativeSlope: slope, threshold: threshold),
                    source, destination, rows, channels, affine, parallel)
            }
        case .leakyReLU(let alpha): map(LeakyReLU(alpha: alpha), source, destination, rows, channels, affine, parallel)
        case .sigmoid: map(Sigmoid(), source, destination, rows, channels, affine, parallel)
        case .hardSigmoid: map(HardSigmoid(), source, destination, rows, channels, affine, parallel)
        case .tanh: map(Tanh(), source, destination, rows, channels, affine, parallel)
        case .swish: map(Swish(), source, destination, rows, channels, affine, parallel)
        case .elu(let alpha): map(ELU(alpha: alpha), source, destination, rows, channels, affine, parallel)
        case .selu: map(SELU(), source, destination, rows, channels, affine, parallel)
        case .softplus: map(Softplus(), source, destination, rows, channels, affine, parallel)
        case .gelu: map(GELU(), source, destination, rows, channels, affine, parallel)
        case .softmax(let axis):
            if !affine.isIdentity || UnsafePointer(destination) != source {
                map(Identity(), source, destination, rows, channels, affine, parallel)
            }
            softmax(destination, shape: shape, axis: axis, parallel: parallel)
        }
    }

    @inline(__always)
    private static func map<F: _ScalarFunction>(_ f: F, _ source: UnsafePointer<Float>, _ destination: UnsafeMutablePointer<Float>,
                                                _ rows: Int, _ channels: Int, _ affine: _Affine, _ parallel: _Parallel) {
        if affine.isIdentity {
            if F.self == Identity.self, UnsafePointer(destination) == source { return }
            let count = rows * channels
            let block = 4096
            parallel.forEachRange((count + block - 1) / block, workPerItem: block) { range in
                let start = range.lowerBound * block, end = min(range.upperBound * block, count)
                var i = start
                while i + 8 <= end {
                    store(f.lanes(load(source + i)), destination + i)
                    i += 8
                }
                while i < end { destination[i] = f(source[i]); i += 1 }
            }
            return
        }
        // One loop per combination, eight channels at a time and a scalar tail; the same
        // operations and roundings as the scalar expression.
        parallel.forEachRange(rows, workPerItem: channels) { range in
            let vectorEnd = channels & ~7
            for r in range {
                let s = source + r * channels, d = destination + r * channels
                switch (affine.bias, affine.scale, affine.shift) {
                case let (bias?, scale?, shift?):
                    for c in stride(from: 0, to: vectorEnd, by: 8) {
                        store(f.lanes((load(s + c) + load(bias + c)) * load(scale + c) + load(shift + c)), d + c)
                    }
                    for c in vectorEnd..<channels { d[c] = f((s[c] + bias[c]) * scale[c] + shift[c]) }
                case let (nil, scale?, shift?):
                    for c in stride(from: 0, to: vectorEnd, by: 8) {
                        store(f.lanes(load(s + c) * load(scale + c) + load(shift + c)), d + c)
                    }
                    for c in vectorEnd..<channels { d[c] = f(s[c] * scale[c] + shift[c]) }
                case let (bias?, _, _):
                    for c in stride(from: 0, to: vectorEnd, by: 8) { store(f.lanes(load(s + c) + load(bias + c)), d + c) }
                    for c in vectorEnd..<channels { d[c] = f(s[c] + bias[c]) }
                default:
                    for c in stride(from: 0, to: vectorEnd, by: 8) { store(f.lanes(load(s + c)), d + c) }
                    for c in vectorEnd..<channels { d[c] = f(s[c]) }
                }
            }
        }
    }

    /// Per-channel `(x + bias) · scale + shift` before the activation.
    struct _Affine {
        let bias: UnsafePointer<Float>?
        let scale: UnsafePointer<Float>?
        let shift: UnsafePointer<Float>?
        var isIdentity: Bool { bias == nil && (scale == nil || shift == nil) }
    }

    /// Numerically stable softmax in place along `axis`: `exp(x − max) / Σ exp(x − max)`, like Keras.
    static func softmax(_ data: UnsafeMutablePointer<Float>, shape: [Int], axis: Int, parallel: _Parallel) {
        let rank = shape.count
        let ax = axis < 0 ? axis + rank : axis
        guard ax >= 0, ax < rank, let count = Shape.elementCount(shape), count > 0 else { return }
        let length = shape[ax]
        let inner = Shape.elementCount(Array(shape[(ax + 1)...])) ?? 1
        let outer = count / (length * inner)
        parallel.forEachRange(outer * inner, workPerItem: length * 3) { range in
            for line in range {
                let o = line / inner, i = line % inner
                let base = data + o * length * inner + i
                var maximum = -Float.infinity
                for k in 0..<length { maximum = max(maximum, base[k * inner]) }
                var sum: Float = 0
                for k in 0..<length {
                    let e = Foundation.exp(base[k * inner] - maximum)
                    base[k * inner] = e
                    sum += e
                }
                let scale = 1 / sum
                for k in 0..<length { base[k * inner] *= scale }
            }
        }
    }

    @inline(__always) static func load(_ p: UnsafePointer<Float>) -> SIMD8<Float> {
        UnsafeRawPointer(p).loadUnaligned(as: SIMD8<Float>.self)
    }
    @inline(__always) static func store(_ x: SIMD8<Float>, _ p: UnsafeMutablePointer<Float>) {
        UnsafeMutableRawPointer(p).storeBytes(of: x, as: SIMD8<Float>.self)
    }

    struct Identity: _ScalarFunction {
        @inline(__always) func callAsFunction(_ x: Float) -> Float { x }
        @inline(__always) func lanes(_ x: SIMD8<Float>) -> SIMD8<Float> { x }
    }
    struct ReLU: _ScalarFunction {
        @inline(__always) func callAsFunction(_ x: Float) -> Float { x > 0 ? x : 0 }
        // NaN fails `x > 0` in both forms, giving 0.
        @inline(__always) func lanes(_ x: SIMD8<Float>) -> SIMD8<Float> { x.replacing(with: 0, where: .!(x .> 0)) }
    }
    struct ReLU6: _ScalarFunction {
        @inline(__always) func callAsFunction(_ x: Float) -> Float { min(x > 0 ? x : 0, 6) }
        @inline(__always) func lanes(_ x: SIMD8<Float>) -> SIMD8<Float> {
            let r = x.replacing(with: 0, where: .!(x .> 0))
            return r.replacing(with: 6, where: r .> 6)
        }
    }
    /// Keras `activations.relu(x, negative_slope, max_value, threshold)` step by step:
    /// `x·[x > threshold]` (plain relu when threshold is 0), clipped to `[0, max_value]`, minus
    /// `negative_slope · relu(threshold − x)`.
    struct KerasReLU: _ScalarFunction {
        let maxValue: Float?
        let negativeSlope: Float
        let threshold: Float
        @inline(__always) func callAsFunction(_ x: Float) -> Float {
            var y: Float = threshold != 0 ? (x > threshold ? x : 0) : (x > 0 ? x : 0)
            if let maxValue { y = min(max(y, 0), maxValue) }
            if negativeSlope != 0 {
                let below = threshold - x
                y -= negativeSlope * (below > 0 ? below : 0)
            }
            return y
        }
    }
    struct LeakyReLU: _ScalarFunction {
        @inline(__always) func lanes(_ x: SIMD8<Float>) -> SIMD8<Float> { x.replacing(with: alpha * x, where: .!(x .> 0)) }
        let alpha: Float
        @inline(__always) func callAsFunction(_ x: Float) -> Float { x > 0 ? x : alpha * x }
    }
    struct Sigmoid: _ScalarFunction {
        @inline(__always) func callAsFunction(_ x: Float) -> Float {
            if x >= 0 { return 1 / (1 + Foundation.exp(-x)) }
            let e = Foundation.exp(x)
            return e / (1 + e)
        }
    }
    /// Keras 3 `hard_sigmoid`: `relu6(x + 3) / 6`.
    struct HardSigmoid: _ScalarFunction {
        @inline(__always) func callAsFunction(_ x: Float) -> Float {
            let t = x + 3
            return min(t > 0 ? t : 0, 6) / 6
        }
    }
    struct Tanh: _ScalarFunction {
        @inline(__always) func callAsFunction(_ x: Float) -> Float { Foundation.tanh(x) }
    }
    /// `x · sigmoid(x)` (Keras `swish`/`silu`).
    struct Swish: _ScalarFunction {
        @inline(__always) func callAsFunction(_ x: Float) -> Float { x * Sigmoid()(x) }
    }
    struct ELU: _ScalarFunction {
        let alpha: Float
        @inline(__always) func callAsFunction(_ x: Float) -> Float { x > 0 ? x : alpha * Foundation.expm1(x) }
    }
    /// Keras `selu` with its fixed constants.
    struct SELU: _ScalarFunction {
        @inline(__always) func callAsFunction(_ x: Float) -> Float {
            let alpha: Float = 1.67326324235437728481704299167
            let scale: Float = 1.05070098735548049341933498529
            return scale * (x > 0 ? x : alpha * Foundation.expm1(x))
        }
    }
    /// `log(1 + exp(x))` written as `max(x, 0) + log1p(exp(−|x|))` so it never overflows.
    struct Softplus: _ScalarFunction {
        @inline(__always) func callAsFunction(_ x: Float) -> Float {
            (x > 0 ? x : 0) + Foundation.log1p(Foundation.exp(-abs(x)))
        }
    }
    /// Keras `gelu(approximate=False)`: `0.5 · x · (1 + erf(x / √2))`.
    struct GELU: _ScalarFunction {
        @inline(__always) func callAsFunction(_ x: Float) -> Float {
            0.5 * x * (1 + Foundation.erf(x * 0.707106781186547524400844362105))
        }
    }
}
