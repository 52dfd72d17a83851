/// A value: element type, shape and bytes (row-major, little-endian, the last axis fastest).
///
/// The runtime's inputs and outputs, constants folded at import and the reference evaluator's
/// operands are all `Tensor`s. The bytes are shared, never copied on copy (`TensorData`); a tensor
/// made from a mapped file or a runtime buffer is a zero-copy view of it.
public struct Tensor: Sendable {
    public var dtype: DType
    /// Dimensions, outermost first; empty for a scalar.
    public var shape: [Int]
    public var data: TensorData

    /// A tensor over existing bytes. Nothing is checked here (building one never traps); `check()`
    /// and the runtime compare `data.count` with the shape.
    public init(dtype: DType, shape: [Int], data: TensorData) {
        self.dtype = dtype
        self.shape = shape
        self.data = data
    }

    /// Float32 elements, copied.
    public init(shape: [Int], floats: [Float]) {
        self.init(dtype: .float32, shape: shape, data: TensorData(floats: floats))
    }

    /// Integer elements stored as `dtype` (int64 by default), wrapped to its width.
    public init(shape: [Int], integers: [Int64], dtype: DType = .int64) {
        let data = TensorData(byteCount: integers.count * dtype.byteSize) { raw in
            guard let base = raw.baseAddress else { return }
            for (i, v) in integers.enumerated() { DTypeConversion.store(v, base, i, dtype) }
        }
        self.init(dtype: dtype, shape: shape, data: data)
    }

    /// Elements given as doubles, stored as `dtype` (rounded or truncated as `Cast` does).
    public init(shape: [Int], doubles: [Double], dtype: DType) {
        let data = TensorData(byteCount: doubles.count * dtype.byteSize) { raw in
            guard let base = raw.baseAddress else { return }
            for (i, v) in doubles.enumerated() { DTypeConversion.store(v, base, i, dtype) }
        }
        self.init(dtype: dtype, shape: shape, data: data)
    }

    /// A zero-filled tensor, or an empty one when the shape has a negative dimension or overflows.
    public init(zeros dtype: DType, shape: [Int]) {
        let count = Shape.elementCount(shape) ?? 0
        self.init(dtype: dtype, shape: shape, data: TensorData(byteCount: count * dtype.byteSize) { raw in
            if let base = raw.baseAddress { base.initializeMemory(as: UInt8.self, repeating: 0, count: raw.count) }
        })
    }

    /// A new tensor whose bytes `fill` writes (exactly `elementCount × byteSize` of them).
    public init(dtype: DType, shape: [Int], fill: (UnsafeMutableRawBufferPointer) throws -> Void) rethrows {
        let count = Shape.elementCount(shape) ?? 0
        self.init(dtype: dtype, shape: shape, data: try TensorData(byteCount: count * dtype.byteSize, fill: fill))
    }

    /// A float32 scalar.
    public static func scalar(_ value: Float) -> Tensor { Tensor(shape: [], floats: [value]) }

    /// The product of the shape, or nil when a dimension is negative or the product overflows.
    public var elementCount: Int? { Shape.elementCount(shape) }

    /// Whether the byte count matches the shape and dtype.
    public var isConsistent: Bool {
        guard let n = elementCount else { return false }
        let (bytes, overflow) = n.multipliedReportingOverflow(by: dtype.byteSize)
        return !overflow && bytes == data.count
    }

    /// The elements converted to `Float` (a copy).
    public var floats: [Float] { data.floatArray(as: dtype) }

    /// The elements as `Double` (a copy).
    public var doubles: [Double] {
        guard let base = data.bytes.baseAddress else { return [] }
        return (0..<(data.count / dtype.byteSize)).map { DTypeConversion.double(base, $0, dtype) }
    }

    /// The elements as `Int64`: integers extended, floats truncated (a copy).
    public var integers: [Int64] {
        guard let base = data.bytes.baseAddress else { return [] }
        return (0..<(data.count / dtype.byteSize)).map { DTypeConversion.int64(base, $0, dtype) }
    }

    /// The same bytes under another shape (no copy; the element count must match).
    public func reshaped(_ newShape: [Int]) -> Tensor {
        Tensor(dtype: dtype, shape: newShape, data: data)
    }

    /// The elements converted to `to` with `Cast` semantics (the same tensor when already `to`).
    public func converted(to: DType) -> Tensor {
        if to == dtype { return self }
        let count = data.count / dtype.byteSize
        return Tensor(dtype: to, shape: shape) { raw in
            guard let src = data.bytes.baseAddress, let dst = raw.baseAddress else { return }
            DTypeConversion.convert(src, from: dtype, dst, to: to, count: count)
        }
    }

    /// Calls `body` with the float32 elements in place when stored as aligned float32, else with a
    /// converted copy.
    public func withFloats<R>(_ body: (UnsafeBufferPointer<Float>) throws -> R) rethrows -> R {
        if dtype == .float32, let base = data.bytes.baseAddress, Int(bitPattern: base) % 4 == 0 {
            return try body(UnsafeBufferPointer(start: base.assumingMemoryBound(to: Float.self), count: data.count / 4))
        }
        if dtype == .float32, data.count == 0 { return try body(UnsafeBufferPointer(start: nil, count: 0)) }
        return try floats.withUnsafeBufferPointer(body)
    }
}

extension Tensor: Equatable {
    /// Same dtype, shape and bytes.
    public static func == (a: Tensor, b: Tensor) -> Bool {
        a.dtype == b.dtype && a.shape == b.shape && a.data.bytesEqual(b.data)
    }
}

extension Tensor: CustomStringConvertible {
    public var description: String { "Tensor(\(dtype), \(shape))" }
}

extension Tensor {
    /// The tensor with its axes permuted (`perm[i]` is the axis that becomes axis `i`, as ONNX
    /// Transpose), any dtype; the reference evaluator's copy.
    /// - Throws: `ModelIRError` when `perm` is not a permutation of the axes.
    public func transposed(_ perm: [Int]) throws -> Tensor {
        try Evaluator.evaluate(Node(name: "transpose", op: .tensor(.transpose(perm: perm)), inputs: ["x"]), [self])[0]
    }

    /// A copy with the elements of each axis in `axes` in reverse order (a kernel flipped in its
    /// spatial axes, as Theano's convolution reads it); any dtype.
    public func reversed(axes: Set<Int>) -> Tensor {
        let strides = Shape.strides(shape)
        let tables = shape.indices.map { axis in
            axes.contains(axis) ? _IndexedCopy.affine(count: shape[axis], stride: -strides[axis], start: (shape[axis] - 1) * strides[axis])
                : _IndexedCopy.affine(count: shape[axis], stride: strides[axis])
        }
        return gathered(_IndexedCopy(tables: tables), shape: shape)
    }
}

extension Layout {
    /// The permutation that turns a tensor in this layout into `other` (for the kernel layouts a
    /// Keras file and its ONNX export use: HWIO ↔ OIHW), or nil when the two are not related.
    public func permutation(to other: Layout) -> [Int]? {
        switch (self, other) {
        case (.hwio, .oihw): [3, 2, 0, 1]
        case (.oihw, .hwio): [2, 3, 1, 0]
        case (.nhwc, .nchw): [0, 3, 1, 2]
        case (.nchw, .nhwc): [0, 2, 3, 1]
        default: self == other ? nil : nil
        }
    }
}
