import CZlibShim
import ModelIR

/// Constants of schemas/swm.md, version 1.0.
enum SWMLayout {
    static let magic: [UInt8] = [0x89, 0x53, 0x57, 0x4D, 0x0D, 0x0A, 0x1A, 0x0A]
    static let majorVersion: UInt16 = 1
    static let minorVersion: UInt16 = 1
    static let byteOrderMark: UInt32 = 0x0A0B_0C0D
    static let fixedHeaderSize = 64
    static let entrySize = 48
    static let maxHeaderSize = 64 << 20
    static let maxTensorCount = 1 << 20
    static let maxRank = 8
    static let maxNameLength = 4096
    static let maxDim: UInt64 = 1 << 40
    static let tensorAlignment = 64
    static let pageSize = 4096
}

/// CRC-32 (zlib's polynomial) of a byte range, in chunks zlib's 32-bit length accepts.
public func swmCRC32(_ bytes: UnsafeRawBufferPointer, initial: UInt32 = 0) -> UInt32 {
    guard let base = bytes.baseAddress, bytes.count > 0 else { return initial }
    var crc = UInt(initial)
    var offset = 0
    while offset < bytes.count {
        let chunk = min(bytes.count - offset, 1 << 30)
        crc = crc32(crc, base.advanced(by: offset).assumingMemoryBound(to: Bytef.self), uInt(chunk))
        offset += chunk
    }
    return UInt32(truncatingIfNeeded: crc)
}

/// One validated tensor table entry.
public struct SWMTensorEntry: Sendable, Equatable {
    public var name: String
    public var dtype: DType
    public var shape: [Int]
    public var layout: Layout
    public var trainable: Bool
    public var crc32: UInt32
    /// Offset from the start of the file.
    public var fileOffset: Int
    public var byteLength: Int

    public var info: TensorInfo { TensorInfo(name: name, dtype: dtype, shape: shape, layout: layout) }
}

/// Little-endian field access over untrusted bytes; every read is bounds-checked by the caller's
/// earlier length check, and `load` is unaligned-safe.
extension UnsafeRawBufferPointer {
    func le<T: FixedWidthInteger>(_ offset: Int, as: T.Type) -> T {
        T(littleEndian: loadUnaligned(fromByteOffset: offset, as: T.self))
    }
}

extension Array where Element == UInt8 {
    mutating func appendLE<T: FixedWidthInteger>(_ value: T) {
        Swift.withUnsafeBytes(of: value.littleEndian) { append(contentsOf: $0) }
    }

    mutating func storeLE<T: FixedWidthInteger>(_ value: T, at offset: Int) {
        Swift.withUnsafeBytes(of: value.littleEndian) { raw in
            for (i, b) in raw.enumerated() { self[offset + i] = b }
        }
    }
}
