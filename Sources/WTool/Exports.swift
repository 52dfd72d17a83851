// The types the façade's public API speaks in, re-exported so that `import WTool` is all an app
// needs: the IR's vocabulary (`Graph`, `TensorInfo`, `DType`, `Layout`, …), the runtime's
// `Tensor`, and the image options of `Model.run(images:options:)`. Only these types are exported
// from Runtime and ImageIO, so their other declarations (and ImageIO's name, which Apple
// platforms also use) stay out of an app's namespace.
@_exported import ModelIR
@_exported import struct Runtime.Tensor
@_exported import struct Runtime.ExecutorOptions
@_exported import enum Runtime.ConvolutionAlgorithm
@_exported import enum Runtime.BatchNormalizationFusion
@_exported import enum ImageIO.ResizeMethod
@_exported import enum ImageIO.PreprocessMode
@_exported import struct ImageIO.Preprocessing
