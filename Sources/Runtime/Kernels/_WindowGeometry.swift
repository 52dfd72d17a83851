import ModelIR

/// Sizes of a 2-D window operation (convolution or pooling) over an NHWC input, with `same`
/// padding resolved for this input size.
struct _WindowGeometry {
    let batch: Int, height: Int, width: Int, channels: Int
    let outHeight: Int, outWidth: Int
    let kernelHeight: Int, kernelWidth: Int
    let strideY: Int, strideX: Int
    let dilationY: Int, dilationX: Int
    let padTop: Int, padLeft: Int, padBottom: Int, padRight: Int

    init(input: [Int], output: [Int], kernel: [Int], strides: [Int], dilations: [Int], padding: Padding) {
        batch = input[0]; height = input[1]; width = input[2]; channels = input[3]
        outHeight = output[1]; outWidth = output[2]
        kernelHeight = kernel[0]; kernelWidth = kernel[1]
        strideY = strides[0]; strideX = strides[1]
        dilationY = dilations[0]; dilationX = dilations[1]
        let pads = padding.resolve(sizes: [height, width], kernel: kernel, strides: strides, dilations: dilations)
        padTop = pads.begin[0]; padLeft = pads.begin[1]; padBottom = pads.end[0]; padRight = pads.end[1]
    }

    /// Output pixels over the whole batch: the row count of the im2col matrix.
    var outputPixels: Int { batch * outHeight * outWidth }

    /// Input row of kernel tap `i` for output row `oy`; may be outside `0..<height` (padding).
    @inline(__always) func inputY(_ oy: Int, _ i: Int) -> Int { oy * strideY - padTop + i * dilationY }
    @inline(__always) func inputX(_ ox: Int, _ j: Int) -> Int { ox * strideX - padLeft + j * dilationX }
}
