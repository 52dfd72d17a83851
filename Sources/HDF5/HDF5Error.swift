import CHDF5
import CHDF5Loader

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
    try HDF5Library.initialize()
    let result = body()
    if result < 0 {
        throw HDF5Error(operation: operation, detail: HDF5Library.lastErrorMessage(), path: path)
    }
    return result
}

/// Loading libhdf5 (dlopen, on first use: CHDF5Loader) and the process-wide settings applied once
/// before the first call.
public enum HDF5Library {
    private static let initialized: Result<Void, HDF5Error> = {
        var message = [CChar](repeating: 0, count: 512)
        guard chdf5_load(&message, message.count) == 0 else {
            return .failure(HDF5Error(operation: "loading libhdf5", detail: string(message)))
        }
        // No clean-up at exit: after a failed write (a full disk) libhdf5's atexit handler
        // flushes the half-written file again and crashes (1.10.8, a NULL dereference), turning a
        // clean one-line error into SIGSEGV. wtool closes what it writes itself; an output that
        // failed is discarded anyway. Must precede every other HDF5 call.
        H5dont_atexit()
        chdf5_silence_errors()
        _ = chdf5_disable_plugins()
        return .success(())
    }()

    /// Loads libhdf5, silences its stderr error printing, disables filter plugins and its clean-up
    /// at exit. Idempotent.
    /// - Throws: `HDF5Error` when libhdf5 (of the version wtool was built against) cannot be loaded.
    public static func initialize() throws {
        try initialized.get()
    }

    /// The file libhdf5 was loaded from; nil until a call needed it.
    public static var loadedPath: String? {
        let path = String(cString: chdf5_loaded_path())
        return path.isEmpty ? nil : path
    }

    static func lastErrorMessage() -> String {
        var buffer = [CChar](repeating: 0, count: 512)
        chdf5_last_error(&buffer, buffer.count)
        return string(buffer)
    }

    /// The NUL-terminated text a C function wrote into `buffer` (invalid UTF-8 repaired).
    private static func string(_ buffer: [CChar]) -> String {
        String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    /// The loaded library's version, e.g. `1.10.8`; loads it, and says why when it cannot.
    public static var version: String {
        do { try initialize() } catch { return "unavailable (\(error))" }
        var major: UInt32 = 0, minor: UInt32 = 0, release: UInt32 = 0
        H5get_libversion(&major, &minor, &release)
        return "\(major).\(minor).\(release)"
    }
}
