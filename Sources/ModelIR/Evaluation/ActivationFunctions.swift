import Foundation

/// The scalar activation functions, in float32 exactly as Keras 3 computes them: the one
/// definition the reference evaluator and the runtime's vectorised kernels both use.
///
/// `lanes` is the same function on eight values; kernels call it explicitly because they often run
/// in place (destination = source), which defeats the compiler's vectoriser. The default applies
/// the scalar function lane by lane; the piecewise-linear ones override it with vector compares,
/// giving identical results.
public protocol ScalarFunction: Sendable {
    func callAsFunction(_ x: Float) -> Float
    func lanes(_ x: SIMD8<Float>) -> SIMD8<Float>
}

extension ScalarFunction {
    @inlinable @inline(__always) public func lanes(_ x: SIMD8<Float>) -> SIMD8<Float> {
        var y = x
        for i in 0..<8 { y[i] = self(x[i]) }
        return y
    }
}

public enum ActivationFunctions {
    public struct Identity: ScalarFunction {
        @inlinable public init() {}
        @inlinable @inline(__always) public func callAsFunction(_ x: Float) -> Float { x }
        @inlinable @inline(__always) public func lanes(_ x: SIMD8<Float>) -> SIMD8<Float> { x }
    }
    public struct ReLU: ScalarFunction {
        @inlinable public init() {}
        @inlinable @inline(__always) public func callAsFunction(_ x: Float) -> Float { x > 0 ? x : 0 }
        // NaN fails `x > 0` in both forms, giving 0.
        @inlinable @inline(__always) public func lanes(_ x: SIMD8<Float>) -> SIMD8<Float> { x.replacing(with: 0, where: .!(x .> 0)) }
    }
    public struct ReLU6: ScalarFunction {
        @inlinable public init() {}
        @inlinable @inline(__always) public func callAsFunction(_ x: Float) -> Float { min(x > 0 ? x : 0, 6) }
        @inlinable @inline(__always) public func lanes(_ x: SIMD8<Float>) -> SIMD8<Float> {
            let r = x.replacing(with: 0, where: .!(x .> 0))
            return r.replacing(with: 6, where: r .> 6)
        }
    }
    /// Keras `activations.relu(x, negative_slope, max_value, threshold)` step by step:
    /// `x·[x > threshold]` (plain relu when threshold is 0), clipped to `[0, max_value]`, minus
    /// `negative_slope · relu(threshold − x)`.
    public struct KerasReLU: ScalarFunction {
        public let maxValue: Float?
        public let negativeSlope: Float
        public let threshold: Float
        @inlinable public init(maxValue: Float?, negativeSlope: Float, threshold: Float) {
            self.maxValue = maxValue
            self.negativeSlope = negativeSlope
            self.threshold = threshold
        }
        @inlinable @inline(__always) public func callAsFunction(_ x: Float) -> Float {
            var y: Float = threshold != 0 ? (x > threshold ? x : 0) : (x > 0 ? x : 0)
            if let maxValue { y = min(max(y, 0), maxValue) }
            if negativeSlope != 0 {
                let below = threshold - x
                y -= negativeSlope * (below > 0 ? below : 0)
            }
            return y
        }
    }
    public struct LeakyReLU: ScalarFunction {
        public let alpha: Float
        @inlinable public init(alpha: Float) { self.alpha = alpha }
        @inlinable @inline(__always) public func lanes(_ x: SIMD8<Float>) -> SIMD8<Float> { x.replacing(with: alpha * x, where: .!(x .> 0)) }
        @inlinable @inline(__always) public func callAsFunction(_ x: Float) -> Float { x > 0 ? x : alpha * x }
    }
    public struct Sigmoid: ScalarFunction {
        @inlinable public init() {}
        @inlinable @inline(__always) public func callAsFunction(_ x: Float) -> Float {
            if x >= 0 { return 1 / (1 + Foundation.exp(-x)) }
            let e = Foundation.exp(x)
            return e / (1 + e)
        }
    }
    /// `max(0, min(1, alpha·x + beta))`; Keras 3's alpha 1/6, beta 0.5 as it computes it,
    /// `relu6(x + 3) / 6`.
    public struct HardSigmoid: ScalarFunction {
        public let alpha: Float
        public let beta: Float
        public let isKeras: Bool
        @inlinable public init(alpha: Float, beta: Float) {
            self.alpha = alpha
            self.beta = beta
            self.isKeras = alpha == Float(1.0 / 6.0) && beta == 0.5
        }
        @inlinable @inline(__always) public func callAsFunction(_ x: Float) -> Float {
            if isKeras {
                let t = x + 3
                return min(t > 0 ? t : 0, 6) / 6
            }
            let y = alpha * x + beta
            return min(max(y, 0), 1)
        }
    }
    /// `x · relu6(x + 3) / 6` (Keras 3 `hard_silu`; ONNX HardSwish).
    public struct HardSwish: ScalarFunction {
        @inlinable public init() {}
        @inlinable @inline(__always) public func callAsFunction(_ x: Float) -> Float {
            let t = x + 3
            return x * (min(t > 0 ? t : 0, 6) / 6)
        }
    }
    public struct Tanh: ScalarFunction {
        @inlinable public init() {}
        @inlinable @inline(__always) public func callAsFunction(_ x: Float) -> Float { Foundation.tanh(x) }
    }
    /// `x · sigmoid(x)` (Keras `swish`/`silu`).
    public struct Swish: ScalarFunction {
        @inlinable public init() {}
        @inlinable @inline(__always) public func callAsFunction(_ x: Float) -> Float { x * Sigmoid()(x) }
    }
    public struct ELU: ScalarFunction {
        public let alpha: Float
        @inlinable public init(alpha: Float) { self.alpha = alpha }
        @inlinable @inline(__always) public func callAsFunction(_ x: Float) -> Float { x > 0 ? x : alpha * Foundation.expm1(x) }
    }
    public struct SELU: ScalarFunction {
        public let alpha: Float
        public let gamma: Float
        @inlinable public init(alpha: Float, gamma: Float) {
            self.alpha = alpha
            self.gamma = gamma
        }
        @inlinable @inline(__always) public func callAsFunction(_ x: Float) -> Float {
            gamma * (x > 0 ? x : alpha * Foundation.expm1(x))
        }
    }
    public struct CELU: ScalarFunction {
        public let alpha: Float
        @inlinable public init(alpha: Float) { self.alpha = alpha }
        @inlinable @inline(__always) public func callAsFunction(_ x: Float) -> Float {
            max(x, 0) + min(0, alpha * Foundation.expm1(x / alpha))
        }
    }
    /// `log(1 + exp(x))` written as `max(x, 0) + log1p(exp(−|x|))` so it never overflows.
    public struct Softplus: ScalarFunction {
        @inlinable public init() {}
        @inlinable @inline(__always) public func callAsFunction(_ x: Float) -> Float {
            (x > 0 ? x : 0) + Foundation.log1p(Foundation.exp(-abs(x)))
        }
    }
    public struct Softsign: ScalarFunction {
        @inlinable public init() {}
        @inlinable @inline(__always) public func callAsFunction(_ x: Float) -> Float { x / (1 + abs(x)) }
    }
    /// `0.5 · x · (1 + erf(x / √2))`, or with `approximate` the tanh form
    /// `0.5 · x · (1 + tanh(√(2/π) · (x + 0.044715 · x³)))`.
    public struct GELU: ScalarFunction {
        public let approximate: Bool
        @inlinable public init(approximate: Bool) { self.approximate = approximate }
        @inlinable @inline(__always) public func callAsFunction(_ x: Float) -> Float {
            if approximate {
                return 0.5 * x * (1 + Foundation.tanh(0.7978845608028654 * (x + 0.044715 * x * x * x)))
            }
            return 0.5 * x * (1 + Foundation.erf(x * 0.707106781186547524400844362105))
        }
    }
    public struct Mish: ScalarFunction {
        @inlinable public init() {}
        @inlinable @inline(__always) public func callAsFunction(_ x: Float) -> Float { x * Foundation.tanh(Softplus()(x)) }
    }
    public struct Exponential: ScalarFunction {
        @inlinable public init() {}
        @inlinable @inline(__always) public func callAsFunction(_ x: Float) -> Float { Foundation.exp(x) }
    }
    public struct ThresholdedReLU: ScalarFunction {
        public let alpha: Float
        @inlinable public init(alpha: Float) { self.alpha = alpha }
        @inlinable @inline(__always) public func callAsFunction(_ x: Float) -> Float { x > alpha ? x : 0 }
    }

    /// Calls `body` with the scalar function of an element-wise activation (nil for the softmaxes).
    @inlinable
    public static func with<R>(_ activation: Activation, _ body: (any ScalarFunction) -> R) -> R? {
        switch activation {
        case .linear: return body(Identity())
        case .relu: return body(ReLU())
        case let .clippedReLU(maxValue, slope, threshold):
            if maxValue == 6, slope == 0, threshold == 0 { return body(ReLU6()) }
            return body(KerasReLU(maxValue: maxValue, negativeSlope: slope, threshold: threshold))
        case .leakyReLU(let alpha): return body(LeakyReLU(alpha: alpha))
        case .sigmoid: return body(Sigmoid())
        case let .hardSigmoid(alpha, beta): return body(HardSigmoid(alpha: alpha, beta: beta))
        case .hardSwish: return body(HardSwish())
        case .tanh: return body(Tanh())
        case .swish: return body(Swish())
        case .elu(let alpha): return body(ELU(alpha: alpha))
        case let .selu(alpha, gamma): return body(SELU(alpha: alpha, gamma: gamma))
        case .celu(let alpha): return body(CELU(alpha: alpha))
        case .softplus: return body(Softplus())
        case .softsign: return body(Softsign())
        case .gelu(let approximate): return body(GELU(approximate: approximate))
        case .mish: return body(Mish())
        case .exponential: return body(Exponential())
        case .thresholdedReLU(let alpha): return body(ThresholdedReLU(alpha: alpha))
        case .softmax, .logSoftmax: return nil
        }
    }

    /// Numerically stable softmax (or log-softmax) in place along `axis` of a row-major float32
    /// tensor, lines `[start, end)` of the `outer·inner` lines: `exp(x − max) / Σ exp(x − max)`,
    /// like Keras.
    public static func softmax(_ data: UnsafeMutablePointer<Float>, shape: [Int], axis: Int, log: Bool = false,
                               lines: Range<Int>? = nil) {
        let rank = shape.count
        let ax = axis < 0 ? axis + rank : axis
        guard ax >= 0, ax < rank, let count = Shape.elementCount(shape), count > 0 else { return }
        let length = shape[ax]
        let inner = Shape.elementCount(Array(shape[(ax + 1)...])) ?? 1
        let outer = count / (length * inner)
        for line in lines ?? 0..<(outer * inner) {
            let o = line / inner, i = line % inner
            let base = data + o * length * inner + i
            var maximum = -Float.infinity
            for k in 0..<length { maximum = max(maximum, base[k * inner]) }
            var sum: Float = 0
            if log {
                for k in 0..<length { sum += Foundation.exp(base[k * inner] - maximum) }
                let logSum = Foundation.log(sum)
                for k in 0..<length { base[k * inner] = base[k * inner] - maximum - logSum }
                continue
            }
            for k in 0..<length {
                let e = Foundation.exp(base[k * inner] - maximum)
                base[k * inner] = e
                sum += e
            }
            let scale = 1 / sum
            for k in 0..<length { base[k * inner] *= scale }
        }
    }

    /// The number of softmax lines (`outer · inner`) of a tensor along `axis`.
    public static func softmaxLines(shape: [Int], axis: Int) -> Int {
        let rank = shape.count
        let ax = axis < 0 ? axis + rank : axis
        guard ax >= 0, ax < rank, let count = Shape.elementCount(shape), count > 0, shape[ax] > 0 else { return 0 }
        return count / shape[ax]
    }
}
