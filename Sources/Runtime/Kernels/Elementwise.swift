import ModelIR

/// Element-wise arithmetic on float32 with NumPy broadcasting: Keras `Add`/`Multiply`/`Subtract`/
/// `Maximum`/`Minimum`, ONNX `Add`/`Sub`/`Mul`/`Div`/`Max`/`Min`/`Sum` (two or more operands,
/// folded left to right as the reference evaluator does), optionally followed by a fused
/// element-wise activation (ResNet's `Add → ReLU`).
///
/// Operands of the output's shape stream through SIMD loops (the common case: a residual sum);
/// broadcast ones (a per-channel vector, a scalar, ONNX's `[1, C, 1, 1]`) are walked as runs along
/// the last merged axis (`ModelIR.BroadcastRuns`), so the inner loop stays contiguous. Constant
/// operands (an ONNX initializer) are bound at load.
struct _ElementwiseKernel: _Kernel {
    enum Kind { case add, subtract, multiply, divide, maximum, minimum }
    let kind: Kind
    /// A fused element-wise activation (never softmax), applied as each block is combined.
    var activation: Activation = .linear
    /// Operand position → a constant bound at load (with its shape); the others come from the
    /// step's inputs, in order.
    var constants: [Int: (weights: _FloatWeights, shape: [Int])] = [:]
    /// Total operand count (constants included).
    var operandCount: Int = 2

    var bufferUse: _BufferUse { constants[0] == nil ? .inPlace : .fresh }

    @inline(__always) private func combine(_ a: SIMD8<Float>, _ b: SIMD8<Float>) -> SIMD8<Float> {
        switch kind {
        case .add: a + b
        case .subtract: a - b
        case .multiply: a * b
        case .divide: a / b
        // NaN propagates, as NumPy's maximum and the reference evaluator do.
        case .maximum: a.replacing(with: b, where: b .> a).replacing(with: .nan, where: (a .!= a) .| (b .!= b))
        case .minimum: a.replacing(with: b, where: b .< a).replacing(with: .nan, where: (a .!= a) .| (b .!= b))
        }
    }

    @inline(__always) private func combine(_ a: Float, _ b: Float) -> Float {
        switch kind {
        case .add: a + b
        case .subtract: a - b
        case .multiply: a * b
        case .divide: a / b
        case .maximum: a.isNaN || b.isNaN ? .nan : Swift.max(a, b)
        case .minimum: a.isNaN || b.isNaN ? .nan : Swift.min(a, b)
        }
    }

    /// `o[i] = x[i] ∘ y[i]` for `count` elements, eight at a time: explicit vectors, because the
    /// output usually is `x` (in place), which defeats the vectoriser.
    @inline(__always) private func combine(_ x: UnsafePointer<Float>, _ y: UnsafePointer<Float>,
                                           into o: UnsafeMutablePointer<Float>, count: Int) {
        var i = 0
        while i + 8 <= count {
            _Activations.store(combine(_Activations.load(x + i), _Activations.load(y + i)), o + i)
            i += 8
        }
        while i < count {
            o[i] = combine(x[i], y[i])
            i += 1
        }
    }

    func run(_ a: _KernelArguments) {
        var pointers: [UnsafePointer<Float>] = []
        var shapes: [[Int]] = []
        var next = 0
        for k in 0..<operandCount {
            if let c = constants[k] {
                pointers.append(c.weights.pointer)
                shapes.append(c.shape)
            } else {
                pointers.append(a.inputs[next])
                shapes.append(a.inputShapes[next])
                next += 1
            }
        }
        let out = a.outputShape
        let count = Shape.elementCount(out) ?? 0
        let output = a.output
        if shapes.allSatisfy({ $0 == out }) {
            let block = 4096
            a.parallel.forEachRange((count + block - 1) / block, workPerItem: block * pointers.count) { range in
                let lo = range.lowerBound * block, hi = min(range.upperBound * block, count)
                combine(pointers[0] + lo, pointers[1] + lo, into: output + lo, count: hi - lo)
                for z in pointers.dropFirst(2) { combine(UnsafePointer(output) + lo, z + lo, into: output + lo, count: hi - lo) }
                if activation != .linear {
                    _Activations.apply(activation, source: output + lo, destination: output + lo, shape: [hi - lo], bias: nil,
                                       parallel: .serial)
                }
            }
            return
        }
        // Broadcasting: fold operand by operand into the output (the first pass reads operands 0
        // and 1, later ones read the output back), each pass walking runs.
        var leftShape = shapes[0]
        var left = pointers[0]
        for k in 1..<pointers.count {
            let runs = BroadcastRuns(outputShape: out, operandShapes: [leftShape, shapes[k]])
            let right = pointers[k]
            let source = left
            a.parallel.forEachRange(runs.runCount, workPerItem: max(runs.shape.last ?? 1, 1)) { range in
                runs.forEach(in: range) { start, length, offsets, steps in
                    let x = source + offsets[0], y = right + offsets[1], o = output + start
                    switch (steps[0], steps[1]) {
                    case (1, 1): combine(x, y, into: o, count: length)
                    case (1, 0):
                        let v = y[0], lanes = SIMD8<Float>(repeating: v)
                        var j = 0
                        while j + 8 <= length { _Activations.store(combine(_Activations.load(x + j), lanes), o + j); j += 8 }
                        while j < length { o[j] = combine(x[j], v); j += 1 }
                    case (0, 1):
                        let v = x[0], lanes = SIMD8<Float>(repeating: v)
                        var j = 0
                        while j + 8 <= length { _Activations.store(combine(lanes, _Activations.load(y + j)), o + j); j += 8 }
                        while j < length { o[j] = combine(v, y[j]); j += 1 }
                    default: for j in 0..<length { o[j] = combine(x[j * steps[0]], y[j * steps[1]]) }
                    }
                }
            }
            left = UnsafePointer(output)
            leftShape = out
        }
        if activation != .linear {
            _Activations.apply(activation, source: output, destination: output, shape: [count], bias: nil, parallel: a.parallel)
        }
    }
}
