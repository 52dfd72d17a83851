/// XXH64 (Yann Collet's xxHash, 64-bit variant, seed 0 unless given): the checksum of kernel-cache
/// entries. Its specification is `doc/xxhash_spec.md` in the xxHash repository; the values it
/// produces equal libxxhash's `XXH64()` (FileSupportTests compares them with Debian's
/// `libxxhash.so.0` when it is installed, and with fixed vectors otherwise).
///
/// Why this and not zlib's CRC-32: over 120 MiB (the size of VGG16's transformed kernels), best
/// of 5 on this project's 2-core machine at load average ~7, zlib 1.2.13's `crc32` took 40 ms
/// (3.1 GB/s) and this XXH64, compiled `-O`, 18 ms (6.9 GB/s) — a quarter of the ~70 ms the cache
/// saves, against more than half. CRC32C would need the SSE4.2 instruction, which Swift reaches
/// only through a C target, and xxHash is not packaged with a header for Swift here (Debian ships
/// `libxxhash0`, the library alone). 64 bits make an undetected random corruption a 2⁻⁶⁴ event; tampering by
/// another user is kept out by the ownership and mode checks, not by the hash (no fast
/// non-cryptographic hash resists a forger).
struct _XXH64 {
    private static let p1: UInt64 = 0x9E37_79B1_85EB_CA87
    private static let p2: UInt64 = 0xC2B2_AE3D_27D4_EB4F
    private static let p3: UInt64 = 0x1656_67B1_9E37_79F9
    private static let p4: UInt64 = 0x85EB_CA77_C2B2_AE63
    private static let p5: UInt64 = 0x27D4_EB2F_1656_67C5

    @inline(__always)
    private static func rotl(_ x: UInt64, _ r: UInt64) -> UInt64 { (x << r) | (x >> (64 &- r)) }

    @inline(__always)
    private static func round(_ acc: UInt64, _ lane: UInt64) -> UInt64 {
        rotl(acc &+ lane &* p2, 31) &* p1
    }

    @inline(__always)
    private static func merge(_ acc: UInt64, _ value: UInt64) -> UInt64 {
        (acc ^ round(0, value)) &* p1 &+ p4
    }

    /// The XXH64 of `bytes`.
    static func hash(_ bytes: UnsafeRawBufferPointer, seed: UInt64 = 0) -> UInt64 {
        guard let base = bytes.baseAddress else { return finish(seed &+ p5, length: 0, tail: UnsafeRawBufferPointer(start: nil, count: 0)) }
        let count = bytes.count
        var offset = 0
        var h: UInt64
        if count >= 32 {
            var v1 = seed &+ p1 &+ p2, v2 = seed &+ p2, v3 = seed, v4 = seed &- p1
            let limit = count - 32
            while offset <= limit {
                v1 = round(v1, UInt64(littleEndian: base.loadUnaligned(fromByteOffset: offset, as: UInt64.self)))
                v2 = round(v2, UInt64(littleEndian: base.loadUnaligned(fromByteOffset: offset + 8, as: UInt64.self)))
                v3 = round(v3, UInt64(littleEndian: base.loadUnaligned(fromByteOffset: offset + 16, as: UInt64.self)))
                v4 = round(v4, UInt64(littleEndian: base.loadUnaligned(fromByteOffset: offset + 24, as: UInt64.self)))
                offset += 32
            }
            h = rotl(v1, 1) &+ rotl(v2, 7) &+ rotl(v3, 12) &+ rotl(v4, 18)
            h = merge(h, v1)
            h = merge(h, v2)
            h = merge(h, v3)
            h = merge(h, v4)
        } else {
            h = seed &+ p5
        }
        return finish(h &+ UInt64(count), length: count,
                      tail: UnsafeRawBufferPointer(start: base + offset, count: count - offset))
    }

    private static func finish(_ start: UInt64, length: Int, tail: UnsafeRawBufferPointer) -> UInt64 {
        var h = start
        var i = 0
        let n = tail.count
        if let base = tail.baseAddress {
            while i + 8 <= n {
                h ^= round(0, UInt64(littleEndian: base.loadUnaligned(fromByteOffset: i, as: UInt64.self)))
                h = rotl(h, 27) &* p1 &+ p4
                i += 8
            }
            if i + 4 <= n {
                h ^= UInt64(UInt32(littleEndian: base.loadUnaligned(fromByteOffset: i, as: UInt32.self))) &* p1
                h = rotl(h, 23) &* p2 &+ p3
                i += 4
            }
            while i < n {
                h ^= UInt64(base.load(fromByteOffset: i, as: UInt8.self)) &* p5
                h = rotl(h, 11) &* p1
                i += 1
            }
        }
        h ^= h >> 33
        h = h &* p2
        h ^= h >> 29
        h = h &* p3
        h ^= h >> 32
        return h
    }
}
