/// An n-dimensional array as stored in a `.npy` file: a shape, an element type and the raw
/// little-endian element bytes in C (row-major) order.
///
/// The counterpart of a NumPy `ndarray` saved with `np.save`. `data.count` must equal
/// element count × `dtype.itemSize`; the initializers check this, and the accessors re-check it
/// because the properties are mutable.
public struct NPYArray: Equatable, Sendable {
    /// Dimensions in C order; `[]` is a 0-d array holding one element.
    public var shape: [Int]
    public var dtype: NPYDType
    /// Element bytes, little-endian, C order, no padding.
    public var data: [UInt8]

    /// Wraps raw element bytes.
    /// - Throws: ``NPYError/inconsistentArray(shape:dtype:byteCount:)`` when `data` does not
    ///   hold exactly the elements `shape` describes, or a shape error.
    public init(shape: [Int], dtype: NPYDType, data: [UInt8]) throws {
        let expected = try NPYHeader(dtype: dtype, shape: shape).dataByteCount
        guard data.count == expected else {
            throw NPYError.inconsistentArray(shape: shape, dtype: dtype, byteCount: data.count)
        }
        self.shape = shape
        self.dtype = dtype
        self.data = data
    }

    /// A `float32` array.
    public init(shape: [Int], floats: [Float]) throws {
        try self.init(shape: shape, dtype: .float32, values: floats)
    }

    /// A `float64` array.
    public init(shape: [Int], doubles: [Double]) throws {
        try self.init(shape: shape, dtype: .float64, values: doubles)
    }

    /// An `int32` array.
    public init(shape: [Int], int32s: [Int32]) throws {
        try self.init(shape: shape, dtype: .int32, values: int32s)
    }

    /// An `int64` array.
    public init(shape: [Int], int64s: [Int64]) throws {
        try self.init(shape: shape, dtype: .int64, values: int64s)
    }

    /// A `uint8` array.
    public init(shape: [Int], uint8s: [UInt8]) throws {
        try self.init(shape: shape, dtype: .uint8, data: uint8s)
    }

    /// A `bool` array (stored as bytes 0 and 1).
    public init(shape: [Int], bools: [Bool]) throws {
        try self.init(shape: shape, dtype: .bool, data: bools.map { $0 ? 1 : 0 })
    }

    private init<T: BitwiseCopyable>(shape: [Int], dtype: NPYDType, values: [T]) throws {
        precondition(MemoryLayout<T>.size == dtype.itemSize)
        // The host is little-endian (checked in NPYDType.swift), so host bytes are file bytes.
        let bytes = values.withUnsafeBytes { Array($0) }
        try self.init(shape: shape, dtype: dtype, data: bytes)
    }

    /// Number of elements: the product of `shape` (1 for a 0-d array).
    public var elementCount: Int {
        shape.reduce(1) { $0 &* $1 }
    }

    // MARK: Element access

    /// The elements as `Float`, converting `float64` (rounding to nearest), `float16` (exactly),
    /// integers and bools (`false` → 0, `true` → 1). Integers beyond 2^24 lose precision, as
    /// `astype(np.float32)` does.
    /// - Throws: ``NPYError/inconsistentArray(shape:dtype:byteCount:)`` if the properties were
    ///   mutated out of agreement.
    public func floats() throws -> [Float] {
        try validate()
        if dtype == .float32 { return load(Float.self) }
        return try doubles().map { Float($0) }
    }

    /// The elements as `Double` (exact for every dtype except 64-bit integers beyond 2^53).
    public func doubles() throws -> [Double] {
        try validate()
        switch dtype {
        case .float16: return load(UInt16.self).map { Double(Self.halfToFloat($0)) }
        case .float32: return load(Float.self).map { Double($0) }
        case .float64: return load(Double.self)
        case .int8: return load(Int8.self).map { Double($0) }
        case .int16: return load(Int16.self).map { Double($0) }
        case .int32: return load(Int32.self).map { Double($0) }
        case .int64: return load(Int64.self).map { Double($0) }
        case .uint8: return data.map { Double($0) }
        case .uint16: return load(UInt16.self).map { Double($0) }
        case .uint32: return load(UInt32.self).map { Double($0) }
        case .uint64: return load(UInt64.self).map { Double($0) }
        case .bool: return data.map { $0 == 0 ? 0 : 1 }
        }
    }

    /// The elements as `Int64`, for integer and `bool` arrays (`uint64` as its bit pattern).
    /// - Throws: ``NPYError/dtypeMismatch(path:expected:actual:)`` for float arrays.
    public func int64s() throws -> [Int64] {
        try validate()
        switch dtype {
        case .int8: return load(Int8.self).map { Int64($0) }
        case .int16: return load(Int16.self).map { Int64($0) }
        case .int32: return load(Int32.self).map { Int64($0) }
        case .int64: return load(Int64.self)
        case .uint8: return data.map { Int64($0) }
        case .uint16: return load(UInt16.self).map { Int64($0) }
        case .uint32: return load(UInt32.self).map { Int64($0) }
        case .uint64: return load(UInt64.self).map { Int64(bitPattern: $0) }
        case .bool: return data.map { $0 == 0 ? 0 : 1 }
        case .float16, .float32, .float64:
            throw NPYError.dtypeMismatch(path: "<memory>", expected: .int64, actual: dtype)
        }
    }

    /// IEEE half → float, exactly.
    static func halfToFloat(_ bits: UInt16) -> Float {
        let sign: Float = bits & 0x8000 != 0 ? -1 : 1
        let exponent = Int(bits >> 10) & 0x1f
        let mantissa = Float(bits & 0x3ff)
        if exponent == 0 { return sign * mantissa * Float(sign: .plus, exponent: -24, significand: 1) }
        if exponent == 31 { return mantissa == 0 ? sign * .infinity : .nan }
        return sign * (1 + mantissa / 1024) * Float(sign: .plus, exponent: exponent - 15, significand: 1)
    }

    /// The raw bytes of a `uint8` or `bool` array.
    /// - Throws: ``NPYError/dtypeMismatch(path:expected:actual:)`` for other dtypes.
    public func uint8s() throws -> [UInt8] {
        try validate()
        guard dtype == .uint8 || dtype == .bool else {
            throw NPYError.dtypeMismatch(path: "<memory>", expected: .uint8, actual: dtype)
        }
        return data
    }

    private func validate() throws {
        let expected = try NPYHeader(dtype: dtype, shape: shape).dataByteCount
        guard data.count == expected else {
            throw NPYError.inconsistentArray(shape: shape, dtype: dtype, byteCount: data.count)
        }
    }

    private func load<T: BitwiseCopyable>(_: T.Type) -> [T] {
        let count = data.count / MemoryLayout<T>.size
        return [T](unsafeUninitializedCapacity: count) { buffer, initialized in
            data.withUnsafeBytes { source in
                UnsafeMutableRawBufferPointer(buffer).copyMemory(from: source)
            }
            initialized = count
        }
    }

    // MARK: Serialization

    /// Parses a complete `.npy` file held in memory.
    /// - Parameters:
    ///   - bytes: the whole file.
    ///   - path: the name used in errors.
    /// - Throws: ``NPYError``: header problems, or ``NPYError/truncatedData(path:expected:actual:)``
    ///   / ``NPYError/trailingData(path:expected:actual:)`` when the data length is not exact.
    public init(npyBytes bytes: UnsafeRawBufferPointer, path: String = "<memory>") throws {
        let header = try NPYHeader.parse(bytes, path: path)
        let available = bytes.count - header.dataOffset
        guard available >= header.dataByteCount else {
            throw NPYError.truncatedData(path: path, expected: header.dataByteCount, actual: available)
        }
        guard available == header.dataByteCount else {
            throw NPYError.trailingData(path: path, expected: header.dataByteCount, actual: available)
        }
        self.shape = header.shape
        self.dtype = header.dtype
        self.data = Array(bytes[header.dataOffset...])
    }

    /// The complete file contents `np.save` would write for this array.
    /// - Parameter version: see ``NPYHeader/encoded(version:)``.
    public func npyBytes(version: NPYVersion? = nil) throws -> [UInt8] {
        try validate()
        return try NPYHeader(dtype: dtype, shape: shape).encoded(version: version) + data
    }
}
