import CKernels
import ModelIR

/// The per-output-channel work a Conv2D, DepthwiseConv2D, SeparableConv2D or Dense does to its raw
/// GEMM (or window-loop) output in one pass, while the rows are still in cache:
/// `activation((x + bias) · scale + shift)`.
///
/// `scale` and `shift` are a following BatchNormalization fused in
/// (``ExecutorOptions/batchNormalization`` `.epilogue`): `inv = rsqrt(var + ε) · γ` and
/// `β − mean · inv` in float32, applied as `x · inv + shift` after the bias — the operations and
/// roundings Keras performs, so the result equals running the BN on its own.
struct _Epilogue: Sendable {
    let bias: _FloatWeights?
    let scale: _FloatWeights?
    let shift: _FloatWeights?
    let activation: Activation

    init(bias: _FloatWeights?, batchNorm: (scale: _FloatWeights, shift: _FloatWeights)? = nil, activation: Activation) {
        self.bias = bias
        self.scale = batchNorm?.scale
        self.shift = batchNorm?.shift
        self.activation = activation
    }

    /// The batch normalization's coefficients, when one is fused.
    var scaleShift: (scale: _FloatWeights, shift: _FloatWeights)? {
        guard let scale, let shift else { return nil }
        return (scale, shift)
    }

    /// Applies to `rows` whole rows of `channels` values at `data`, in place. `rank` is the rank of
    /// the layer's output: a softmax over another axis than the last waits for `finish`.
    func apply(_ data: UnsafeMutablePointer<Float>, rows: Int, channels: Int, rank: Int, parallel: _Parallel) {
        if let e = cForm {
            // The C kernels' loop (AVX-512/AVX2/portable), same operations and roundings.
            guard bias != nil || scaleShift != nil || activation != .linear else { return }
            parallel.forEachRange(rows, workPerItem: channels) { range in
                var local = e
                wt_epilogue_apply(&local, data + range.lowerBound * channels, Int64(range.count), Int64(channels))
            }
            return
        }
        let rowwise = _Activations.isRowwise(activation, rank: rank)
        _Activations.apply(rowwise ? activation : .linear, source: data, destination: data, shape: [rows, channels],
                           bias: bias?.pointer, scale: scale?.pointer, shift: shift?.pointer, parallel: parallel)
    }

    /// The part that needs the whole output (a softmax over a non-last axis), after every row has
    /// been through `apply`.
    func finish(_ data: UnsafeMutablePointer<Float>, shape: [Int], parallel: _Parallel) {
        guard !_Activations.isRowwise(activation, rank: shape.count) else { return }
        _Activations.apply(activation, source: data, destination: data, shape: shape, bias: nil, parallel: parallel)
    }
}
