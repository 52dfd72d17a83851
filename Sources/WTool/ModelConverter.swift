import FileSupport
import Foundation
import KerasFormat
import ModelIR
import ONNXFormat
import SWMFormat
import SafetensorsFormat

/// Converts a model file to another format: the pipeline behind `wtool convert`.
///
/// The input format is detected from content; the writer is chosen by the output's extension
/// (`.swm`, `.onnx`, `.h5`/`.hdf5`, `.safetensors`). Each file is opened and validated once: the descriptor that
/// reads the input's magic bytes is the one its reader maps, a `.swm` input's checksums are
/// verified on that same mapping before anything is written (so a damaged file is refused
/// instead of written out again under fresh, matching checksums), the reader's validated graph
/// goes to the writer without another validation, and the output is never read back — except
/// when an isolated child wrote it, in which case this process validates it once, as the trust
/// boundary requires (DESIGN.md §1).
///
/// ```swift
/// var converter = ModelConverter(options: LoadOptions(isolation: importer))
/// converter.floatStorage = .float16
/// let result = try converter.convert("vgg16.h5", to: "vgg16.swm")
/// ```
public struct ModelConverter {
    /// The formats wtool writes, named by the output's extension.
    public enum OutputFormat: String, Sendable, CaseIterable {
        /// `.swm`.
        case swm
        /// `.onnx`.
        case onnx
        /// Keras's legacy `.h5` (also `.hdf5`).
        case keras
        /// `.safetensors`: every weight under its name, the graph in the metadata.
        case safetensors

        /// The format `path`'s extension names, or nil for one wtool does not write.
        public init?(path: String) {
            switch (path as NSString).pathExtension.lowercased() {
            case "swm": self = .swm
            case "onnx": self = .onnx
            case "h5", "hdf5": self = .keras
            case "safetensors": self = .safetensors
            default: return nil
            }
        }
    }

    /// How the input is read: architecture or config for weights-only Keras files, `--until`,
    /// and the isolated child for HDF5.
    public var options: LoadOptions
    /// `.swm` output: storage type for float32 weights (f16, bf16), nil to keep them.
    public var floatStorage: DType?
    /// `.onnx` output: the opset written; nil: an ONNX source's own (`ONNXWriter.preferredOpset`,
    /// so ops carried as read keep their definition), `defaultOpset` for other sources.
    public var opset: Int?
    /// `.onnx` output: NCHW graph inputs and outputs instead of NHWC.
    public var nchw = false
    /// `.onnx` output: weights of 1 KiB or more go to `OUT.data` even under 2 GB.
    public var externalData = false
    /// `.h5` output: the Keras that will load it.
    public var kerasTarget: KerasTarget = .both
    /// `.h5` output: only the weights (the layout `model.load_weights` takes).
    public var weightsOnly = false
    /// `.safetensors` output: convolution kernels in PyTorch's OIHW layout instead of the
    /// source's (see `PyTorchLayout`); wtool reads such a file back into the same model.
    public var pytorchLayout = false
    /// Replace an existing output; otherwise it is an error.
    public var overwrite = false
    /// Called with (bytes written, total bytes) while `.swm`, `.h5` and `.safetensors` outputs are written.
    public var progress: ((Int, Int) -> Void)?

    /// The opsets an `.onnx` output can have.
    public static var supportedOpsets: ClosedRange<Int> { ONNXWriter.supportedOpsets }
    /// The opset written by default.
    public static var defaultOpset: Int { ONNXWriter.defaultOpset }

    /// A converter that reads with `options` and writes with every writer's defaults.
    public init(options: LoadOptions = LoadOptions()) {
        self.options = options
    }

    /// What a conversion wrote.
    public struct Result: Sendable {
        /// The input's detected format.
        public var inputFormat: ModelFormat
        /// The output's format.
        public var outputFormat: OutputFormat
        /// Nodes in the written graph.
        public var layers: Int
        /// Parameters in the written graph.
        public var parameters: Int
        /// For `.onnx`: the opset written.
        public var opset: Int?
        /// For `.onnx`: the external data file, when the weights went there.
        public var externalDataPath: String?
    }

    /// Converts `input` into `output`.
    /// - Throws: ``WToolError`` naming the file at fault: an existing output without
    ///   ``overwrite``, an unreadable, unknown, damaged or unsupported input, a failed write.
    @discardableResult
    public func convert(_ input: String, to output: String) throws -> Result {
        guard let outputFormat = OutputFormat(path: output) else {
            throw WToolError.usage("cannot write '.\((output as NSString).pathExtension)' files; the output must end in .swm, .onnx, .h5 or .safetensors")
        }
        if !overwrite, FileManager.default.fileExists(atPath: output) {
            throw WToolError.usage("\(output): already exists (use --force to overwrite)")
        }
        let file = try ModelLoader.open(input)
        let format = try ModelFormat.detect(file: file)
        func result(_ graph: Graph, opset: Int? = nil, externalData: String? = nil) -> Result {
            Result(inputFormat: format, outputFormat: outputFormat, layers: graph.nodes.count,
                   parameters: graph.parameterCount.total, opset: opset, externalDataPath: externalData)
        }

        if case .keras = format, outputFormat == .swm, let importer = options.isolation {
            // The isolated child parses the HDF5 file and writes OUT itself; this process only
            // validates what it wrote.
            let arguments = options.importArguments + (floatStorage.map { ["--dtype", $0.shortName] } ?? [])
            return result(try importer.importModel(input: input, output: output, overwrite: overwrite, arguments: arguments))
        }
        // Converting reads every tensor anyway: a .swm's checksums are checked first.
        let (graph, validated) = try ModelLoader.read(file, format: format, options: options, verifyingChecksums: true)

        do {
            if !validated {
                // A cut graph is new: validated here, once, so every writer takes validated graphs.
                try graph.validate()
                Diagnostics.note("validate", path: output)
            }
            switch outputFormat {
            case .swm:
                try SWMWriter(floatStorage: floatStorage).write(validated: graph, to: output, overwrite: overwrite, progress: progress)
                return result(graph)
            case .keras:
                try KerasH5Writer(target: kerasTarget, weightsOnly: weightsOnly)
                    .write(validated: graph, to: output, overwrite: overwrite, progress: progress)
                return result(graph)
            case .safetensors:
                try SafetensorsWriter(pytorchLayout: pytorchLayout)
                    .write(validated: graph, to: output, overwrite: overwrite, progress: progress)
                return result(graph)
            case .onnx:
                let writer = ONNXWriter(opset: opset ?? ONNXWriter.preferredOpset(for: graph), nchw: nchw,
                                        externalDataThreshold: externalData ? 0 : ONNXWriter.defaultExternalDataThreshold)
                let dataFile = try writer.write(validated: graph, to: output, overwrite: overwrite)
                return result(graph, opset: writer.opset, externalData: dataFile)
            }
        } catch {
            throw WToolError.wrap(error, path: output)
        }
    }
}
