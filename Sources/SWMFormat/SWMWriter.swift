import FileSupport
import Foundation
import ModelIR

/// Writes a `Graph` as a `.swm` file (schemas/swm.md): deterministic bytes, tensors 64-byte
/// aligned in a page-aligned data section, durable and atomic (temporary file, fsync, rename).
public struct SWMWriter: Sendable {
    /// Storage type for float32 weights (`.float16` or `.bfloat16` halve the file); nil keeps them.
    public var floatStorage: DType?

    public init(floatStorage: DType? = nil) {
        self.floatStorage = floatStorage
    }

    private struct Planned {
        var name: String
        var weight: Weight
        var storedType: DType
        var offset: Int
    }

    /// Writes `graph` to `path`.
    /// - Parameters:
    ///   - overwrite: replace an existing file; otherwise an existing file is an error.
    ///   - progress: called with (bytes written, total bytes) as tensors are written.
    /// - Throws: `ModelIRError` for an invalid graph, `FileError` for I/O.
    public func write(_ graph: Graph, to path: String, overwrite: Bool = false,
                      progress: ((Int, Int) -> Void)? = nil) throws {
        try checkFloatStorage()
        try graph.validate()
        Diagnostics.note("validate", path: path)
        try write(validated: graph, to: path, overwrite: overwrite, progress: progress)
    }

    /// Writes a graph its caller has just validated (a reader's result, unchanged), so a
    /// conversion validates each graph once. Package scope: only wtool's own pipelines vouch.
    package func write(validated graph: Graph, to path: String, overwrite: Bool = false,
                       progress: ((Int, Int) -> Void)? = nil) throws {
        try checkFloatStorage()
        var planned: [Planned] = []
        var dataSize = 0
        for name in graph.orderedWeightNames {
            guard let weight = graph.weights[name] else { continue }
            let stored = (weight.info.dtype == .float32 ? floatStorage : nil) ?? weight.info.dtype
            dataSize = (dataSize + SWMLayout.tensorAlignment - 1) / SWMLayout.tensorAlignment * SWMLayout.tensorAlignment
            planned.append(Planned(name: name, weight: weight, storedType: stored, offset: dataSize))
            dataSize += (weight.info.elementCount ?? 0) * stored.byteSize
        }

        let output = try AtomicOutput(destination: path, overwrite: overwrite)
        let json = try encodedGraph(graph, planned: planned)
        var headerSize = try buildHeader(json: json, planned: planned, crcs: Array(repeating: 0, count: planned.count), dataSize: dataSize).count
        let dataOffset = (headerSize + SWMLayout.pageSize - 1) / SWMLayout.pageSize * SWMLayout.pageSize
        try output.writeZeros(dataOffset)

        // Checksums of tensors stored as they are run on the other core while this one writes;
        // this one joins in when its writes are done.
        let inPlace = planned.indices.filter { planned[$0].storedType == planned[$0].weight.info.dtype }
        let checksums = ParallelCRC32(ranges: inPlace.map { planned[$0].weight.data.bytes })
        let group = DispatchGroup()
        DispatchQueue.global(qos: .userInitiated).async(group: group) { checksums.work() }
        // The pieces are views into the caller's tensors (often a mapped input file, unmapped as
        // soon as its graph goes): no checksum may still be running when this function returns,
        // by a throw (a full disk) as much as by the end.
        defer {
            checksums.cancel()
            group.wait()
        }
        var crcs = [UInt32](repeating: 0, count: planned.count)
        var written = 0
        for (i, item) in planned.enumerated() {
            try output.writeZeros(item.offset - written)
            written = item.offset
            if item.storedType == item.weight.info.dtype {
                try output.write(item.weight.data.bytes)
                written += item.weight.data.count
            } else {
                let floats = item.weight.data.floatArray(as: item.weight.info.dtype)
                var converted = [UInt8](repeating: 0, count: floats.count * item.storedType.byteSize)
                floats.withUnsafeBufferPointer { src in
                    converted.withUnsafeMutableBytes { DTypeConversion.fromFloat32(src, to: item.storedType, into: $0) }
                }
                crcs[i] = converted.withUnsafeBytes { swmCRC32($0) }
                try output.write(converted)
                written += converted.count
            }
            progress?(written, dataSize)
        }
        checksums.work()
        group.wait()
        for (i, crc) in zip(inPlace, checksums.checksums()) { crcs[i] = crc }
        try output.writeZeros(dataSize - written)
        let header = try buildHeader(json: json, planned: planned, crcs: crcs, dataSize: dataSize, dataOffset: dataOffset)
        headerSize = header.count
        try output.write(header, at: 0)
        try output.commit()
    }

    private func checkFloatStorage() throws {
        if let floatStorage, ![.float32, .float16, .bfloat16].contains(floatStorage) {
            throw SWMError.unsupported(detail: "float weights can be stored as f32, f16 or bf16, not \(floatStorage)")
        }
    }

    /// The graph section's JSON: the graph with each weight's stored type. Encoded once per
    /// write (ResNet50's takes ~4 ms); both header builds use it.
    private func encodedGraph(_ graph: Graph, planned: [Planned]) throws -> [UInt8] {
        var storedGraph = graph
        for item in planned where item.storedType != item.weight.info.dtype {
            storedGraph.weights[item.name]?.info.dtype = item.storedType
        }
        return try GraphDocument(graph: storedGraph).encoded()
    }

    private func buildHeader(json: [UInt8], planned: [Planned], crcs: [UInt32], dataSize: Int, dataOffset: Int = 0) throws -> [UInt8] {
        var table: [UInt8] = []
        var dims: [UInt8] = []
        var strings: [UInt8] = []
        var dimsCount = 0
        for (item, crc) in zip(planned, crcs) {
            let nameBytes = Array(item.name.utf8)
            guard !nameBytes.isEmpty, nameBytes.count <= SWMLayout.maxNameLength else {
                throw SWMError.invalidTensor(name: item.name, detail: "name must be 1 to \(SWMLayout.maxNameLength) bytes")
            }
            let shape = item.weight.info.shape
            guard shape.count <= SWMLayout.maxRank, shape.allSatisfy({ $0 >= 0 }) else {
                throw SWMError.invalidTensor(name: item.name, detail: "shape \(shape) cannot be stored (rank ≤ 8, known dims)")
            }
            table.appendLE(UInt64(item.offset))
            table.appendLE(UInt64((item.weight.info.elementCount ?? 0) * item.storedType.byteSize))
            table.appendLE(UInt32(strings.count))
            table.appendLE(UInt32(nameBytes.count))
            table.appendLE(UInt32(dimsCount))
            table.append(UInt8(shape.count))
            table.append(item.storedType.rawValue)
            table.append(item.weight.info.layout.rawValue)
            table.append(item.weight.trainable ? 1 : 0)
            table.appendLE(crc)
            table.appendLE(UInt32(0))
            table.appendLE(UInt64(0))
            for d in shape { dims.appendLE(UInt64(d)) }
            dimsCount += shape.count
            strings += nameBytes
        }
        var graphJSON: [UInt8] = []
        graphJSON.appendLE(json.withUnsafeBytes { swmCRC32($0) })
        graphJSON += json
        let indexed = table + dims + strings
        let body = indexed + graphJSON
        let headerSize = SWMLayout.fixedHeaderSize + body.count
        guard headerSize <= SWMLayout.maxHeaderSize else {
            throw SWMError.unsupported(detail: "the model's header would be \(headerSize) bytes, over the \(SWMLayout.maxHeaderSize)-byte cap")
        }
        var fixed: [UInt8] = SWMLayout.magic
        fixed.appendLE(SWMLayout.majorVersion)
        fixed.appendLE(SWMLayout.minorVersion)
        fixed.appendLE(SWMLayout.byteOrderMark)
        fixed.appendLE(UInt64(headerSize))
        fixed.appendLE(UInt64(dataOffset))
        fixed.appendLE(UInt64(dataSize))
        fixed.appendLE(UInt32(planned.count))
        fixed.appendLE(UInt32(dimsCount))
        fixed.appendLE(UInt32(strings.count))
        fixed.appendLE(UInt32(graphJSON.count))
        fixed.appendLE(indexed.withUnsafeBytes { swmCRC32($0) })
        fixed.appendLE(fixed.withUnsafeBytes { swmCRC32($0) })
        return fixed + body
    }
}
