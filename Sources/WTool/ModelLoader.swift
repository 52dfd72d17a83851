import Foundation
import KerasFormat
import ModelIR
import ONNXFormat
import SWMFormat

/// How to read a model file.
public struct LoadOptions: Sendable {
    /// Built-in architecture for weights-only Keras files.
    public var architecture: ApplicationSpec?
    /// Path of a Keras model config JSON (`model.to_json()`) for weights-only files.
    public var configPath: String?
    /// Cut the graph after this layer (`--until`).
    public var until: String?
    /// When set, HDF5-based files are parsed in a child process (see `IsolatedImporter`).
    public var isolation: IsolatedImporter?

    /// Options for `ModelLoader.load`; the defaults read a full model in this process.
    public init(architecture: ApplicationSpec? = nil, configPath: String? = nil, until: String? = nil,
                isolation: IsolatedImporter? = nil) {
        self.architecture = architecture
        self.configPath = configPath
        self.isolation = isolation
        self.until = until
    }
}

extension LoadOptions {
    /// These options as `_import` command-line arguments, for the isolated child.
    public var importArguments: [String] {
        var args: [String] = []
        if let a = architecture {
            args += ["--arch", a.architecture.rawValue, "--input-shape", a.inputShape.map(String.init).joined(separator: ",")]
            if a.includeTop { args += ["--include-top", "--classes", String(a.classes)] }
            if let p = a.pooling { args += ["--pooling", p] }
            if a.alpha != 1 { args += ["--alpha", String(a.alpha)] }
        }
        if let configPath { args += ["--config", configPath] }
        if let until { args += ["--until", until] }
        return args
    }
}

/// Reads any supported model file into a validated `Graph`.
public enum ModelLoader {
    /// Reads `path`. A `.swm` is mapped (weights are zero-copy views); Keras files are parsed; ONNX
    /// files are parsed in this process (pure Swift protobuf, no C parser to isolate; size-capped at
    /// protobuf's 2 GiB, external data mapped from the model's folder only).
    /// - Throws: `WToolError` naming the file.
    public static func load(path: String, options: LoadOptions = LoadOptions()) throws -> (graph: Graph, format: ModelFormat) {
        let format = try ModelFormat.detect(path: path)
        var graph: Graph
        do {
            switch format {
            case .swm:
                graph = try SWMFile(path: path).graph()
            case .keras:
                if let isolation = options.isolation {
                    return (try isolation.importGraph(input: path, arguments: options.importArguments), format)
                }
                var keras = KerasReadOptions(architecture: options.architecture)
                if let configPath = options.configPath {
                    guard let data = FileManager.default.contents(atPath: configPath) else {
                        throw WToolError.unreadable(path: configPath, detail: "cannot read the config file")
                    }
                    keras.configJSON = data
                }
                graph = try KerasReader.read(path: path, options: keras)
            case .onnx:
                graph = try ONNXReader.read(path: path)
            }
            if let until = options.until { graph = try graph.cut(after: until) }
        } catch {
            throw WToolError.wrap(error, path: path)
        }
        return (graph, format)
    }
}
