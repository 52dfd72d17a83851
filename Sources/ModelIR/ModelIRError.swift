/// What is wrong with a graph, with the node or tensor it concerns.
public enum ModelIRError: Error, Equatable, CustomStringConvertible {
    case duplicateName(String)
    case danglingInput(node: String, input: String)
    case unknownOutput(String)
    case missingWeight(node: String, weight: String)
    case weightCountMismatch(node: String, expected: [String], actual: Int)
    case weightShapeMismatch(node: String, weight: String, expected: [Int], actual: [Int])
    case inputRankMismatch(node: String, expected: Int, actual: [Int])
    case shapeMismatch(node: String, detail: String)
    case invalidAttribute(node: String, detail: String)
    case unknownLayer(String)
    case emptyGraph
    /// A count or size over one of the ``ResourceLimits``.
    case limitExceeded(detail: String)
    case noOutputs
    /// A graph input's declared shape is impossible (a dimension below -1 or over the bound).
    case invalidShape(tensor: String, detail: String)
    /// The reference evaluator has no semantics for this node (a carried custom op, an
    /// unsupported attribute combination).
    case unsupported(node: String, detail: String)

    public var description: String {
        switch self {
        case .duplicateName(let n): "two values or nodes are named '\(n)'"
        case .limitExceeded(let detail): detail
        case let .danglingInput(node, input): "node '\(node)' reads '\(input)', which no earlier node produces (dangling input or cycle)"
        case .unknownOutput(let n): "graph output '\(n)' is produced by no node"
        case let .missingWeight(node, w): "node '\(node)' needs weight '\(w)', which the model does not contain"
        case let .weightCountMismatch(node, expected, actual):
            "node '\(node)' takes \(expected.count) weights (\(expected.joined(separator: ", "))) but has \(actual)"
        case let .weightShapeMismatch(node, w, e, a):
            "node '\(node)': weight '\(w)' has shape \(a), expected \(e)"
        case let .inputRankMismatch(node, e, a): "node '\(node)' expects a rank-\(e) input, got shape \(a)"
        case let .shapeMismatch(node, d): "node '\(node)': \(d)"
        case let .invalidAttribute(node, d): "node '\(node)': \(d)"
        case .unknownLayer(let n): "no layer named '\(n)'"
        case .emptyGraph: "the graph has no inputs"
        case .noOutputs: "the graph has no outputs"
        case let .invalidShape(tensor, d): "tensor '\(tensor)': \(d)"
        case let .unsupported(node, d): "node '\(node)': \(d)"
        }
    }
}
