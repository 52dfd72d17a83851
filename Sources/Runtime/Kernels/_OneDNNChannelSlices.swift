import ModelIR
import Synchronization

/// A convolution on oneDNN split over the workers by output channels instead of by output rows:
/// one convolution per slice of the filters (whole multiples of 16, oneDNN's AVX-512 block), each
/// with its own reordered slice of the kernel (the slices together hold what one whole
/// convolution would), each worker running one slice over the whole batch. A batch of at least
/// as many images as workers splits into runs of images instead, each worker running every
/// slice over its run.
///
/// For small maps. A map of a few rows splits into bands of unequal height (7 rows over two
/// workers: 4 and 3, so one worker waits for the other) and each band's GEMM is short while both
/// workers stream the whole kernel; by channels, the work splits evenly and each worker reads
/// only its part of the kernel. Each slice writes its channels into scratch (oneDNN writes dense
/// NHWC only), applies an activation oneDNN did not fuse, and copies them into place.
struct _OneDNNChannelSlices: Sendable {
    struct Slice: Sendable {
        let channels: Range<Int>
        let convolution: _OneDNNConvolution
    }
    let slices: [Slice]
    let outChannels: Int
    /// The activation left for after oneDNN (`.linear` when it fused it); element-wise.
    let activation: Activation

    /// Output maps of at most this many pixels per image, with a kernel of at least
    /// `minimumKernelBytes` and 32 filters per worker, split by channels; others by rows. Measured
    /// (AVX-512, two workers, interleaved rounds against splitting by rows): at batch 1 ResNet50
    /// 0.90, InceptionV3 0.86, Xception 0.96; MobileNet and MobileNetV2 level (their few large
    /// kernels), EfficientNetB0 has none. Without the kernel bound (every map of ≤ 256 pixels)
    /// MobileNetV2 was 1.06: small kernels lose more to cache lines crossing between the cores
    /// (each worker's channels lie in every pixel the next layer's worker reads) than they gain.
    static let maximumPixels = 256
    static let minimumKernelBytes = 1 << 20

    /// Whether a convolution producing `outputShape` (NHWC, spatial sizes known) with
    /// `outChannels` filters of `kernelCount` weights in all splits by channels over `workers`.
    private static func applies(outputShape: [Int]?, outChannels: Int, groups: Int, workers: Int, kernelCount: Int) -> Bool {
        guard workers > 1, groups == 1, let s = outputShape, s.count == 4, s[1] > 0, s[2] > 0 else { return false }
        return s[1] * s[2] <= maximumPixels && outChannels >= 32 * workers && kernelCount * MemoryLayout<Float>.stride >= minimumKernelBytes
    }

    /// Slices for `workers` of a convolution producing `outputShape`; nil when the rule above
    /// keeps it split by rows, oneDNN refuses a slice, or the activation is not element-wise.
    init?(kernel: _FloatWeights, geometry: _OneDNNConvolution.Geometry, padding: Padding, epilogue: _Epilogue,
          sampleInput: [Int], outputShape: [Int]?, cache: _KernelCache?, workers: Int) {
        guard Self.applies(outputShape: outputShape, outChannels: geometry.outChannels, groups: geometry.groups, workers: workers,
                           kernelCount: kernel.count) else { return nil }
        let cout = geometry.outChannels
        let per = ((cout + workers - 1) / workers + 15) / 16 * 16
        var slices: [Slice] = []
        var fused = true
        for start in stride(from: 0, to: cout, by: per) {
            let channels = start..<min(start + per, cout)
            func part(_ w: _FloatWeights?) -> _FloatWeights? { w.map { _FloatWeights(outputChannels: channels, of: $0, outChannels: cout) } }
            var g = geometry
            g.outChannels = channels.count
            let scaleShift = epilogue.scaleShift.map { (scale: part($0.scale)!, shift: part($0.shift)!) }
            guard let convolution = _OneDNNConvolution(kernel: part(kernel)!, geometry: g, padding: padding, bias: part(epilogue.bias),
                                                       scaleShift: scaleShift, activation: epilogue.activation,
                                                       sampleInput: sampleInput, cache: cache) else { return nil }
            fused = convolution.fusedActivation != nil
            slices.append(Slice(channels: channels, convolution: convolution))
        }
        let activation = fused ? .linear : epilogue.activation
        guard slices.count > 1, activation.isElementwise else { return nil }
        self.slices = slices
        self.outChannels = cout
        self.activation = activation
    }

    /// The slices' outputs, side by side.
    func scratchCount(outputShape: [Int]) -> Int { outputShape.reduce(1, *) }

    /// Runs the convolution of `input` (NHWC `inputShape`) into `output` (`outputShape`) through
    /// `scratch`: with fewer images than workers, one slice per worker over the whole batch; with
    /// more, the images split into runs as ``_OneDNNConvolution`` splits them, and each worker runs
    /// every slice over its run in turn. False when oneDNN refuses the shapes or fails (the caller
    /// falls back).
    func run(input: UnsafePointer<Float>, inputShape: [Int], output: UnsafeMutablePointer<Float>, outputShape: [Int],
             scratch: UnsafeMutablePointer<Float>, parallel: _Parallel) -> Bool {
        let n = inputShape[0]
        let g = slices[0].convolution.geometry
        let runs = _OneDNNConvolution.parts(g, slices[0].convolution.padding, input: inputShape,
                                            pieces: n >= parallel.workers ? parallel.workers : 1)
        guard !runs.isEmpty, runs.allSatisfy({ $0.part.outHeight == outputShape[1] }) else { return false }
        // primitives[run][slice]
        var primitives: [[_OneDNNConvolution.Primitive]] = []
        for (_, part) in runs {
            var row: [_OneDNNConvolution.Primitive] = []
            for slice in slices {
                guard let p = slice.convolution.primitive(for: part) else { return false }
                row.append(p)
            }
            primitives.append(row)
        }
        let perImage = outputShape[1] * outputShape[2], inputPerImage = inputShape[1] * inputShape[2] * inputShape[3]
        let pixels = n * perImage
        let cout = outChannels, activation = self.activation, slices = self.slices
        let bySlice = runs.count == 1
        let work = _Parallel.work(bySlice ? pixels : runs[0].part.batch * perImage, bySlice ? slices[0].channels.count : cout,
                                  g.inChannels, g.kernelSize[0], g.kernelSize[1])
        let failed = Atomic<Bool>(false)
        /// Slice `s` over the run `r`: into its scratch, the activation, then into place.
        func execute(run r: Int, slice s: Int) {
            let (image, part) = runs[r], slice = slices[s], width = slice.channels.count
            let first = image * perImage, count = part.batch * perImage
            let target = scratch + pixels * slice.channels.lowerBound + first * width
            guard slice.convolution.execute(primitives[r][s], source: input + image * inputPerImage, destination: target) else {
                return failed.store(true, ordering: .relaxed)
            }
            if activation != .linear {
                _Activations.apply(activation, source: target, destination: target, shape: [count, width], bias: nil, parallel: .serial)
            }
            let destination = output + first * cout + slice.channels.lowerBound
            for p in 0..<count { (destination + p * cout).update(from: target + p * width, count: width) }
        }
        parallel.forEachRange(bySlice ? slices.count : runs.count, workPerItem: work) { range in
            for i in range {
                if bySlice {
                    execute(run: 0, slice: i)
                } else {
                    for s in slices.indices { execute(run: i, slice: s) }
                }
            }
        }
        return !failed.load(ordering: .relaxed)
    }
}

/// Keras `Conv2D` / ONNX `Conv` on small maps as ``_OneDNNChannelSlices``, with the im2col kernel
/// it replaces as the fallback.
struct _OneDNNSlicedConv2DKernel: _Kernel {
    let slices: _OneDNNChannelSlices
    let fallback: any _Kernel

    func scratchCount(inputShapes: [[Int]], outputShape: [Int]) -> Int {
        max(slices.scratchCount(outputShape: outputShape), fallback.scratchCount(inputShapes: inputShapes, outputShape: outputShape))
    }

    func run(_ a: _KernelArguments) {
        guard slices.run(input: a.inputs[0], inputShape: a.inputShapes[0], output: a.output, outputShape: a.outputShape,
                         scratch: a.scratch, parallel: a.parallel) else { return fallback.run(a) }
    }
}
