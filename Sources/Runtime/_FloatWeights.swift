import ModelIR
#if canImport(Glibc)
import Glibc
#endif

/// A weight as contiguous float32, as the kernels and BLAS read it.
///
/// An aligned f32 weight is a zero-copy view of the graph's bytes (often a mapped `.swm` file);
/// other floating-point dtypes are converted once, at load, into owned 64-byte aligned memory.
struct _FloatWeights: @unchecked Sendable {
    let pointer: UnsafePointer<Float>
    let count: Int
    /// Keeps the memory behind `pointer` alive.
    private let owner: AnyObject
    /// The file bytes these floats were read from (as they are, or converted from `dtype`), for
    /// keys of what is derived from them; nil for computed weights.
    private let origin: (storage: FileBackedStorage, bytes: UnsafeRawPointer, dtype: DType)?
    /// For a copy of part of a file-backed weight: the part, named after the file bytes.
    private var derivedIdentity: String? = nil

    /// Wraps `weight` for `node`, converting from its dtype when it is not float32.
    /// - Throws: `RuntimeError.unsupportedWeightType` for integer and boolean weights.
    init(_ weight: Weight, node: String, role: String) throws {
        let dtype = weight.info.dtype
        guard dtype.isFloatingPoint else {
            throw RuntimeError.unsupportedWeightType(node: node, weight: role, dtype: dtype)
        }
        let count = weight.data.count / dtype.byteSize
        if let storage = weight.data.owner as? FileBackedStorage, let base = weight.data.bytes.baseAddress {
            self.origin = (storage, base, dtype)
        } else {
            self.origin = nil
        }
        if dtype == .float32, let base = weight.data.bytes.baseAddress,
           Int(bitPattern: base) % MemoryLayout<Float>.alignment == 0 {
            // The bytes are never written, so viewing them as Float cannot break aliasing rules.
            self.pointer = base.assumingMemoryBound(to: Float.self)
            self.count = count
            self.owner = weight.data.owner
            return
        }
        let buffer = OwnedBuffer(byteCount: count * MemoryLayout<Float>.stride)
        let typed = buffer.pointer.bindMemory(to: Float.self, capacity: max(count, 1))
        DTypeConversion.toFloat32(weight.data.bytes, dtype: dtype, into: UnsafeMutableBufferPointer(start: typed, count: count))
        self.pointer = UnsafePointer(typed)
        self.count = count
        self.owner = buffer
    }

    /// Owned copy of `values` (folded kernels, batch-norm coefficients).
    init(copying values: [Float]) {
        let buffer = OwnedBuffer(byteCount: values.count * MemoryLayout<Float>.stride)
        let typed = buffer.pointer.bindMemory(to: Float.self, capacity: max(values.count, 1))
        values.withUnsafeBufferPointer { src in
            if let base = src.baseAddress { typed.update(from: base, count: values.count) }
        }
        self.pointer = UnsafePointer(typed)
        self.count = values.count
        self.owner = buffer
        self.origin = nil
    }

    /// Takes `buffer`, which holds `count` floats (transformed kernels).
    init(owning buffer: OwnedBuffer, count: Int) {
        self.pointer = UnsafePointer(buffer.pointer.bindMemory(to: Float.self, capacity: max(count, 1)))
        self.count = count
        self.owner = buffer
        self.origin = nil
    }

    /// An owned copy of the output channels `channels` of `kernel`, a convolution kernel whose
    /// last axis holds `outChannels` (HWIO, or a vector of one value per channel), named after the
    /// file bytes of `kernel` and the range, so what is derived from it can be cached.
    init(outputChannels channels: Range<Int>, of kernel: _FloatWeights, outChannels: Int) {
        let rows = kernel.count / max(outChannels, 1), width = channels.count
        let buffer = OwnedBuffer(byteCount: rows * width * MemoryLayout<Float>.stride)
        let typed = buffer.pointer.bindMemory(to: Float.self, capacity: max(rows * width, 1))
        withExtendedLifetime(kernel.owner) {
            for r in 0..<rows { (typed + r * width).update(from: kernel.pointer + r * outChannels + channels.lowerBound, count: width) }
        }
        self.pointer = UnsafePointer(typed)
        self.count = rows * width
        self.owner = buffer
        self.origin = nil
        self.derivedIdentity = kernel.sourceIdentity.map { "\($0)[channels \(channels.lowerBound)..<\(channels.upperBound) of \(outChannels)]" }
    }

    /// A view of `count` floats at `pointer`, kept alive by `storage` (a mapped cache file).
    init(viewing pointer: UnsafePointer<Float>, count: Int, in storage: AnyObject) {
        self.pointer = pointer
        self.count = count
        self.owner = storage
        self.origin = nil
    }

    /// Names the file bytes these floats come from (see `FileBackedStorage.sourceIdentity`), or nil
    /// when they were computed or their file is gone or changed.
    var sourceIdentity: String? {
        if let derivedIdentity { return derivedIdentity }
        guard let origin, let identity = origin.storage.sourceIdentity(of: origin.bytes) else { return nil }
        return "\(identity):\(origin.dtype)"
    }

    /// Drops the whole pages of a file-backed view from this process's resident memory (they stay
    /// in the page cache and come back on the next read); does nothing for owned memory. For a
    /// weight the executor no longer reads, such as a kernel it has transformed.
    func releaseResidentPages() {
        #if os(Linux)
        guard owner is FileBackedStorage else { return }
        let page = Int(sysconf(Int32(_SC_PAGESIZE)))
        let start = (Int(bitPattern: pointer) + page - 1) / page * page
        let end = (Int(bitPattern: pointer) + count * MemoryLayout<Float>.stride) / page * page
        guard end > start, let base = UnsafeMutableRawPointer(bitPattern: start) else { return }
        _ = madvise(base, end - start, MADV_DONTNEED)
        #endif
    }

    /// Whether this is a view of `data`'s bytes rather than a copy (tests check zero-copy loading).
    func isView(of data: TensorData) -> Bool {
        UnsafeRawPointer(pointer) == data.bytes.baseAddress
    }

    /// Valid only while this value (which keeps the memory alive) is.
    var buffer: UnsafeBufferPointer<Float> { UnsafeBufferPointer(start: pointer, count: count) }

    /// A copy of the elements.
    var array: [Float] { withExtendedLifetime(owner) { Array(buffer) } }
}
