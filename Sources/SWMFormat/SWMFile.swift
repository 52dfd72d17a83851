import FileSupport
import Foundation
import ModelIR

/// A `.swm` file opened for reading: mapped, header validated, tensors available as zero-copy views.
///
/// Opening reads only the header (schemas/swm.md §5); the graph JSON is decoded on first use and
/// checksums are verified only by `verifyChecksums()` (`wtool check`).
public final class SWMFile: @unchecked Sendable {
    public let path: String
    public let header: SWMHeader
    private let mapping: MappedFile
    private let graphLock = NSLock()
    private var cachedGraph: Graph?

    /// Maps and validates `path`.
    /// - Throws: `SWMError` describing the first rule the file breaks.
    public convenience init(path: String) throws {
        let file: RegularFile
        do {
            file = try RegularFile(path: path)
        } catch let failure as FileError {
            throw SWMError.io(path: path, detail: failure.detail)
        }
        try self.init(file: file)
    }

    /// Maps and validates a file the caller has already opened (and sniffed with ``hasMagic(_:)``).
    /// - Throws: `SWMError` describing the first rule the file breaks.
    public init(file: RegularFile) throws {
        self.path = file.path
        do {
            mapping = try MappedFile(file: file)
        } catch let failure as FileError {
            throw SWMError.io(path: path, detail: failure.detail)
        }
        header = try SWMHeader.parse(mapping.bytes)
    }

    /// Whether `head` (a file's first bytes) starts like a `.swm`: the first four magic bytes, so
    /// that a truncated file is still read as one and gets the header's precise error.
    public static func hasMagic(_ head: [UInt8]) -> Bool {
        head.starts(with: SWMLayout.magic.prefix(4))
    }

    public var tensors: [SWMTensorEntry] { header.tensors }

    public var fileSize: Int { mapping.bytes.count }

    /// A zero-copy view of a tensor's bytes; nil when no tensor has that name.
    public func tensorData(named name: String) -> TensorData? {
        guard let i = header.index[name] else { return nil }
        return data(for: header.tensors[i])
    }

    func data(for entry: SWMTensorEntry) -> TensorData {
        let slice = mapping.bytes[entry.fileOffset..<(entry.fileOffset + entry.byteLength)]
        return TensorData(view: UnsafeRawBufferPointer(rebasing: slice), owner: mapping)
    }

    /// The model graph with weights as views into the mapping. Decoded and validated once.
    public func graph() throws -> Graph {
        graphLock.lock()
        defer { graphLock.unlock() }
        if let cachedGraph { return cachedGraph }
        let section = UnsafeRawBufferPointer(rebasing: mapping.bytes[header.graphRange])
        let jsonBytes = UnsafeRawBufferPointer(rebasing: section[4...])
        guard swmCRC32(jsonBytes) == section.le(0, as: UInt32.self) else {
            throw SWMError.invalidGraph(detail: "graph checksum mismatch")
        }
        let document: GraphDocument
        do {
            document = try GraphDocument.decode(Data(jsonBytes))
        } catch let failure as GraphDocument.DecodingFailure {
            throw SWMError.invalidGraph(detail: "the graph JSON does not decode (\(failure.detail))")
        }
        var weights: [String: Weight] = [:]
        for entry in header.tensors {
            weights[entry.name] = Weight(info: entry.info, data: data(for: entry), trainable: entry.trainable)
        }
        let graph = document.graph(weights: weights)
        let named = graph.referencedWeightNames
        if let orphan = header.tensors.first(where: { !named.contains($0.name) }) {
            throw SWMError.invalidGraph(detail: "tensor '\(orphan.name)' is not used by any node")
        }
        do {
            try graph.validate()
        } catch let error as ModelIRError {
            throw SWMError.invalidGraph(detail: error.description)
        }
        Diagnostics.note("validate", path: path)
        cachedGraph = graph
        return graph
    }

    /// A tensor whose bytes do not match its recorded CRC-32.
    public struct ChecksumFailure: Sendable, Equatable {
        public var tensor: String
        public var expected: UInt32
        public var actual: UInt32
    }

    /// Recomputes every tensor's CRC-32; returns the tensors that fail (empty when all pass).
    public func verifyChecksums(progress: ((Int, Int) -> Void)? = nil) -> [ChecksumFailure] {
        var failures: [ChecksumFailure] = []
        for (i, entry) in header.tensors.enumerated() {
            let actual = swmCRC32(UnsafeRawBufferPointer(rebasing: mapping.bytes[entry.fileOffset..<(entry.fileOffset + entry.byteLength)]))
            if actual != entry.crc32 { failures.append(ChecksumFailure(tensor: entry.name, expected: entry.crc32, actual: actual)) }
            progress?(i + 1, header.tensors.count)
        }
        return failures
    }
}
