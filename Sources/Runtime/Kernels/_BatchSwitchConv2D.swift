import Synchronization

/// A 3×3 stride-1 convolution whose fastest algorithm depends on the batch, chosen by the output's
/// pixels (batch × height × width): oneDNN up to `small`'s bound (small maps), Winograd F(2×2) up
/// to `medium`'s (large kernels), F(4×4) beyond.
///
/// - oneDNN on small maps: measured on ResNet50's 8×8 and 4×4 layers and VGG16's 9×9 ones
///   (docs/performance.md), oneDNN wins at batch 1 and 2, F(4×4) from batch 4 on 8×8 maps and at
///   batch 20 everywhere, where it runs twice as fast as the F(2×2) a batch-blind rule picks.
/// - F(2×2) for large kernels (`mediumWeights`) on maps its tiles fit better: F(4×4) streams 36
///   transformed `Cin × Cout` planes for GEMMs of few rows, F(2×2) 16. On VGG16's 512-filter
///   layers, F(2×2) was faster up to 648 output pixels (18×18 at batch 2, 9×9 at batch 4), F(4×4)
///   from 972 (18×18 at batch 3).
///
/// The Winograd kernels are built on the first batch that needs them (their transformed weights
/// are 16/9 and 4× the kernel), so a model used one image at a time holds only its own.
struct _BatchSwitchConv2DKernel: _Kernel {
    let small: (pixels: Int, kernel: any _Kernel)?
    let medium: (pixels: Int, kernel: _LazyKernel)?
    let large: _LazyKernel

    /// ResNet50 (AVX-512 EPYC): an 8×8 map is faster on oneDNN at batch 2 (128 pixels), on F(4×4)
    /// at batch 4 (256).
    static let defaultSmallPixels = 128
    /// VGG16's 18×18 and 9×9 layers of 512 filters (AVX-512 EPYC): F(2×2) faster at 648 pixels,
    /// F(4×4) at 972.
    static let defaultMediumPixels = 800
    /// The kernels (`Cin × Cout`, floats per tap) that take F(2×2) between small and large batches:
    /// VGG16's 256 → 512 and 512 → 512 layers and larger (F(4×4)'s transformed weights then
    /// 18.9 MB and more, against a 32 MiB L3).
    static let mediumWeights = 256 * 512

    func scratchCount(inputShapes: [[Int]], outputShape: [Int]) -> Int {
        choice(outputShape).scratchCount(inputShapes: inputShapes, outputShape: outputShape)
    }

    func run(_ a: _KernelArguments) {
        choice(a.outputShape).run(a)
    }

    private func choice(_ outputShape: [Int]) -> any _Kernel {
        let pixels = outputShape.count == 4 ? outputShape[0] * outputShape[1] * outputShape[2] : Int.max
        if let small, pixels <= small.pixels { return small.kernel }
        if let medium, pixels <= medium.pixels { return medium.kernel.kernel }
        return large.kernel
    }
}

/// A kernel built on first use, once, by whichever thread asks first.
final class _LazyKernel: Sendable {
    private let build: @Sendable () -> any _Kernel
    private let built = Mutex<(any _Kernel)?>(nil)

    init(_ build: @escaping @Sendable () -> any _Kernel) { self.build = build }

    var kernel: any _Kernel {
        built.withLock { kernel in
            if let kernel { return kernel }
            let new = build()
            kernel = new
            return new
        }
    }

    /// Whether it has been built (tests).
    var isBuilt: Bool { built.withLock { $0 != nil } }
}
