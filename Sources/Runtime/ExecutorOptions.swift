import Foundation

/// How an ``Executor`` prepares and runs a graph.
public struct ExecutorOptions: Sendable, Equatable {
    /// Fold inference-mode BatchNormalization into a directly preceding Conv2D, DepthwiseConv2D,
    /// SeparableConv2D or Dense whose output feeds only that BN. Changes results by float rounding
    /// (about 1e-7 relative). Requests for the folded-away value still work (see
    /// ``Executor/run(inputs:outputs:)``).
    public var foldBatchNormalization: Bool
    /// Fuse a standalone activation into the Conv2D/Dense/… that alone feeds it.
    public var fuseActivations: Bool
    /// Threads for BLAS and for the other kernels; nil means one per core. OpenBLAS's thread count
    /// is process-wide: setting it here sets it for every user of OpenBLAS in the process.
    public var threads: Int?
    /// Upper bound on kernel scratch memory (im2col chunks), in bytes. Smaller chunks stay in
    /// cache; larger ones make fewer, bigger GEMM calls.
    public var scratchBytes: Int
    /// Below this many floats a non-BLAS loop stays on the calling thread. Tests lower it to drive
    /// the split paths with small shapes.
    var minimumParallelWork: Int

    public init(foldBatchNormalization: Bool = true, fuseActivations: Bool = true, threads: Int? = nil,
                scratchBytes: Int = 8 << 20) {
        self.foldBatchNormalization = foldBatchNormalization
        self.fuseActivations = fuseActivations
        self.threads = threads
        self.scratchBytes = scratchBytes
        self.minimumParallelWork = 1 << 14
    }
}

/// Memory an ``Executor`` plans for one set of input shapes.
public struct MemoryPlanSummary: Sendable, Equatable {
    /// Bytes of the activation arena (all intermediate values, with reuse).
    public var arenaBytes: Int
    /// Bytes of kernel scratch (im2col chunks, separable intermediates).
    public var scratchBytes: Int
    /// Bytes the same values would take without reuse.
    public var unsharedBytes: Int
    /// Number of nodes that run to produce the requested outputs.
    public var steps: Int
}
