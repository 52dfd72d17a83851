import ArgumentParser
import WTool

/// `wtool convert … OUT.onnx`: the ONNX writer's options.
struct ONNXOutputOptions: ParsableArguments {
    @Option(name: .long, help: "For .onnx output: the opset to write (\(ModelConverter.supportedOpsets.lowerBound)–\(ModelConverter.supportedOpsets.upperBound), default: an ONNX source's own, clamped to that range, else \(ModelConverter.defaultOpset)).")
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
        if let opset, !ModelConverter.supportedOpsets.contains(opset) {
            throw ValidationError("--opset must be \(ModelConverter.supportedOpsets.lowerBound)...\(ModelConverter.supportedOpsets.upperBound)")
        }
        if writesONNX, dtype != nil { throw ValidationError("--dtype goes with a .swm output (ONNX weights are written as float32)") }
    }

    /// Sets the converter's ONNX options.
    func configure(_ converter: inout ModelConverter) {
        converter.opset = opset
        converter.nchw = nchw
        converter.externalData = externalData
    }
}
