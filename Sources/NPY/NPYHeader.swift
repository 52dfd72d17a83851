/// A `.npy` format version (1.0, 2.0 or 3.0).
///
/// 1.0 stores the header length in 2 bytes, 2.0 and 3.0 in 4; 3.0 allows UTF-8 in the header.
public struct NPYVersion: Hashable, Sendable, CustomStringConvertible {
    public var major: UInt8
    public var minor: UInt8

    public init(major: UInt8, minor: UInt8) {
        self.major = major
        self.minor = minor
    }

    public static let v1 = NPYVersion(major: 1, minor: 0)
    public static let v2 = NPYVersion(major: 2, minor: 0)
    public static let v3 = NPYVersion(major: 3, minor: 0)

    public var description: String { "\(major).\(minor)" }

    /// Bytes of the little-endian header-length field that follows the 8-byte magic + version.
    var lengthFieldSize: Int { major == 1 ? 2 : 4 }
}

/// The parsed preamble and header of a `.npy` file: everything before the array data.
///
/// Layout (NumPy's `numpy.lib.format`): the 6-byte magic `\x93NUMPY`, major and minor version
/// bytes, a little-endian header length (`UInt16` for 1.0, `UInt32` for 2.0/3.0), then that many
/// bytes of a Python dict literal padded with spaces and a final `\n` so the data starts on a
/// 64-byte boundary. The data follows in C order with no trailer.
public struct NPYHeader: Equatable, Sendable {
    public var dtype: NPYDType
    /// Dimensions in C (row-major) order; `[]` for a 0-d array.
    public var shape: [Int]
    /// The version read from a file, or the one ``encoded(version:)`` picks by default.
    public var version: NPYVersion
    /// Offset of the first data byte (preamble + header length).
    public var dataOffset: Int
    /// Element count × item size, checked for overflow.
    public var dataByteCount: Int

    /// NumPy refuses headers longer than this without `allow_pickle`; so do we.
    public static let maxHeaderLength = 10_000
    /// NumPy's `NPY_MAXDIMS`.
    public static let maxDimensions = 64

    static let magic: [UInt8] = [0x93, 0x4E, 0x55, 0x4D, 0x50, 0x59]  // "\x93NUMPY"
    /// `ARRAY_ALIGN` in NumPy: the data offset is a multiple of this.
    static let alignment = 64
    /// `GROWTH_AXIS_MAX_DIGITS` in NumPy: spaces reserved so the first dimension can grow in place.
    static let growthDigits = 21

    /// Builds a header for `shape` and `dtype`, checking the sizes.
    /// - Throws: ``NPYError/invalidShape(path:shape:reason:)`` or ``NPYError/sizeOverflow(path:shape:dtype:)``.
    public init(dtype: NPYDType, shape: [Int]) throws {
        guard shape.count <= Self.maxDimensions else {
            throw NPYError.invalidShape(
                path: "<memory>", shape: "\(shape)", reason: "more than \(Self.maxDimensions) dimensions")
        }
        self.dtype = dtype
        self.shape = shape
        self.dataByteCount = try Self.byteCount(shape: shape, dtype: dtype, path: "<memory>")
        let encoded = Self.encode(dtype: dtype, shape: shape, version: nil)
        self.version = encoded.version
        self.dataOffset = encoded.bytes.count
    }

    private init(dtype: NPYDType, shape: [Int], version: NPYVersion, dataOffset: Int, dataByteCount: Int) {
        self.dtype = dtype
        self.shape = shape
        self.version = version
        self.dataOffset = dataOffset
        self.dataByteCount = dataByteCount
    }

    /// Number of elements (1 for a 0-d array).
    public var elementCount: Int { dataByteCount / dtype.itemSize }

    // MARK: Parsing

    /// Parses and validates the preamble and header at the start of `bytes`.
    ///
    /// Only the header is validated here; whether the data that follows has the right length is
    /// up to the caller (``NPYArray/init(npyBytes:path:)`` requires an exact match).
    /// - Parameters:
    ///   - bytes: the file's bytes (at least the preamble and header).
    ///   - path: the file name used in errors.
    /// - Throws: ``NPYError`` naming the first problem found.
    public static func parse(_ bytes: UnsafeRawBufferPointer, path: String = "<memory>") throws -> NPYHeader {
        let prefixCount = min(bytes.count, magic.count)
        guard bytes.prefix(prefixCount).elementsEqual(magic.prefix(prefixCount)) else {
            throw NPYError.notNPY(path: path)
        }
        guard bytes.count >= 10 else {
            throw NPYError.truncatedHeader(path: path, needed: 10, available: bytes.count)
        }
        let version = NPYVersion(major: bytes[6], minor: bytes[7])
        guard version == .v1 || version == .v2 || version == .v3 else {
            throw NPYError.unsupportedVersion(path: path, major: version.major, minor: version.minor)
        }
        let preamble = 8 + version.lengthFieldSize
        guard bytes.count >= preamble else {
            throw NPYError.truncatedHeader(path: path, needed: preamble, available: bytes.count)
        }
        var headerLength = 0
        for i in 0..<version.lengthFieldSize {
            headerLength |= Int(bytes[8 + i]) << (8 * i)
        }
        guard headerLength <= maxHeaderLength else {
            throw NPYError.headerTooLarge(path: path, length: headerLength, limit: maxHeaderLength)
        }
        let dataOffset = preamble + headerLength
        guard bytes.count >= dataOffset else {
            throw NPYError.truncatedHeader(path: path, needed: dataOffset, available: bytes.count)
        }
        let text = Array(bytes[preamble..<dataOffset])
        // 1.0 and 2.0 headers are latin-1, 3.0 is UTF-8; NumPy's own dicts are ASCII in both, and
        // anything else could only be a structured dtype's field name, which we reject anyway.
        if let offset = text.firstIndex(where: { $0 >= 0x80 || ($0 < 0x20 && $0 != 0x0A && $0 != 0x0D && $0 != 0x09) }) {
            throw NPYError.malformedHeader(path: path, reason: "non-ASCII or control byte at offset \(offset)")
        }
        var parser = _HeaderDictParser(text)
        let entries: [(key: String, value: _HeaderValue)]
        do {
            entries = try parser.parse()
        } catch {
            throw NPYError.malformedHeader(path: path, reason: error.reason)
        }
        var values: [String: _HeaderValue] = [:]
        for entry in entries {
            guard values.updateValue(entry.value, forKey: entry.key) == nil else {
                throw NPYError.malformedHeader(path: path, reason: "duplicate key '\(entry.key)'")
            }
        }
        let expectedKeys: Set = ["descr", "fortran_order", "shape"]
        guard Set(values.keys) == expectedKeys else {
            let found = values.keys.sorted().map { "'\($0)'" }.joined(separator: ", ")
            throw NPYError.malformedHeader(
                path: path, reason: "expected keys 'descr', 'fortran_order', 'shape'; found [\(found)]")
        }

        let dtype: NPYDType
        switch values["descr"] {
        case .string(let descr)?:
            guard let known = NPYDType(descr: descr) else {
                throw NPYError.unsupportedDType(path: path, descr: descr)
            }
            dtype = known
        case .list(let text)?:
            throw NPYError.unsupportedDType(path: path, descr: text)
        default:
            throw NPYError.malformedHeader(path: path, reason: "'descr' is not a string")
        }

        switch values["fortran_order"] {
        case .bool(false)?: break
        case .bool(true)?: throw NPYError.fortranOrder(path: path)
        default: throw NPYError.malformedHeader(path: path, reason: "'fortran_order' is not True or False")
        }

        guard case .tuple(let entriesText)? = values["shape"] else {
            throw NPYError.malformedHeader(path: path, reason: "'shape' is not a tuple")
        }
        let shapeText = "(" + entriesText.joined(separator: ", ") + (entriesText.count == 1 ? ",)" : ")")
        guard entriesText.count <= maxDimensions else {
            throw NPYError.invalidShape(
                path: path, shape: shapeText, reason: "more than \(maxDimensions) dimensions")
        }
        var shape: [Int] = []
        shape.reserveCapacity(entriesText.count)
        for entry in entriesText {
            if entry.hasPrefix("-") {
                throw NPYError.invalidShape(path: path, shape: shapeText, reason: "dimension \(entry) is negative")
            }
            guard let dimension = Int(entry) else {
                throw NPYError.invalidShape(path: path, shape: shapeText, reason: "dimension \(entry) is too large")
            }
            shape.append(dimension)
        }
        let byteCount = try byteCount(shape: shape, dtype: dtype, path: path)
        return NPYHeader(dtype: dtype, shape: shape, version: version, dataOffset: dataOffset, dataByteCount: byteCount)
    }

    /// Element count × item size with overflow checks.
    static func byteCount(shape: [Int], dtype: NPYDType, path: String) throws -> Int {
        var count = 1
        for dimension in shape {
            guard dimension >= 0 else {
                throw NPYError.invalidShape(path: path, shape: "\(shape)", reason: "dimension \(dimension) is negative")
            }
            let (product, overflow) = count.multipliedReportingOverflow(by: dimension)
            guard !overflow else { throw NPYError.sizeOverflow(path: path, shape: shape, dtype: dtype) }
            count = product
        }
        let (bytes, overflow) = count.multipliedReportingOverflow(by: dtype.itemSize)
        guard !overflow else { throw NPYError.sizeOverflow(path: path, shape: shape, dtype: dtype) }
        return bytes
    }

    // MARK: Encoding

    /// The exact preamble and header bytes `np.save` writes for this dtype and shape.
    ///
    /// Like NumPy, the dict is followed by spaces reserving room for the first dimension to grow
    /// to 21 digits (so a streaming writer can rewrite it in place), then padded with spaces and
    /// a `\n` to a multiple of 64 bytes.
    /// - Parameter version: `nil` picks 1.0 when the header fits in it (always, for the dtypes
    ///   here) and 2.0 otherwise, as NumPy does; 3.0 is never needed for these dtypes.
    public func encoded(version: NPYVersion? = nil) -> [UInt8] {
        Self.encode(dtype: dtype, shape: shape, version: version).bytes
    }

    static func encode(dtype: NPYDType, shape: [Int], version: NPYVersion?) -> (bytes: [UInt8], version: NPYVersion) {
        let shapeText: String
        switch shape.count {
        case 0: shapeText = "()"
        case 1: shapeText = "(\(shape[0]),)"
        default: shapeText = "(" + shape.map(String.init).joined(separator: ", ") + ")"
        }
        var dict = "{'descr': '\(dtype.descr)', 'fortran_order': False, 'shape': \(shapeText), }"
        if let first = shape.first {
            dict += String(repeating: " ", count: max(0, growthDigits - String(first).utf8.count))
        }
        let text = Array(dict.utf8)
        func wrap(_ version: NPYVersion) -> [UInt8]? {
            let lengthWithNewline = text.count + 1
            let padding = alignment - ((8 + version.lengthFieldSize + lengthWithNewline) % alignment)
            let headerLength = lengthWithNewline + padding
            if version == .v1, headerLength > Int(UInt16.max) { return nil }
            var bytes = magic + [version.major, version.minor]
            for i in 0..<version.lengthFieldSize {
                bytes.append(UInt8(truncatingIfNeeded: headerLength >> (8 * i)))
            }
            bytes += text
            bytes += repeatElement(0x20, count: padding)
            bytes.append(0x0A)
            return bytes
        }
        if let version, let bytes = wrap(version) { return (bytes, version) }
        if let bytes = wrap(.v1) { return (bytes, .v1) }
        // Cannot fail: a 4-byte length holds any header our 64 dimensions can produce.
        return (wrap(.v2) ?? [], .v2)
    }
}
