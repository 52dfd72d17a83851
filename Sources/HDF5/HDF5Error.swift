import CHDF5

/// A failed libhdf5 call, with the operation and the innermost message of HDF5's error stack.
public struct HDF5Error: Error, CustomStringConvertible, Equatable {
    public var operation: String
    public var detail: String
    /// The object path inside the file, when known.
    public var path: String?

    public init(operation: String, detail: String, path: String? = nil) {
        self.operation = operation
        self.detail = detail
        self.path = path
    }

    public var description: String {
        let at = path.map { " at '\($0)'" } ?? ""
        return detail.isEmpty ? "\(operation) failed\(at)" : "\(operation) failed\(at): \(detail)"
    }
}

/// The one funnel every libhdf5 call goes through: a negative return becomes an `HDF5Error` that
/// names the operation and carries HDF5's error stack (whose own printing is silenced).
@discardableResult
func h5call<T: BinaryInteger>(_ operation: String, path: String? = nil, _ body: () -> T) throws -> T {
    HDF5Library.initialize()
    let result = body()
    if result < 0 {
        throw HDF5Error(operation: operation, detail: HDF5Library.lastErrorMessage(), path: path)
    }
    return result
}

/// Process-wide libhdf5 settings applied once before the first call.
public enum HDF5Library {
    private static let initialized: Bool = {
        // No clean-up at exit: after a failed write (a full disk) libhdf5's atexit handler
        // flushes the half-written file again and crashes (1.10.8, a NULL dereference), turning a
        // clean one-line error into SIGSEGV. wtool closes what it writes itself; an output that
        // failed is discarded anyway. Must precede every other HDF5 call.
        H5dont_atexit()
        chdf5_silence_errors()
        _ = chdf5_disable_plugins()
        return true
    }()

    /// Silences libhdf5's stderr error printing, disables filter plugins and its clean-up at exit.
    /// Idempotent.
    public static func initialize() {
        _ = initialized
    }

    static func lastErrorMessage() -> String {
        var buffer = [CChar](repeating: 0, count: 512)
        chdf5_last_error(&buffer, buffer.count)
        return String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    /// The linked library's version, e.g. `1.10.8`.
    public static var version: String {
        var major: UInt32 = 0, minor: UInt32 = 0, release: UInt32 = 0
        H5get_libversion(&major, &minor, &release)
        return "\(major).\(minor).\(release)"
    }
}
