import ModelIR

/// Why the runtime refused a graph or an input, with the node, value or tensor it concerns.
public enum RuntimeError: Error, Equatable, CustomStringConvertible {
    /// The graph failed validation or shape inference (`ModelIRError` names the node).
    case invalidGraph(ModelIRError)
    /// The graph is well formed but uses something this runtime does not execute.
    case unsupported(node: String, op: String, reason: String)
    /// The graph has ops the runtime has no semantics for; `detail` lists every kind with its
    /// count and first node.
    case cannotRun(detail: String)
    /// A weight is stored in a dtype the runtime cannot turn into float32 weights.
    case unsupportedWeightType(node: String, weight: String, dtype: DType)
    /// `run(input:)` needs exactly one graph input and one graph output.
    case notSingleInputOutput(inputs: Int, outputs: Int)
    case unknownInput(String)
    case missingInput(String)
    /// A requested output names no value of the graph.
    case unknownValue(String)
    /// An input's `data.count` does not match its shape, or its shape is unusable.
    case badInputTensor(name: String, shape: [Int], elementCount: Int, reason: String)
    /// Shapes did not propagate through the graph for the given inputs (e.g. an image smaller than
    /// a pooling window, or a spatial size a `Flatten → Dense` top cannot take).
    case shapeMismatch(ModelIRError)
    /// A planned buffer would exceed the address space (absurd input shapes).
    case tooLarge(value: String, shape: [Int])
    /// The buffers planned for these input shapes exceed the machine's physical memory.
    case insufficientMemory(neededBytes: Int, physicalBytes: Int)
    /// OpenBLAS could not be loaded (the dynamic loader's message).
    case blasUnavailable(String)

    public var description: String {
        switch self {
        case .invalidGraph(let e): "invalid graph: \(e)"
        case let .unsupported(node, op, reason): "node '\(node)' (\(op)): \(reason)"
        case .cannotRun(let detail): detail
        case let .unsupportedWeightType(node, weight, dtype):
            "node '\(node)': weight '\(weight)' is \(dtype); the runtime needs a floating-point weight (f32, f16, bf16, f64)"
        case let .notSingleInputOutput(i, o):
            "run(input:) needs a graph with one input and one output, this one has \(i) inputs and \(o) outputs; use run(inputs:outputs:)"
        case .unknownInput(let n): "the graph has no input named '\(n)'"
        case .missingInput(let n): "graph input '\(n)' was not given"
        case .unknownValue(let n): "the graph has no value named '\(n)'"
        case let .badInputTensor(name, shape, count, reason):
            "input '\(name)' with shape \(shape) and \(count) elements: \(reason)"
        case .shapeMismatch(let e): "the inputs do not fit the graph: \(e)"
        case let .tooLarge(value, shape): "value '\(value)' of shape \(shape) is too large to allocate"
        case .blasUnavailable(let reason):
            "OpenBLAS could not be loaded (\(reason)); install it (Debian: apt-get install libopenblas0) or set WTOOL_OPENBLAS to its path"
        case let .insufficientMemory(needed, physical):
            "the inputs need \(needed / (1 << 20)) MiB of activation buffers, more than the \(physical / (1 << 20)) MiB of memory"
        }
    }
}
