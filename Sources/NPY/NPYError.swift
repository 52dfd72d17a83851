/// Everything that can go wrong reading or writing `.npy` data. Each case names the file
/// (or `<memory>` for bytes parsed in memory) and what is wrong with it.
public enum NPYError: Error, Equatable, Sendable, CustomStringConvertible {
    /// A system call failed: `operation` is what we tried ("open", "write", "rename" …).
    case io(path: String, operation: String, errno: Int32)
    /// The file does not start with `\x93NUMPY`.
    case notNPY(path: String)
    /// A format version other than 1.0, 2.0 or 3.0.
    case unsupportedVersion(path: String, major: UInt8, minor: UInt8)
    /// The file ends inside the preamble or the header.
    case truncatedHeader(path: String, needed: Int, available: Int)
    /// The header length field exceeds ``NPYHeader/maxHeaderLength``.
    case headerTooLarge(path: String, length: Int, limit: Int)
    /// The header is not the dictionary literal NumPy writes; `reason` says where it fails.
    case malformedHeader(path: String, reason: String)
    /// A `descr` this module does not handle (big-endian, structured, other kinds).
    case unsupportedDType(path: String, descr: String)
    /// `fortran_order` is `True`; only C order is supported.
    case fortranOrder(path: String)
    /// A shape entry is negative or too large.
    case invalidShape(path: String, shape: String, reason: String)
    /// Element count × item size does not fit in `Int`.
    case sizeOverflow(path: String, shape: [Int], dtype: NPYDType)
    /// Fewer data bytes than the header promises.
    case truncatedData(path: String, expected: Int, actual: Int)
    /// More data bytes than the header promises.
    case trailingData(path: String, expected: Int, actual: Int)
    /// An in-memory array whose byte count does not match its shape and dtype.
    case inconsistentArray(shape: [Int], dtype: NPYDType, byteCount: Int)
    /// Values of the wrong type or row shape handed to a writer.
    case dtypeMismatch(path: String, expected: NPYDType, actual: NPYDType)
    case rowShapeMismatch(path: String, expectedInner: [Int], actual: [Int])
    /// A buffer whose length is not a whole number of rows.
    case partialRow(path: String, rowElements: Int, count: Int)
    /// A raw byte buffer whose length is not a whole number of rows.
    case partialRowBytes(path: String, rowBytes: Int, count: Int)
    /// `append` or `finish` after `finish()` or `cancel()`.
    case writerClosed(path: String)
    /// A `.npz` archive that cannot be read or holds something other than `.npy` members.
    case badArchive(path: String, reason: String)

    public var description: String {
        switch self {
        case let .badArchive(path, reason):
            return "\(path): \(reason)"
        case let .io(path, operation, code):
            return "\(path): \(operation) failed: \(Self.errnoText(code))"
        case let .notNPY(path):
            return "\(path): not a .npy file (bad magic)"
        case let .unsupportedVersion(path, major, minor):
            return "\(path): unsupported .npy format version \(major).\(minor)"
        case let .truncatedHeader(path, needed, available):
            return "\(path): truncated .npy header (needs \(needed) bytes, file has \(available))"
        case let .headerTooLarge(path, length, limit):
            return "\(path): .npy header length \(length) exceeds the limit of \(limit) bytes"
        case let .malformedHeader(path, reason):
            return "\(path): malformed .npy header: \(reason)"
        case let .unsupportedDType(path, descr):
            return "\(path): unsupported dtype \(descr) (supported: "
                + NPYDType.allCases.map(\.descr).joined(separator: ", ") + ")"
        case let .fortranOrder(path):
            return "\(path): Fortran-ordered arrays are not supported (save with C order)"
        case let .invalidShape(path, shape, reason):
            return "\(path): invalid shape \(shape): \(reason)"
        case let .sizeOverflow(path, shape, dtype):
            return "\(path): shape \(shape) of \(dtype) is too large to address"
        case let .truncatedData(path, expected, actual):
            return "\(path): truncated data: expected \(expected) bytes, found \(actual)"
        case let .trailingData(path, expected, actual):
            return "\(path): \(actual - expected) trailing bytes after the \(expected) data bytes"
        case let .inconsistentArray(shape, dtype, byteCount):
            return "array of shape \(shape) and dtype \(dtype) cannot hold \(byteCount) bytes"
        case let .dtypeMismatch(path, expected, actual):
            return "\(path): expected \(expected) values, got \(actual)"
        case let .rowShapeMismatch(path, expectedInner, actual):
            return "\(path): rows of shape \(actual) do not match the inner shape \(expectedInner)"
        case let .partialRow(path, rowElements, count):
            return "\(path): \(count) values are not a whole number of \(rowElements)-element rows"
        case let .partialRowBytes(path, rowBytes, count):
            return "\(path): \(count) bytes are not a whole number of \(rowBytes)-byte rows"
        case let .writerClosed(path):
            return "\(path): writer is already finished or cancelled"
        }
    }

    private static func errnoText(_ code: Int32) -> String {
        guard let text = strerror(code) else { return "errno \(code)" }
        return String(cString: text)
    }
}

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
