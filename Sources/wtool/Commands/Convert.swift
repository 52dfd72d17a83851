import ArgumentParser
import Foundation
import WTool

struct Convert: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "convert",
        abstract: "Convert a model to another format (the output format comes from OUT's extension).",
        discussion: """
            The input format is detected from the file's content: Keras legacy .h5 (Keras 1/2/3, full model or \
            weights only), Keras 3 .weights.h5, .keras archives, ONNX, .safetensors and .swm. Files that hold only \
            weights (a weights-only .h5, a .safetensors that wtool did not write) need --arch and --input-shape, \
            or --config. The output is written to a temporary file and renamed into place, so a \
            failed conversion leaves nothing behind.

            Examples:
              wtool convert vgg16.h5 vgg16.swm
              wtool convert vgg16.h5 vgg16-f16.swm --dtype f16
              wtool convert vgg16_weights_tf_dim_ordering_tf_kernels_notop.h5 vgg16.swm --arch vgg16 --input-shape 150,150,3
              wtool convert vgg16.keras base4.swm --until block4_pool
              wtool convert vgg16.h5 vgg16.onnx                 # ONNX, opset 17, NHWC in and out like tf2onnx
              wtool convert model.onnx model.swm                # any exporter's ONNX; the layout stays as the file has it
              wtool convert vgg16.swm vgg16.h5                  # Keras .h5 that Keras 3 and tf_keras load
              wtool convert vgg16.swm vgg16_weights.h5 --weights-only
              wtool convert vgg16.h5 vgg16.safetensors          # every weight under its Keras path, the graph in the metadata
              wtool convert vgg16.safetensors vgg16.swm         # back, with the embedded graph
              wtool convert weights.safetensors vgg16.swm --arch vgg16 --input-shape 150,150,3   # tensors bound by name

            A .h5 output is Keras's legacy full-model file (model.save("x.h5")): load it with \
            keras.models.load_model (Keras 3) or tf_keras's load_model. --keras picks the config spelling: \
            both (default; the one form both accept), 2 (tf_keras) or 3 (Keras 3). --weights-only writes the \
            layout model.load_weights("x.h5") reads.

            A .safetensors output holds every weight bit for bit under its Keras weight path \
            (block1_conv1/kernel) or ONNX initializer name, in the source's layout, and wtool's graph in its \
            __metadata__, so it converts back without --arch; the safetensors package (safetensors.numpy, \
            safetensors.torch) loads it. --pytorch-layout stores convolution kernels OIHW as PyTorch does.
            """
    )

    @Argument(help: "The model to read (.h5, .weights.h5, .keras, .onnx, .safetensors, .swm).")
    var input: String

    @Argument(help: "The file to write (.swm, .onnx, .safetensors, or .h5 for Keras).")
    var output: String

    @OptionGroup var architecture: ArchitectureOptions
    @OptionGroup var cut: CutOptions
    @OptionGroup var isolation: IsolationOptions
    @OptionGroup var onnx: ONNXOutputOptions
    @OptionGroup var safetensors: SafetensorsOutputOptions

    @Option(name: .long, help: "Storage type for float weights: f32, f16 or bf16 (default: keep).")
    var dtype: String?

    @Option(name: .long, help: "For .h5 output: the Keras that will load it, both (default), 2 (tf_keras) or 3.")
    var keras: String?

    @Flag(name: .long, help: "For .h5 output: write only the weights (the layout model.load_weights takes).")
    var weightsOnly = false

    @Flag(name: .long, help: "Overwrite OUT if it exists.")
    var force = false

    @Flag(name: .long, help: "No progress output.")
    var quiet = false

    func validate() throws {
        if let dtype, ![DType.float32, .float16, .bfloat16].map(\.shortName).contains(dtype) {
            throw ValidationError("--dtype must be f32, f16 or bf16")
        }
        guard let format = ModelConverter.OutputFormat(path: output) else {
            let ext = (output as NSString).pathExtension.lowercased()
            throw ValidationError("cannot write '.\(ext)' files; the output must end in .swm, .onnx, .h5 or .safetensors")
        }
        let writesKeras = format == .keras
        try onnx.check(writesONNX: format == .onnx, dtype: dtype)
        try safetensors.check(writesSafetensors: format == .safetensors, dtype: dtype)
        if let keras, KerasTarget(rawValue: keras) == nil { throw ValidationError("--keras must be both, 2 or 3") }
        if !writesKeras, keras != nil || weightsOnly { throw ValidationError("--keras and --weights-only go with a .h5 output") }
        if writesKeras, dtype != nil { throw ValidationError("--dtype goes with a .swm output (Keras .h5 weights are float32)") }
        if weightsOnly, output.lowercased().hasSuffix(".weights.h5") {
            throw ValidationError("Keras 3 reads '.weights.h5' files as its own layout, which wtool does not write; name the output e.g. model_weights.h5")
        }
    }

    func run() throws {
        var converter = ModelConverter(options: try architecture.loadOptions(until: cut.until, isolation: isolation.importer))
        converter.floatStorage = dtype.flatMap(DType.init(shortName:))
        onnx.configure(&converter)
        safetensors.configure(&converter)
        converter.kerasTarget = keras.flatMap(KerasTarget.init(rawValue:)) ?? .both
        converter.weightsOnly = weightsOnly
        converter.overwrite = force
        let progress = ProgressLine("writing \(output)", quiet: quiet)
        converter.progress = { progress.update(done: $0, total: $1) }
        try reportingErrors(path: input) {
            let result: ModelConverter.Result
            do {
                result = try converter.convert(input, to: output)
            } catch {
                progress.finish()
                throw error
            }
            progress.finish()
            guard !quiet else { return }
            if let opset = result.opset {
                let external = result.externalDataPath.map { " (weights in \($0))" } ?? ""
                Terminal.info("wrote \(output): opset \(opset), \(result.layers) layers, \(result.parameters) parameters\(external)")
            } else {
                Terminal.info("wrote \(output): \(result.layers) layers, \(result.parameters) parameters")
            }
        }
    }
}
