import FileSupport
import Foundation

/// Writes a `.npy` file row by row when the first dimension is not known up front, e.g. the
/// features of an image directory computed batch by batch. Memory stays flat: rows are written
/// through a fixed 1 MiB buffer.
///
/// The file is built at `<name>.tmp-XXXXXX` with a header for zero rows; because NumPy's header
/// reserves room for a 21-digit first dimension, ``finish()`` rewrites it in place with the final
/// row count and renames the file into place. The result is byte-identical to `np.save` of the
/// whole array. Until then nothing exists under the final name; ``cancel()``, an error or
/// dropping the writer removes the temporary file.
///
/// Final shape: `[rowCount] + innerShape`, C order.
public final class NPYStreamWriter {
    public let url: URL
    public let dtype: NPYDType
    /// The shape of one row (all dimensions but the first).
    public let innerShape: [Int]
    /// Rows appended so far.
    public private(set) var rowCount = 0

    private let rowElements: Int
    private let rowBytes: Int
    private let headerSize: Int
    private var file: AtomicOutput?
    private var buffer: [UInt8] = []
    private static let bufferCapacity = 1 << 20

    /// Creates the temporary file and writes a provisional header.
    /// - Parameters:
    ///   - url: the final destination; replaced by ``finish()`` if it exists.
    ///   - dtype: the element type written.
    ///   - innerShape: the shape of each row, e.g. `[7, 7, 512]` for VGG16 features.
    /// - Throws: shape errors, or ``NPYError/io(path:operation:errno:)``.
    public init(url: URL, dtype: NPYDType, innerShape: [Int]) throws {
        let header = try NPYHeader(dtype: dtype, shape: [0] + innerShape)
        self.url = url
        self.dtype = dtype
        self.innerShape = innerShape
        self.rowElements = innerShape.reduce(1, *)  // cannot overflow: checked by the header above
        self.rowBytes = rowElements * dtype.itemSize
        let headerBytes = header.encoded()
        self.headerSize = headerBytes.count
        let file = try NPYError.translating { try AtomicOutput(destination: url.path, overwrite: true, permissions: nil) }
        try NPYError.translating { try file.write(headerBytes) }
        self.file = file
        buffer.reserveCapacity(Self.bufferCapacity)
    }

    deinit {
        file?.discard()
    }

    /// Appends whole rows of `Float` values (row-major). The writer's dtype must be `float32`,
    /// or `float64` (each value is widened exactly).
    /// - Throws: ``NPYError/partialRow(path:rowElements:count:)`` if `floats.count` is not a
    ///   multiple of the row size (or the row size is 0: use ``append(rows:)`` then),
    ///   ``NPYError/dtypeMismatch(path:expected:actual:)`` for other dtypes.
    public func append(floats: UnsafeBufferPointer<Float>) throws {
        guard rowElements > 0, floats.count % rowElements == 0 else {
            throw NPYError.partialRow(path: url.path, rowElements: rowElements, count: floats.count)
        }
        switch dtype {
        case .float32:
            try appendBytes(UnsafeRawBufferPointer(floats), rows: floats.count / rowElements)
        case .float64:
            let widened = floats.map { Double($0) }
            try widened.withUnsafeBytes { try appendBytes($0, rows: floats.count / rowElements) }
        default:
            throw NPYError.dtypeMismatch(path: url.path, expected: dtype, actual: .float32)
        }
    }

    /// Appends whole rows of `Float` values; see ``append(floats:)-(UnsafeBufferPointer<Float>)``.
    public func append(floats: [Float]) throws {
        try floats.withUnsafeBufferPointer { try append(floats: $0) }
    }

    /// Appends the rows of `rows`, whose shape must be `[k] + innerShape` and whose dtype must
    /// equal the writer's.
    public func append(rows: NPYArray) throws {
        guard rows.dtype == dtype else {
            throw NPYError.dtypeMismatch(path: url.path, expected: dtype, actual: rows.dtype)
        }
        guard rows.shape.count == innerShape.count + 1, Array(rows.shape.dropFirst()) == innerShape else {
            throw NPYError.rowShapeMismatch(path: url.path, expectedInner: innerShape, actual: rows.shape)
        }
        let expected = try NPYHeader(dtype: rows.dtype, shape: rows.shape).dataByteCount
        guard rows.data.count == expected else {
            throw NPYError.inconsistentArray(shape: rows.shape, dtype: rows.dtype, byteCount: rows.data.count)
        }
        try rows.data.withUnsafeBytes { try appendBytes($0, rows: rows.shape[0]) }
    }

    /// Appends raw little-endian element bytes holding a whole number of rows.
    /// - Throws: ``NPYError/partialRowBytes(path:rowBytes:count:)`` otherwise (or if a row has no
    ///   bytes: use ``append(rows:)`` then).
    public func append(bytes: UnsafeRawBufferPointer) throws {
        guard rowBytes > 0, bytes.count % rowBytes == 0 else {
            throw NPYError.partialRowBytes(path: url.path, rowBytes: rowBytes, count: bytes.count)
        }
        try appendBytes(bytes, rows: bytes.count / rowBytes)
    }

    private func appendBytes(_ bytes: UnsafeRawBufferPointer, rows: Int) throws {
        guard let file else { throw NPYError.writerClosed(path: url.path) }
        do {
            if buffer.count + bytes.count > Self.bufferCapacity {
                try flush(file)
            }
            if bytes.count >= Self.bufferCapacity {
                try NPYError.translating { try file.write(bytes) }
            } else {
                buffer.append(contentsOf: bytes)
            }
            rowCount += rows
        } catch {
            cancel()
            throw error
        }
    }

    private func flush(_ file: AtomicOutput) throws {
        guard !buffer.isEmpty else { return }
        try NPYError.translating { try file.write(buffer) }
        buffer.removeAll(keepingCapacity: true)
    }

    /// Writes the final header, flushes, fsyncs and renames the file to ``url``.
    /// - Returns: the final shape, `[rowCount] + innerShape`.
    @discardableResult
    public func finish() throws -> [Int] {
        let (shape, file) = try finishUncommitted()
        try NPYError.translating { try file.commit() }
        return shape
    }

    /// Writes the final header and flushes, but leaves the commit to the caller, who commits
    /// several outputs of one command together (`AtomicOutput.commit(_:durable:)`). The writer
    /// is closed afterwards.
    /// - Returns: the final shape and the complete, still unnamed output.
    public func finishUncommitted() throws -> (shape: [Int], output: AtomicOutput) {
        guard let file else { throw NPYError.writerClosed(path: url.path) }
        do {
            try flush(file)
            let shape = [rowCount] + innerShape
            let header = try Self.header(dtype: dtype, shape: shape, expectedSize: headerSize, path: url.path)
            try NPYError.translating { try file.write(header, at: 0) }
            self.file = nil
            return (shape, file)
        } catch {
            cancel()
            throw error
        }
    }

    /// The header for `shape`, which must keep the size the zero-row header had: NumPy reserves 21
    /// digits for the first dimension, more than `Int.max` has, so rows can grow in place.
    public static func header(dtype: NPYDType, shape: [Int], expectedSize: Int, path: String) throws -> [UInt8] {
        let header = try NPYHeader(dtype: dtype, shape: shape).encoded()
        guard header.count == expectedSize else {
            throw NPYError.invalidShape(path: path, shape: "\(shape)", reason: "header grew while streaming")
        }
        return header
    }

    /// Abandons the output: closes and removes the temporary file. Idempotent.
    public func cancel() {
        file?.discard()
        file = nil
        buffer = []
    }
}
