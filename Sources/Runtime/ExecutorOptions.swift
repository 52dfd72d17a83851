/// How an ``Executor`` prepares and runs a graph.
public struct ExecutorOptions: Sendable, Equatable {
    /// What happens to an inference-mode BatchNormalization that directly follows a Conv2D,
    /// DepthwiseConv2D, SeparableConv2D or Dense with a linear activation whose output feeds only
    /// that BN. Requests for the value between the two still work (see
    /// ``Executor/run(inputs:outputs:)``).
    public var batchNormalization: BatchNormalizationFusion
    /// Fuse a standalone activation into the Conv2D/Dense/Add/… that alone feeds it, and fold a
    /// ZeroPadding2D into the explicitly padded convolution that alone reads it.
    public var fuseActivations: Bool
    /// Run the layout passes (channels-first convolutions and pooling on the NHWC kernels, with
    /// Transposes pushed through and cancelled). Off, channels-first ops run on the reference
    /// evaluator in their own layout (tests compare the two).
    public var layoutPasses: Bool
    /// Threads for BLAS and for the other kernels; nil means one per core. OpenBLAS's thread count
    /// is process-wide: setting it here sets it for every user of OpenBLAS in the process.
    public var threads: Int?
    /// Upper bound on kernel scratch memory (im2col chunks), in bytes. Smaller chunks stay in
    /// cache; larger ones make fewer, bigger GEMM calls.
    public var scratchBytes: Int
    /// How 3×3 stride-1 convolutions run; see ``ConvolutionAlgorithm``.
    public var convolution: ConvolutionAlgorithm
    /// Where Winograd-transformed kernels are kept between processes, so the next load reuses them
    /// instead of transforming (VGG16: ~70 ms saved). Only kernels whose weights have a stable
    /// source (see the IR's `FileBackedStorage`: a mapped file still linked and unchanged) are
    /// offered, keyed by that source, the transform and the shape. Nil (the default) transforms
    /// at every load and keeps nothing. The WTool library's `kernelCache` sets a directory store.
    public var kernelStore: (any KernelStore)?
    /// `.low` makes `auto` convolutions take the kernels that keep no transformed or reordered
    /// copy of the weights (im2col + SGEMM and the direct depthwise loop, which read the weights
    /// where they are mapped); the WTool library also chooses it when a cgroup memory limit is
    /// tight for the model.
    public var memory: MemoryPreference = .normal
    /// Below this many floats a non-BLAS loop stays on the calling thread. Tests lower it to drive
    /// the split paths with small shapes.
    var minimumParallelWork: Int
    /// GEMM rows per call that chunking keeps at least (`_BLAS.minimumRowsPerCall`); tests lower
    /// it to drive the multi-chunk paths with small shapes.
    var minimumGemmRows: Int
    /// Whether the Winograd kernels' transformed-domain products run on oneDNN's matmul (weights
    /// reordered once) when oneDNN is available, rather than OpenBLAS's SGEMM (which packs both
    /// operands on every call); tests turn it off to compare the two.
    var winogradProductsOnOneDNN = true

    public init(batchNormalization: BatchNormalizationFusion = .epilogue, fuseActivations: Bool = true, threads: Int? = nil,
                scratchBytes: Int = 8 << 20, convolution: ConvolutionAlgorithm = .auto, kernelStore: (any KernelStore)? = nil) {
        self.batchNormalization = batchNormalization
        self.fuseActivations = fuseActivations
        self.layoutPasses = true
        self.threads = threads
        self.scratchBytes = scratchBytes
        self.convolution = convolution
        self.kernelStore = kernelStore
        self.minimumParallelWork = 1 << 14
        self.minimumGemmRows = _BLAS.minimumRowsPerCall
    }

    /// Equal when every option is, the kernel store being the same object.
    public static func == (a: ExecutorOptions, b: ExecutorOptions) -> Bool {
        a.batchNormalization == b.batchNormalization && a.fuseActivations == b.fuseActivations && a.layoutPasses == b.layoutPasses
            && a.threads == b.threads && a.memory == b.memory
            && a.scratchBytes == b.scratchBytes && a.convolution == b.convolution
            && a.kernelStore.map(ObjectIdentifier.init) == b.kernelStore.map(ObjectIdentifier.init)
            && a.minimumParallelWork == b.minimumParallelWork && a.minimumGemmRows == b.minimumGemmRows
            && a.winogradProductsOnOneDNN == b.winogradProductsOnOneDNN
    }
}

/// How convolutions are computed. Whatever the choice, a layer a kernel cannot take runs on the
/// next one that can (oneDNN → im2col + SGEMM, or the direct depthwise loop).
public enum ConvolutionAlgorithm: String, Sendable, Equatable, CaseIterable {
    /// Per layer: a 3×3 stride-1 Conv2D with at least 16 input channels on Winograd when a cost
    /// model says a Winograd variant is cheaper than a direct product for its declared output size
    /// (F(4×4) on large maps, F(2×2) on small ones); every other convolution, depthwise and
    /// separable one on oneDNN (weights reordered once, bias, batch norm and piecewise-linear
    /// activations fused), or im2col + SGEMM and the direct depthwise loop when oneDNN is not
    /// installed. The rule, and the measurements behind it, are in docs/performance.md.
    case auto
    /// oneDNN for every convolution it takes (no Winograd).
    case onednn
    /// im2col + SGEMM (and the direct depthwise loop) everywhere: no transformed or reordered
    /// kernels in memory (the weights are read where they are mapped), the smallest rounding error.
    case im2col
    /// Winograd F(2×2, 3×3) for every eligible layer: 2.25× fewer multiplications, the kernel
    /// transformed at load (16/9 of its size, owned memory).
    case winograd2x2 = "winograd-2x2"
    /// Winograd F(4×4, 3×3): 4× fewer multiplications, 4× the kernel's memory, a larger
    /// rounding error.
    case winograd4x4 = "winograd-4x4"

    /// Whether convolutions that do not run on Winograd go to oneDNN.
    var usesOneDNN: Bool { self == .auto || self == .onednn }
}

/// How much memory an ``Executor`` may spend on faster kernels.
public enum MemoryPreference: String, Sendable, Equatable, CaseIterable {
    /// Transformed (Winograd) and reordered (oneDNN) weights where they are faster.
    case normal
    /// No weight copies: `auto` convolutions run as `im2col`.
    case low
}

/// How a BatchNormalization is executed when it directly follows a layer that can absorb it.
public enum BatchNormalizationFusion: Sendable, Equatable {
    /// As its own pass over the tensor, exactly as written in the graph.
    case separate
    /// In the preceding layer's epilogue, after its bias and before its activation:
    /// `x · inv + (β − mean · inv)` with Keras's float32 `inv = rsqrt(var + ε) · γ`. Same results
    /// as `.separate` without the extra pass over memory, and the weights stay untouched (zero-copy).
    case epilogue
    /// Folded into new, owned weights: kernel `W · s`, bias `(b − mean) · s + β`, `s = γ / sqrt(var + ε)`,
    /// computed in double and rounded once. The classic inference rewrite, but it copies every
    /// folded kernel and rounds differently from Keras: over 24 reference runs (ResNet50,
    /// InceptionV3, MobileNet, Xception × 6 photos) its distance to Keras was 1.4× that of
    /// `.epilogue` on average (0.9× to 2.3×), for a speed difference within this machine's noise.
    case weights
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
