import FileSupport
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
        self.executor = try Executor(graph: graph, options: Self.fitted(options, graph: graph, limit: MemoryLimit.cgroupBytes()))
    }

    /// `options` with ``MemoryPreference/low`` when a cgroup memory `limit` is tight for the
    /// model: below 5× its weights (the mapped weights plus transformed copies of up to 4×, F(4×4)
    /// Winograd's) + 256 MiB for activations and the process.
    public static func fitted(_ options: ExecutorOptions, graph: Graph, limit: Int?) -> ExecutorOptions {
        guard options.memory == .normal, let limit else { return options }
        let weights = graph.weights.values.reduce(0) { $0 + $1.data.count }
        var fitted = options
        if limit < weights * 5 + (256 << 20) { fitted.memory = .low }
        return fitted
    }

    /// How images feed the model: its single rank-4 input with 1, 3 or 4 channels, channels last
    /// (Keras, NHWC) or first (ONNX, NCHW).
    public struct ImageInput: Sendable {
        /// The graph input.
        public var info: TensorInfo
        /// Whether the input is NCHW (the channel axis right after the batch axis).
        public var channelsFirst: Bool
        /// Greyscale, RGB or RGBA, from the channel count (Keras's `color_mode`).
        public var mode: ColorMode

        /// The declared (height, width); -1 where the model takes any size.
        public var declaredSize: (height: Int, width: Int) {
            channelsFirst ? (info.shape[2], info.shape[3]) : (info.shape[1], info.shape[2])
        }
    }

    /// The model's image input, or a usage error saying why it takes no images.
    public var imageInput: ImageInput {
        get throws {
            func refuse(_ why: String) -> WToolError {
                .usage("the model does not take images (\(why)); give its inputs as tensors with --input NAME=FILE.npy")
            }
            guard graph.inputs.count == 1, let input = graph.inputs.first else {
                throw refuse("it has \(graph.inputs.count) inputs: \(graph.inputs.map { "\($0.name) \(Shape.kerasString($0.shape))" }.joined(separator: ", "))")
            }
            let shape = input.shape
            guard shape.count == 4, input.dtype.isFloatingPoint else {
                throw refuse("input '\(input.name)' is \(input.dtype) \(Shape.kerasString(shape)), not a batch of images")
            }
            let last = ColorMode(channels: shape[3]), second = ColorMode(channels: shape[1])
            // A trailing axis of 1, 3 or 4 is channels-last, unless the model says NCHW and the
            // second axis fits too.
            if let mode = last, !(input.layout == .nchw && second != nil) {
                return ImageInput(info: input, channelsFirst: false, mode: mode)
            }
            if let mode = second {
                return ImageInput(info: input, channelsFirst: true, mode: mode)
            }
            throw refuse("input '\(input.name)' \(Shape.kerasString(shape)) has no axis of 1, 3 or 4 channels")
        }
    }

    /// The largest image side wtool resizes to (the bound `--size` accepts too): a model file
    /// that declares a bigger input gets an error, not a multi-terabyte allocation.
    public static let maxImageSide = 16384

    /// The (height, width) images are resized to.
    public func imageSize(_ options: ImageInputOptions) throws -> (height: Int, width: Int) {
        if let size = options.size { return size }
        let (height, width) = try imageInput.declaredSize
        guard height > 0, width > 0 else {
            throw WToolError.usage("the model accepts any image size; pass --size H,W")
        }
        guard height <= Self.maxImageSide, width <= Self.maxImageSide else {
            throw WToolError.usage("the model's input is \(height)x\(width) pixels, over the \(Self.maxImageSide)x\(Self.maxImageSide) wtool runs; pass --size H,W")
        }
        return (height, width)
    }

    /// Decodes, resizes and preprocesses images into one batch in the model's layout (Keras's
    /// `load_img(color_mode=…)` + `img_to_array` + preprocessing; NCHW for a channels-first model).
    public func loadBatch(_ urls: [URL], options: ImageInputOptions) throws -> Tensor {
        let input = try imageInput
        let size = try imageSize(options)
        let images = try urls.map { try ImageLoader.load(url: $0, size: size, resize: options.resize, mode: input.mode) }
        return try batch(images, options: options)
    }

    /// Already decoded images (all of the model's mode and size) as one batch in its layout.
    public func batch(_ images: [Image], options: ImageInputOptions) throws -> Tensor {
        let input = try imageInput
        let size = (images.first?.height ?? 0, images.first?.width ?? 0)
        let nhwc = Tensor(shape: [images.count, size.0, size.1, input.mode.channels], floats: try options.preprocessing.batch(images))
        return input.channelsFirst ? try nhwc.transposed([0, 3, 1, 2]) : nhwc
    }

    /// Prepares a session for images of the model at `path`, as `wtool run`, `verify` and
    /// `features` do: loads the model, prepares the runtime, resolves `request` against the model
    /// and checks the image size, so every model-dependent objection names the file.
    /// - Returns: the session and the resolved image options.
    /// - Throws: ``WToolError`` naming `path`.
    public static func prepare(model path: String, options: LoadOptions, runtime: ExecutorOptions,
                               images request: ImageInputRequest) throws -> (session: InferenceSession, input: ImageInputOptions) {
        let (graph, session) = try prepare(model: path, options: options, runtime: runtime)
        let input = try aboutModel(path) { try request.options(for: graph) }
        _ = try aboutModel(path) { try session.imageSize(input) }
        return (session, input)
    }

    /// Loads the model at `path` and prepares the runtime for it, every objection naming the file.
    /// - Returns: the graph and its session.
    static func prepare(model path: String, options: LoadOptions,
                        runtime: ExecutorOptions) throws -> (graph: Graph, session: InferenceSession) {
        let graph = try ModelLoader.load(path: path, options: options).graph
        do {
            return (graph, try InferenceSession(graph: graph, options: runtime))
        } catch {
            throw WToolError.wrap(error, path: path)
        }
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
        let input = try imageInput.info.name
        let values = try executor.run(inputs: [input: batch], outputs: Array(Set(valueFor.values)))
        return valueFor.compactMapValues { values[$0] }
    }

    /// Runs the graph on tensors given by input name (in the model's own layout and types) and
    /// returns its outputs by name, in the source's layout and shapes.
    /// - Throws: ``WToolError/usage(_:)`` naming an unknown or missing input; the runtime's errors
    ///   for a tensor that does not fit (rank, dtype, sizes).
    public func run(inputs: [String: Tensor]) throws -> [String: Tensor] {
        for name in inputs.keys where !graph.inputs.contains(where: { $0.name == name }) {
            throw WToolError.usage("the model has no input named '\(name)' (its inputs: \(graph.inputs.map(\.name).joined(separator: ", ")))")
        }
        let needed = Set(Self.inputsNeeded(graph))
        for info in graph.inputs where inputs[info.name] == nil && needed.contains(info.name) {
            throw WToolError.usage("input '\(info.name)' \(info.dtype.numpyName) \(Shape.kerasString(info.shape)) was not given")
        }
        return try executor.run(inputs: inputs)
    }

    /// The graph inputs the outputs depend on.
    static func inputsNeeded(_ graph: Graph) -> [String] {
        var needed = Set(graph.outputs)
        for node in graph.nodes.reversed() where node.outputs.contains(where: needed.contains) {
            needed.formUnion(node.inputs)
        }
        return graph.inputs.map(\.name).filter(needed.contains)
    }
}
