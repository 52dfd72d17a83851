import ModelIR

/// Keras `Dense` / ONNX `Gemm` (or `MatMul` + `Add`): applies to the last axis of any input of rank
/// ≥ 2 (`[..., in]` to `[..., units]`), IO kernel `[in, units]`, optional bias, fused activation.
///
/// The IO kernel is the GEMM's right-hand matrix as stored, so it is used in place; a single row
/// goes to SGEMV.
struct _DenseKernel: _Kernel {
    let kernel: _FloatWeights
    /// Bias, fused batch normalization and activation (the one in `attributes` is not used).
    let epilogue: _Epilogue
    let attributes: DenseAttributes

    func run(_ a: _KernelArguments) {
        let inShape = a.inputShapes[0]
        let features = inShape.last ?? 0
        let units = attributes.units
        let rows = (Shape.elementCount(inShape) ?? 0) / max(features, 1)
        a.parallel.gemm(m: rows, n: units, k: features, a: a.inputs[0], lda: features, b: kernel.pointer, ldb: units,
                   c: a.output, ldc: units)
        epilogue.apply(a.output, rows: rows, channels: units, rank: a.outputShape.count, parallel: a.parallel)
        epilogue.finish(a.output, shape: a.outputShape, parallel: a.parallel)
    }
}
