import Foundation

/// The arithmetic type of the floating-point reference kernels (convolution, pooling, matrix
/// products, normalizations): `Float` for float32, and for float16 and bfloat16, which are widened
/// once on load and rounded once on store, as frameworks compute them; `Double` for float64.
protocol _EvaluationFloat: BinaryFloatingPoint, SIMDScalar, Codable, Sendable {
    /// Calls `body` with the elements of `t` in this type: in place when already stored so and
    /// aligned, else converted (integers and other floats alike).
    static func withElements<R>(of t: Tensor, _ body: (UnsafeBufferPointer<Self>) throws -> R) rethrows -> R
    /// Storage as `dtype` of `count` elements of this type that `fill` computes (given zeroed).
    static func store(_ dtype: DType, shape: [Int], count: Int,
                      _ fill: (UnsafeMutableBufferPointer<Self>) throws -> Void) rethrows -> Tensor
    static func power(_ x: Self, _ y: Self) -> Self
    /// A fused activation in place over a tensor of `shape` (softmax needs the shape).
    static func activate(_ activation: Activation, _ values: UnsafeMutableBufferPointer<Self>, shape: [Int])
}

extension Float: _EvaluationFloat {
    static func withElements<R>(of t: Tensor, _ body: (UnsafeBufferPointer<Float>) throws -> R) rethrows -> R {
        try t.withFloats(body)
    }

    static func store(_ dtype: DType, shape: [Int], count: Int,
                      _ fill: (UnsafeMutableBufferPointer<Float>) throws -> Void) rethrows -> Tensor {
        if dtype == .float32 {
            return try Tensor(dtype: .float32, shape: shape) { raw in
                let values = raw.bindMemory(to: Float.self)
                values.initialize(repeating: 0)
                try fill(values)
            }
        }
        var values = [Float](repeating: 0, count: count)
        try values.withUnsafeMutableBufferPointer { try fill($0) }
        return Tensor(dtype: dtype, shape: shape) { raw in
            values.withUnsafeBufferPointer { DTypeConversion.fromFloat32($0, to: dtype, into: raw) }
        }
    }

    static func power(_ x: Float, _ y: Float) -> Float { Foundation.pow(x, y) }

    static func activate(_ activation: Activation, _ values: UnsafeMutableBufferPointer<Float>, shape: [Int]) {
        switch activation {
        case .linear: return
        case .softmax(let axis), .logSoftmax(let axis):
            let log: Bool = if case .logSoftmax = activation { true } else { false }
            if let base = values.baseAddress { ActivationFunctions.softmax(base, shape: shape, axis: axis, log: log) }
        default:
            func apply<F: ScalarFunction>(_ f: F) {
                for i in values.indices { values[i] = f(values[i]) }
            }
            _ = ActivationFunctions.with(activation) { apply($0) }
        }
    }
}

extension Double: _EvaluationFloat {
    static func withElements<R>(of t: Tensor, _ body: (UnsafeBufferPointer<Double>) throws -> R) rethrows -> R {
        if t.dtype == .float64, let base = t.data.bytes.baseAddress, Int(bitPattern: base) % 8 == 0 {
            return try body(UnsafeBufferPointer(start: base.assumingMemoryBound(to: Double.self), count: t.data.count / 8))
        }
        return try t.doubles.withUnsafeBufferPointer(body)
    }

    static func store(_ dtype: DType, shape: [Int], count: Int,
                      _ fill: (UnsafeMutableBufferPointer<Double>) throws -> Void) rethrows -> Tensor {
        if dtype == .float64 {
            return try Tensor(dtype: .float64, shape: shape) { raw in
                let values = raw.bindMemory(to: Double.self)
                values.initialize(repeating: 0)
                try fill(values)
            }
        }
        var values = [Double](repeating: 0, count: count)
        try values.withUnsafeMutableBufferPointer { try fill($0) }
        return Tensor(dtype: dtype, shape: shape) { raw in
            guard let base = raw.baseAddress else { return }
            for (i, v) in values.enumerated() { DTypeConversion.store(v, base, i, dtype) }
        }
    }

    static func power(_ x: Double, _ y: Double) -> Double { Foundation.pow(x, y) }

    /// Activations are defined once, in float32 (`ActivationFunctions`); a float64 tensor goes
    /// through them as the standalone activation op takes it.
    static func activate(_ activation: Activation, _ values: UnsafeMutableBufferPointer<Double>, shape: [Int]) {
        if activation == .linear { return }
        var floats = values.map { Float($0) }
        floats.withUnsafeMutableBufferPointer { Float.activate(activation, $0, shape: shape) }
        for i in values.indices { values[i] = Double(floats[i]) }
    }
}

/// Shared plumbing of the floating-point kernels.
enum _Floating {
    /// Calls `float` or `double` by the arithmetic type of a floating `dtype`, or throws naming
    /// `what` for any other.
    static func dispatch<R>(_ dtype: DType, _ ctx: EvaluationContext, _ what: String,
                            float: () throws -> R, double: () throws -> R) throws -> R {
        switch dtype {
        case .float32, .float16, .bfloat16: return try float()
        case .float64: return try double()
        default: throw ctx.error("\(what) takes floating-point inputs, not \(dtype)")
        }
    }

    /// The element count of result `shape`, refused when it could not be allocated: over the
    /// machine's physical memory (a window op whose attributes ask for a huge output from a small
    /// input, in a hostile file) or overflowing `Int`.
    static func resultCount(_ ctx: EvaluationContext, _ shape: [Int], _ dtype: DType) throws -> Int {
        guard let count = Shape.elementCount(shape) else { throw ctx.error("the result shape \(shape) is too large") }
        let (bytes, overflow) = count.multipliedReportingOverflow(by: max(dtype.byteSize, MemoryLayout<Double>.size))
        guard !overflow, UInt64(bytes) <= ProcessInfo.processInfo.physicalMemory else {
            throw ctx.error("the result \(shape) would need more memory than the machine has")
        }
        return count
    }

    static func invalid(_ ctx: EvaluationContext, _ detail: String) -> ModelIRError {
        .invalidAttribute(node: ctx.node.name, detail: detail)
    }

    /// Checks a fused activation that needs an axis against the result rank.
    static func checkActivation(_ activation: Activation, rank: Int, _ ctx: EvaluationContext) throws {
        switch activation {
        case .softmax(let axis), .logSoftmax(let axis):
            guard Shape.normalizedAxis(axis, rank: rank) != nil else {
                throw ModelIRError.invalidAttribute(node: ctx.node.name, detail: "the fused softmax axis \(axis) is out of range for rank \(rank)")
            }
        default: break
        }
    }

    /// `[outer, inner, channels]` → `[outer, channels, inner]`: channels-last activations to
    /// channels-first (NHWC → NCHW).
    static func channelsFirst<T>(_ src: UnsafeBufferPointer<T>, outer: Int, inner: Int, channels: Int,
                                 into dst: UnsafeMutableBufferPointer<T>) {
        let plane = inner * channels
        for o in 0..<outer {
            let s = o * plane
            for c in 0..<channels {
                let d = s + c * inner
                for i in 0..<inner { dst[d + i] = src[s + i * channels + c] }
            }
        }
    }

    /// `[outer, channels, inner]` → `[outer, inner, channels]` (NCHW → NHWC).
    static func channelsLast<T>(_ src: UnsafeBufferPointer<T>, outer: Int, inner: Int, channels: Int,
                                into dst: UnsafeMutableBufferPointer<T>) {
        let plane = inner * channels
        for o in 0..<outer {
            let s = o * plane
            for i in 0..<inner {
                let d = s + i * channels
                for c in 0..<channels { dst[d + c] = src[s + c * inner + i] }
            }
        }
    }
}
