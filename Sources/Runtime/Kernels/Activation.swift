import CKernels
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

enum _Activations {
    /// Whether `activation` can be applied to any set of whole rows (last-axis vectors) of a tensor
    /// of rank `rank` independently: element-wise functions and softmax over the last axis.
    /// Whether `activation` maps each element on its own (everything but softmax).
    static func isElementwise(_ activation: Activation) -> Bool { activation.isElementwise }

    static func isRowwise(_ activation: Activation, rank: Int) -> Bool {
        switch activation {
        case .softmax(let axis), .logSoftmax(let axis): return axis == -1 || axis == rank - 1
        default: return true
        }
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
        typealias F = ActivationFunctions
        switch activation {
        case .linear: map(F.Identity(), source, destination, rows, channels, affine, parallel)
        case .relu: map(F.ReLU(), source, destination, rows, channels, affine, parallel)
        case let .clippedReLU(maxValue, slope, threshold):
            if maxValue == 6, slope == 0, threshold == 0 {
                map(F.ReLU6(), source, destination, rows, channels, affine, parallel)
            } else {
                map(F.KerasReLU(maxValue: maxValue, negativeSlope: slope, threshold: threshold),
                    source, destination, rows, channels, affine, parallel)
            }
        case .leakyReLU(let alpha): map(F.LeakyReLU(alpha: alpha), source, destination, rows, channels, affine, parallel)
        case .sigmoid: logistic(source, destination, count, affine, rows, channels, swish: false, parallel)
        case let .hardSigmoid(alpha, beta): map(F.HardSigmoid(alpha: alpha, beta: beta), source, destination, rows, channels, affine, parallel)
        case .hardSwish: map(F.HardSwish(), source, destination, rows, channels, affine, parallel)
        case .tanh: map(F.Tanh(), source, destination, rows, channels, affine, parallel)
        case .swish: logistic(source, destination, count, affine, rows, channels, swish: true, parallel)
        case .elu(let alpha): map(F.ELU(alpha: alpha), source, destination, rows, channels, affine, parallel)
        case let .selu(alpha, gamma): map(F.SELU(alpha: alpha, gamma: gamma), source, destination, rows, channels, affine, parallel)
        case .celu(let alpha): map(F.CELU(alpha: alpha), source, destination, rows, channels, affine, parallel)
        case .softplus: map(F.Softplus(), source, destination, rows, channels, affine, parallel)
        case .softsign: map(F.Softsign(), source, destination, rows, channels, affine, parallel)
        case .gelu(let approximate): map(F.GELU(approximate: approximate), source, destination, rows, channels, affine, parallel)
        case .mish: map(F.Mish(), source, destination, rows, channels, affine, parallel)
        case .exponential: map(F.Exponential(), source, destination, rows, channels, affine, parallel)
        case .thresholdedReLU(let alpha): map(F.ThresholdedReLU(alpha: alpha), source, destination, rows, channels, affine, parallel)
        case .softmax(let axis), .logSoftmax(let axis):
            if !affine.isIdentity || UnsafePointer(destination) != source {
                map(F.Identity(), source, destination, rows, channels, affine, parallel)
            }
            let isLog: Bool = if case .logSoftmax = activation { true } else { false }
            softmax(destination, shape: shape, axis: axis, log: isLog, parallel: parallel)
        }
    }

    /// Sigmoid and swish through the C kernels' vectorised logistic function (`wt_sigmoid`): the
    /// scalar `expf` per element was most of EfficientNet's time. An affine part is applied first.
    private static func logistic(_ source: UnsafePointer<Float>, _ destination: UnsafeMutablePointer<Float>, _ count: Int,
                                 _ affine: _Affine, _ rows: Int, _ channels: Int, swish: Bool, _ parallel: _Parallel) {
        var from = source
        if !affine.isIdentity {
            map(ActivationFunctions.Identity(), source, destination, rows, channels, affine, parallel)
            from = UnsafePointer(destination)
        }
        let block = 4096
        parallel.forEachRange((count + block - 1) / block, workPerItem: block) { range in
            let start = range.lowerBound * block, end = min(range.upperBound * block, count)
            wt_sigmoid(from + start, destination + start, Int64(end - start), swish ? 1 : 0)
        }
    }

    @inline(__always)
    private static func map<F: ScalarFunction>(_ f: F, _ source: UnsafePointer<Float>, _ destination: UnsafeMutablePointer<Float>,
                                                _ rows: Int, _ channels: Int, _ affine: _Affine, _ parallel: _Parallel) {
        if affine.isIdentity {
            if F.self == ActivationFunctions.Identity.self, UnsafePointer(destination) == source { return }
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

    /// Numerically stable softmax (or log-softmax) in place along `axis`, like Keras
    /// (`ActivationFunctions.softmax`), split over lines.
    static func softmax(_ data: UnsafeMutablePointer<Float>, shape: [Int], axis: Int, log: Bool = false, parallel: _Parallel) {
        let lines = ActivationFunctions.softmaxLines(shape: shape, axis: axis)
        let rank = shape.count
        let ax = axis < 0 ? axis + rank : axis
        guard lines > 0, ax >= 0, ax < rank else { return }
        parallel.forEachRange(lines, workPerItem: shape[ax] * 3) { range in
            ActivationFunctions.softmax(data, shape: shape, axis: axis, log: log, lines: range)
        }
    }

    @inline(__always) static func load(_ p: UnsafePointer<Float>) -> SIMD8<Float> {
        UnsafeRawPointer(p).loadUnaligned(as: SIMD8<Float>.self)
    }
    @inline(__always) static func store(_ x: SIMD8<Float>, _ p: UnsafeMutablePointer<Float>) {
        UnsafeMutableRawPointer(p).storeBytes(of: x, as: SIMD8<Float>.self)
    }
}
