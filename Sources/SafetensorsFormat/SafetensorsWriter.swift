import FileSupport
import Foundation
import ModelIR

/// Writes safetensors files: deterministic bytes laid out as the reference writer lays them out
/// (`serialize_to_file` in `safetensors/src/tensor.rs`), durable and atomic (temporary file,
/// fsync, rename).
///
/// - Tensors are stored by descending dtype (the format's order of increasing alignment: 8-byte
///   types first, `BOOL` last), then by name compared byte-wise: with the header padded with
///   spaces to a multiple of 8, each tensor starts on a multiple of its element size.
/// - The header is compact JSON: `__metadata__` first (its keys sorted, which the reference,
///   holding them in a hash map, does not promise), then the tensors in storage order, strings
///   escaped as `serde_json` escapes them. For the same tensors and metadata the file is the
///   reference's byte for byte whenever its map happens to iterate in sorted order (always, for
///   one key).
public struct SafetensorsWriter: Sendable {
    /// Store convolution kernels as PyTorch holds them (OIHW); see ``PyTorchLayout``.
    public var pytorchLayout: Bool

    public init(pytorchLayout: Bool = false) {
        self.pytorchLayout = pytorchLayout
    }

    /// One tensor to store.
    public struct Entry {
        public var name: String
        public var dtype: DType
        public var shape: [Int]
        public var data: TensorData

        public init(name: String, dtype: DType, shape: [Int], data: TensorData) {
            self.name = name
            self.dtype = dtype
            self.shape = shape
            self.data = data
        }
    }

    /// Writes `graph`'s weights under their names (Keras weight paths such as
    /// `block1_conv1/kernel`, ONNX initializer names), bit for bit in the source's layout unless
    /// ``pytorchLayout``, with the graph in `__metadata__` (``SafetensorsModelMetadata``).
    /// - Parameters:
    ///   - overwrite: replace an existing file; otherwise an existing file is an error.
    ///   - progress: called with (bytes written, total bytes) as tensors are written.
    /// - Throws: `ModelIRError` for an invalid graph, `SafetensorsError`, `FileError` for I/O.
    public func write(_ graph: Graph, to path: String, overwrite: Bool = false, progress: ((Int, Int) -> Void)? = nil) throws {
        try graph.validate()
        Diagnostics.note("validate", path: path)
        try write(validated: graph, to: path, overwrite: overwrite, progress: progress)
    }

    /// Writes a graph its caller has just validated (a reader's result, unchanged), so a
    /// conversion validates each graph once. Package scope: only wtool's own pipelines vouch.
    package func write(validated graph: Graph, to path: String, overwrite: Bool = false,
                       progress: ((Int, Int) -> Void)? = nil) throws {
        var entries: [Entry] = []
        var facts: [String: SafetensorsModelMetadata.TensorFacts] = [:]
        var permuted: [String: (PyTorchLayout.Stored, Bool)] = [:]
        for name in graph.orderedWeightNames {
            guard let weight = graph.weights[name] else { continue }
            var shape = weight.info.shape
            var fact = SafetensorsModelMetadata.TensorFacts(layout: weight.info.layout.description, trainable: weight.trainable)
            if pytorchLayout, let (stored, depthwise) = PyTorchLayout.storedForm(of: name, in: graph) {
                fact.pytorch = stored
                shape = stored.storedShape(depthwise: depthwise)
                permuted[name] = (stored, depthwise)
            }
            facts[name] = fact
            entries.append(Entry(name: name, dtype: weight.info.dtype, shape: shape, data: weight.data))
        }
        let metadata = [
            SafetensorsModelMetadata.versionKey: SafetensorsModelMetadata.version,
            SafetensorsModelMetadata.graphKey: String(decoding: try GraphDocument(graph: graph).encoded(), as: UTF8.self),
            SafetensorsModelMetadata.tensorsKey: try SafetensorsModelMetadata.encode(facts),
            SafetensorsModelMetadata.layoutKey: pytorchLayout ? "pytorch" : "source",
        ]
        // Permuted kernels are made one at a time while writing, so at most one copy is alive.
        try Self.write(entries, metadata: metadata, to: path, overwrite: overwrite, progress: progress) { entry in
            guard let (stored, depthwise) = permuted[entry.name] else { return entry.data }
            let source = Tensor(dtype: entry.dtype, shape: stored.shape, data: entry.data)
            return try PyTorchLayout.store(source, stored, depthwise: depthwise).data
        }
    }

    /// Writes `entries` with string `metadata` (nil: no `__metadata__`): the format alone, for
    /// weights-only files and tests.
    /// - Throws: `SafetensorsError` (a duplicate or empty name, bytes that do not fit a shape, a
    ///   header over the cap), `FileError` for I/O.
    public static func write(_ entries: [Entry], metadata: [String: String]?, to path: String, overwrite: Bool = false,
                             progress: ((Int, Int) -> Void)? = nil) throws {
        try write(entries, metadata: metadata, to: path, overwrite: overwrite, progress: progress) { $0.data }
    }

    private struct Planned {
        var entry: Entry
        var dtype: SafetensorsDType
        var byteLength: Int
        var begin: Int
    }

    private static func write(_ entries: [Entry], metadata: [String: String]?, to path: String, overwrite: Bool,
                              progress: ((Int, Int) -> Void)?, bytes: (Entry) throws -> TensorData) throws {
        let (header, planned, dataSize) = try layout(entries, metadata: metadata)
        let output = try AtomicOutput(destination: path, overwrite: overwrite)
        try output.write(header)
        var written = 0
        for item in planned {
            let data = try bytes(item.entry)
            guard data.count == item.byteLength else {
                throw SafetensorsError.invalidTensor(name: item.entry.name, detail: "\(data.count) bytes to write, shape needs \(item.byteLength)")
            }
            try output.write(data.bytes)
            written += data.count
            progress?(written, dataSize)
        }
        try output.commit()
    }

    /// The header bytes (length, JSON, padding) and the storage order.
    private static func layout(_ entries: [Entry], metadata: [String: String]?) throws -> ([UInt8], [Planned], Int) {
        var seen = Set<String>()
        var planned: [Planned] = []
        for entry in entries {
            guard !entry.name.isEmpty, entry.name != "__metadata__" else {
                throw SafetensorsError.invalidTensor(name: entry.name, detail: "is not a name a safetensors tensor can have")
            }
            guard seen.insert(entry.name).inserted else { throw SafetensorsError.invalidTensor(name: entry.name, detail: "duplicate name") }
            guard let count = Shape.elementCount(entry.shape) else {
                throw SafetensorsError.invalidTensor(name: entry.name, detail: "shape \(entry.shape) cannot be stored (known dimensions only)")
            }
            let (length, overflow) = count.multipliedReportingOverflow(by: entry.dtype.byteSize)
            guard !overflow, length == entry.data.count else {
                throw SafetensorsError.invalidTensor(name: entry.name, detail: "holds \(entry.data.count) bytes; shape \(entry.shape) of \(entry.dtype) needs \(length)")
            }
            planned.append(Planned(entry: entry, dtype: SafetensorsDType(entry.dtype), byteLength: length, begin: 0))
        }
        planned.sort { a, b in
            a.dtype != b.dtype ? a.dtype > b.dtype : Array(a.entry.name.utf8).lexicographicallyPrecedes(Array(b.entry.name.utf8))
        }
        var offset = 0
        for i in planned.indices {
            planned[i].begin = offset
            offset += planned[i].byteLength
        }

        var json: [UInt8] = [UInt8(ascii: "{")]
        var first = true
        func separator() {
            if !first { json.append(UInt8(ascii: ",")) }
            first = false
        }
        if let metadata {
            separator()
            _appendJSONString("__metadata__", to: &json)
            json += Array(":{".utf8)
            for (i, key) in metadata.keys.sorted(by: { Array($0.utf8).lexicographicallyPrecedes(Array($1.utf8)) }).enumerated() {
                if i > 0 { json.append(UInt8(ascii: ",")) }
                _appendJSONString(key, to: &json)
                json.append(UInt8(ascii: ":"))
                _appendJSONString(metadata[key] ?? "", to: &json)
            }
            json.append(UInt8(ascii: "}"))
        }
        for item in planned {
            separator()
            _appendJSONString(item.entry.name, to: &json)
            json += Array(":{\"dtype\":".utf8)
            _appendJSONString(item.dtype.rawValue, to: &json)
            json += Array(",\"shape\":[\(item.entry.shape.map(String.init).joined(separator: ","))],".utf8)
            json += Array("\"data_offsets\":[\(item.begin),\(item.begin + item.byteLength)]}".utf8)
        }
        json.append(UInt8(ascii: "}"))
        json += [UInt8](repeating: UInt8(ascii: " "), count: (8 - json.count % 8) % 8)
        guard json.count <= SafetensorsHeader.maxHeaderSize else {
            throw SafetensorsError.unsupported(detail:
                "the header would be \(json.count) bytes, over the format's \(SafetensorsHeader.maxHeaderSize)-byte cap (the graph is too large to embed)")
        }
        var header: [UInt8] = []
        header.reserveCapacity(8 + json.count)
        withUnsafeBytes(of: UInt64(json.count).littleEndian) { header += $0 }
        header += json
        return (header, planned, offset)
    }
}
