import Synchronization

/// A 3×3 stride-1 convolution on a small map whose fastest algorithm depends on the batch: oneDNN
/// while the output has few pixels (batch × height × width up to `smallPixels`), Winograd F(4×4)
/// beyond (its GEMMs then have rows enough). Measured on ResNet50's 8×8 and 4×4 layers and
/// VGG16's 9×9 ones (docs/performance.md): oneDNN wins at batch 1 and 2, F(4×4) from batch 4 on
/// 8×8 maps and at batch 20 everywhere, where it runs twice as fast as the F(2×2) a batch-blind
/// rule picks. The Winograd kernel is built on the first large batch (its transformed weights
/// are 4× the kernel), so a model used one image at a time never holds them.
struct _BatchSwitchConv2DKernel: _Kernel {
    let small: any _Kernel
    let smallPixels: Int
    /// ResNet50 (AVX-512 EPYC): an 8×8 map is faster on oneDNN at batch 2 (128 pixels), on F(4×4)
    /// at batch 4 (256).
    static let defaultSmallPixels = 128
    let large: _LazyKernel

    func scratchCount(inputShapes: [[Int]], outputShape: [Int]) -> Int {
        choice(outputShape).scratchCount(inputShapes: inputShapes, outputShape: outputShape)
    }

    func run(_ a: _KernelArguments) {
        choice(a.outputShape).run(a)
    }

    private func choice(_ outputShape: [Int]) -> any _Kernel {
        outputShape.count == 4 && outputShape[0] * outputShape[1] * outputShape[2] > smallPixels ? large.kernel : small
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
