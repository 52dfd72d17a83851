import Foundation

/// Data movement as one loop: every element of a box of the output is read from the input at an
/// offset chosen independently per axis. Element `(i₀, …, iₙ)` of the box comes from input element
/// `sourceBase + tables[0][i₀] + … + tables[n][iₙ]` and goes to output element
/// `destinationBase + Σ iₖ · destinationStrides[k]` (offsets in elements).
///
/// Transpose, slice (any step), expand, tile, pad (every mode), nearest resize, gather, concat,
/// split and the depth/space rearrangements are all such tables, so they share this loop: raw
/// bytes of any dtype, the trailing axes that read and write contiguously merged into one
/// `memcpy`, a typed element loop otherwise.
struct _IndexedCopy {
    /// Per box axis: input element offsets, one per index along the axis.
    var tables: [[Int]]
    var sourceBase: Int = 0
    /// Per box axis: output element strides (nil: the box is the whole, contiguous output).
    var destinationStrides: [Int]? = nil
    var destinationBase: Int = 0

    init(tables: [[Int]], sourceBase: Int = 0, destinationStrides: [Int]? = nil, destinationBase: Int = 0) {
        self.tables = tables
        self.sourceBase = sourceBase
        self.destinationStrides = destinationStrides
        self.destinationBase = destinationBase
    }

    /// Tables reading `shape` (row-major) with its axes permuted: output axis `k` walks input axis `perm[k]`.
    static func transposed(_ shape: [Int], perm: [Int]) -> _IndexedCopy {
        let strides = Shape.strides(shape)
        return _IndexedCopy(tables: perm.map { axis in affine(count: shape[axis], stride: strides[axis]) })
    }

    /// `start, start + stride, …` (`count` of them).
    static func affine(count: Int, stride: Int, start: Int = 0) -> [Int] {
        var table = [Int](repeating: 0, count: max(count, 0))
        var v = start
        for i in table.indices {
            table[i] = v
            v &+= stride
        }
        return table
    }

    /// Copies the box from `source` to `destination` (`elementSize`-byte elements).
    func run(from source: UnsafeRawPointer, to destination: UnsafeMutableRawPointer, elementSize: Int) {
        let rank = tables.count
        if tables.contains(where: \.isEmpty) { return }
        let dstStrides = destinationStrides ?? Shape.strides(tables.map(\.count))
        // Keep the axes with more than one index (the others only move the bases).
        var srcBase = sourceBase, dstBase = destinationBase
        var axes: [(table: [Int], dstStride: Int)] = []
        for k in 0..<rank {
            if tables[k].count == 1 {
                srcBase += tables[k][0]
            } else {
                axes.append((tables[k], dstStrides[k]))
            }
        }
        // Trailing axes that read and write consecutive elements become one contiguous block.
        var block = 1
        while let last = axes.last, last.dstStride == block, Self.isAffine(last.table, stride: block) {
            srcBase += last.table[0]
            block *= last.table.count
            axes.removeLast()
        }
        let blockBytes = block * elementSize
        guard let inner = axes.last else {
            (destination + dstBase * elementSize).copyMemory(from: source + srcBase * elementSize, byteCount: blockBytes)
            return
        }
        let outer = axes.dropLast()
        var index = [Int](repeating: 0, count: outer.count)
        var srcOffset = srcBase + outer.reduce(0) { $0 + $1.table[0] }, dstOffset = dstBase
        while true {
            Self.copyRun(source, destination, inner.table, srcOffset: srcOffset, dstOffset: dstOffset, dstStride: inner.dstStride,
                         block: block, elementSize: elementSize)
            var k = outer.count - 1
            while k >= 0 {
                let axis = outer[outer.startIndex + k]
                srcOffset -= axis.table[index[k]]
                index[k] += 1
                dstOffset += axis.dstStride
                if index[k] < axis.table.count {
                    srcOffset += axis.table[index[k]]
                    break
                }
                index[k] = 0
                srcOffset += axis.table[0]
                dstOffset -= axis.dstStride * axis.table.count
                k -= 1
            }
            if k < 0 { return }
        }
    }

    private static func isAffine(_ table: [Int], stride: Int) -> Bool {
        guard let first = table.first else { return false }
        var expected = first
        for v in table {
            if v != expected { return false }
            expected &+= stride
        }
        return true
    }

    /// One run along the innermost table: `table.count` blocks of `block` elements.
    @inline(__always)
    private static func copyRun(_ src: UnsafeRawPointer, _ dst: UnsafeMutableRawPointer, _ table: [Int], srcOffset: Int,
                                dstOffset: Int, dstStride: Int, block: Int, elementSize: Int) {
        if block == 1 {
            switch elementSize {
            case 1: return copyElements(UInt8.self, src, dst, table, srcOffset, dstOffset, dstStride)
            case 2: return copyElements(UInt16.self, src, dst, table, srcOffset, dstOffset, dstStride)
            case 4: return copyElements(UInt32.self, src, dst, table, srcOffset, dstOffset, dstStride)
            case 8: return copyElements(UInt64.self, src, dst, table, srcOffset, dstOffset, dstStride)
            default: break
            }
        }
        let bytes = block * elementSize
        table.withUnsafeBufferPointer { t in
            var d = dstOffset
            for offset in t {
                (dst + d * elementSize).copyMemory(from: src + (srcOffset + offset) * elementSize, byteCount: bytes)
                d += dstStride
            }
        }
    }

    @inline(__always)
    private static func copyElements<T>(_: T.Type, _ src: UnsafeRawPointer, _ dst: UnsafeMutableRawPointer, _ table: [Int],
                                        _ srcOffset: Int, _ dstOffset: Int, _ dstStride: Int) {
        let size = MemoryLayout<T>.size
        table.withUnsafeBufferPointer { t in
            var d = dstOffset * size
            let step = dstStride * size
            let base = src + srcOffset * size
            for offset in t {
                dst.storeBytes(of: base.loadUnaligned(fromByteOffset: offset * size, as: T.self), toByteOffset: d, as: T.self)
                d += step
            }
        }
    }
}

extension Tensor {
    /// A new tensor of `shape` whose elements an `_IndexedCopy` reads from this one's bytes.
    func gathered(_ copy: _IndexedCopy, shape: [Int]) -> Tensor {
        Tensor(dtype: dtype, shape: shape) { raw in
            guard let dst = raw.baseAddress, let src = data.bytes.baseAddress else { return }
            copy.run(from: src, to: dst, elementSize: dtype.byteSize)
        }
    }

    /// A tensor of `shape` with every element `value` (one element of bytes, repeated).
    static func filled(_ value: [UInt8], dtype: DType, shape: [Int]) -> Tensor {
        Tensor(dtype: dtype, shape: shape) { raw in _fill(raw, with: value) }
    }
}

/// Repeats the element `value` over `raw` (doubling copies: a few `memcpy`s for any size).
func _fill(_ raw: UnsafeMutableRawBufferPointer, with value: [UInt8]) {
    guard let base = raw.baseAddress, !value.isEmpty, raw.count >= value.count else { return }
    if value.allSatisfy({ $0 == 0 }) {
        base.initializeMemory(as: UInt8.self, repeating: 0, count: raw.count)
        return
    }
    value.withUnsafeBytes { v in
        if let p = v.baseAddress { base.copyMemory(from: p, byteCount: v.count) }
    }
    var filled = value.count
    while filled < raw.count {
        let n = min(filled, raw.count - filled)
        (base + filled).copyMemory(from: base, byteCount: n)
        filled += n
    }
}
