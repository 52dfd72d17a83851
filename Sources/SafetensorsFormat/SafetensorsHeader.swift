import ModelIR

/// One validated tensor entry of a safetensors header.
public struct SafetensorsTensorEntry: Sendable, Equatable {
    public var name: String
    public var dtype: SafetensorsDType
    public var shape: [Int]
    /// `data_offsets`: the bytes' range within the data buffer (after the header).
    public var dataOffsets: Range<Int>
    /// Offset of the first byte from the start of the file (8 + header length + begin).
    public var fileOffset: Int

    public var byteLength: Int { dataOffsets.count }
}

/// The parsed and fully validated header of a safetensors file.
///
/// Layout (the format's README): an 8-byte little-endian `UInt64` N, then N bytes of UTF-8 JSON
/// starting with `{` (possibly padded with trailing spaces), then the data buffer. The JSON maps
/// each tensor name to `{"dtype", "shape", "data_offsets": [begin, end)}`, offsets relative to
/// the buffer, plus an optional `__metadata__` map of strings to strings.
///
/// `parse` takes the whole file's bytes and trusts none of them, with the rules of the reference
/// implementation (`read_metadata` and `Metadata::validate` in `safetensors/src/tensor.rs`):
/// the header is at most 100,000,000 bytes and lies inside the file; it is UTF-8 JSON starting
/// with `{`; keys are unique (in the top-level object and in every entry); each dtype is one of
/// the format's names; every size is computed with overflow checks and equals
/// `elements × bits / 8`, with sub-byte tensors ending on a byte boundary; the offsets, sorted,
/// run contiguously from 0 with no hole or overlap; and the last one ends exactly at the end of
/// the file. Only then are views handed out.
///
/// Alignment: the format aligns nothing. Its reference writer pads the header to a multiple of 8
/// and stores tensors by descending element size, so in its files each tensor starts on a
/// multiple of its element size (and the mapping, page-aligned, keeps that); other writers (MLX
/// writes an unpadded header) can leave a float32 tensor at an odd address. `fileOffset` says
/// which; `SafetensorsFile` hands out views only where they are aligned to the element size.
public struct SafetensorsHeader: Sendable {
    /// The reference implementation's `MAX_HEADER_SIZE`.
    public static let maxHeaderSize = 100_000_000
    /// wtool's own bound on a tensor's rank (NumPy's `NPY_MAXDIMS`).
    public static let maxRank = 64

    /// N: bytes of JSON (and padding) after the 8-byte length.
    public var headerSize: Int
    /// The `__metadata__` map, when present.
    public var metadata: [String: String]?
    /// The tensors in `data_offsets` order.
    public var tensors: [SafetensorsTensorEntry]
    /// Tensor index by name.
    public var index: [String: Int]

    /// Offset of the data buffer from the start of the file.
    public var dataStart: Int { 8 + headerSize }

    /// Whether `head` (a file's first bytes, at least 9) starts like a safetensors file. The
    /// format has no magic number, so this is the rule the reference reader applies first: an
    /// 8-byte little-endian length no larger than the header cap, then `{`.
    public static func hasMagic(_ head: [UInt8]) -> Bool {
        guard head.count >= 9, head[8] == UInt8(ascii: "{") else { return false }
        let length = head[0..<8].reversed().reduce(UInt64(0)) { $0 << 8 | UInt64($1) }
        return length >= 2 && length <= UInt64(maxHeaderSize)
    }

    /// Parses and validates the header of `file` (the whole file's bytes).
    /// - Throws: `SafetensorsError` naming the first rule the bytes break.
    public static func parse(_ file: UnsafeRawBufferPointer) throws -> SafetensorsHeader {
        guard file.count >= 8 else {
            throw SafetensorsError.truncated(detail: "the file is \(file.count) bytes, shorter than the 8-byte header length")
        }
        let length = UInt64(littleEndian: file.loadUnaligned(as: UInt64.self))
        guard length <= UInt64(maxHeaderSize) else { throw SafetensorsError.headerTooLarge(size: length) }
        let headerSize = Int(length)
        guard headerSize <= file.count - 8 else {
            throw SafetensorsError.truncated(detail: "the header claims \(headerSize) bytes, the file has \(file.count - 8) after the length")
        }
        let json = UnsafeRawBufferPointer(rebasing: file[8..<(8 + headerSize)])
        guard String(validating: json, as: UTF8.self) != nil else {
            throw SafetensorsError.invalidHeader(detail: "the header is not valid UTF-8")
        }
        guard json.first == UInt8(ascii: "{") else {
            throw SafetensorsError.invalidHeader(detail: "the header does not start with '{'")
        }
        guard case .object(let members) = try _JSONParser.parse(json) else {
            throw SafetensorsError.invalidHeader(detail: "the header is not a JSON object")
        }

        var metadata: [String: String]?
        var entries: [SafetensorsTensorEntry] = []
        entries.reserveCapacity(members.count)
        let dataStart = 8 + headerSize
        let bufferSize = file.count - dataStart
        for (name, value) in members {
            if name == "__metadata__" {
                metadata = try parseMetadata(value)
                continue
            }
            entries.append(try parseEntry(name: name, value, dataStart: dataStart, bufferSize: bufferSize))
        }

        // Sorted by offsets, the ranges must tile the buffer exactly (`Metadata::validate`).
        entries.sort { ($0.dataOffsets.lowerBound, $0.dataOffsets.upperBound) < ($1.dataOffsets.lowerBound, $1.dataOffsets.upperBound) }
        var end = 0
        var previous: String?
        for entry in entries {
            let range = entry.dataOffsets
            if range.lowerBound != end {
                let what = range.lowerBound > end
                    ? "a hole of \(range.lowerBound - end) bytes before it (bytes \(end)..<\(range.lowerBound) belong to no tensor)"
                    : "its bytes \(range.lowerBound)..<\(range.upperBound) overlap tensor '\(previous ?? "")'"
                throw SafetensorsError.invalidTensor(name: entry.name, detail: "data_offsets are not contiguous: \(what)")
            }
            end = range.upperBound
            previous = entry.name
        }
        guard end == bufferSize else {
            throw SafetensorsError.incompleteBuffer(detail:
                "the tensors cover \(end) bytes of the \(bufferSize)-byte data buffer (\(bufferSize - end) trailing bytes belong to no tensor)")
        }
        var index: [String: Int] = [:]
        index.reserveCapacity(entries.count)
        for (i, entry) in entries.enumerated() { index[entry.name] = i }
        return SafetensorsHeader(headerSize: headerSize, metadata: metadata, tensors: entries, index: index)
    }

    private static func parseMetadata(_ value: _JSONValue) throws -> [String: String] {
        guard case .object(let pairs) = value else {
            throw SafetensorsError.invalidHeader(detail: "__metadata__ is \(value.kind), not an object of strings")
        }
        var map: [String: String] = [:]
        for (key, item) in pairs {
            guard case .string(let text) = item else {
                throw SafetensorsError.invalidHeader(detail: "__metadata__ '\(key)' is \(item.kind); the format allows only strings")
            }
            map[key] = text
        }
        return map
    }

    private static func parseEntry(name: String, _ value: _JSONValue, dataStart: Int, bufferSize: Int) throws -> SafetensorsTensorEntry {
        func fail(_ detail: String) -> SafetensorsError { .invalidTensor(name: name, detail: detail) }
        // wtool's graph names absent optional operands "", so no weight may be called that.
        guard !name.isEmpty else { throw fail("the empty name is not a tensor name wtool accepts") }
        guard case .object(let fields) = value else { throw fail("the entry is \(value.kind), not an object") }
        var dtypeName: String?, shapeValue: [_JSONValue]?, offsetsValue: [_JSONValue]?
        // Unknown fields are ignored, as the reference's serde derive ignores them.
        for (key, field) in fields {
            switch key {
            case "dtype":
                guard case .string(let s) = field else { throw fail("dtype is \(field.kind), not a string") }
                dtypeName = s
            case "shape":
                guard case .array(let a) = field else { throw fail("shape is \(field.kind), not an array") }
                shapeValue = a
            case "data_offsets":
                guard case .array(let a) = field else { throw fail("data_offsets is \(field.kind), not an array") }
                offsetsValue = a
            default:
                continue
            }
        }
        guard let dtypeName else { throw fail("no dtype") }
        guard let shapeValue else { throw fail("no shape") }
        guard let offsetsValue else { throw fail("no data_offsets") }
        guard let dtype = SafetensorsDType(rawValue: dtypeName) else {
            throw fail("unknown dtype '\(dtypeName)' (the format's are \(SafetensorsDType.allCases.map(\.rawValue).joined(separator: ", ")))")
        }
        guard shapeValue.count <= maxRank else { throw fail("rank \(shapeValue.count) is over wtool's limit of \(maxRank)") }
        var shape: [Int] = []
        var elements: UInt64 = 1
        for dim in shapeValue {
            guard let d = dim.unsignedInteger, d <= UInt64(Int.max) else {
                throw fail("shape must hold non-negative integers, found \(dim.kind)\(dim.number.map { " \($0)" } ?? "")")
            }
            let (product, overflow) = elements.multipliedReportingOverflow(by: d)
            guard !overflow else { throw fail("the element count of shape \(shapeValue.compactMap(\.number)) overflows") }
            elements = product
            shape.append(Int(d))
        }
        guard offsetsValue.count == 2, let begin = offsetsValue[0].unsignedInteger, let end = offsetsValue[1].unsignedInteger else {
            throw fail("data_offsets must be two non-negative integers [begin, end]")
        }
        guard begin <= end else { throw fail("data_offsets [\(begin), \(end)] end before they begin") }
        let (bits, overflow) = elements.multipliedReportingOverflow(by: UInt64(dtype.bitSize))
        guard !overflow else { throw fail("the byte length of \(elements) × \(dtype.rawValue) overflows") }
        guard bits % 8 == 0 else {
            throw fail("\(elements) elements of \(dtype.bitSize)-bit \(dtype.rawValue) do not end on a byte boundary")
        }
        guard end - begin == bits / 8 else {
            throw fail("data_offsets [\(begin), \(end)] hold \(end - begin) bytes; shape \(shape) of \(dtype.rawValue) needs \(bits / 8)")
        }
        guard end <= UInt64(bufferSize) else {
            throw fail("data_offsets [\(begin), \(end)] run past the \(bufferSize)-byte data buffer (truncated file?)")
        }
        return SafetensorsTensorEntry(name: name, dtype: dtype, shape: shape, dataOffsets: Int(begin)..<Int(end),
                                      fileOffset: dataStart + Int(begin))
    }
}

extension _JSONValue {
    fileprivate var number: String? {
        if case .number(let text) = self { return String(text) }
        return nil
    }
}
