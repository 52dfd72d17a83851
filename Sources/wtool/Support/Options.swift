import ArgumentParser
import Foundation
import WTool

/// Options that pick a built-in architecture for files that hold weights but no graph.
struct ArchitectureOptions: ParsableArguments {
    @Option(name: .long, help: "Built-in architecture for weights-only files (\(LoadOptions.architectureNames.joined(separator: ", "))).")
    var arch: String?

    @Option(name: .long, help: "For weights-only files of other models: a Keras model config JSON (model.to_json()).")
    var config: String?

    @Option(name: .long, help: "Input shape H,W,C for --arch (default: keras.applications', 224,224,3, or 299,299,3 for inception_v3 and xception).")
    var inputShape: String?

    @Flag(name: .long, help: "With --arch: include the classifier top (keras.applications' include_top=True).")
    var includeTop = false

    @Option(name: .long, help: "With --arch and no top: global pooling, avg or max.")
    var pooling: String?

    @Option(name: .long, help: "With --arch --include-top: number of classes (default 1000).")
    var classes: Int = 1000

    @Option(name: .long, help: "With --arch mobilenet or mobilenet_v2: the width multiplier alpha (default 1.0; Keras's are 0.25, 0.5, 0.75, 1.0, and 0.35, 1.3, 1.4 for mobilenet_v2).")
    var alpha: Double?

    @Option(name: .long, help: "Refuse graphs of more nodes than this (default 100000; hostile files declare millions).")
    var maxNodes: Int?

    @Flag(name: .long, help: "With --arch: the model keras.applications builds for weights=\"imagenet\" (efficientnet_b0 then corrects its normalization as Keras's official weight files need).")
    var imagenet = false

    @Option(name: .long, help: ArgumentHelp(
        "Whose convolution kernels a Keras file holds: theano (true convolution: kernels flipped) or tensorflow.",
        discussion: "Default: the file's own backend attribute; a Keras 1 file records none, so dim_ordering=\"th\" layers are read as Theano's and \"tf\" layers as TensorFlow's, the pairing Keras 1's keras.applications weight files used (*_th_dim_ordering_th_kernels.h5)."))
    var convKernels: String?

    func validate() throws {
        if arch != nil, config != nil { throw ValidationError("--arch and --config are alternatives; pass one") }
        if arch == nil, inputShape != nil || includeTop || pooling != nil || alpha != nil || imagenet {
            throw ValidationError("--input-shape, --include-top, --pooling, --alpha and --imagenet go with --arch")
        }
        if let alpha, !(alpha > 0 && alpha.isFinite) { throw ValidationError("--alpha must be a positive number") }
        if let inputShape, parsedShape(inputShape) == nil {
            throw ValidationError("--input-shape must be H,W,C, e.g. 150,150,3")
        }
        if let pooling, !["avg", "max"].contains(pooling) { throw ValidationError("--pooling must be avg or max") }
        if let maxNodes, maxNodes <= 0 { throw ValidationError("--max-nodes must be positive") }
        if let convKernels, KernelConvention(rawValue: convKernels) == nil {
            throw ValidationError("--conv-kernels must be theano or tensorflow")
        }
    }

    private func parsedShape(_ text: String) -> [Int]? {
        let parts = text.split(separator: ",").map { Int($0.trimmingCharacters(in: .whitespaces)) }
        guard parts.count == 3, parts.allSatisfy({ ($0 ?? 0) > 0 }) else { return nil }
        return parts.compactMap { $0 }
    }

    /// Load options for these flags plus an optional cut.
    /// Also applies `--max-nodes` to this process (and, through the import arguments, its child).
    func loadOptions(until: String?, isolation: IsolatedImporter? = nil) throws -> LoadOptions {
        if let maxNodes { LoadOptions.setMaxNodes(maxNodes) }
        var options = LoadOptions(architecture: try spec(), configPath: config, until: until, isolation: isolation)
        options.kernelConvention = convKernels.flatMap(KernelConvention.init(rawValue:))
        return options
    }

    func spec() throws -> ApplicationSpec? {
        guard let arch else { return nil }
        do {
            return try LoadOptions.architecture(named: arch, inputShape: inputShape.flatMap(parsedShape), includeTop: includeTop,
                                                pooling: pooling, classes: classes, alpha: alpha ?? 1, imagenet: imagenet)
        } catch WToolError.usage(let message) {
            throw ValidationError(message)
        }
    }
}

/// `--until LAYER`.
struct CutOptions: ParsableArguments {
    @Option(name: .long, help: "Keep the graph only up to this layer (e.g. block4_pool).")
    var until: String?
}

/// How the CPU runtime runs a model: `--conv`, `--threads`.
struct RuntimeOptions: ParsableArguments {
    @Option(name: .long, help: ArgumentHelp(
        "Convolutions: auto (per layer: Winograd F(4x4,3x3)/F(2x2,3x3) where a cost model says it is cheaper, oneDNN for the rest), onednn (oneDNN everywhere), im2col (im2col + SGEMM and direct depthwise loops: no reordered or transformed weights in memory), winograd-2x2 or winograd-4x4.",
        valueName: "algorithm"))
    var conv: ConvolutionAlgorithm = .auto

    @Option(name: .long, help: ArgumentHelp(
        "normal, or low: convolutions without transformed or reordered weight copies (im2col and direct loops; also chosen when a cgroup memory limit is under 5x the weights + 256 MiB).",
        valueName: "preference"))
    var memory: MemoryPreference = .normal

    @Option(name: .long, help: "Threads for the maths (default: one per core).")
    var threads: Int?

    @Option(name: .long, help: ArgumentHelp(
        "Directory that keeps Winograd-transformed and oneDNN-reordered kernels between runs, so the next load maps them instead of transforming; 'none' to transform every time. Default: $WTOOL_KERNEL_CACHE, else $XDG_CACHE_HOME/wtool/kernels, else ~/.cache/wtool/kernels (at most 4 GiB, least recently used removed first).",
        valueName: "dir"))
    var kernelCache: String?

    func validate() throws {
        if let threads, threads <= 0 { throw ValidationError("--threads must be positive") }
        if let kernelCache, kernelCache.isEmpty { throw ValidationError("--kernel-cache needs a directory or 'none'") }
    }

    var executorOptions: ExecutorOptions {
        var options = ExecutorOptions(threads: threads, convolution: conv, kernelCache: kernelCacheDirectory)
        options.memory = memory
        return options
    }

    /// The kernel cache directory this invocation uses, or nil for none.
    var kernelCacheDirectory: URL? {
        ExecutorOptions.kernelCacheDirectory(option: kernelCache, environment: ProcessInfo.processInfo.environment)
    }
}

extension ConvolutionAlgorithm: ExpressibleByArgument {}
extension MemoryPreference: ExpressibleByArgument {}

/// Whether HDF5 files are parsed in an isolated child process (the default).
struct IsolationOptions: ParsableArguments {
    @Flag(name: .long, help: "Parse HDF5 in this process instead of an isolated child (a few ms faster; only for files you trust).")
    var noIsolation = false

    @Option(name: .long, help: ArgumentHelp("Seconds the isolated reader may take.", visibility: .hidden))
    var importTimeLimit: Double = 120

    /// The importer for this invocation, or nil with --no-isolation.
    var importer: IsolatedImporter? {
        guard !noIsolation else { return nil }
        let executable = URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath()
        return IsolatedImporter(executable: executable, timeLimit: importTimeLimit)
    }
}
