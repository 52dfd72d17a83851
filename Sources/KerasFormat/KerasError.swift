/// Why a Keras file could not be read. One line each; the CLI prefixes the file name.
public enum KerasError: Error, Equatable, CustomStringConvertible {
    case notKeras(String)
    case badConfig(String)
    case unsupportedLayer(name: String, className: String)
    case unsupportedOption(layer: String, detail: String)
    case weights(layer: String, detail: String)
    case needsArchitecture(flavour: String)
    case unknownArchitecture(String)
    case badArchitectureOptions(String)

    public var description: String {
        switch self {
        case .notKeras(let d): d
        case .badConfig(let d): "bad model config: \(d)"
        case let .unsupportedLayer(name, cls): "layer '\(name)' has class \(cls), which wtool does not support yet"
        case let .unsupportedOption(layer, d): "layer '\(layer)': \(d)"
        case let .weights(layer, d): "weights of layer '\(layer)': \(d)"
        case .needsArchitecture(let flavour):
            "\(flavour) holds weights but no architecture; pass --arch NAME --input-shape H,W,C (architectures: \(Applications.names.joined(separator: ", "))) or --config model.json"
        case .unknownArchitecture(let n): "unknown architecture '\(n)' (known: \(Applications.names.joined(separator: ", ")))"
        case .badArchitectureOptions(let d): d
        }
    }
}
