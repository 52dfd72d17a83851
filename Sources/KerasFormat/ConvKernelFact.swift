import ModelIR

/// Which convolution a Keras file's kernels were trained for. Theano computes a true convolution
/// (kernels flipped in every spatial axis against TensorFlow's cross-correlation); Keras 2 records
/// the backend in the file (`backend`), Keras 1 does not.
public enum KerasKernelConvention: String, Sendable, CaseIterable {
    case theano
    case tensorflow
}

/// A convolution kernel as the file stores it, and what binding it needs.
struct ConvKernelFact {
    /// The kernel's spatial axes as bound (after any Keras 1 reshape).
    var spatialAxes: [Int]
    /// A Keras 1 layer's `dim_ordering` ("th" or "tf"); nil for later Keras.
    var keras1DimOrdering: String?
    /// Keras 1 `Convolution1D`: stored `(length, 1, in, out)` (Keras 1.2) or `(out, in, length, 1)`
    /// (Keras 1.1), bound as Keras 2's `(length, in, out)`.
    var keras1Conv1D = false

    /// The kernels Keras 2.3's loader flips for a Theano file (its `conv_layers`: convolutions and
    /// transposed convolutions; not depthwise or separable ones).
    init?(op: Op) {
        switch op {
        case .conv(.conv(let a)):
            spatialAxes = a.kernelLayout == .spatialLast ? Array(2..<(2 + a.kernelSize.count)) : Array(0..<a.kernelSize.count)
        case .conv(.transposed(let a)):
            spatialAxes = a.kernelLayout == .spatialLast ? Array(2..<(2 + a.kernelSize.count)) : Array(0..<a.kernelSize.count)
        default:
            return nil
        }
    }

    init(spatialAxes: [Int], keras1DimOrdering: String?, keras1Conv1D: Bool) {
        self.spatialAxes = spatialAxes
        self.keras1DimOrdering = keras1DimOrdering
        self.keras1Conv1D = keras1Conv1D
    }

    /// Whether the stored kernel is Theano's: as `convention` says, else as the file's `backend`
    /// says (Keras 2.3's `_need_convert_kernel`), else — a Keras 1 file, which records no backend —
    /// by keras.applications' Keras 1 convention, whose weight files paired the orderings with the
    /// kernels (`*_th_dim_ordering_th_kernels.h5`, `*_tf_dim_ordering_tf_kernels.h5`).
    func isTheano(convention: KerasKernelConvention?, backend: String?) -> Bool {
        if let convention { return convention == .theano }
        if let backend { return backend == "theano" }
        return keras1DimOrdering == "th"
    }

    /// The kernel as Keras 2 binds it: Keras 1.2's Convolution1D axis dropped (a view), Keras 1.1's
    /// transposed, Theano kernels flipped (copies).
    func bound(_ kernel: Tensor, flip: Bool, layer: String) throws -> Tensor {
        var kernel = kernel
        if keras1Conv1D, kernel.shape.count == 4 {
            if kernel.shape[1] == 1 {
                kernel = kernel.reshaped([kernel.shape[0], kernel.shape[2], kernel.shape[3]])
            } else if kernel.shape[3] == 1 {
                kernel = try kernel.transposed([2, 3, 1, 0])
                kernel = kernel.reshaped([kernel.shape[0], kernel.shape[2], kernel.shape[3]])
            } else {
                throw KerasError.weights(layer: layer, detail: "a Keras 1 Convolution1D kernel of shape \(kernel.shape), neither (length, 1, in, out) nor (out, in, length, 1)")
            }
        }
        guard flip else { return kernel }
        guard spatialAxes.allSatisfy({ $0 < kernel.shape.count }) else {
            throw KerasError.weights(layer: layer, detail: "kernel of shape \(kernel.shape) has no spatial axes \(spatialAxes) to flip")
        }
        return kernel.reversed(axes: Set(spatialAxes))
    }
}

extension Keras1Config {
    /// The kernel fact of a translated Keras 1 convolution; a `dim_ordering="th"` Convolution2D
    /// keeps its stored `(out, in, rows, cols)` kernel as the IR's spatial-last layout (no copy).
    static func kernelFact(_ layer: inout KerasLayer, originalClass: String, dimOrdering: String?) -> ConvKernelFact? {
        guard case .conv(.conv(var a)) = layer.op else { return nil }
        if dimOrdering == "th", a.kernelSize.count == 2 {
            a.kernelLayout = .spatialLast
            layer.op = .conv(.conv(a))
            layer.weights = layer.weights.map { $0.role == "kernel" ? ($0.role, Layout.oihw, $0.trainable) : $0 }
            return ConvKernelFact(spatialAxes: [2, 3], keras1DimOrdering: "th", keras1Conv1D: false)
        }
        return ConvKernelFact(spatialAxes: Array(0..<a.kernelSize.count), keras1DimOrdering: dimOrdering,
                              keras1Conv1D: originalClass == "Convolution1D")
    }
}
