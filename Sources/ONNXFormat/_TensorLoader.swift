import FileSupport
import Foundation
import ModelIR
import ONNXProto

/// Turns `TensorProto`s into bytes: `raw_data`, the typed fields (`float_data`, `int32_data`,
/// `int64_data`, `double_data`) or external data, with every size checked before anything is read.
///
/// External data (`data_location = EXTERNAL`) is mapped, not read: a tensor that needs no
/// conversion is a zero-copy view into the mapped file. Its `location` must be a relative path that
/// stays inside the model's folder, also after symbolic links are resolved.
struct _TensorLoader {
    /// The folder external data is resolved against; nil when the model came as bytes (external
    /// data is then refused).
    let baseDirectory: String?
    /// Largest rank accepted: real models stay far below; a bigger one is a corrupt file.
    static let maximumRank = 16
    static let supportedTypes = "FLOAT, DOUBLE, FLOAT16, BFLOAT16, INT8/16/32/64, UINT8/16/32/64, BOOL"
    private var mapped: [String: MappedFile] = [:]

    init(baseDirectory: String?) {
        self.baseDirectory = baseDirectory
    }

    /// The tensor's elements, checked against its dims.
    /// - Parameter name: the tensor's name for messages (an initializer, a node's attribute).
    mutating func load(_ t: Onnx_TensorProto, name: String) throws -> Tensor {
        func fail(_ detail: String) -> ONNXError { .invalidTensor(name: name, detail: detail) }
        guard let dtype = _DataType.dtype(t.dataType) else {
            throw fail("element type \(_DataType.name(t.dataType)) is not supported (wtool holds \(Self.supportedTypes))")
        }
        if t.hasSegment { throw fail("segmented tensors are not supported") }
        guard t.dims.count <= Self.maximumRank else { throw fail("rank \(t.dims.count) is not plausible") }
        var dims: [Int] = []
        for d in t.dims {
            guard d >= 0, d < Int64(1) << 40 else { throw fail("dimension \(d) in \(t.dims) is out of range") }
            dims.append(Int(d))
        }
        guard let count = Shape.elementCount(dims) else { throw fail("dims \(dims) overflow") }
        let (byteCount, overflow) = count.multipliedReportingOverflow(by: dtype.byteSize)
        guard !overflow else { throw fail("dims \(dims) overflow") }

        let typedCounts = [("float_data", t.floatData.count), ("int32_data", t.int32Data.count), ("int64_data", t.int64Data.count),
                           ("double_data", t.doubleData.count), ("uint64_data", t.uint64Data.count), ("string_data", t.stringData.count)]
            .filter { $0.1 > 0 }
        let external = t.hasDataLocation && t.dataLocation == .external
        if external {
            guard !t.hasRawData, typedCounts.isEmpty else { throw fail("external data together with inline data") }
            let data = try loadExternal(t, name: name, byteCount: byteCount)
            return Tensor(dtype: dtype, shape: dims, data: data)
        }
        if !t.externalData.isEmpty { throw fail("external_data entries without data_location EXTERNAL") }
        if t.hasRawData {
            guard typedCounts.isEmpty else { throw fail("both raw_data and \(typedCounts[0].0)") }
            guard t.rawData.count == byteCount else {
                throw fail("raw_data holds \(t.rawData.count) bytes; \(dtype) \(dims) needs \(byteCount)")
            }
            // Bytes are little-endian in the file and on every platform wtool runs on.
            let data = t.rawData.withUnsafeBytes { TensorData(copying: $0) }
            return Tensor(dtype: dtype, shape: dims, data: data)
        }
        guard typedCounts.count <= 1 else { throw fail("data in both \(typedCounts[0].0) and \(typedCounts[1].0)") }
        let field = typedCounts.first?.0 ?? "(none)"
        let have = typedCounts.first?.1 ?? 0
        guard have == count else {
            throw fail(count > 0 && have == 0 ? "has no data (\(dtype) \(dims))" : "\(field) holds \(have) values; dims \(dims) need \(count)")
        }
        func expect(_ wanted: String) throws {
            guard count == 0 || field == wanted else { throw fail("\(dtype) data must be in \(wanted), not \(field)") }
        }
        let data: TensorData
        switch dtype {
        case .float32:
            try expect("float_data")
            data = TensorData(floats: t.floatData)
        case .float64:
            try expect("double_data")
            data = t.doubleData.withUnsafeBytes { TensorData(copying: $0) }
        case .int64:
            try expect("int64_data")
            data = t.int64Data.withUnsafeBytes { TensorData(copying: $0) }
        case .int32:
            try expect("int32_data")
            data = t.int32Data.withUnsafeBytes { TensorData(copying: $0) }
        case .uint64, .uint32:
            try expect("uint64_data")
            if dtype == .uint64 {
                data = t.uint64Data.withUnsafeBytes { TensorData(copying: $0) }
            } else {
                guard t.uint64Data.allSatisfy({ $0 <= UInt64(UInt32.max) }) else { throw fail("a UINT32 value is out of range") }
                data = t.uint64Data.map { UInt32($0) }.withUnsafeBytes { TensorData(copying: $0) }
            }
        case .float16, .bfloat16, .uint16, .int16:
            // int32_data carries the 16-bit patterns (or values), one per element.
            try expect("int32_data")
            let range: ClosedRange<Int32> = dtype == .int16 ? -32768...32767 : 0...0xffff
            guard t.int32Data.allSatisfy({ range.contains($0) }) else { throw fail("a 16-bit value in int32_data is out of range") }
            data = t.int32Data.map { UInt16(truncatingIfNeeded: $0) }.withUnsafeBytes { TensorData(copying: $0) }
        case .int8:
            try expect("int32_data")
            guard t.int32Data.allSatisfy({ (-128...127).contains($0) }) else { throw fail("an INT8 value is out of range") }
            data = t.int32Data.map { Int8($0) }.withUnsafeBytes { TensorData(copying: $0) }
        case .uint8, .bool:
            try expect("int32_data")
            let limit: Int32 = dtype == .bool ? 1 : 255
            guard t.int32Data.allSatisfy({ (0...limit).contains($0) }) else { throw fail("a \(dtype) value is out of range") }
            data = t.int32Data.map { UInt8($0) }.withUnsafeBytes { TensorData(copying: $0) }
        }
        return Tensor(dtype: dtype, shape: dims, data: data)
    }

    private mutating func loadExternal(_ t: Onnx_TensorProto, name: String, byteCount: Int) throws -> TensorData {
        var entries: [String: String] = [:]
        for e in t.externalData {
            guard ["location", "offset", "length", "checksum", "basepath"].contains(e.key) else {
                throw ONNXError.invalidTensor(name: name, detail: "unknown external_data key '\(e.key)'")
            }
            guard entries[e.key] == nil else { throw ONNXError.invalidTensor(name: name, detail: "external_data key '\(e.key)' given twice") }
            entries[e.key] = e.value
        }
        guard let location = entries["location"], !location.isEmpty else {
            throw ONNXError.invalidTensor(name: name, detail: "external data without a location")
        }
        func fail(_ detail: String) -> ONNXError { .externalData(tensor: name, location: location, detail: detail) }
        guard entries["basepath"] == nil else { throw fail("'basepath' is not supported") }
        func number(_ key: String) throws -> Int? {
            guard let text = entries[key] else { return nil }
            guard !text.isEmpty, text.utf8.allSatisfy({ (48...57).contains($0) }), let v = Int(text) else {
                throw fail("\(key) '\(text)' is not a non-negative integer")
            }
            return v
        }
        let offset = try number("offset") ?? 0
        if let length = try number("length"), length != byteCount {
            throw fail("length \(length) does not match the \(byteCount) bytes the tensor's dims need")
        }
        let path = try resolve(location, fail: fail)
        let file: MappedFile
        if let f = mapped[path] {
            file = f
        } else {
            do { file = try MappedFile(path: path) } catch let e as FileError { throw fail(e.detail) }
            mapped[path] = file
        }
        let (end, overflow) = offset.addingReportingOverflow(byteCount)
        guard !overflow, end <= file.bytes.count else {
            throw fail("bytes \(offset)..<\(overflow ? Int.max : end) are outside the \(file.bytes.count)-byte file")
        }
        guard byteCount > 0, let base = file.bytes.baseAddress else { return TensorData(copying: [UInt8]()) }
        return TensorData(view: UnsafeRawBufferPointer(start: base + offset, count: byteCount), owner: file)
    }

    /// The real path of `location` under the base directory; throws when it is absolute or leaves it.
    private func resolve(_ location: String, fail: (String) -> ONNXError) throws -> String {
        guard let base = baseDirectory else { throw fail("external data needs the model's file path (the model was given as bytes)") }
        guard !location.hasPrefix("/"), !location.hasPrefix("\\"), !location.contains("\0"),
              !(location.count >= 2 && location.dropFirst().first == ":")
        else { throw fail("absolute paths are not allowed") }
        // Lexically: no component may climb above the model's folder.
        var depth = 0
        for component in location.split(separator: "/", omittingEmptySubsequences: true) {
            if component == ".." { depth -= 1 } else if component != "." { depth += 1 }
            guard depth >= 0 else { throw fail("the path leaves the model's folder") }
        }
        guard let realBase = Self.realPath(base) else { throw fail("cannot resolve the model's folder") }
        let joined = (base as NSString).appendingPathComponent(location)
        guard let real = Self.realPath(joined) else { throw fail("no such file") }
        // And after symbolic links are followed.
        guard real.hasPrefix(realBase.hasSuffix("/") ? realBase : realBase + "/") else {
            throw fail("the path leaves the model's folder (through a symbolic link)")
        }
        return real
    }

    static func realPath(_ path: String) -> String? {
        guard let p = realpath(path, nil) else { return nil }
        defer { free(p) }
        return String(cString: p)
    }
}
