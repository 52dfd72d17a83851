import ArgumentParser
import Foundation
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
            """
    )

    @Argument(help: "The model to read (.h5, .weights.h5, .keras, .swm).")
    var input: String

    @Argument(help: "The file to write (.swm).")
    var output: String

    @OptionGroup var architecture: ArchitectureOptions
    @OptionGroup var cut: CutOptions
    @OptionGroup var isolation: IsolationOptions

    @Option(name: .long, help: "Storage type for float weights: f32, f16 or bf16 (default: keep).")
    var dtype: String?

    @Flag(name: .long, help: "Overwrite OUT if it exists.")
    var force = false

    @Flag(name: .long, help: "No progress output.")
    var quiet = false

    func validate() throws {
        if let dtype, ![DType.float32, .float16, .bfloat16].map(\.shortName).contains(dtype) {
            throw ValidationError("--dtype must be f32, f16 or bf16")
        }
        let ext = (output as NSString).pathExtension.lowercased()
        guard ext == "swm" else {
            throw ValidationError("cannot write '.\(ext)' files yet; the output must end in .swm")
        }
    }

    func run() throws {
        let options = try architecture.loadOptions(until: cut.until)
        try reportingErrors(path: input) {
            if !force, FileManager.default.fileExists(atPath: output) {
                throw WToolError.usage("\(output): already exists (use --force to overwrite)")
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
