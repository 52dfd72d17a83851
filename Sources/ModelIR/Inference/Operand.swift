/// What inference knows of one operand or result: its type, and its value when that is known
/// before running (a constant, a shape, or something computed from them).
public struct Operand: Sendable {
    public var type: ValueType
    public var value: Tensor?

    public init(type: ValueType, value: Tensor? = nil) {
        self.type = type
        self.value = value
    }

    public init(_ value: Tensor) {
        self.type = ValueType(dtype: value.dtype, shape: value.shape)
        self.value = value
    }

    public var shape: [Int]? { type.shape }
    public var dtype: DType { type.dtype }
}

/// The operands of one node during inference, with helpers that turn problems into errors naming
/// the node. Absent optional operands are nil.
public struct InferenceContext {
    public let node: Node
    public let operands: [Operand?]

    public init(node: Node, operands: [Operand?]) {
        self.node = node
        self.operands = operands
    }

    public func error(_ detail: String) -> ModelIRError { .shapeMismatch(node: node.name, detail: detail) }
    public func invalid(_ detail: String) -> ModelIRError { .invalidAttribute(node: node.name, detail: detail) }

    public var count: Int { operands.count }

    /// Operand `i`, required.
    public func operand(_ i: Int) throws -> Operand {
        guard i < operands.count, let o = operands[i] else {
            let roles = node.op.inputRoles
            let role = i < roles.count ? roles[i] : "operand \(i)"
            throw ModelIRError.shapeMismatch(node: node.name, detail: "needs its \(role.replacingOccurrences(of: "?", with: "")) operand")
        }
        return o
    }

    /// Operand `i` if present.
    public func optional(_ i: Int) -> Operand? { i < operands.count ? operands[i] : nil }

    /// The shape of operand `i`, or nil when its rank is unknown.
    public func shape(_ i: Int) throws -> [Int]? { try operand(i).shape }

    /// The shape of operand `i`, which must have a known rank.
    public func rankedShape(_ i: Int) throws -> [Int] {
        guard let s = try operand(i).shape else { throw error("the rank of operand \(i) must be known") }
        return s
    }

    /// The integer values of operand `i` when known (nil when absent or not known before running).
    public func integers(_ i: Int) throws -> [Int]? {
        guard let o = optional(i), let v = o.value else { return nil }
        guard v.dtype.isInteger else { throw error("operand \(i) must be an integer tensor, not \(v.dtype)") }
        return v.integers.map { Int(clamping: $0) }
    }

    /// Whether operand `i` is present but its value is unknown before running.
    public func isDynamic(_ i: Int) -> Bool {
        guard let o = optional(i) else { return false }
        return o.value == nil
    }

    /// `axis` normalized for `rank`, or an error.
    public func axis(_ axis: Int, rank: Int) throws -> Int {
        guard let a = Shape.normalizedAxis(axis, rank: rank) else { throw invalid("axis \(axis) is out of range for rank \(rank)") }
        return a
    }
}
