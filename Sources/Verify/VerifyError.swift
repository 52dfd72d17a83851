/// Why a verification could not compare a model with its references.
public enum VerifyError: Error, Equatable, CustomStringConvertible {
    /// The model's output (or a layer's) and its reference differ in shape, beyond a leading
    /// batch axis of 1. `label` names the reference file.
    case shapeMismatch(label: String, expected: [Int], actual: [Int])
    /// The model did not produce the output value that was asked for.
    case outputNotComputed

    /// One line: `<reference>: <what is wrong>` for a reference, plain for the model.
    public var description: String {
        switch self {
        case let .shapeMismatch(label, expected, actual): "\(label): reference has shape \(expected), the model produced \(actual)"
        case .outputNotComputed: "the model output was not computed"
        }
    }
}
