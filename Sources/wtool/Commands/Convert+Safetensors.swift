import ArgumentParser
import WTool

/// `wtool convert … OUT.safetensors`: the safetensors writer's options.
struct SafetensorsOutputOptions: ParsableArguments {
    @Flag(name: .long, help: ArgumentHelp(
        "For .safetensors output: store convolution kernels as PyTorch's Conv2d holds them, OIHW (depthwise kernels [C·M, 1, kh, kw]), instead of the source's layout (Keras HWIO). Dense kernels stay [in, out]. wtool reads the file back into the same model (those kernels are transposed back, a copy each)."))
    var pytorchLayout = false

    /// Rejects the option for other outputs, and `--dtype` for this one.
    func check(writesSafetensors: Bool, dtype: String?) throws {
        if !writesSafetensors, pytorchLayout { throw ValidationError("--pytorch-layout goes with a .safetensors output") }
        if writesSafetensors, dtype != nil {
            throw ValidationError("--dtype goes with a .swm output (a .safetensors output keeps every tensor bit for bit)")
        }
    }

    /// Sets the converter's safetensors options.
    func configure(_ converter: inout ModelConverter) {
        converter.pytorchLayout = pytorchLayout
    }
}
