import ArgumentParser
import Foundation
import NPY
import Runtime
import WTool

struct Run: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run a model on images and save the outputs as a .npy array.",
        discussion: """
            The output has shape (N, *output_shape), float32, rows in the order the images were given. \
            MODEL may be a .swm or any file `convert` reads (it is then converted in memory).

            Examples:
              wtool run vgg16.swm cat.jpg dog.png --out features.npy
              wtool run classifier.h5 cat.jpg --rescale 1/255 --out probabilities.npy
              wtool run vgg16.swm photos/*.jpg --batch 16 --size 224,224 --out f.npy
            """
    )

    @Argument(help: "The model file.")
    var model: String

    @Argument(help: "Images (JPEG or PNG).")
    var images: [String]

    @Option(name: .long, help: "Where to write the outputs (.npy).")
    var out: String

    @Option(name: .long, help: "Images per batch.")
    var batch: Int = 8

    @OptionGroup var image: ImageOptions
    @OptionGroup var architecture: ArchitectureOptions
    @OptionGroup var cut: CutOptions
    @OptionGroup var isolation: IsolationOptions
    @OptionGroup var runtime: RuntimeOptions

    @Flag(name: .long, help: "Overwrite OUT if it exists.")
    var force = false

    @Flag(name: .long, help: "No progress or information on stderr.")
    var quiet = false

    func validate() throws {
        guard !images.isEmpty else { throw ValidationError("give at least one image") }
        guard batch > 0 else { throw ValidationError("--batch must be positive") }
        guard out.hasSuffix(".npy") else { throw ValidationError("--out must end in .npy") }
    }

    func run() throws {
        let options = try architecture.loadOptions(until: cut.until, isolation: isolation.importer)
        try reportingErrors(path: model) {
            if !force, FileManager.default.fileExists(atPath: out) {
                throw WToolError.usage("\(out): already exists (use --force to overwrite)")
            }
            let (graph, _) = try ModelLoader.load(path: model, options: options)
            let session = try InferenceSession(graph: graph, options: runtime.executorOptions)
            let input = try aboutModel(model) { try image.inputOptions(for: graph) }
            _ = try aboutModel(model) { try session.imageSize(input) }
            if !quiet {
                Terminal.info("preprocessing: \(input.preprocessing.label), resize \(input.resize.rawValue)")
            }
            let urls = images.map { URL(fileURLWithPath: $0) }
            var rows: [Float] = []
            var rowShape: [Int] = []
            let progress = ProgressLine("running", quiet: quiet)
            for start in stride(from: 0, to: urls.count, by: batch) {
                let chunk = Array(urls[start..<min(start + batch, urls.count)])
                let output = try session.run(try session.loadBatch(chunk, options: input))
                rowShape = Array(output.shape.dropFirst())
                rows += output.data
                progress.update(done: start + chunk.count, total: urls.count, unit: "images", scale: 1)
            }
            progress.finish()
            let array = try NPYArray(shape: [urls.count] + rowShape, floats: rows)
            do {
                try NPYFile.write(array, to: URL(fileURLWithPath: out))
            } catch {
                throw WToolError.wrap(error, path: out)
            }
            if !quiet { Terminal.info("wrote \(out): shape \(array.shape)") }
        }
    }
}
