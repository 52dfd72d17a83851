/// Why a safetensors file was refused or could not be written. Descriptions are one line; the CLI
/// prefixes the file name. The cases follow the reference implementation's own
/// (`safetensors/src/tensor.rs`: `HeaderTooLarge`, `InvalidOffset`, `MetadataIncompleteBuffer`, …)
/// with the tensor, offset or size that broke the rule in the payload.
public enum SafetensorsError: Error, Equatable, CustomStringConvertible {
    case io(path: String, detail: String)
    /// Shorter than the 8-byte header length, or the header runs past the end of the file.
    case truncated(detail: String)
    /// The 8-byte length is over `SafetensorsHeader.maxHeaderSize`.
    case headerTooLarge(size: UInt64)
    /// The header is not UTF-8, not JSON, not an object, or its JSON breaks a rule (a duplicate key).
    case invalidHeader(detail: String)
    /// A tensor entry that breaks a rule: its dtype, shape, offsets or byte length.
    case invalidTensor(name: String, detail: String)
    /// The tensors' bytes do not cover the data buffer exactly (a hole, an overlap, trailing bytes).
    case incompleteBuffer(detail: String)
    /// wtool's own metadata (`wtool.graph`, `wtool.tensors`) is damaged or does not fit the tensors.
    case invalidGraph(detail: String)
    /// A weights-only file read without an architecture.
    case noGraph
    /// Valid safetensors, but something wtool cannot represent (fp8, complex numbers, a graph
    /// that is too large for the header cap).
    case unsupported(detail: String)

    public var description: String {
        switch self {
        case let .io(path, detail): "\(path): \(detail)"
        case .truncated(let d): "truncated safetensors file: \(d)"
        case .headerTooLarge(let size):
            "not a safetensors file, or a damaged one: its header length \(size) is over the format's \(SafetensorsHeader.maxHeaderSize)-byte cap"
        case .invalidHeader(let d): "corrupt safetensors header: \(d)"
        case let .invalidTensor(name, d): "corrupt safetensors tensor '\(name)': \(d)"
        case .incompleteBuffer(let d): "corrupt safetensors file: \(d)"
        case .invalidGraph(let d): "wtool's graph in this safetensors file: \(d)"
        case .noGraph:
            "a safetensors file that holds weights but no graph (no wtool.graph metadata); pass --arch NAME --input-shape H,W,C or --config model.json to bind them by name"
        case .unsupported(let d): d
        }
    }
}
