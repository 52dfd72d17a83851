#if canImport(Glibc)
import Glibc
#endif

/// Why a file could not be opened, read, mapped or written. Each case keeps what a caller needs to
/// translate it into its own module's error (the system call and `errno`, or the kind of file), and
/// `detail` is the one-line text wtool shows when nobody translates it.
public enum FileError: Error, Equatable, CustomStringConvertible {
    /// A system call on the file failed.
    case system(path: String, operation: Operation, errno: Int32)
    /// The path names something other than a regular file (a directory, FIFO, socket or device),
    /// which wtool never opens as data.
    case notRegularFile(path: String, isDirectory: Bool)
    /// The file is larger than the caller accepts.
    case tooLarge(path: String, size: Int, limit: Int)
    /// An output would replace an existing file and overwriting was not asked for.
    case exists(path: String)

    /// The system call that failed.
    public enum Operation: String, Sendable {
        case open, stat, read, mmap, create, write, fsync, close, rename, lock
    }

    /// The file the error is about.
    public var path: String {
        switch self {
        case let .system(path, _, _), let .notRegularFile(path, _), let .tooLarge(path, _, _), let .exists(path): path
        }
    }

    /// What is wrong, without the path.
    public var detail: String {
        switch self {
        case let .system(_, operation, code):
            let reason = String(cString: strerror(code))
            return switch operation {
            case .open, .stat, .read: reason
            case .create: "cannot create a file here: \(reason)"
            case .lock where code == EWOULDBLOCK: "another process is writing this file"
            case .mmap, .write, .fsync, .close, .rename, .lock: "\(operation.rawValue) failed: \(reason)"
            }
        case .notRegularFile: return "not a regular file"
        case let .tooLarge(_, size, limit): return "the file is \(size) bytes, over the \(limit)-byte limit"
        case .exists: return "already exists (use --force to overwrite)"
        }
    }

    /// `<path>: <detail>`.
    public var description: String { "\(path): \(detail)" }
}
