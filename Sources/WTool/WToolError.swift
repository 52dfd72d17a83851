import FileSupport
import HDF5
import ImageIO
import KerasFormat
import ModelIR
import NPY
import Runtime
import SWMFormat

/// Errors at the façade, each one line that names the file: `<file>: <what is wrong>`.
public enum WToolError: Error, CustomStringConvertible {
    case unreadable(path: String, detail: String)
    case unknownFormat(path: String, detail: String)
    case invalid(path: String, detail: String)
    case unsupported(path: String, detail: String)
    case usage(String)

    public var description: String {
        switch self {
        case let .unreadable(p, d), let .unknownFormat(p, d), let .invalid(p, d), let .unsupported(p, d): "\(p): \(d)"
        case .usage(let d): d
        }
    }

    /// Turns any module's error into a one-line `WToolError` naming `path`.
    public static func wrap(_ error: Error, path: String) -> WToolError {
        switch error {
        case let e as WToolError: return e
        case let e as KerasError: return .invalid(path: path, detail: e.description)
        case let e as HDF5Error: return .invalid(path: path, detail: "HDF5: \(e.description)")
        case let e as SWMError:
            if case .io(_, let d) = e { return .unreadable(path: path, detail: d) }
            return .invalid(path: path, detail: e.description)
        case let e as ModelIRError: return .invalid(path: path, detail: e.description)
        case let e as AtomicOutput.Failure: return .unreadable(path: e.path, detail: e.detail)
        // These name their own file (an image, a .npy) in their description.
        case let e as ImageIOError: return .invalid(path: path, detail: e.description)
        case let e as NPYError: return .invalid(path: path, detail: e.description)
        case let e as RuntimeError: return .unsupported(path: path, detail: e.description)
        default: return .invalid(path: path, detail: "\(error)")
        }
    }
}
