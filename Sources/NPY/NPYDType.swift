/// The element types this module reads and writes, named by their NumPy `descr` strings.
///
/// Only little-endian multi-byte types are supported (what `np.save` writes on x86 and ARM);
/// a big-endian `descr` such as `>f4` is rejected with ``NPYError/unsupportedDType(path:descr:)``.
public enum NPYDType: String, Sendable, CaseIterable, CustomStringConvertible {
    /// `<f2`, NumPy `float16`.
    case float16 = "<f2"
    /// `<f4`, NumPy `float32`.
    case float32 = "<f4"
    /// `<f8`, NumPy `float64`.
    case float64 = "<f8"
    /// `|i1`, NumPy `int8`.
    case int8 = "|i1"
    /// `<i2`, NumPy `int16`.
    case int16 = "<i2"
    /// `<i4`, NumPy `int32`.
    case int32 = "<i4"
    /// `<i8`, NumPy `int64`.
    case int64 = "<i8"
    /// `|u1`, NumPy `uint8`.
    case uint8 = "|u1"
    /// `<u2`, NumPy `uint16`.
    case uint16 = "<u2"
    /// `<u4`, NumPy `uint32`.
    case uint32 = "<u4"
    /// `<u8`, NumPy `uint64`.
    case uint64 = "<u8"
    /// `|b1`, NumPy `bool`: one byte per element, 0 or 1.
    case bool = "|b1"

    /// The `descr` string NumPy writes for this type.
    public var descr: String { rawValue }

    /// Bytes per element.
    public var itemSize: Int {
        switch self {
        case .int8, .uint8, .bool: 1
        case .float16, .int16, .uint16: 2
        case .float32, .int32, .uint32: 4
        case .float64, .int64, .uint64: 8
        }
    }

    /// NumPy's name (`float32`, `int64`, …).
    public var name: String {
        switch self {
        case .float16: "float16"
        case .float32: "float32"
        case .float64: "float64"
        case .int8: "int8"
        case .int16: "int16"
        case .int32: "int32"
        case .int64: "int64"
        case .uint8: "uint8"
        case .uint16: "uint16"
        case .uint32: "uint32"
        case .uint64: "uint64"
        case .bool: "bool"
        }
    }

    public var description: String { rawValue }

    /// Maps a header `descr` to a type. Single-byte types accept any byte-order character
    /// (`|u1`, `<u1`, `>u1`, `=u1`, as NumPy does); multi-byte types must be little-endian
    /// (`<`, or `=` which means native and this module only runs on little-endian hosts).
    public init?(descr: String) {
        guard let order = descr.first, "<>|=".contains(order) else { return nil }
        let kind = descr.dropFirst()
        switch kind {
        case "u1": self = .uint8; return
        case "i1": self = .int8; return
        case "b1": self = .bool; return
        default: break
        }
        guard order == "<" || order == "=" else { return nil }
        switch kind {
        case "f2": self = .float16
        case "f4": self = .float32
        case "f8": self = .float64
        case "i2": self = .int16
        case "i4": self = .int32
        case "i8": self = .int64
        case "u2": self = .uint16
        case "u4": self = .uint32
        case "u8": self = .uint64
        default: return nil
        }
    }
}

#if _endian(big)
#error("NPY stores array data in host byte order and assumes a little-endian host")
#endif
