import FileSupport
import Foundation
import ImageIO
import NPY
import Runtime

extension FeatureExtraction {
    /// One `wtool features` job: which model, which dataset, where the arrays go.
    public struct Job {
        /// The model (a conv base; any format wtool reads).
        public var model: String
        /// The dataset folder, one subfolder per class.
        public var directory: String
        /// Features output (`.npy`), shape (N, *output_shape); a JSON sidecar goes beside it.
        public var features: String
        /// Labels output (`.npy`).
        public var labels: String
        /// How labels are encoded.
        public var classMode: ClassMode = .binary
        /// Flatten each feature map to one row.
        public var flatten = false
        /// Images per batch.
        public var batchSize = 16
        /// Only shard `index` of `count`: contiguous runs of whole batches of the sorted list
        /// (`shardRange(itemCount:batchSize:index:count:)`), so merged shards equal one run.
        public var shard: (index: Int, count: Int)?
        /// Leave unreadable images out (with a warning) instead of failing.
        public var skipUnreadable = false
        /// How the model is read (`until` is recorded in the sidecar).
        public var options = LoadOptions()
        /// How the runtime runs it.
        public var runtime = ExecutorOptions()
        /// How images become its input.
        public var images = ImageInputRequest()
        /// Replace existing outputs; otherwise they are an error.
        public var overwrite = false
        /// Keep a checkpoint after every batch (`OUT.partial`, `LABELS.partial`,
        /// `OUT.resume.json`) and continue the one an interrupted run left: the images it wrote
        /// are not computed again and the outputs equal an uninterrupted run's byte for byte.
        public var resume = false

        /// A job with the defaults of `wtool features`.
        public init(model: String, directory: String, features: String, labels: String) {
            self.model = model
            self.directory = directory
            self.features = features
            self.labels = labels
        }
    }

    /// What a job is about to do, once the model is ready.
    public struct Plan: Sendable {
        /// Images to run.
        public var imageCount: Int
        /// The class names, in index order.
        public var classes: [String]
        /// The image options used.
        public var input: ImageInputOptions
        /// One feature row's shape.
        public var featureShape: [Int]
    }

    /// What a job wrote.
    public struct Outcome: Sendable {
        /// The features array's shape.
        public var featureShape: [Int]
        /// The JSON sidecar (file names, class indices).
        public var sidecar: String
        /// Images left out as unreadable.
        public var skipped: Int
        /// Images an interrupted run had done already (`--resume`), not computed again.
        public var resumed = 0
    }

    /// Runs `job`: features and labels are streamed to disk batch by batch (memory stays flat), in
    /// `flow_from_directory(shuffle=False)` order, and a JSON sidecar lists the files and classes.
    /// - Parameters:
    ///   - planned: called once the model is ready.
    ///   - skipped: called for each unreadable image left out, with the error naming it.
    ///   - progress: called with (images done, images) after each batch.
    /// - Throws: ``WToolError`` naming the model, the dataset or an output.
    @discardableResult
    public static func run(_ job: Job, planned: (Plan) -> Void = { _ in }, skipped: (WToolError) -> Void = { _ in },
                           progress: (Int, Int) -> Void = { _, _ in }) throws -> Outcome {
        do {
            return try extract(job, planned: planned, skipped: skipped, progress: progress)
        } catch {
            throw WToolError.wrap(error, path: job.model)
        }
    }

    private static func extract(_ job: Job, planned: (Plan) -> Void, skipped onSkip: (WToolError) -> Void,
                                progress: (Int, Int) -> Void) throws -> Outcome {
        let checkpoint = checkpointPath(features: job.features)
        if !job.resume, FileManager.default.fileExists(atPath: checkpoint) {
            guard job.overwrite else {
                throw WToolError.usage("\(checkpoint): an interrupted --resume run left its progress here; add --resume to continue it, or --force to start over")
            }
            _ResumableFeatureSink.removeLeftovers(features: job.features, labels: job.labels)
        }
        // A resumed run may find its outputs renamed already (killed while finishing).
        let resuming = job.resume && FileManager.default.fileExists(atPath: checkpoint)
        for path in [job.features, job.labels] where !job.overwrite && !resuming && FileManager.default.fileExists(atPath: path) {
            throw WToolError.usage("\(path): already exists (use --force to overwrite)")
        }
        let (classes, dataset) = try listDataset(job.directory)
        guard !dataset.isEmpty else { throw WToolError.invalid(path: job.directory, detail: "no images found") }
        // Shards are whole batches (FeatureExtraction+Shards.swift); one may be empty.
        let range = job.shard.map { shardRange(itemCount: dataset.count, batchSize: job.batchSize, index: $0.index, count: $0.count) }
            ?? dataset.indices
        let items = Array(dataset[range])
        let (session, input) = try InferenceSession.prepare(model: job.model, options: job.options, runtime: job.runtime,
                                                            images: job.images)
        let size = try session.imageSize(input)
        let image = try session.imageInput
        let graph = session.graph
        let oneImage = image.channelsFirst ? [1, image.mode.channels, size.height, size.width] : [1, size.height, size.width, image.mode.channels]
        guard let outShape = try graph.inferShapes(inputShapes: [image.info.name: oneImage])[graph.outputs[0]], !outShape.isEmpty else {
            throw WToolError.invalid(path: job.model, detail: "cannot infer the output shape")
        }
        let rowShape = Array(outShape.dropFirst())
        let featureShape = job.flatten ? [rowShape.reduce(1, *)] : rowShape
        let labelShape = job.classMode == .categorical ? [classes.count] : []
        let sink: any _FeatureSink = job.resume
            ? try _ResumableFeatureSink(job: job, jobRecord: jobRecord(job, items: items, input: input, size: size, featureShape: featureShape),
                                        featureShape: featureShape, labelShape: labelShape)
            : try _AtomicFeatureSink(job: job, featureShape: featureShape, labelShape: labelShape)
        planned(Plan(imageCount: items.count, classes: classes, input: input, featureShape: featureShape))

        let resumed = sink.nextItem
        var skippedIndices = sink.skipped
        let batchSize = max(job.batchSize, 1)
        if resumed > 0 { progress(resumed, items.count) }
        for start in stride(from: resumed, to: items.count, by: batchSize) {
            let end = min(start + batchSize, items.count)
            var images: [Image] = []
            var good: [Item] = []
            var skippedHere: [Int] = []
            for index in start..<end {
                let item = items[index]
                let url = URL(fileURLWithPath: job.directory).appendingPathComponent(item.relativePath)
                do {
                    images.append(try ImageLoader.load(url: url, size: size, resize: input.resize, mode: image.mode))
                    good.append(item)
                } catch {
                    guard job.skipUnreadable else { throw error }
                    skippedHere.append(index)
                    onSkip(WToolError.wrap(error, path: url.path))
                }
            }
            let labels = good.flatMap { label($0, mode: job.classMode, classCount: classes.count) }
            if !images.isEmpty {
                let output = try session.run(try session.batch(images, options: input))
                try sink.append(features: output.floats, labels: labels, through: end, skipped: skippedHere)
            } else {
                try sink.append(features: [], labels: [], through: end, skipped: skippedHere)
            }
            skippedIndices += skippedHere
            progress(end, items.count)
        }
        let skippedSet = Set(skippedIndices)
        let kept = items.indices.filter { !skippedSet.contains($0) }.map { items[$0] }
        guard !kept.isEmpty || items.isEmpty else { throw WToolError.invalid(path: job.directory, detail: "no image could be read") }
        let featureRows = try sink.finish { rows in
            var sidecar: [String: Any] = [
                "filenames": kept.map(\.relativePath),
                "class_indices": Dictionary(uniqueKeysWithValues: classes.enumerated().map { ($1, $0) }),
                "class_mode": job.classMode.rawValue, "model": job.model, "until": job.options.until as Any,
                "preprocessing": input.preprocessing.label,
                "target_size": [size.height, size.width], "features_shape": rows, "skipped": skippedIndices.count,
            ]
            sidecar.merge(try runRecord(job, dataset: dataset, range: range)) { _, recorded in recorded }
            return Array(try JSONSerialization.data(withJSONObject: sidecar, options: [.prettyPrinted, .sortedKeys]))
        }
        var outcome = Outcome(featureShape: featureRows, sidecar: sidecarPath(features: job.features), skipped: skippedIndices.count)
        outcome.resumed = resumed
        return outcome
    }
}
