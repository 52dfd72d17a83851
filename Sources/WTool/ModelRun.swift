import Foundation
import NPY
import Runtime

/// Runs image files through a model in batches and writes the outputs as one `.npy` array of
/// shape (N, *output_shape), rows in the order the images were given (`wtool run`).
public struct ModelRun {
    /// The model file (any format wtool reads).
    public var model: String
    /// How the model is read.
    public var options: LoadOptions
    /// How the runtime runs it.
    public var runtime: ExecutorOptions
    /// How images become its input.
    public var images: ImageInputRequest
    /// Images per batch.
    public var batchSize: Int
    /// Replace an existing output; otherwise it is an error.
    public var overwrite: Bool

    /// A run of `model`; batches of 8, images prepared as the model says.
    public init(model: String, options: LoadOptions = LoadOptions(), runtime: ExecutorOptions = ExecutorOptions(),
                images: ImageInputRequest = ImageInputRequest(), batchSize: Int = 8, overwrite: Bool = false) {
        self.model = model
        self.options = options
        self.runtime = runtime
        self.images = images
        self.batchSize = batchSize
        self.overwrite = overwrite
    }

    /// Runs `imagePaths` and writes the outputs to `output` (atomically).
    /// - Parameters:
    ///   - prepared: called once the model is ready, with the image options it will use.
    ///   - progress: called with (images done, images) after each batch.
    /// - Returns: the written array's shape.
    /// - Throws: ``WToolError`` naming the model, or the output for a failed write.
    @discardableResult
    public func run(_ imagePaths: [String], output: String, prepared: (ImageInputOptions) -> Void = { _ in },
                    progress: (Int, Int) -> Void = { _, _ in }) throws -> [Int] {
        do {
            if !overwrite, FileManager.default.fileExists(atPath: output) {
                throw WToolError.usage("\(output): already exists (use --force to overwrite)")
            }
            let (session, input) = try InferenceSession.prepare(model: model, options: options, runtime: runtime, images: images)
            prepared(input)
            let urls = imagePaths.map { URL(fileURLWithPath: $0) }
            var rows: [Float] = []
            var rowShape: [Int] = []
            for start in stride(from: 0, to: urls.count, by: max(batchSize, 1)) {
                let chunk = Array(urls[start..<min(start + max(batchSize, 1), urls.count)])
                let result = try session.run(try session.loadBatch(chunk, options: input))
                rowShape = Array(result.shape.dropFirst())
                rows += result.floats
                progress(start + chunk.count, urls.count)
            }
            let array = try NPYArray(shape: [urls.count] + rowShape, floats: rows)
            do {
                try NPYFile.write(array, to: URL(fileURLWithPath: output))
            } catch {
                throw WToolError.wrap(error, path: output)
            }
            return array.shape
        } catch {
            throw WToolError.wrap(error, path: model)
        }
    }
}

/// One tensor given to a model: `NAME=FILE.npy`, a bare `FILE.npy` for a single-input model, or a
/// `FILE.npz` whose members are named after inputs.
public struct TensorArgument: Sendable, Equatable {
    /// The graph input it feeds; nil for a bare file.
    public var name: String?
    public var path: String

    public init(name: String?, path: String) {
        self.name = name
        self.path = path
    }

    /// Parses `NAME=FILE` or `FILE`.
    public init(parsing text: String) {
        if let eq = text.firstIndex(of: "="), eq != text.startIndex {
            self.init(name: String(text[..<eq]), path: String(text[text.index(after: eq)...]))
        } else {
            self.init(name: nil, path: text)
        }
    }

    /// Whether a positional argument names a tensor file rather than an image.
    public static func isTensorFile(_ path: String) -> Bool {
        let lower = path.lowercased()
        return lower.hasSuffix(".npy") || lower.hasSuffix(".npz")
    }
}

extension ModelRun {
    /// The named input tensors `arguments` give, read and matched against `graph`'s inputs.
    /// - Throws: ``WToolError`` naming the file or the input: unknown input, an input given twice,
    ///   a bare file for a model with several inputs.
    public static func inputs(_ arguments: [TensorArgument], for graph: Graph) throws -> [String: Tensor] {
        var out: [String: Tensor] = [:]
        let names = Set(graph.inputs.map(\.name))
        func add(_ name: String, _ tensor: Tensor, from path: String) throws {
            guard names.contains(name) else {
                throw WToolError.usage("\(path): the model has no input named '\(name)' (its inputs: \(graph.inputs.map(\.name).joined(separator: ", ")))")
            }
            guard out[name] == nil else { throw WToolError.usage("\(path): input '\(name)' is given twice") }
            out[name] = tensor
        }
        for argument in arguments {
            let tensors = try TensorFiles.read(argument.path)
            if let name = argument.name {
                guard tensors.count == 1, let only = tensors.first else {
                    throw WToolError.usage("\(argument.path): holds \(tensors.count) arrays; give one .npy per NAME=FILE")
                }
                try add(name, only.tensor, from: argument.path)
            } else if tensors.count == 1, tensors[0].name.isEmpty {
                guard graph.inputs.count == 1, let only = graph.inputs.first else {
                    throw WToolError.usage("\(argument.path): the model has \(graph.inputs.count) inputs (\(graph.inputs.map(\.name).joined(separator: ", "))); name them with --input NAME=FILE.npy")
                }
                try add(only.name, tensors[0].tensor, from: argument.path)
            } else {
                for (name, tensor) in tensors { try add(name, tensor, from: argument.path) }
            }
        }
        return out
    }

    /// Runs the model on tensors (`wtool run MODEL --input NAME=FILE.npy … --out OUT`) and writes
    /// every output: `OUT.npy` for one output, `OUT.npz` keyed by output name for several (or
    /// when OUT ends in `.npz`). Outputs keep the source's layout, shapes and types.
    /// - Returns: each output's name and shape, in graph order.
    /// - Throws: ``WToolError`` naming the model, an input or a file; nothing is written on error.
    @discardableResult
    public func run(tensors arguments: [TensorArgument], output: String,
                    prepared: () -> Void = {}) throws -> [(name: String, shape: [Int])] {
        let (graph, session) = try InferenceSession.prepare(model: model, options: options, runtime: runtime)
        if !overwrite, FileManager.default.fileExists(atPath: output) {
            throw WToolError.usage("\(output): already exists (use --force to overwrite)")
        }
        prepared()
        let inputs = try Self.inputs(arguments, for: graph)
        let results: [String: Tensor]
        do {
            results = try session.run(inputs: inputs)
        } catch WToolError.usage(let detail) {  // an input missing or unknown: about this model
            throw WToolError.usage("\(model): \(detail)")
        } catch {
            throw WToolError.wrap(error, path: model)
        }
        let named = graph.outputs.compactMap { name in results[name].map { (name: name, tensor: $0) } }
        try TensorFiles.write(named, to: output, overwrite: overwrite)
        return named.map { ($0.name, $0.tensor.shape) }
    }
}
