import ArgumentParser
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
        let job = ModelRun(model: model, options: try architecture.loadOptions(until: cut.until, isolation: isolation.importer),
                           runtime: runtime.executorOptions, images: image.request, batchSize: batch, overwrite: force)
        try reportingErrors(path: model) {
            let progress = ProgressLine("running", quiet: quiet)
            let shape = try job.run(images, output: out, prepared: { input in
                if !quiet { Terminal.info("preprocessing: \(input.preprocessing.label), resize \(input.resize.rawValue)") }
            }, progress: { progress.update(done: $0, total: $1, unit: "images", scale: 1) })
            progress.finish()
            if !quiet { Terminal.info("wrote \(out): shape \(shape)") }
        }
    }
}
