/// The static description of a tensor: its name, element type, shape and layout tag.
///
/// A dimension of `-1` is unknown until run time (a batch axis, an ONNX `dim_param`); such a
/// dimension may carry a symbolic name (`batch_size`) in `dimensionNames`, kept for writers.
public struct TensorInfo: Sendable, Equatable, Codable {
    public var name: String
    public var dtype: DType
    public var shape: [Int]
    public var layout: Layout
    /// Symbolic names of unknown dimensions, one per axis ("" where none); nil when there are none.
    public var dimensionNames: [String]?

    public init(name: String, dtype: DType = .float32, shape: [Int], layout: Layout = .unspecified,
                dimensionNames: [String]? = nil) {
        self.name = name
        self.dtype = dtype
        self.shape = shape
        self.layout = layout
        self.dimensionNames = dimensionNames
    }

    /// Number of elements, or nil when a dimension is unknown or the product overflows.
    public var elementCount: Int? { Shape.elementCount(shape) }

    /// The element type and shape.
    public var type: ValueType { ValueType(dtype: dtype, shape: shape) }
}

/// What shape and type inference knows of a value: its element type and shape, where a dimension
/// of -1 is unknown and a nil shape means even the rank is unknown (data-dependent).
public struct ValueType: Sendable, Equatable, Hashable, CustomStringConvertible {
    public var dtype: DType
    public var shape: [Int]?

    public init(dtype: DType, shape: [Int]?) {
        self.dtype = dtype
        self.shape = shape
    }

    public var rank: Int? { shape?.count }
    /// The shape when every dimension is known.
    public var concreteShape: [Int]? { shape.flatMap { $0.allSatisfy { $0 >= 0 } ? $0 : nil } }

    public var description: String {
        "\(dtype)\(shape.map { Shape.kerasString($0) } ?? "(?)")"
    }
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

    /// Row-major strides in elements.
    public static func strides(_ dims: [Int]) -> [Int] {
        var strides = [Int](repeating: 1, count: dims.count)
        var s = 1
        for i in stride(from: dims.count - 1, through: 0, by: -1) {
            strides[i] = s
            s &*= max(dims[i], 1)
        }
        return strides
    }

    /// `axis` in `-rank..<rank` made non-negative, or nil when out of range.
    public static func normalizedAxis(_ axis: Int, rank: Int) -> Int? {
        let a = axis < 0 ? axis + rank : axis
        return a >= 0 && a < rank ? a : nil
    }

    /// NumPy broadcasting of several shapes (unknown dimensions broadcast to unknown, unless the
    /// other is known and not 1), or nil when two known dimensions disagree.
    public static func broadcast(_ shapes: [[Int]]) -> [Int]? {
        let rank = shapes.map(\.count).max() ?? 0
        var out = [Int](repeating: 1, count: rank)
        for s in shapes {
            let offset = rank - s.count
            for (i, d) in s.enumerated() {
                let o = out[offset + i]
                if d == 1 { continue }
                if o == 1 { out[offset + i] = d; continue }
                if d < 0 || o < 0 { out[offset + i] = max(d, o) >= 0 && min(d, o) < 0 ? max(d, o) : -1; continue }
                if d != o { return nil }
            }
        }
        return out
    }
}
