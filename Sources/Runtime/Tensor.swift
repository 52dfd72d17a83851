import ModelIR

/// A dense float32 tensor in row-major order: the runtime's input and output type.
///
/// Activations are NHWC (batch, height, width, channels), batch-major, like Keras on CPU. A dense
/// layer's output is `[batch, units]`. The shape is checked against `data.count` when the tensor is
/// handed to ``Executor``, not here, so building one never traps.
public struct Tensor: Sendable, Equatable {
    /// Dimensions, outermost first; the batch axis comes first.
    public var shape: [Int]
    /// `shape`'s product many elements, row-major (the last axis varies fastest).
    public var data: [Float]

    public init(shape: [Int], data: [Float]) {
        self.shape = shape
        self.data = data
    }

    /// A tensor of zeros, or an empty one when `shape` has a negative dimension or overflows.
    public init(zeros shape: [Int]) {
        self.shape = shape
        self.data = [Float](repeating: 0, count: Shape.elementCount(shape) ?? 0)
    }

    /// The product of `shape`, or nil when a dimension is negative or the product overflows.
    public var elementCount: Int? { Shape.elementCount(shape) }
}
