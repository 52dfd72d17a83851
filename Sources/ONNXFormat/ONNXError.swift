/// What is wrong with an ONNX file, or why a graph cannot be written as one, with the node, tensor or
/// attribute it concerns. Descriptions are one line and do not name the model file (the caller does).
public enum ONNXError: Error, Equatable, CustomStringConvertible {
    /// The bytes are not a protobuf `ModelProto` (truncated, garbage, a field of the wrong wire type).
    case malformed(detail: String)
    /// A well-formed protobuf that breaks an ONNX rule (no graph, a node reading an unknown value, …).
    case invalidModel(detail: String)
    /// A node that is well formed but whose attributes or inputs do not fit (wrong attribute type,
    /// inconsistent shapes, a non-constant weight).
    case invalidNode(node: String, op: String, detail: String)
    /// An op this reader does not map to the IR.
    case unsupportedOp(node: String, op: String, domain: String)
    /// A supported op used in a way the IR cannot express.
    case unsupported(node: String, op: String, detail: String)
    /// An initializer whose data is missing, of the wrong size, or of an unsupported type.
    case invalidTensor(name: String, detail: String)
    /// An external-data reference that is absolute, escapes the model's folder, or is out of bounds.
    case externalData(tensor: String, location: String, detail: String)
    /// The opset or IR version is outside what this code reads or writes.
    case unsupportedVersion(detail: String)
    /// A graph the writer cannot express in ONNX.
    case cannotExport(node: String, detail: String)
    case io(path: String, detail: String)

    public var description: String {
        switch self {
        case .malformed(let d): "not a valid ONNX protobuf: \(d)"
        case .invalidModel(let d): "invalid ONNX model: \(d)"
        case let .invalidNode(node, op, d): "node '\(node)' (\(op)): \(d)"
        case let .unsupportedOp(node, op, domain):
            domain.isEmpty || domain == "ai.onnx"
                ? "node '\(node)': op '\(op)' is not supported"
                : "node '\(node)': op '\(op)' of domain '\(domain)' is not supported"
        case let .unsupported(node, op, d): "node '\(node)' (\(op)): \(d) is not supported"
        case let .invalidTensor(name, d): "initializer '\(name)': \(d)"
        case let .externalData(tensor, location, d): "initializer '\(tensor)': external data '\(location)': \(d)"
        case .unsupportedVersion(let d): d
        case let .cannotExport(node, d): "cannot write node '\(node)' as ONNX: \(d)"
        case let .io(path, d): "\(path): \(d)"
        }
    }
}
