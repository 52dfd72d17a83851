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
