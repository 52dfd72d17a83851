import ArgumentParser
import FileSupport
import Foundation
import ImageIO
import NPY
import Runtime
import WTool

struct Features: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Extract conv-base features for a folder of images, with labels, as .npy arrays.",
        discussion: """
            DIR is laid out as for Keras's flow_from_directory: one subfolder per class. Classes are the sorted \
            subfolder names, files are sorted within a class, labels come from the class index, and images are \
            resized with nearest sampling by default — the order and labels of \
            ImageDataGenerator(...).flow_from_directory(DIR, shuffle=False). Features and labels are written \
            as they are computed (memory stays flat), and a JSON file beside --out lists the files and class \
            indices. Train a small classifier on the arrays afterwards.

            Examples:
              wtool features vgg16.swm data/train --out train_features.npy --labels train_labels.npy --rescale 1/255 --size 150,150
              wtool features vgg16.h5 data/train --until block4_pool --out f.npy --labels l.npy --class-mode categorical
              wtool features vgg16.swm data/train --shard 0/4 --out f0.npy --labels l0.npy
            """
    )

    @Argument(help: "The model (conv base).")
    var model: String

    @Argument(help: "Dataset folder with one subfolder per class.")
    var directory: String

    @Option(name: .long, help: "Features output (.npy), shape (N, *output_shape).")
    var out: String

    @Option(name: .long, help: "Labels output (.npy).")
    var labels: String

    @Option(name: .long, help: "binary (class index), categorical (one-hot) or sparse (class index).")
    var classMode: String = "binary"

    @Flag(name: .long, help: "Flatten each feature map to one row: shape (N, h·w·c).")
    var flatten = false

    @Option(name: .long, help: "Images per batch.")
    var batch: Int = 16

    @Option(name: .long, help: "Process only shard I of N (0-based, contiguous slices of the sorted list), e.g. 0/4.")
    var shard: String?

    @Option(name: .long, help: "skip (warn and leave the image out) or fail on an unreadable image.")
    var onError: String = "fail"

    @OptionGroup var image: ImageOptions
    @OptionGroup var architecture: ArchitectureOptions
    @OptionGroup var cut: CutOptions
    @OptionGroup var isolation: IsolationOptions
    @OptionGroup var runtime: RuntimeOptions

    @Flag(name: .long, help: "Overwrite the outputs if they exist.")
    var force = false

    @Flag(name: .long, help: "No progress bar or information on stderr.")
    var quiet = false

    func validate() throws {
        guard FeatureExtraction.ClassMode(rawValue: classMode) != nil else {
            throw ValidationError("--class-mode must be binary, categorical or sparse")
        }
        guard ["skip", "fail"].contains(onError) else { throw ValidationError("--on-error must be skip or fail") }
        guard batch > 0 else { throw ValidationError("--batch must be positive") }
        guard out.hasSuffix(".npy"), labels.hasSuffix(".npy") else { throw ValidationError("--out and --labels must end in .npy") }
        guard out != labels else { throw ValidationError("--out and --labels must differ") }
        if let shard, parsedShard(shard) == nil { throw ValidationError("--shard must be I/N with 0 ≤ I < N, e.g. 0/4") }
    }

    private func parsedShard(_ text: String) -> (Int, Int)? {
        let parts = text.split(separator: "/").compactMap { Int($0) }
        guard parts.count == 2, parts[1] > 0, parts[0] >= 0, parts[0] < parts[1] else { return nil }
        return (parts[0], parts[1])
    }

    func run() throws {
        let options = try architecture.loadOptions(until: cut.until, isolation: isolation.importer)
        try reportingErrors(path: model) {
            for path in [out, labels] where !force && FileManager.default.fileExists(atPath: path) {
                throw WToolError.usage("\(path): already exists (use --force to overwrite)")
            }
            let mode = FeatureExtraction.ClassMode(rawValue: classMode) ?? .binary
            var (classes, items) = try FeatureExtraction.listDataset(directory)
            if let (index, count) = shard.flatMap(parsedShard) {
                let lower = items.count * index / count, upper = items.count * (index + 1) / count
                items = Array(items[lower..<upper])
            }
            guard !items.isEmpty else { throw WToolError.invalid(path: directory, detail: "no images found") }
            let (graph, _) = try ModelLoader.load(path: model, options: options)
            let session = try InferenceSession(graph: graph, options: runtime.executorOptions)
            let input = try aboutModel(model) { try image.inputOptions(for: graph) }
            let size = try aboutModel(model) { try session.imageSize(input) }
            let inputName = try session.imageInput.name
            guard let outShape = try graph.inferShapes(inputShapes: [inputName: [1, size.height, size.width, 3]])[graph.outputs[0]] else {
                throw WToolError.invalid(path: model, detail: "cannot infer the output shape")
            }
            let rowShape = Array(outShape.dropFirst())
            let featureShape = flatten ? [rowShape.reduce(1, *)] : rowShape
            let labelShape = mode == .categorical ? [classes.count] : []
            let featureWriter = try NPYStreamWriter(url: URL(fileURLWithPath: out), dtype: .float32, innerShape: featureShape)
            let labelWriter = try NPYStreamWriter(url: URL(fileURLWithPath: labels), dtype: .float32, innerShape: labelShape)
            if !quiet {
                Terminal.info("\(items.count) images in \(classes.count) classes \(classes); preprocessing \(input.preprocessing.label); features \(featureShape)")
            }
            let progress = ProgressBar(total: items.count, quiet: quiet)
            var kept: [FeatureExtraction.Item] = []
            var skipped = 0
            for start in stride(from: 0, to: items.count, by: batch) {
                let chunk = Array(items[start..<min(start + batch, items.count)])
                var images: [RGBImage] = []
                var good: [FeatureExtraction.Item] = []
                for item in chunk {
                    let url = URL(fileURLWithPath: directory).appendingPathComponent(item.relativePath)
                    do {
                        images.append(try ImageLoader.load(url: url, size: size, resize: input.resize))
                        good.append(item)
                    } catch {
                        guard onError == "skip" else { throw error }
                        skipped += 1
                        progress.interrupt { Terminal.warning("skipping \(WToolError.wrap(error, path: url.path))") }
                    }
                }
                if !images.isEmpty {
                    let tensor = Tensor(shape: [images.count, size.height, size.width, 3], data: try input.preprocessing.batch(images))
                    let output = try session.run(tensor)
                    try featureWriter.append(floats: output.data)
                    try labelWriter.append(floats: good.flatMap { FeatureExtraction.label($0, mode: mode, classCount: classes.count) })
                    kept += good
                }
                progress.update(done: start + chunk.count)
            }
            progress.finish()
            guard !kept.isEmpty else { throw WToolError.invalid(path: directory, detail: "no image could be read") }
            let featureRows = try featureWriter.finish()
            _ = try labelWriter.finish()
            let sidecar: [String: Any] = [
                "filenames": kept.map(\.relativePath),
                "class_indices": Dictionary(uniqueKeysWithValues: classes.enumerated().map { ($1, $0) }),
                "class_mode": mode.rawValue, "model": model, "until": cut.until as Any, "preprocessing": input.preprocessing.label,
                "target_size": [size.height, size.width], "features_shape": featureRows, "skipped": skipped,
            ]
            let json = try JSONSerialization.data(withJSONObject: sidecar, options: [.prettyPrinted, .sortedKeys])
            let sidecarPath = (out as NSString).deletingPathExtension + ".json"
            // Through AtomicOutput, like the arrays, so an interrupt cannot leave its temporary file.
            let sidecarFile = try AtomicOutput(destination: sidecarPath, overwrite: true)
            try sidecarFile.write(Array(json))
            try sidecarFile.commit()
            if !quiet {
                Terminal.info("wrote \(out) \(featureRows), \(labels), \(sidecarPath)" + (skipped > 0 ? "; skipped \(skipped) unreadable images" : ""))
            }
        }
    }
}
