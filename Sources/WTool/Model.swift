import FileSupport
import Foundation
import ModelIR
import Runtime

/// A model file opened for inspection and inference: the one type an app needs.
///
/// Any format wtool reads opens the same way — `.swm`, Keras `.h5`/`.keras`, ONNX — detected from
/// the file's bytes. A `.swm` is memory-mapped and its weights are views into the mapping (no
/// copies); Keras HDF5 weights stored contiguously are mapped the same way.
///
/// ```swift
/// import WTool
///
/// let model = try Model(contentsOf: URL(fileURLWithPath: "vgg16.swm"))
/// print(model.summary.render())                        // Keras's model.summary() table
/// if let kernel = model.tensor(named: "block1_conv1/kernel") {
///     print(kernel.shape, kernel.isMappedView)         // [3, 3, 3, 64] true
/// }
/// let features = try model.run(images: [URL(fileURLWithPath: "cat.jpg")])
/// print(features.shape)                                // [1, 4, 4, 512]
/// ```
///
/// A `Model` may be shared between threads: runs are serialised by the runtime.
public final class Model: @unchecked Sendable {
    /// Where the model was read from (nil for a model made from a `Graph`).
    public let url: URL?
    /// The detected file format (nil for a model made from a `Graph`).
    public let format: ModelFormat?
    /// The validated graph: nodes, weights (zero-copy views where possible), metadata.
    public let graph: Graph
    /// Keras's `model.summary()` for this graph: layers, output shapes, parameter counts.
    public let summary: ModelSummary
    /// How ``run(images:options:)`` turns images into the input when no options are given: the
    /// model's input size, nearest resizing (Keras's `load_img` default) and the preprocessing its
    /// metadata names (`caffe` for VGG), else none.
    public let defaultImageOptions: ImageInputOptions

    private let lock = NSLock()
    private var session: InferenceSession?
    private var options = ExecutorOptions()

    /// How the runtime prepares and runs the graph: convolution algorithm, threads, and a
    /// ``ExecutorOptions/kernelCache`` directory that keeps transformed kernels between processes
    /// (none by default). Read at the first run; setting it drops a runtime already prepared.
    public var runtimeOptions: ExecutorOptions {
        get { lock.withLock { options } }
        set { lock.withLock { options = newValue; session = nil } }
    }

    /// Opens a model file of any supported format.
    /// - Parameters:
    ///   - url: a file URL.
    ///   - options: for weights-only Keras files, the architecture (`--arch`) or config; a cut
    ///     (`until`); isolation of the HDF5 parser in a child process (off by default here).
    /// - Throws: ``WToolError`` naming the file: unreadable, unknown format, invalid or unsupported.
    public convenience init(contentsOf url: URL, options: LoadOptions = LoadOptions()) throws {
        guard url.isFileURL else { throw WToolError.unreadable(path: url.absoluteString, detail: "not a file URL") }
        let (graph, format) = try ModelLoader.load(path: url.path, options: options)
        try self.init(graph: graph, url: url, format: format)
    }

    /// Wraps a graph built or converted in memory.
    /// - Throws: ``WToolError`` when the graph is invalid (shapes cannot be inferred).
    public convenience init(graph: Graph) throws {
        try self.init(graph: graph, url: nil, format: nil)
    }

    private init(graph: Graph, url: URL?, format: ModelFormat?) throws {
        self.url = url
        self.format = format
        self.graph = graph
        let label = url?.path ?? graph.name
        do {
            summary = try ModelSummary(graph: graph)
            defaultImageOptions = ImageInputOptions(preprocessing: try ImageInputOptions.preprocessing(mode: nil, rescale: nil, graph: graph))
        } catch {
            throw WToolError.wrap(error, path: label)
        }
    }

    /// Names of the weight tensors, in node order.
    public var tensorNames: [String] { graph.orderedWeightNames.filter { graph.weights[$0] != nil } }

    /// A weight tensor by name (`block1_conv1/kernel`), as a view of its bytes: no copy is made,
    /// and for a `.swm` the bytes are the mapped file's.
    /// - Returns: nil when the model has no tensor of that name.
    public func tensor(named name: String) -> ModelTensor? {
        graph.weights[name].map { ModelTensor(name: name, weight: $0) }
    }

    /// Runs image files through the model as Keras would see them (`load_img` + preprocessing),
    /// as one batch.
    /// - Parameters:
    ///   - images: JPEG or PNG files.
    ///   - options: size, resizing and preprocessing; default ``defaultImageOptions``.
    /// - Returns: the output, batch axis first (`[images.count, …]`).
    /// - Throws: ``WToolError`` for an unreadable image, a model without one RGB image input, or
    ///   an op the runtime cannot execute.
    public func run(images: [URL], options: ImageInputOptions? = nil) throws -> Tensor {
        guard !images.isEmpty else { throw WToolError.usage("no images to run") }
        let session = try inferenceSession()
        do {
            return try session.run(try session.loadBatch(images, options: options ?? defaultImageOptions))
        } catch {
            throw WToolError.wrap(error, path: url?.path ?? graph.name)
        }
    }

    /// Runs the model on tensors by input name, in the model's own layout and types (NCHW for
    /// most ONNX models, NHWC for Keras), and returns every output by name, in the source's
    /// layout, shapes and types — what its own framework returns. Input tensors are read in place
    /// (no copy) where the runtime takes them as they are.
    /// - Parameter inputs: a tensor per graph input the outputs need.
    /// - Throws: ``WToolError`` naming an unknown or missing input, or a tensor whose dtype, rank
    ///   or sizes do not fit the declaration.
    public func run(inputs: [String: Tensor]) throws -> [String: Tensor] {
        let session = try inferenceSession()
        do {
            return try session.run(inputs: inputs)
        } catch {
            throw WToolError.wrap(error, path: url?.path ?? graph.name)
        }
    }

    /// Runs an already prepared image batch in the model's layout (`[N, H, W, C]` for a Keras
    /// model, `[N, C, H, W]` for an NCHW one; preprocessed).
    /// - Returns: the model's output for the batch.
    /// - Throws: ``WToolError`` when the batch does not fit the model's input.
    public func run(batch: Tensor) throws -> Tensor {
        let session = try inferenceSession()
        do {
            return try session.run(batch)
        } catch {
            throw WToolError.wrap(error, path: url?.path ?? graph.name)
        }
    }

    /// The runtime, prepared on first use (kernels repacked once) and kept.
    private func inferenceSession() throws -> InferenceSession {
        try lock.withLock {
            if let session { return session }
            do {
                let made = try InferenceSession(graph: graph, options: options)
                session = made
                return made
            } catch {
                throw WToolError.wrap(error, path: url?.path ?? graph.name)
            }
        }
    }
}

/// One weight tensor of a ``Model``, viewed in place.
///
/// The bytes are little-endian, row-major, in the IR's layouts (HWIO convolution kernels, IO
/// dense kernels — Keras's own). They stay valid as long as this value exists: it keeps the
/// mapping (or buffer) that holds them alive.
public struct ModelTensor: Sendable {
    /// The weight name (`block1_conv1/kernel`).
    public let name: String
    /// Element type, shape and layout tag.
    public let info: TensorInfo
    /// Whether training would update it (Keras's trainable vs non-trainable split).
    public let trainable: Bool
    /// The bytes and their owner.
    public let data: TensorData

    init(name: String, weight: Weight) {
        self.name = name
        self.info = weight.info
        self.trainable = weight.trainable
        self.data = weight.data
    }

    /// The element type as stored (f32, or f16/bf16 in a half-precision `.swm`).
    public var dtype: DType { info.dtype }
    /// The dimensions, outermost first.
    public var shape: [Int] { info.shape }
    /// What the axes mean (HWIO, IO, C, …).
    public var layout: Layout { info.layout }
    /// The number of elements.
    public var elementCount: Int { info.elementCount ?? 0 }

    /// The raw bytes, without a copy. Valid while this value is alive.
    public var bytes: UnsafeRawBufferPointer { data.bytes }

    /// Whether the bytes are a view into a memory-mapped model file (zero-copy), rather than
    /// memory of their own (converted or decompressed weights).
    public var isMappedView: Bool { data.owner is MappedFile }

    /// The elements converted to `Float` (a copy; exact for f16 and bf16).
    public func floats() -> [Float] { data.floatArray(as: info.dtype) }

    /// Calls `body` with the float32 elements in place, without copying.
    /// - Throws: ``WToolError/unsupported(path:detail:)`` when the tensor is not stored as
    ///   float32 or its bytes are not 4-byte aligned (use ``floats()`` then).
    public func withUnsafeFloat32Buffer<R>(_ body: (UnsafeBufferPointer<Float>) throws -> R) throws -> R {
        guard info.dtype == .float32, let base = bytes.baseAddress, Int(bitPattern: base) % MemoryLayout<Float>.alignment == 0 else {
            if info.dtype == .float32, bytes.isEmpty { return try body(UnsafeBufferPointer(start: nil, count: 0)) }
            throw WToolError.unsupported(path: name, detail: "stored as \(info.dtype), not aligned float32; use floats()")
        }
        return try body(UnsafeBufferPointer(start: base.assumingMemoryBound(to: Float.self), count: bytes.count / 4))
    }
}
