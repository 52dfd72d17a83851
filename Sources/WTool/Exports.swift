// The types the façade's public API speaks in, re-exported so that `import WTool` is all an app
// (and wtool's own CLI) needs: the IR's vocabulary (`Graph`, `TensorInfo`, `DType`, `Layout`, …),
// the runtime's `Tensor` and options, the image options of `Model.run(images:options:)`, the
// Keras names `LoadOptions` and `ModelConverter` take, and the verifier's results. Only these
// types are exported from the other modules, so their other declarations (and ImageIO's name,
// which Apple platforms also use) stay out of an app's namespace.
@_exported import ModelIR
@_exported import struct Runtime.ExecutorOptions
@_exported import enum Runtime.ConvolutionAlgorithm
@_exported import enum Runtime.MemoryPreference
@_exported import enum Runtime.BatchNormalizationFusion
@_exported import enum ImageIO.ResizeMethod
@_exported import enum ImageIO.PreprocessMode
@_exported import struct ImageIO.Preprocessing
@_exported import struct KerasFormat.ApplicationSpec
@_exported import enum KerasFormat.Architecture
@_exported import enum KerasFormat.KerasContainer
@_exported import enum KerasFormat.KerasTarget
@_exported import struct Verify.ParityMetrics
@_exported import struct Verify.Verification
