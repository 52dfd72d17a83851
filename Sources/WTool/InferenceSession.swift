import Foundation
import ImageIO
import ModelIR
import Runtime

/// How images become a model's input: the Keras `load_img` + `preprocess_input` steps.
public struct ImageInputOptions: Sendable {
    /// Target (height, width); nil uses the model's input size.
    public var size: (height: Int, width: Int)?
    /// Resampling used to reach `size` (`nearest`, Keras's `load_img` default, or `bilinear`).
    public var resize: ResizeMethod
    /// `preprocess_input` mode and optional `rescale`, applied after resizing.
    public var preprocessing: Preprocessing

    /// Options with Keras's defaults: the model's size, nearest resizing, no preprocessing.
    public init(size: (height: Int, width: Int)? = nil, resize: ResizeMethod = .nearest, preprocessing: Preprocessing = Preprocessing()) {
        self.size = size
        self.resize = resize
        self.preprocessing = preprocessing
    }

    /// The preprocessing a user asked for, else the one the model's metadata names (VGG → caffe),
    /// else none. `rescale` ("1/255") and `mode` may be combined as ImageDataGenerator allows.
    public static func preprocessing(mode: String?, rescale: String?, graph: Graph) throws -> Preprocessing {
        let factor = try rescale.map { try Preprocessing.parseRescale($0) }
        let name = mode ?? (factor == nil ? graph.metadata.preprocessing : nil) ?? "none"
        guard let parsed = PreprocessMode(rawValue: name) else {
            throw WToolError.usage("unknown preprocessing mode '\(name)' (use caffe, tf, torch or none)")
        }
        return Preprocessing(mode: parsed, rescale: factor)
    }
}

/// Image preparation as a user asks for it (`--size`, `--resize`, `--preprocess`, `--rescale`);
/// what is left unset comes from the model (its input size, the preprocessing its metadata names).
public struct ImageInputRequest: Sendable {
    /// Target (height, width); nil uses the model's input size.
    public var size: (height: Int, width: Int)?
    /// Resampling used to reach the size.
    public var resize: ResizeMethod
    /// `preprocess_input` mode name (`caffe`, `tf`, `torch`, `none`); nil uses the model's.
    public var preprocess: String?
    /// `rescale` factor as text (`1/255`); nil for none.
    public var rescale: String?

    /// A request; every field defaults to "what the model says" (nearest resizing).
    public init(size: (height: Int, width: Int)? = nil, resize: ResizeMethod = .nearest, preprocess: String? = nil,
                rescale: String? = nil) {
        self.size = size
        self.resize = resize
        self.preprocess = preprocess
        self.rescale = rescale
    }

    /// The options this request means for `graph`.
    /// - Throws: ``WToolError/usage(_:)`` for an unknown preprocessing mode or rescale.
    public func options(for graph: Graph) throws -> ImageInputOptions {
        ImageInputOptions(size: size, resize: resize,
                          preprocessing: try ImageInputOptions.preprocessing(mode: preprocess, rescale: rescale, graph: graph))
    }
}

extension Preprocessing {
    /// A short label for reports: the mode, and the rescale factor when there is one
    /// (`caffe`, `none, rescale 0.003921569`).
    public var label: String {
        let base = mode.rawValue
        return rescale.map { "\(base), rescale \($0)" } ?? base
    }
}

/// A model ready to run: its graph and a prepared executor (kernels repacked once).
public final class InferenceSession {
    /// The graph being run.
    public let graph: Graph
    /// The prepared runtime (BatchNormalization folded, kernels repacked).
    public let executor: Executor

    /// Prepares `graph` for running.
    ///
    /// - Throws: the runtime's error for an op it cannot run, naming the node.
    /// - Parameters:
    ///   - options: the executor's options (convolution algorithm, threads); the defaults suit
    ///     most uses.
    public init(graph: Graph, options: ExecutorOptions = ExecutorOptions()) throws {
        self.graph = graph
        self.executor = try Executor(graph: graph, options: options)
    }

    /// The single NHWC input of a conv base, or a usage error.
    public var imageInput: TensorInfo {
        get throws {
            guard graph.inputs.count == 1, let input = graph.inputs.first, input.shape.count == 4, input.shape[3] == 3 else {
                throw WToolError.usage("the model does not take one RGB image input (inputs: \(graph.inputs.map { "\($0.name) \($0.shape)" }))")
            }
            return input
        }
    }

    /// The largest image side wtool resizes to (the bound `--size` accepts too): a model file
    /// that declares a bigger input gets an error, not a multi-terabyte allocation.
    public static let maxImageSide = 16384

    /// The (height, width) images are resized to.
    public func imageSize(_ options: ImageInputOptions) throws -> (height: Int, width: Int) {
        if let size = options.size { return size }
        let shape = try imageInput.shape
        guard shape[1] > 0, shape[2] > 0 else {
            throw WToolError.usage("the model accepts any image size; pass --size H,W")
        }
        guard shape[1] <= Self.maxImageSide, shape[2] <= Self.maxImageSide else {
            throw WToolError.usage("the model's input is \(shape[1])x\(shape[2]) pixels, over the \(Self.maxImageSide)x\(Self.maxImageSide) wtool runs; pass --size H,W")
        }
        return (shape[1], shape[2])
    }

    /// Decodes, resizes and preprocesses images into one NHWC batch.
    public func loadBatch(_ urls: [URL], options: ImageInputOptions) throws -> Tensor {
        let size = try imageSize(options)
        let images = try urls.map { try ImageLoader.load(url: $0, size: size, resize: options.resize) }
        let data = try options.preprocessing.batch(images)
        return Tensor(shape: [urls.count, size.height, size.width, 3], floats: data)
    }

    /// Prepares a session for images of the model at `path`, as `wtool run`, `verify` and
    /// `features` do: loads the model, prepares the runtime, resolves `request` against the model
    /// and checks the image size, so every model-dependent objection names the file.
    /// - Returns: the session and the resolved image options.
    /// - Throws: ``WToolError`` naming `path`.
    public static func prepare(model path: String, options: LoadOptions, runtime: ExecutorOptions,
                               images request: ImageInputRequest) throws -> (session: InferenceSession, input: ImageInputOptions) {
        let graph = try ModelLoader.load(path: path, options: options).graph
        let session: InferenceSession
        do {
            session = try InferenceSession(graph: graph, options: runtime)
        } catch {
            throw WToolError.wrap(error, path: path)
        }
        let input = try aboutModel(path) { try request.options(for: graph) }
        _ = try aboutModel(path) { try session.imageSize(input) }
        return (session, input)
    }

    /// Runs `body`, whose usage errors are about the model (its input, its image size): they are
    /// reported as `<model>: <what>`, naming the file like every other error about it.
    static func aboutModel<T>(_ path: String, _ body: () throws -> T) throws -> T {
        do {
            return try body()
        } catch WToolError.usage(let detail) {
            throw WToolError.unsupported(path: path, detail: detail)
        }
    }

    /// Runs one batch through the graph.
    public func run(_ batch: Tensor) throws -> Tensor {
        try executor.run(input: batch)
    }

    /// Runs the graph and returns the named values too (per-layer comparison). Names may be
    /// layer names; they are mapped to the value each layer produces.
    public func run(_ batch: Tensor, layers: [String]) throws -> [String: Tensor] {
        var valueFor: [String: String] = [:]
        for layer in layers {
            guard let node = graph.node(named: layer) else { throw WToolError.usage("no layer named '\(layer)'") }
            valueFor[layer] = node.outputs[0]
        }
        let input = try imageInput.name
        let values = try executor.run(inputs: [input: batch], outputs: Array(Set(valueFor.values)))
        return valueFor.compactMapValues { values[$0] }
    }
}
