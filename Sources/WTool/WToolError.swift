import FileSupport
import HDF5
import ImageIO
import KerasFormat
import ModelIR
import NPY
import Runtime
import SWMFormat
import SafetensorsFormat
import Verify

/// Errors at the façade, each one line that names the file: `<file>: <what is wrong>`.
public enum WToolError: Error, CustomStringConvertible {
    /// The file is missing, a directory, or cannot be read or written.
    case unreadable(path: String, detail: String)
    /// The bytes are no format wtool knows.
    case unknownFormat(path: String, detail: String)
    /// A known format with content that is wrong (bad header, bad config, weights that do not fit).
    case invalid(path: String, detail: String)
    /// Well formed, but something wtool cannot handle (a layer, an op, an option).
    case unsupported(path: String, detail: String)
    /// A request that does not fit the model or the options (no file involved).
    case usage(String)

    /// The one-line message: `<file>: <what is wrong>`.
    public var description: String {
        switch self {
        case let .unreadable(p, d), let .unknownFormat(p, d), let .invalid(p, d), let .unsupported(p, d): "\(p): \(d)"
        case .usage(let d): d
        }
    }

    /// `detail` without a leading `path: ` (an error about the very file it is wrapped for would
    /// otherwise name it twice: `out.npy: out.npy: write failed`).
    static func withoutPrefix(_ path: String, _ detail: String) -> String {
        detail.hasPrefix(path + ": ") ? String(detail.dropFirst(path.count + 2)) : detail
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
        case let e as SafetensorsError:
            switch e {
            case .io(_, let d): return .unreadable(path: path, detail: d)
            case .unsupported(let d): return .unsupported(path: path, detail: d)
            default: return .invalid(path: path, detail: e.description)
            }
        case let e as ModelIRError: return .invalid(path: path, detail: e.description)
        case let e as FileError: return .unreadable(path: e.path, detail: e.detail)
        // These name their own file (an image, a .npy) in their description.
        case let e as ImageIOError: return .invalid(path: path, detail: Self.withoutPrefix(path, e.description))
        case let e as NPYError: return .invalid(path: path, detail: Self.withoutPrefix(path, e.description))
        // A reference that does not fit names its own file; a missing output is a usage error.
        case VerifyError.shapeMismatch(let label, let expected, let actual):
            return .invalid(path: label, detail: "reference has shape \(expected), the model produced \(actual)")
        case VerifyError.outputNotComputed: return .usage(VerifyError.outputNotComputed.description)
        case let e as RuntimeError: return .unsupported(path: path, detail: e.description)
        default: return .invalid(path: path, detail: "\(error)")
        }
    }
}
