import ArgumentParser
import WTool

struct Run: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run",
        abstract: "Run a model on images or tensors and save its outputs as .npy/.npz.",
        discussion: """
            Images (JPEG/PNG): the output has shape (N, *output_shape), float32, rows in the order the images were \
            given. Images are loaded as Keras's load_img does for the model's input: greyscale for 1 channel, RGB \
            for 3, RGBA for 4, and laid out NCHW for a channels-first (ONNX) model.

            Tensors (.npy/.npz): --input NAME=FILE.npy feeds the graph input NAME (any rank and dtype, in the \
            model's own layout); a single-input model also takes a bare FILE.npy, and a FILE.npz feeds the inputs \
            its members are named after. Outputs come back in the source model's layout and shapes: OUT.npy when \
            there is one output, OUT.npz keyed by output name when there are several (or when OUT ends in .npz).

            MODEL may be a .swm or any file `convert` reads (it is then converted in memory).

            Examples:
              wtool run vgg16.swm cat.jpg dog.png --out features.npy
              wtool run classifier.h5 cat.jpg --rescale 1/255 --out probabilities.npy
              wtool run emotions.h5 face.jpg --rescale 1/255 --out p.npy          # a 64x64x1 greyscale model
              wtool run model.onnx --input x=x.npy --input mask=mask.npy --out outputs.npz
              wtool run resnet.onnx batch.npy --out logits.npy
            """
    )

    @Argument(help: "The model file.")
    var model: String

    @Argument(help: "Images (JPEG or PNG), or tensors (.npy/.npz) for the model's inputs.")
    var files: [String] = []

    @Option(name: .long, parsing: .singleValue, help: "A tensor for a graph input: NAME=FILE.npy (repeatable), or a bare FILE.npy for a single-input model.")
    var input: [String] = []

    @Option(name: .long, help: "Where to write the outputs (.npy, or .npz for several outputs).")
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

    private var tensorFiles: [String] { files.filter(TensorArgument.isTensorFile) }
    private var imageFiles: [String] { files.filter { !TensorArgument.isTensorFile($0) } }

    func validate() throws {
        // Neither images nor tensors: a model without inputs runs as it is; one with inputs is
        // refused by the library, naming the first input not given.
        guard imageFiles.isEmpty || (tensorFiles.isEmpty && input.isEmpty) else {
            throw ValidationError("give either images or tensors, not both")
        }
        // A bare FILE.npy (or .npz) feeds a single-input model, as a positional one does.
        for text in input where TensorArgument(parsing: text).name == nil && !TensorArgument.isTensorFile(text) {
            throw ValidationError("--input takes NAME=FILE.npy, or FILE.npy/FILE.npz (got '\(text)')")
        }
        guard batch > 0 else { throw ValidationError("--batch must be positive") }
        let lower = out.lowercased()
        guard lower.hasSuffix(".npy") || lower.hasSuffix(".npz") else { throw ValidationError("--out must end in .npy or .npz") }
        if !imageFiles.isEmpty, lower.hasSuffix(".npz") { throw ValidationError("image runs write one .npy array; name --out *.npy") }
    }

    func run() throws {
        let job = ModelRun(model: model, options: try architecture.loadOptions(until: cut.until, isolation: isolation.importer),
                           runtime: runtime.executorOptions, images: image.request, batchSize: batch, overwrite: force)
        try reportingErrors(path: model) {
            if imageFiles.isEmpty {
                let arguments = input.map(TensorArgument.init(parsing:)) + tensorFiles.map { TensorArgument(name: nil, path: $0) }
                let written = try job.run(tensors: arguments, output: out)
                if !quiet {
                    Terminal.info("wrote \(out): " + written.map { "\($0.name) \($0.shape)" }.joined(separator: ", "))
                }
                return
            }
            let progress = ProgressLine("running", quiet: quiet)
            let shape = try job.run(imageFiles, output: out, prepared: { input in
                if !quiet { Terminal.info("preprocessing: \(input.preprocessing.label), resize \(input.resize.rawValue)") }
            }, progress: { progress.update(done: $0, total: $1, unit: "images", scale: 1) })
            progress.finish()
            if !quiet { Terminal.info("wrote \(out): shape \(shape)") }
        }
    }
}
