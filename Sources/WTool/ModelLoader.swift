import FileSupport
import Foundation
import KerasFormat
import ModelIR
import ONNXFormat
import SWMFormat
import SafetensorsFormat

/// Whose convolution kernels a Keras file holds (Theano's are flipped against TensorFlow's).
public typealias KernelConvention = KerasKernelConvention

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
    /// Whose convolution kernels a Keras file holds (`--conv-kernels`); nil: as the file says.
    public var kernelConvention: KernelConvention?

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
            if a.imagenet { args.append("--imagenet") }
        }
        if let configPath { args += ["--config", configPath] }
        if let until { args += ["--until", until] }
        if let kernelConvention { args += ["--conv-kernels", kernelConvention.rawValue] }
        let limits = ResourceLimits.current
        if limits.maxNodes != ResourceLimits().maxNodes { args += ["--max-nodes", String(limits.maxNodes)] }
        return args
    }

    /// Sets the largest graph every reader in this process accepts (`--max-nodes`; default
    /// 100,000). See `ResourceLimits`.
    public static func setMaxNodes(_ count: Int) {
        var limits = ResourceLimits.current
        limits.maxNodes = count
        ResourceLimits.current = limits
    }

    /// The built-in architectures' names (`vgg16`, `resnet50`, …), for `--arch`.
    public static var architectureNames: [String] { Applications.names }

    /// A built-in architecture with keras.applications' arguments.
    /// - Throws: ``WToolError/usage(_:)`` with Keras's own objection (an input too small, an
    ///   option the architecture does not take).
    public static func architecture(named name: String, inputShape: [Int]?, includeTop: Bool, pooling: String?,
                                    classes: Int, alpha: Double, imagenet: Bool = false) throws -> ApplicationSpec {
        do {
            return try ApplicationSpec(name: name, inputShape: inputShape, includeTop: includeTop, pooling: pooling,
                                       classes: classes, alpha: alpha, imagenet: imagenet)
        } catch let error as KerasError {
            throw WToolError.usage(error.description)
        }
    }
}

/// Reads any supported model file into a validated `Graph`.
///
/// Each input is opened once: the descriptor that reads the magic bytes is the one the reader
/// maps (`ModelFormat.detect(file:)`), and the reader's graph, already validated, is not
/// validated again.
public enum ModelLoader {
    /// Reads `path`. A `.swm` is mapped (weights are zero-copy views); Keras files are parsed; ONNX
    /// files are parsed in this process (pure Swift protobuf, no C parser to isolate; size-capped at
    /// protobuf's 2 GiB, external data mapped from the model's folder only).
    /// - Throws: `WToolError` naming the file.
    public static func load(path: String, options: LoadOptions = LoadOptions()) throws -> (graph: Graph, format: ModelFormat) {
        let file = try open(path)
        let format = try ModelFormat.detect(file: file)
        return (try read(file, format: format, options: options).graph, format)
    }

    /// Loads `path` and makes something of its graph; what `make` throws names the file too.
    static func build<T>(_ path: String, options: LoadOptions, _ make: (Graph) throws -> T) throws -> T {
        let graph = try load(path: path, options: options).graph
        do {
            return try make(graph)
        } catch {
            throw WToolError.wrap(error, path: path)
        }
    }

    /// Opens a model file through FileSupport's safe open.
    /// - Throws: `WToolError.unreadable` in plain words ("no such file", "is a directory, …").
    static func open(_ path: String) throws -> RegularFile {
        do {
            return try RegularFile(path: path)
        } catch let error as FileError {
            throw WToolError.unreadable(path: path, detail: ModelFormat.describe(error))
        }
    }

    /// Reads an open file of a detected format, cut when the options say so.
    /// - Parameter verifyingChecksums: for a `.swm`, recompute every tensor's CRC-32 on the same
    ///   mapping before the graph is read (converting reads every tensor anyway: a damaged file is
    ///   refused instead of written out again under fresh, matching checksums).
    /// - Returns: the graph, and whether it is exactly what a reader validated (no cut since).
    static func read(_ file: RegularFile, format: ModelFormat, options: LoadOptions,
                     verifyingChecksums: Bool = false) throws -> (graph: Graph, validated: Bool) {
        let path = file.path
        var graph: Graph
        do {
            switch format {
            case .swm:
                let swm = try SWMFile(file: file)
                if verifyingChecksums { try ModelCheck.verifyChecksums(of: swm, path: path) }
                graph = try swm.graph()
            case .keras(let container):
                if let isolation = options.isolation {
                    // The child applies --until itself; the graph comes from the parent's validation
                    // of what the child wrote.
                    return (try isolation.importGraph(input: path, arguments: options.importArguments), true)
                }
                var keras = KerasReadOptions(architecture: options.architecture, kernelConvention: options.kernelConvention)
                if let configPath = options.configPath { keras.configJSON = try readConfig(configPath) }
                graph = try KerasReader.read(file: file, container: container, options: keras)
            case .onnx:
                graph = try ONNXReader.read(file: file)
            case .safetensors:
                graph = try readSafetensors(file, options: options)
            }
            if let until = options.until { graph = try graph.cut(after: until) }
        } catch {
            throw WToolError.wrap(error, path: path)
        }
        return (graph, options.until == nil)
    }

    /// A safetensors file's model: the graph wtool embedded, or, with `--arch`/`--config` (which
    /// win over an embedded graph), the tensors bound by name to that architecture. Parsed in
    /// this process: the reader is Swift, validating every byte before any view exists.
    private static func readSafetensors(_ file: RegularFile, options: LoadOptions) throws -> Graph {
        let safetensors = try SafetensorsFile(file: file)
        guard options.architecture != nil || options.configPath != nil else { return try safetensors.graph() }
        var keras = KerasReadOptions(architecture: options.architecture)
        if let configPath = options.configPath { keras.configJSON = try readConfig(configPath) }
        let graph = try KerasReader.bind(namedWeights: try safetensors.weights(), options: keras, sourceFormat: "safetensors",
                                         label: "a weights-only safetensors file")
        Diagnostics.note("validate", path: file.path)
        return graph
    }

    /// A Keras config JSON (`--config`).
    static func readConfig(_ path: String) throws -> Data {
        guard let bytes = try? RegularFile(path: path).readAll() else {
            throw WToolError.unreadable(path: path, detail: "cannot read the config file")
        }
        return Data(bytes)
    }
}
