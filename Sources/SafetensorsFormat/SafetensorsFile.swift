import FileSupport
import Foundation
import ModelIR

/// A safetensors file opened for reading: mapped, header validated (``SafetensorsHeader``),
/// tensors available as zero-copy views of the mapping.
///
/// A file wtool wrote carries its model in `__metadata__` (``SafetensorsModelMetadata``), so
/// ``graph()`` gives the model back without anything else; files from other writers hold only
/// tensors, which ``weights()`` hands to whoever knows the architecture (the Keras reader binds
/// them by name for `--arch` / `--config`).
///
/// Views: a tensor whose first byte is a multiple of its element size from the start of the
/// file (always, in files wtool and the reference writer produce) is a view of the mapping; one
/// that is not (a header left unpadded, as MLX writes it) is copied into aligned memory, so no
/// consumer ever loads a misaligned float.
public final class SafetensorsFile: @unchecked Sendable {
    public let path: String
    public let header: SafetensorsHeader
    private let mapping: MappedFile

    /// Maps and validates `path`.
    /// - Throws: `SafetensorsError` describing the first rule the file breaks.
    public convenience init(path: String) throws {
        let file: RegularFile
        do {
            file = try RegularFile(path: path)
        } catch let failure as FileError {
            throw SafetensorsError.io(path: path, detail: failure.detail)
        }
        try self.init(file: file)
    }

    /// Maps and validates a file the caller has already opened (and sniffed with ``hasMagic(_:)``).
    /// - Throws: `SafetensorsError` describing the first rule the file breaks.
    public init(file: RegularFile) throws {
        path = file.path
        do {
            mapping = try MappedFile(file: file)
        } catch let failure as FileError {
            throw SafetensorsError.io(path: path, detail: failure.detail)
        }
        header = try SafetensorsHeader.parse(mapping.bytes)
    }

    /// Whether `head` (a file's first bytes) starts like a safetensors file: see
    /// ``SafetensorsHeader/hasMagic(_:)``.
    public static func hasMagic(_ head: [UInt8]) -> Bool { SafetensorsHeader.hasMagic(head) }

    public var tensors: [SafetensorsTensorEntry] { header.tensors }
    public var metadata: [String: String]? { header.metadata }
    public var fileSize: Int { mapping.bytes.count }

    /// Whether the file carries a graph wtool wrote.
    public var hasGraph: Bool { header.metadata?[SafetensorsModelMetadata.graphKey] != nil }

    /// Tensors whose bytes are not aligned to their element size, which reading copies.
    public var misalignedTensors: [String] {
        header.tensors.filter { $0.byteLength > 0 && $0.fileOffset % max($0.dtype.bitSize / 8, 1) != 0 }.map(\.name)
    }

    /// A tensor's bytes as stored, zero-copy when aligned to its element size; nil when no tensor
    /// has that name.
    public func tensorData(named name: String) -> TensorData? {
        guard let i = header.index[name] else { return nil }
        return data(for: header.tensors[i])
    }

    private func data(for entry: SafetensorsTensorEntry) -> TensorData {
        let bytes = UnsafeRawBufferPointer(rebasing: mapping.bytes[entry.fileOffset..<(entry.fileOffset + entry.byteLength)])
        if entry.byteLength > 0, entry.fileOffset % max(entry.dtype.bitSize / 8, 1) != 0 {
            return TensorData(copying: bytes)
        }
        return TensorData(view: bytes, owner: mapping)
    }

    /// Every tensor as a weight in the source's layout: kernels a `--pytorch-layout` file
    /// stores permuted are transposed back (a copy each; everything else is a view), and layout
    /// tags and trainability come from wtool's metadata when the file has it (`unspecified` and
    /// trainable otherwise). No source is set: the graph document has them.
    /// - Throws: `SafetensorsError.unsupported` for a dtype wtool has no type for (fp8, fp4, c64),
    ///   `.invalidGraph` when wtool's metadata does not fit the tensors.
    public func weights() throws -> [String: Weight] {
        let facts = try header.metadata?[SafetensorsModelMetadata.tensorsKey].map(SafetensorsModelMetadata.decodeFacts) ?? [:]
        if let stray = facts.keys.sorted().first(where: { header.index[$0] == nil }) {
            throw SafetensorsError.invalidGraph(detail: "\(SafetensorsModelMetadata.tensorsKey) describes tensor '\(stray)', which the file does not hold")
        }
        var weights: [String: Weight] = [:]
        weights.reserveCapacity(header.tensors.count)
        for entry in header.tensors {
            guard let dtype = entry.dtype.modelType else {
                throw SafetensorsError.unsupported(detail: "tensor '\(entry.name)' holds \(entry.dtype.rawValue) elements, which wtool has no type for")
            }
            var tensor = Tensor(dtype: dtype, shape: entry.shape, data: data(for: entry))
            var layout = Layout.unspecified, trainable = true
            if let fact = facts[entry.name] {
                guard let tag = SafetensorsModelMetadata.layoutsByName[fact.layout] else {
                    throw SafetensorsError.invalidGraph(detail: "tensor '\(entry.name)' has an unknown layout tag '\(fact.layout)'")
                }
                (layout, trainable) = (tag, fact.trainable)
                if let stored = fact.pytorch {
                    tensor = try PyTorchLayout.restore(tensor, stored, name: entry.name)
                }
            }
            weights[entry.name] = Weight(info: TensorInfo(name: entry.name, dtype: dtype, shape: tensor.shape, layout: layout),
                                         data: tensor.data, trainable: trainable)
        }
        return weights
    }

    /// The model wtool embedded (`wtool.graph`), its weights bound strictly by name: every
    /// constant the graph names must be a tensor of the file, and every tensor a constant the
    /// graph uses. Validated.
    /// - Throws: ``SafetensorsError/noGraph`` for a file without one, `.invalidGraph` for a
    ///   damaged or mismatched one.
    public func graph() throws -> Graph {
        guard let metadata = header.metadata, let json = metadata[SafetensorsModelMetadata.graphKey] else {
            throw SafetensorsError.noGraph
        }
        if let version = metadata[SafetensorsModelMetadata.versionKey], version != SafetensorsModelMetadata.version {
            throw SafetensorsError.unsupported(detail:
                "the file's wtool metadata is version \(version); this wtool reads version \(SafetensorsModelMetadata.version)")
        }
        let document: GraphDocument
        do {
            document = try GraphDocument.decode(Data(json.utf8))
        } catch let failure as GraphDocument.DecodingFailure {
            throw SafetensorsError.invalidGraph(detail: "\(SafetensorsModelMetadata.graphKey) does not decode (\(failure.detail))")
        }
        let graph = document.graph(weights: try weights())
        // A name no input or node produces can only be a constant: it must be in the file.
        let produced = Set(graph.inputs.map(\.name) + graph.nodes.flatMap(\.outputs))
        for node in graph.nodes {
            if let missing = node.inputs.first(where: { !$0.isEmpty && !produced.contains($0) && graph.weights[$0] == nil }) {
                throw SafetensorsError.invalidGraph(detail: "node '\(node.name)' needs tensor '\(missing)', which the file does not hold")
            }
        }
        let referenced = graph.referencedWeightNames
        if let orphan = header.tensors.first(where: { !referenced.contains($0.name) }) {
            throw SafetensorsError.invalidGraph(detail: "tensor '\(orphan.name)' is used by no node of the graph")
        }
        do {
            try graph.validate()
        } catch let error as ModelIRError {
            throw SafetensorsError.invalidGraph(detail: error.description)
        }
        Diagnostics.note("validate", path: path)
        return graph
    }
}
