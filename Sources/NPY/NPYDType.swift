/// The element types this module reads and writes, named by their NumPy `descr` strings.
///
/// Only little-endian multi-byte types are supported (what `np.save` writes on x86 and ARM);
/// a big-endian `descr` such as `>f4` is rejected with ``NPYError/unsupportedDType(path:descr:)``.
public enum NPYDType: String, Sendable, CaseIterable, CustomStringConvertible {
    /// `<f4`, NumPy `float32`.
    case float32 = "<f4"
    /// `<f8`, NumPy `float64`.
    case float64 = "<f8"
    /// `<i4`, NumPy `int32`.
    case int32 = "<i4"
    /// `<i8`, NumPy `int64`.
    case int64 = "<i8"
    /// `|u1`, NumPy `uint8`.
    case uint8 = "|u1"
    /// `|b1`, NumPy `bool`: one byte per element, 0 or 1.
    case bool = "|b1"

    /// The `descr` string NumPy writes for this type.
    public var descr: String { rawValue }

    /// Bytes per element.
    public var itemSize: Int {
        switch self {
        case .float32, .int32: 4
        case .float64, .int64: 8
        case .uint8, .bool: 1
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
        case "b1": self = .bool; return
        default: break
        }
        guard order == "<" || order == "=" else { return nil }
        switch kind {
        case "f4": self = .float32
        case "f8": self = .float64
        case "i4": self = .int32
        case "i8": self = .int64
        default: return nil
        }
    }
}

#if _endian(big)
#error("NPY stores array data in host byte order and assumes a little-endian host")
#endif
