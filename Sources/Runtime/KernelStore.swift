/// Where an ``Executor`` keeps kernels it derived from a model's weights (Winograd transforms)
/// between processes, so the next load reuses them instead of transforming again.
///
/// The runtime knows no file: it asks a store by key and hands it floats to keep. wtool's own
/// store is a directory of mapped `.wk` files (FileSupport's `DiskKernelCache`, which the WTool
/// library wires in as `ExecutorOptions.kernelCache`); a test can keep entries in memory.
///
/// A key names the weight's source bytes (the file, its identity and the offset; see the IR's
/// `FileBackedStorage`), the transform and the shape, so a store never needs to understand it;
/// kernels of weights that have no stable source are never offered to a store.
public protocol KernelStore: AnyObject, Sendable {
    /// The floats stored under `key`, exactly `count` of them, or nil on a miss (no entry, or one
    /// that does not match).
    /// - Returns: the floats and an object that keeps their memory valid while it lives.
    func load(key: String, count: Int) -> (floats: UnsafeBufferPointer<Float>, owner: AnyObject)?

    /// Keeps a copy of `floats` under `key`. A store may fail silently: the next load transforms
    /// again.
    func store(key: String, floats: UnsafeBufferPointer<Float>)
}

/// The executor's side of a ``KernelStore``: weights in, weights out.
struct _KernelCache: Sendable {
    let store: any KernelStore

    /// The stored transform for `key`, viewed where the store keeps it, or nil on a miss.
    func load(key: String, count: Int) -> _FloatWeights? {
        guard let (floats, owner) = store.load(key: key, count: count), floats.count == count, let base = floats.baseAddress else {
            return nil
        }
        return _FloatWeights(viewing: base, count: count, in: owner)
    }

    /// Offers `weights` to the store under `key`.
    func store(key: String, _ weights: _FloatWeights) {
        withExtendedLifetime(weights) { store.store(key: key, floats: weights.buffer) }
    }
}
