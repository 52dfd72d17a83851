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

/// Element conversions between storage dtypes and Float32, in IEEE round-to-nearest-even.
public enum DTypeConversion {
    public static func toFloat32(_ src: UnsafeRawBufferPointer, dtype: DType, into dst: UnsafeMutableBufferPointer<Float>) {
        let n = min(dst.count, src.count / dtype.byteSize)
        switch dtype {
        case .float32:
            for i in 0..<n { dst[i] = src.loadUnaligned(fromByteOffset: i * 4, as: Float.self) }
        case .float16:
            for i in 0..<n { dst[i] = halfToFloat(src.loadUnaligned(fromByteOffset: i * 2, as: UInt16.self)) }
        case .bfloat16:
            for i in 0..<n { dst[i] = Float(bitPattern: UInt32(src.loadUnaligned(fromByteOffset: i * 2, as: UInt16.self)) << 16) }
        case .float64:
            for i in 0..<n { dst[i] = Float(src.loadUnaligned(fromByteOffset: i * 8, as: Double.self)) }
        case .int8:
            for i in 0..<n { dst[i] = Float(src.load(fromByteOffset: i, as: Int8.self)) }
        case .uint8, .bool:
            for i in 0..<n { dst[i] = Float(src[i]) }
        case .int32:
            for i in 0..<n { dst[i] = Float(src.loadUnaligned(fromByteOffset: i * 4, as: Int32.self)) }
        case .int64:
            for i in 0..<n { dst[i] = Float(src.loadUnaligned(fromByteOffset: i * 8, as: Int64.self)) }
        }
    }

    /// Converts f32 elements to `dtype` storage (f32, f16 or bf16).
    public static func fromFloat32(_ src: UnsafeBufferPointer<Float>, to dtype: DType, into dst: UnsafeMutableRawBufferPointer) {
        switch dtype {
        case .float16:
            for (i, v) in src.enumerated() { dst.storeBytes(of: floatToHalf(v), toByteOffset: i * 2, as: UInt16.self) }
        case .bfloat16:
            for (i, v) in src.enumerated() { dst.storeBytes(of: floatToBFloat16(v), toByteOffset: i * 2, as: UInt16.self) }
        default:
            for (i, v) in src.enumerated() { dst.storeBytes(of: v, toByteOffset: i * 4, as: Float.self) }
        }
    }

    public static func halfToFloat(_ bits: UInt16) -> Float {
        #if arch(arm64)
        return Float(Float16(bitPattern: bits))
        #else
        let sign = UInt32(bits & 0x8000) << 16
        let exponent = Int(bits >> 10) & 0x1f
        let mantissa = UInt32(bits & 0x3ff)
        if exponent == 0 {
            // Zero or subnormal: value = mantissa × 2^-24.
            let magnitude = Float(mantissa) * Float(sign: .plus, exponent: -24, significand: 1)
            return sign == 0 ? magnitude : -magnitude
        }
        if exponent == 31 {
            return Float(bitPattern: sign | 0x7f80_0000 | (mantissa << 13))
        }
        return Float(bitPattern: sign | UInt32(exponent - 15 + 127) << 23 | (mantissa << 13))
        #endif
    }

    public static func floatToHalf(_ value: Float) -> UInt16 {
        let bits = value.bitPattern
        let sign = UInt16((bits >> 16) & 0x8000)
        let exponent = Int((bits >> 23) & 0xff)
        var mantissa = bits & 0x7f_ffff
        if exponent == 0xff { // inf or nan
            return sign | 0x7c00 | (mantissa != 0 ? 0x200 : 0)
        }
        var e = exponent - 127 + 15
        if e >= 31 { return sign | 0x7c00 }
        if e <= 0 {
            if e < -10 { return sign }
            mantissa |= 0x80_0000
            let shift = UInt32(14 - e)
            var half = mantissa >> shift
            let remainder = mantissa & ((1 << shift) - 1)
            let halfway = UInt32(1) << (shift - 1)
            if remainder > halfway || (remainder == halfway && (half & 1) == 1) { half += 1 }
            return sign | UInt16(half)
        }
        var half = UInt32(e) << 10 | (mantissa >> 13)
        let remainder = mantissa & 0x1fff
        if remainder > 0x1000 || (remainder == 0x1000 && (half & 1) == 1) { half += 1 }
        e = Int(half >> 10)
        return sign | UInt16(truncatingIfNeeded: half)
    }

    public static func floatToBFloat16(_ value: Float) -> UInt16 {
        let bits = value.bitPattern
        if value.isNaN { return UInt16(bits >> 16) | 0x40 }
        let rounding = UInt32(0x7fff) + ((bits >> 16) & 1)
        return UInt16((bits &+ rounding) >> 16)
    }
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
