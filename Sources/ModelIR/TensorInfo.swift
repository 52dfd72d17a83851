/// The static description of a tensor: its name, element type, shape and layout tag.
///
/// A dimension of `-1` is unknown until run time (the batch axis of activations).
public struct TensorInfo: Sendable, Equatable, Codable {
    public var name: String
    public var dtype: DType
    public var shape: [Int]
    public var layout: Layout

    public init(name: String, dtype: DType = .float32, shape: [Int], layout: Layout = .unspecified) {
        self.name = name
        self.dtype = dtype
        self.shape = shape
        self.layout = layout
    }

    /// Number of elements, or nil when a dimension is unknown or the product overflows.
    public var elementCount: Int? { Shape.elementCount(shape) }
}

/// Helpers over `[Int]` shapes.
public enum Shape {
    /// The product of `dims`, or nil when a dimension is negative (unknown) or the product overflows.
    public static func elementCount(_ dims: [Int]) -> Int? {
        var total = 1
        for dim in dims {
            guard dim >= 0 else { return nil }
            let (product, overflow) = total.multipliedReportingOverflow(by: dim)
            if overflow { return nil }
            total = product
        }
        return total
    }

    /// Keras's rendering: `(None, 150, 150, 3)`.
    public static func kerasString(_ dims: [Int]) -> String {
        let parts = dims.map { $0 < 0 ? "None" : String($0) }
        return parts.count == 1 ? "(\(parts[0]),)" : "(" + parts.joined(separator: ", ") + ")"
    }
}
