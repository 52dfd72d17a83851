import Foundation

/// Bytes of a constant tensor: either owned memory or a view into something that outlives it (a
/// mapped `.swm` file). Copying a `TensorData` never copies the bytes.
public struct TensorData: @unchecked Sendable {
    /// Keeps the memory behind `bytes` alive (an owned buffer or a mapped file).
    public let owner: AnyObject
    public let bytes: UnsafeRawBufferPointer

    /// A view into memory that `owner` keeps alive; no copy.
    public init(view bytes: UnsafeRawBufferPointer, owner: AnyObject) {
        self.bytes = bytes
        self.owner = owner
    }

    /// Copies `bytes` into owned, 64-byte aligned memory.
    public init(copying bytes: UnsafeRawBufferPointer) {
        let buffer = OwnedBuffer(byteCount: bytes.count)
        if let base = bytes.baseAddress, bytes.count > 0 {
            buffer.pointer.copyMemory(from: base, byteCount: bytes.count)
        }
        self.owner = buffer
        self.bytes = UnsafeRawBufferPointer(start: buffer.pointer, count: bytes.count)
    }

    public init(copying bytes: [UInt8]) {
        self = bytes.withUnsafeBytes { TensorData(copying: $0) }
    }

    public init(floats: [Float]) {
        self = floats.withUnsafeBytes { TensorData(copying: $0) }
    }

    /// Takes over freshly allocated memory: `fill` writes exactly `byteCount` bytes.
    public init(byteCount: Int, fill: (UnsafeMutableRawBufferPointer) throws -> Void) rethrows {
        let buffer = OwnedBuffer(byteCount: byteCount)
        try fill(UnsafeMutableRawBufferPointer(start: buffer.pointer, count: byteCount))
        self.owner = buffer
        self.bytes = UnsafeRawBufferPointer(start: buffer.pointer, count: byteCount)
    }

    public var count: Int { bytes.count }

    /// The elements as `Float`, converting from `dtype` (f32, f16, bf16, f64, integers).
    public func floatArray(as dtype: DType) -> [Float] {
        let n = bytes.count / dtype.byteSize
        var out = [Float](repeating: 0, count: n)
        out.withUnsafeMutableBufferPointer { dst in
            DTypeConversion.toFloat32(bytes, dtype: dtype, into: dst)
        }
        return out
    }

    /// Byte-wise equality (used by round-trip tests and `diff`).
    public func bytesEqual(_ other: TensorData) -> Bool {
        guard bytes.count == other.bytes.count else { return false }
        guard let a = bytes.baseAddress, let b = other.bytes.baseAddress else { return true }
        return memcmp(a, b, bytes.count) == 0
    }
}

/// 64-byte aligned heap memory, freed on deinit.
public final class OwnedBuffer: @unchecked Sendable {
    public let pointer: UnsafeMutableRawPointer
    public let byteCount: Int

    public init(byteCount: Int) {
        self.byteCount = byteCount
        self.pointer = UnsafeMutableRawPointer.allocate(byteCount: max(byteCount, 1), alignment: 64)
    }

    deinit { pointer.deallocate() }
}

/// Marks a `TensorData` owner whose bytes are a read-only, private mapping of a file that is never
/// written: the pages can be dropped from the process at any time (`madvise(MADV_DONTNEED)`) and
/// are read back from the file on the next access. The runtime uses it to release a kernel's
/// pages once it has made its own transformed copy, and keys its kernel cache by where the bytes
/// come from.
public protocol FileBackedStorage: AnyObject {
    /// A string that names the bytes at `pointer` and changes when they could have: the file's
    /// device, inode, size and modification time, and the offset. Nil when `pointer` is outside
    /// the mapping or the path no longer names the mapped file (a temporary file already
    /// unlinked, a file replaced since it was mapped), so nothing derived from it outlives it.
    func sourceIdentity(of pointer: UnsafeRawPointer) -> String?
}
