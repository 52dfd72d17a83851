import ArgumentParser
import Foundation
import ModelIR
import ONNXFormat
import WTool

/// `wtool convert … OUT.onnx`: the ONNX writer's options and the write itself.
struct ONNXOutputOptions: ParsableArguments {
    @Option(name: .long, help: "For .onnx output: the opset to write (\(ONNXWriter.supportedOpsets.lowerBound)–\(ONNXWriter.supportedOpsets.upperBound), default \(ONNXWriter.defaultOpset)).")
    var opset: Int?

    @Flag(name: .long, help: "For .onnx output: NCHW graph inputs and outputs (default: NHWC like tf2onnx; the body is NCHW either way).")
    var nchw = false

    @Flag(name: .long, help: "For .onnx output: put weights of 1 KiB or more in OUT.data beside OUT even under 2 GB (above, they always go there).")
    var externalData = false

    /// Rejects ONNX options for other outputs and options ONNX output does not take.
    func check(writesONNX: Bool, dtype: String?) throws {
        if !writesONNX, opset != nil || nchw || externalData {
            throw ValidationError("--opset, --nchw and --external-data go with a .onnx output")
        }
        if let opset, !ONNXWriter.supportedOpsets.contains(opset) {
            throw ValidationError("--opset must be \(ONNXWriter.supportedOpsets.lowerBound)...\(ONNXWriter.supportedOpsets.upperBound)")
        }
        if writesONNX, dtype != nil { throw ValidationError("--dtype goes with a .swm output (ONNX weights are written as float32)") }
    }

    /// Reads `input` (HDF5 in the isolated child when one is configured) and writes `output` as ONNX.
    func write(input: String, output: String, options: LoadOptions, isolation: IsolatedImporter?, force: Bool, quiet: Bool) throws {
        var options = options
        options.isolation = isolation
        let (graph, _) = try ModelLoader.load(path: input, options: options)
        let writer = ONNXWriter(opset: opset ?? ONNXWriter.defaultOpset, nchw: nchw,
                                externalDataThreshold: externalData ? 0 : ONNXWriter.defaultExternalDataThreshold)
        let dataFile: String?
        do {
            dataFile = try writer.write(graph, to: output, overwrite: force)
        } catch {
            throw WToolError.wrap(error, path: output)
        }
        if !quiet {
            let external = dataFile.map { " (weights in \($0))" } ?? ""
            FileHandle.standardError.write(Data(
                "wrote \(output): opset \(writer.opset), \(graph.nodes.count) layers, \(graph.parameterCount.total) parameters\(external)\n".utf8))
        }
    }
}
