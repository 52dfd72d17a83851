extension Graph {
    /// What is known of every value before running: graph inputs, constants and node outputs,
    /// with their types (shapes with -1 where unknown) and, where they follow from constants and
    /// shapes alone, their values (a `Shape` of a known shape, a folded constant expression).
    ///
    /// - Parameters:
    ///   - inputShapes: overrides for the graph inputs' shapes (running a conv base at another
    ///     size; the runtime passes the actual shapes); missing entries use the declared shapes.
    ///   - inputValues: graph inputs whose values are known (the runtime passes those that feed
    ///     shape parameters).
    ///   - foldLimit: nodes whose operands are all known are evaluated when their result has at
    ///     most this many elements (0 turns folding off).
    /// - Throws: `ModelIRError` naming the first node whose operands do not fit.
    public func inferTypes(inputShapes: [String: [Int]] = [:], inputValues: [String: Tensor] = [:],
                           foldLimit: Int = 1 << 16) throws -> [String: Operand] {
        var known: [String: Operand] = [:]
        for input in inputs {
            let shape = inputShapes[input.name] ?? input.shape
            if let bad = shape.first(where: { $0 < -1 || $0 > ShapeInference.maxExtent }) {
                throw ModelIRError.invalidShape(tensor: input.name,
                    detail: "shape \(shape) has dimension \(bad); dimensions are -1 (unknown) or 0…2^60")
            }
            known[input.name] = Operand(type: ValueType(dtype: input.dtype, shape: shape), value: inputValues[input.name])
        }
        for node in nodes {
            var operands: [Operand?] = []
            for name in node.inputs {
                if name.isEmpty { operands.append(nil); continue }
                if let o = known[name] { operands.append(o); continue }
                if let w = weights[name] { operands.append(Operand(w.tensor)); continue }
                throw ModelIRError.danglingInput(node: node.name, input: name)
            }
            for case let o? in operands {
                // Sizes may outgrow the bound (filters, units and padding add up); the node that
                // reads one refuses it, so each rule below works on bounded sizes.
                if let bad = o.shape?.first(where: { $0 > ShapeInference.maxExtent }) {
                    throw ModelIRError.shapeMismatch(node: node.name, detail: "an operand has dimension \(bad), over 2^60")
                }
            }
            var results = try ShapeInference.outputs(of: node, operands: operands, declared: valueInfo)
            if foldLimit > 0, results.contains(where: { $0.value == nil }), !operands.isEmpty,
               operands.allSatisfy({ $0 == nil || $0?.value != nil }),
               results.allSatisfy({ ($0.type.concreteShape.flatMap(Shape.elementCount) ?? .max) <= foldLimit }),
               Evaluator.canEvaluate(node.op) {
                // Folding only adds knowledge: a node the evaluator cannot run (yet) keeps its type.
                if let values = try? Evaluator.evaluate(node, operands.map { $0?.value }), values.count == results.count {
                    results = values.map { Operand($0) }
                }
            }
            for (name, result) in zip(node.outputs, results) where !name.isEmpty { known[name] = result }
        }
        return known
    }

    /// Shapes of every value, -1 where unknown (an unknown rank gives an empty shape).
    public func inferShapes(inputShapes: [String: [Int]] = [:]) throws -> [String: [Int]] {
        try inferTypes(inputShapes: inputShapes, foldLimit: 0).mapValues { $0.shape ?? [] }
    }
}

/// Output types per op, with the operand checks that make a binding strict.
public enum ShapeInference {
    /// The largest dimension, window size, stride, dilation, padding and effective window
    /// (`(kernel − 1) · dilation + 1`) shape inference accepts: 2⁶⁰. Far past any real model, and
    /// small enough that the sums below, and the runtime's window arithmetic on them, cannot
    /// overflow `Int`: a hostile file gets an error, never a trap.
    public static let maxExtent = 1 << 60

    /// The results of `node` given its operands (nil for absent optional ones).
    /// - Parameter declared: declared types of values (ONNX `value_info`), used for ops whose
    ///   results cannot be inferred (carried custom ops).
    public static func outputs(of node: Node, operands: [Operand?], declared: [String: TensorInfo] = [:]) throws -> [Operand] {
        let ctx = InferenceContext(node: node, operands: operands)
        let results: [Operand]
        switch node.op {
        case .conv(let o): results = try o.infer(ctx)
        case .pool(let o): results = try o.infer(ctx)
        case .linear(let o): results = try o.infer(ctx)
        case .normalization(let o): results = try o.infer(ctx)
        case .activation(let a): results = try a.infer(ctx)
        case .elementwise(let o): results = try o.infer(ctx)
        case .reduction(let o): results = try o.infer(ctx)
        case .tensor(let o): results = try o.infer(ctx)
        case .quantization(let o): results = try o.infer(ctx)
        case .custom(let c):
            let guess = c.resultType(operands: operands.map { $0?.dtype }) ?? .float32
            return node.outputs.map { name in
                declared[name].map { Operand(type: $0.type) } ?? Operand(type: ValueType(dtype: guess, shape: nil))
            }
        }
        guard results.count == node.outputs.count || (results.count > node.outputs.count && node.outputs.count >= 1) else {
            throw ModelIRError.shapeMismatch(node: node.name, detail: "has \(node.outputs.count) outputs, the op makes \(results.count)")
        }
        return Array(results.prefix(node.outputs.count))
    }

    /// `(kernel − 1) · dilation + 1`, or nil when it would exceed `maxExtent`.
    static func effectiveWindow(kernel: Int, dilation: Int) -> Int? {
        let (span, overflow) = (kernel - 1).multipliedReportingOverflow(by: dilation)
        guard !overflow, span < maxExtent else { return nil }
        return span + 1
    }

    /// Output size of one spatial axis of a window op (-1 for an unknown input size).
    public static func windowOutput(_ size: Int, kernel: Int, stride: Int, dilation: Int, padBegin: Int, padEnd: Int,
                                    ceilMode: Bool = false) -> Int {
        guard size >= 0 else { return -1 }
        let effective = (kernel - 1) * dilation + 1
        let span = size + padBegin + padEnd - effective
        if span < 0 { return 0 }
        if !ceilMode { return span / stride + 1 }
        var out = (span + stride - 1) / stride + 1
        // ONNX and PyTorch drop a last window that would start in the end padding.
        if (out - 1) * stride >= size + padBegin { out -= 1 }
        return out
    }

    /// Checks a window op's attributes and computes its output spatial sizes.
    static func window(_ ctx: InferenceContext, spatial sizes: [Int], kernel: [Int], strides: [Int], dilations: [Int],
                       padding: Padding, ceilMode: Bool = false) throws -> [Int] {
        let n = kernel.count
        guard n >= 1, n <= 3, strides.count == n, dilations.count == n, sizes.count == n,
              (kernel + strides + dilations).allSatisfy({ $0 > 0 && $0 <= maxExtent }) else {
            throw ctx.invalid("kernel, strides and dilations must be \(sizes.count) integers in 1…2^60 each")
        }
        for i in 0..<n where effectiveWindow(kernel: kernel[i], dilation: dilations[i]) == nil {
            throw ctx.invalid("the dilated window is over 2^60")
        }
        if case let .explicit(begin, end) = padding {
            guard begin.count == n, end.count == n, (begin + end).allSatisfy({ $0 >= 0 && $0 <= maxExtent }) else {
                throw ctx.invalid("padding must be \(n) begin and \(n) end values in 0…2^60")
            }
        }
        var out: [Int] = []
        for i in 0..<n {
            let size = sizes[i]
            if size < 0 { out.append(-1); continue }
            switch padding {
            case .same, .sameLower:
                out.append((size + strides[i] - 1) / strides[i])
            default:
                let p = padding.resolve(sizes: sizes.map { max($0, 0) }, kernel: kernel, strides: strides, dilations: dilations)
                let o = windowOutput(size, kernel: kernel[i], stride: strides[i], dilation: dilations[i],
                                     padBegin: p.begin[i], padEnd: p.end[i], ceilMode: ceilMode)
                guard o > 0 else {
                    throw ctx.error("input size \(sizes) is smaller than the \(kernel) window")
                }
                out.append(o)
            }
        }
        return out
    }

    /// Requires operand `i` (when present) to have exactly `expected` (unknown dims match anything).
    /// - Parameter role: the operand's name for the error, built only when there is one.
    static func expectShape(_ ctx: InferenceContext, _ i: Int, _ expected: [Int], role: @autoclosure () -> String) throws {
        guard let o = ctx.optional(i), let s = o.shape else { return }
        let fits = s.count == expected.count && zip(s, expected).allSatisfy { $0 < 0 || $1 < 0 || $0 == $1 }
        if !fits {
            throw ModelIRError.weightShapeMismatch(node: ctx.node.name, weight: role(), expected: expected, actual: s)
        }
    }

    /// The channel count at `axis` of `shape`, which must be known and positive.
    static func channels(_ ctx: InferenceContext, _ shape: [Int], axis: Int) throws -> Int {
        guard axis >= 0, axis < shape.count, shape[axis] > 0 else {
            throw ctx.error("the channel axis of input \(Shape.kerasString(shape)) must be known")
        }
        return shape[axis]
    }

    /// The same type as operand 0.
    static func same(_ ctx: InferenceContext) throws -> [Operand] {
        [Operand(type: try ctx.operand(0).type)]
    }
}
