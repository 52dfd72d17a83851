import ArgumentParser
import Foundation
import KerasFormat
import ModelIR
import SWMFormat
import WTool

struct Convert: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Convert a model to another format (the output format comes from OUT's extension).",
        discussion: """
            The input format is detected from the file's content: Keras legacy .h5 (Keras 1/2/3, full model or \
            weights only), Keras 3 .weights.h5, .keras archives, and .swm. Files that hold only weights need \
            --arch and --input-shape. The output is written to a temporary file and renamed into place, so a \
            failed conversion leaves nothing behind.

            Examples:
              wtool convert vgg16.h5 vgg16.swm
              wtool convert vgg16.h5 vgg16-f16.swm --dtype f16
              wtool convert vgg16_weights_tf_dim_ordering_tf_kernels_notop.h5 vgg16.swm --arch vgg16 --input-shape 150,150,3
              wtool convert vgg16.keras base4.swm --until block4_pool
              wtool convert vgg16.h5 vgg16.onnx                 # ONNX, opset 17, NHWC in and out like tf2onnx
              wtool convert vgg16.onnx vgg16.swm                # tf2onnx exports read into NHWC/HWIO
              wtool convert vgg16.swm vgg16.h5                  # Keras .h5 that Keras 3 and tf_keras load
              wtool convert vgg16.swm vgg16_weights.h5 --weights-only

            A .h5 output is Keras's legacy full-model file (model.save("x.h5")): load it with \
            keras.models.load_model (Keras 3) or tf_keras's load_model. --keras picks the config spelling: \
            both (default; the one form both accept), 2 (tf_keras) or 3 (Keras 3). --weights-only writes the \
            layout model.load_weights("x.h5") reads.
            """
    )

    @Argument(help: "The model to read (.h5, .weights.h5, .keras, .onnx, .swm).")
    var input: String

    @Argument(help: "The file to write (.swm, .onnx, or .h5 for Keras).")
    var output: String

    @OptionGroup var architecture: ArchitectureOptions
    @OptionGroup var cut: CutOptions
    @OptionGroup var isolation: IsolationOptions
    @OptionGroup var onnx: ONNXOutputOptions

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
        let ext = (output as NSString).pathExtension.lowercased()
        let writesKeras = ["h5", "hdf5"].contains(ext)
        guard ext == "swm" || writesKeras || ext == "onnx" else {
            throw ValidationError("cannot write '.\(ext)' files; the output must end in .swm, .onnx or .h5")
        }
        try onnx.check(writesONNX: ext == "onnx", dtype: dtype)
        if let keras, KerasTarget(rawValue: keras) == nil { throw ValidationError("--keras must be both, 2 or 3") }
        if !writesKeras, keras != nil || weightsOnly { throw ValidationError("--keras and --weights-only go with a .h5 output") }
        if writesKeras, dtype != nil { throw ValidationError("--dtype goes with a .swm output (Keras .h5 weights are float32)") }
        if weightsOnly, output.lowercased().hasSuffix(".weights.h5") {
            throw ValidationError("Keras 3 reads '.weights.h5' files as its own layout, which wtool does not write; name the output e.g. model_weights.h5")
        }
    }

    /// Reads any input (HDF5 parsed in the isolated child unless --no-isolation) and writes a Keras .h5.
    private func writeKeras(options: LoadOptions) throws {
        var options = options
        options.isolation = isolation.importer
        let (graph, _) = try ModelLoader.load(path: input, options: options)
        let progress = ProgressLine("writing \(output)", quiet: quiet)
        do {
            try KerasH5Writer(target: KerasTarget(rawValue: keras ?? "both") ?? .both, weightsOnly: weightsOnly)
                .write(graph, to: output, overwrite: force) { progress.update(done: $0, total: $1) }
        } catch {
            progress.finish()
            throw WToolError.wrap(error, path: output)
        }
        progress.finish()
        if !quiet {
            FileHandle.standardError.write(Data("wrote \(output): \(graph.nodes.count) layers, \(graph.parameterCount.total) parameters\n".utf8))
        }
    }

    func run() throws {
        let options = try architecture.loadOptions(until: cut.until)
        try reportingErrors(path: input) {
            if !force, FileManager.default.fileExists(atPath: output) {
                throw WToolError.usage("\(output): already exists (use --force to overwrite)")
            }
            if try ModelFormat.detect(path: input) == .swm {
                // Converting reads every tensor anyway: check the CRCs first, so a damaged .swm is
                // refused instead of written out again under fresh, matching checksums.
                try Check.verifyChecksums(of: try SWMFile(path: input), path: input, quiet: true)
            }
            if ["h5", "hdf5"].contains((output as NSString).pathExtension.lowercased()) {
                try writeKeras(options: options)
                return
            }
            if (output as NSString).pathExtension.lowercased() == "onnx" {
                try onnx.write(input: input, output: output, options: options, isolation: isolation.importer, force: force, quiet: quiet)
                return
            }
            if let importer = isolation.importer, case .keras = try ModelFormat.detect(path: input) {
                // The isolated child parses the HDF5 file and writes OUT itself; we validate it.
                try importer.importModel(input: input, output: output, overwrite: force,
                                         arguments: options.importArguments + (dtype.map { ["--dtype", $0] } ?? []))
                if !quiet {
                    let graph = try ModelLoader.load(path: output).graph
                    FileHandle.standardError.write(Data("wrote \(output): \(graph.nodes.count) layers, \(graph.parameterCount.total) parameters\n".utf8))
                }
                return
            }
            let (graph, _) = try ModelLoader.load(path: input, options: options)
            let progress = ProgressLine("writing \(output)", quiet: quiet)
            do {
                try SWMWriter(floatStorage: dtype.flatMap(DType.init(shortName:)))
                    .write(graph, to: output, overwrite: force) { progress.update(done: $0, total: $1) }
            } catch {
                progress.finish()
                throw WToolError.wrap(error, path: output)
            }
            progress.finish()
            if !quiet {
                let params = graph.parameterCount.total
                FileHandle.standardError.write(Data("wrote \(output): \(graph.nodes.count) layers, \(params) parameters\n".utf8))
            }
        }
    }
}
