/// Why a `.swm` file was refused or could not be written. Descriptions are one line; the CLI
/// prefixes the file name.
public enum SWMError: Error, Equatable, CustomStringConvertible {
    case io(path: String, detail: String)
    case notSWM
    case unsupportedVersion(major: Int, minor: Int)
    case bigEndian
    case truncated(detail: String)
    case corruptHeader(detail: String)
    case invalidTensor(name: String, detail: String)
    case invalidGraph(detail: String)
    case unsupported(detail: String)

    public var description: String {
        switch self {
        case let .io(path, detail): "\(path): \(detail)"
        case .notSWM: "not a .swm file (bad magic bytes)"
        case let .unsupportedVersion(major, minor): ".swm format version \(major).\(minor) is not supported (this wtool reads 1.x)"
        case .bigEndian: "big-endian .swm files are not supported"
        case .truncated(let d): "truncated .swm file: \(d)"
        case .corruptHeader(let d): "corrupt .swm header: \(d)"
        case let .invalidTensor(name, d): "corrupt .swm tensor '\(name)': \(d)"
        case .invalidGraph(let d): "corrupt .swm graph: \(d)"
        case .unsupported(let d): d
        }
    }
}
