/// Reference semantics for every op the IR interprets: ONNX's definitions (and Keras's, for the
/// layers only Keras has), on any rank and element type, written for clarity first and vectorised
/// only where whole models lean on it. The runtime runs its own fast kernels for the hot float32
/// paths and this evaluator for everything else; importers fold constant expressions with it;
/// tests use it as the oracle for kernels.
public enum Evaluator {
    /// Whether `op` has semantics here (everything but carried custom ops).
    public static func canEvaluate(_ op: Op) -> Bool {
        if case .custom = op { return false }
        return true
    }

    /// Runs one node.
    /// - Parameters:
    ///   - node: the node (its op and, for messages, its name).
    ///   - operands: by position, nil for absent optional operands.
    /// - Returns: one tensor per node output.
    /// - Throws: `ModelIRError` when operands do not fit the op, or `.unsupported`.
    public static func evaluate(_ node: Node, _ operands: [Tensor?]) throws -> [Tensor] {
        for (i, t) in operands.enumerated() {
            if let t, !t.isConsistent {
                throw ModelIRError.shapeMismatch(node: node.name, detail: "operand \(i) holds \(t.data.count) bytes, not what \(t.dtype) \(t.shape) needs")
            }
        }
        let known = operands.map { $0.map(Operand.init) }
        let types = try ShapeInference.outputs(of: node, operands: known)
        let ctx = EvaluationContext(node: node, operands: operands, outputTypes: types.map(\.type))
        // Results inference already knows (Shape, Size, Identity of a constant) need no work.
        if types.allSatisfy({ $0.value != nil }) { return types.compactMap(\.value) }
        switch node.op {
        case .conv(let o): return try o.evaluate(ctx)
        case .pool(let o): return try o.evaluate(ctx)
        case .linear(let o): return try o.evaluate(ctx)
        case .normalization(let o): return try o.evaluate(ctx)
        case .activation(let a): return [try a.evaluate(ctx)]
        case .elementwise(let o): return [try o.evaluate(ctx)]
        case .reduction(let o): return [try o.evaluate(ctx)]
        case .tensor(let o): return try o.evaluate(ctx)
        case .quantization(let o): return try o.evaluate(ctx)
        case .custom(let c):
            throw ModelIRError.unsupported(node: node.name, detail: "\(c.domain.isEmpty ? "" : c.domain + ".")\(c.type): \(c.reason)")
        }
    }
}

/// One node's operands and inferred result types while it is evaluated.
public struct EvaluationContext {
    public let node: Node
    public let operands: [Tensor?]
    public let outputTypes: [ValueType]

    public func error(_ detail: String) -> ModelIRError { .shapeMismatch(node: node.name, detail: detail) }
    public func unsupported(_ detail: String) -> ModelIRError { .unsupported(node: node.name, detail: detail) }

    /// Operand `i`, which must be present.
    public func operand(_ i: Int) throws -> Tensor {
        guard i < operands.count, let t = operands[i] else { throw error("operand \(i) is missing") }
        return t
    }

    public func optional(_ i: Int) -> Tensor? { i < operands.count ? operands[i] : nil }

    /// The concrete shape of result `i` (inference gives concrete shapes when every operand is known).
    public func outputShape(_ i: Int = 0) throws -> [Int] {
        guard i < outputTypes.count, let s = outputTypes[i].concreteShape else {
            throw error("the shape of result \(i) is not known")
        }
        return s
    }

    public func outputType(_ i: Int = 0) -> DType { outputTypes[i].dtype }

    /// Integer values of operand `i` (nil when absent).
    public func integers(_ i: Int) -> [Int]? {
        optional(i).map { $0.integers.map { Int(clamping: $0) } }
    }
}
