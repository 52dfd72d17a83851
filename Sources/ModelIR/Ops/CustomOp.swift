/// An operation carried through conversion without being interpreted (see `Op.custom`).
public struct CustomOp: Sendable, Equatable, Codable {
    /// `ai.onnx.ml`, `com.microsoft`, … for ONNX; `keras` for a Keras layer; "" for the default
    /// ONNX domain (an op wtool has no semantics for).
    public var domain: String
    /// The ONNX op type or Keras class name.
    public var type: String
    /// Attributes in source order.
    public var attributes: [NamedAttribute]
    /// Names of the operands, for messages (ONNX's are positional: `input0`…).
    public var inputNames: [String]
    /// How many leading operands are activations (the rest are the layer's weights).
    public var dataInputCount: Int
    /// The opset version of `domain` the node was written against (ONNX), if known.
    public var domainVersion: Int?
    /// Why the runtime cannot run it.
    public var reason: String

    public init(domain: String, type: String, attributes: [NamedAttribute] = [], inputNames: [String] = [],
                dataInputCount: Int? = nil, domainVersion: Int? = nil, reason: String) {
        self.domain = domain
        self.type = type
        self.attributes = attributes
        self.inputNames = inputNames
        self.dataInputCount = dataInputCount ?? inputNames.count
        self.domainVersion = domainVersion
        self.reason = reason
    }

    public var inputRoles: [String] { inputNames.map { $0 + "?" } }

    public func attribute(_ name: String) -> AttributeValue? { attributes.first { $0.name == name }?.value }

    /// The element type of the results when the op's definition fixes it and the file does not
    /// declare it: onnxruntime's quantized `com.microsoft` ops (QLinearAdd, QLinearMul,
    /// QLinearGlobalAveragePool, QLinearSoftmax, QLinearConcat, …) return the type of their
    /// output zero point, their last 8-bit operand; nil for every other op.
    public func resultType(operands: [DType?]) -> DType? {
        guard domain == "com.microsoft", type.hasPrefix("QLinear") else { return nil }
        let count = inputNames.prefix { !$0.hasPrefix("outer:") }.count
        return operands.prefix(count).last { $0 == .int8 || $0 == .uint8 } ?? nil
    }
}

public struct NamedAttribute: Sendable, Equatable, Codable {
    public var name: String
    public var value: AttributeValue

    public init(_ name: String, _ value: AttributeValue) {
        self.name = name
        self.value = value
    }
}

/// An attribute value of a carried op, typed as ONNX's `AttributeProto` is.
public enum AttributeValue: Sendable, Equatable, Codable {
    case int(Int64)
    case float(Float)
    /// Bytes (ONNX strings are bytes); Keras configs are stored as UTF-8 JSON text here.
    case string([UInt8])
    case ints([Int64])
    case floats([Float])
    case strings([[UInt8]])
    /// A constant tensor, by name in `Graph.weights`.
    case tensor(String)
    case tensors([String])
    /// A serialized subgraph (ONNX `GraphProto` bytes), carried verbatim.
    case graph([UInt8])
    case graphs([[UInt8]])
    /// Any other attribute kind, serialized by its reader (ONNX `AttributeProto` bytes).
    case opaque([UInt8])

    public var text: String? {
        if case .string(let b) = self { return String(decoding: b, as: UTF8.self) }
        return nil
    }
}
