import CDNNL
import Foundation
import ModelIR
import Synchronization

/// The runtime's door into oneDNN (Debian `libdnnl2`), loaded on first use like OpenBLAS (see
/// `Sources/CDNNL/include/wt_dnnl.h` for why it is not linked).
///
/// Threads: every primitive runs single-threaded on the thread that calls it (OpenMP is set to one
/// thread), and ``_OneDNNConvolution`` splits a convolution over the executor's workers by images
/// or by bands of output rows, one primitive each. Measured on this 2-core machine under load
/// (ResNet50, batch 1): oneDNN with its own two OpenMP threads took 230–255 ms per image, one
/// thread 89–95 ms, OpenBLAS im2col on the executor's two workers 112–123 ms; OpenMP's barriers
/// wait for whichever thread the kernel has preempted. `WTOOL_ISA` caps oneDNN's instruction set
/// like the C kernels'; `WTOOL_ONEDNN=off` leaves it unloaded, a path names the library to load.
enum _OneDNN {
    /// Nil when loaded, else why not.
    private static let loadError: String? = load()

    static var isAvailable: Bool { loadError == nil }

    /// Why oneDNN is not used ("" when it is).
    static var unavailableReason: String { loadError ?? "" }

    private static func load() -> String? {
        let environment = ProcessInfo.processInfo.environment
        if environment["WTOOL_ONEDNN"] == "off" { return "WTOOL_ONEDNN=off" }
        // libgomp reads this once, when oneDNN loads it; each calling thread is also set to one
        // thread in the C glue, in case libgomp was already loaded.
        let saved = environment["OMP_NUM_THREADS"]
        setenv("OMP_NUM_THREADS", "1", 1)
        defer { if let saved { setenv("OMP_NUM_THREADS", saved, 1) } else { unsetenv("OMP_NUM_THREADS") } }
        switch _ISA.forced {
        case .portable?: wt_dnnl_set_max_isa("sse41")
        case .avx2?: wt_dnnl_set_max_isa("avx2")
        default: break
        }
        var error = [CChar](repeating: 0, count: 512)
        let path = environment["WTOOL_ONEDNN"].flatMap { $0.hasPrefix("/") ? $0 : nil }
        let status = error.withUnsafeMutableBufferPointer { wt_dnnl_load(path, $0.baseAddress, $0.count) }
        return status == 0 ? nil : String(decoding: error.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    /// The post-op form of an activation oneDNN computes exactly as the runtime does, or nil.
    static func postOp(_ activation: Activation) -> (kind: Int32, alpha: Float, beta: Float)? {
        switch activation {
        case .linear: return (Int32(WT_DNNL_LINEAR.rawValue), 0, 0)
        case .relu: return (Int32(WT_DNNL_RELU.rawValue), 0, 0)
        case .leakyReLU(let alpha): return (Int32(WT_DNNL_RELU.rawValue), alpha, 0)
        case let .clippedReLU(maxValue, slope, threshold) where slope == 0 && threshold == 0:
            guard let maxValue else { return (Int32(WT_DNNL_RELU.rawValue), 0, 0) }
            return (Int32(WT_DNNL_CLIP.rawValue), 0, maxValue)
        default: return nil
        }
    }
}

/// One convolution run by oneDNN: its kernel reordered once into oneDNN's blocked layout (or
/// mapped from the kernel cache), and primitives built on first use for each part of an input
/// shape the executor's workers take: a run of whole images, or for one image a band of output
/// rows (a convolution of its own over the input rows it reads, with the padding of the rows at
/// the edges).
///
/// NHWC input and output, HWIO kernel `[kh, kw, Cin/groups, Cout]` (HWCM `[kh, kw, C, M]` for a
/// depthwise convolution: groups = C), bias, a batch normalization's `scale`/`shift` and a
/// piecewise-linear activation as post-ops, in the epilogue's order.
final class _OneDNNConvolution: @unchecked Sendable {
    struct Geometry: Hashable {
        var kernelSize: [Int]
        var strides: [Int]
        var dilations: [Int]
        var groups: Int
        var inChannels: Int
        var outChannels: Int
    }

    /// One primitive's problem: `batch` images of `inHeight` input rows (starting at input row
    /// `inRow`) producing `outHeight` output rows (starting at `outRow`).
    struct Part: Hashable {
        var batch: Int, inHeight: Int, width: Int
        var padTop: Int, padBottom: Int, padLeft: Int, padRight: Int
        var outHeight: Int, outWidth: Int
        var inRow: Int, outRow: Int
    }

    let geometry: Geometry
    let padding: Padding
    /// The activation oneDNN applies; nil when the epilogue applies it afterwards.
    let fusedActivation: (kind: Int32, alpha: Float, beta: Float)?
    let bias: _FloatWeights?
    let scaleShift: (scale: _FloatWeights, shift: _FloatWeights)?
    /// The original kernel, for a part whose primitive wants another weight layout.
    private let kernel: _FloatWeights
    /// Reordered weights by layout hash.
    private let weights = Mutex<[UInt64: _FloatWeights]>([:])
    private let primitives = Mutex<[Part: Primitive?]>([:])
    /// oneDNN's implementation name for the sample shape.
    let implementation: String
    /// Where the reordered weights came from.
    let cacheUse: _WinogradConv2DKernel.CacheUse

    final class Primitive: @unchecked Sendable {
        let handle: OpaquePointer
        let weights: _FloatWeights
        init(handle: OpaquePointer, weights: _FloatWeights) {
            self.handle = handle
            self.weights = weights
        }
        deinit { wt_dnnl_conv_destroy(handle) }
    }

    /// Reorders the kernel into the layout oneDNN wants for `sampleInput` (NHWC; batch and
    /// unknown sizes may be ≤ 0); nil when oneDNN is unavailable or refuses the convolution.
    init?(kernel: _FloatWeights, geometry: Geometry, padding: Padding, bias: _FloatWeights?,
          scaleShift: (scale: _FloatWeights, shift: _FloatWeights)?, activation: Activation,
          sampleInput: [Int], cache: _KernelCache?) {
        guard _OneDNN.isAvailable, geometry.kernelSize.count == 2, geometry.groups >= 1 else { return nil }
        self.geometry = geometry
        self.padding = padding
        self.fusedActivation = _OneDNN.postOp(activation)
        self.bias = bias
        self.scaleShift = scaleShift
        self.kernel = kernel
        // Sizes only the run knows get a stand-in: the weight layout depends on the channels and
        // the instruction set, not on the image (a part that disagrees reorders its own copy).
        let k = geometry.kernelSize
        var sample = sampleInput.count == 4 ? sampleInput : [1, -1, -1, geometry.inChannels]
        sample[0] = 1
        for axis in 1...2 where sample[axis] <= 0 { sample[axis] = max(32, (k[axis - 1] - 1) * geometry.dilations[axis - 1] + 1) }
        sample[3] = geometry.inChannels
        guard let part = Self.parts(geometry, padding, input: sample, pieces: 1).first?.part,
              let handle = Self.create(geometry, part, hasBias: bias != nil, hasScaleShift: scaleShift != nil,
                                       activation: fusedActivation, layoutOnly: true) else { return nil }
        defer { wt_dnnl_conv_destroy(handle) }
        let layout = wt_dnnl_conv_weights_layout(handle)
        let count = (wt_dnnl_conv_weights_bytes(handle) + 3) / 4
        let key = cache == nil ? nil : kernel.sourceIdentity.map {
            "onednn \(String(layout, radix: 16)) \(geometry.kernelSize) \(geometry.inChannels)x\(geometry.outChannels)/\(geometry.groups) \($0)"
        }
        var use = _WinogradConv2DKernel.CacheUse.none
        let reordered: _FloatWeights
        if let cache, let key, let cached = cache.load(key: key, count: count) {
            reordered = cached
            use = .hit
        } else {
            guard let fresh = Self.reorder(kernel, handle: handle, count: count) else { return nil }
            reordered = fresh
            if let cache, let key {
                cache.store(key: key, reordered)
                use = .stored
            }
        }
        // The original is not read again unless a part needs another layout: a mapped file's
        // pages leave our RSS (they come back from the page cache if it is).
        kernel.releaseResidentPages()
        self.cacheUse = use
        self.implementation = String(cString: wt_dnnl_conv_implementation(handle))
        weights.withLock { $0[layout] = reordered }
    }

    /// The parts `input` (NHWC) splits into for `pieces` workers, each with the index of its
    /// first image: runs of whole images when there are at least as many images as pieces, else
    /// bands of output rows of each image.
    static func parts(_ g: Geometry, _ padding: Padding, input: [Int], pieces: Int) -> [(image: Int, part: Part)] {
        let k = g.kernelSize, s = g.strides, d = g.dilations
        let (n, h, w) = (input[0], input[1], input[2])
        let pads = padding.resolve(sizes: [h, w], kernel: k, strides: s, dilations: d)
        let span = [(k[0] - 1) * d[0] + 1, (k[1] - 1) * d[1] + 1]
        func outSize(_ axis: Int, _ size: Int) -> Int {
            let padded = size + pads.begin[axis] + pads.end[axis] - span[axis]
            return padded < 0 ? 0 : padded / s[axis] + 1
        }
        let oh = outSize(0, h), ow = outSize(1, w)
        guard n > 0, oh > 0, ow > 0 else { return [] }
        // Columns: the whole width (a row of pixels is contiguous), the right padding exactly what
        // the last output column reads (negative when it stops short of the input's edge).
        let padRight = (ow - 1) * s[1] + span[1] - w - pads.begin[1]
        func band(_ images: Int, _ r0: Int, _ r1: Int) -> Part {
            let y0 = r0 * s[0] - pads.begin[0], y1 = (r1 - 1) * s[0] - pads.begin[0] + span[0]
            // A band of one image reads only the rows it needs; a run of images reads whole
            // images (oneDNN steps from image to image by the rows it is told), the bottom
            // padding negative when the last output row stops short of the last input row.
            let inStart = images == 1 ? max(0, y0) : 0, inEnd = images == 1 ? min(h, y1) : h
            return Part(batch: images, inHeight: inEnd - inStart, width: w, padTop: inStart - y0, padBottom: y1 - inEnd,
                        padLeft: pads.begin[1], padRight: padRight, outHeight: r1 - r0, outWidth: ow, inRow: inStart, outRow: r0)
        }
        let pieces = max(pieces, 1)
        if n >= pieces {
            // Images split as evenly as they go; the parts' primitives differ only in batch size.
            return (0..<pieces).map { i in (i * n / pieces, band((i + 1) * n / pieces - i * n / pieces, 0, oh)) }
        }
        let bands = min((pieces + n - 1) / n, oh)
        return (0..<n).flatMap { image in (0..<bands).map { j in (image, band(1, j * oh / bands, (j + 1) * oh / bands)) } }
    }

    private static func create(_ g: Geometry, _ part: Part, hasBias: Bool, hasScaleShift: Bool,
                               activation: (kind: Int32, alpha: Float, beta: Float)?, layoutOnly: Bool) -> OpaquePointer? {
        var p = wt_dnnl_conv_params()
        p.batch = Int64(part.batch); p.in_height = Int64(part.inHeight); p.in_width = Int64(part.width)
        p.in_channels = Int64(g.inChannels)
        p.out_height = Int64(part.outHeight); p.out_width = Int64(part.outWidth); p.out_channels = Int64(g.outChannels)
        p.kernel_height = Int64(g.kernelSize[0]); p.kernel_width = Int64(g.kernelSize[1])
        p.stride_y = Int64(g.strides[0]); p.stride_x = Int64(g.strides[1])
        p.dilation_y = Int64(g.dilations[0]); p.dilation_x = Int64(g.dilations[1])
        p.pad_top = Int64(part.padTop); p.pad_left = Int64(part.padLeft)
        p.pad_bottom = Int64(part.padBottom); p.pad_right = Int64(part.padRight)
        p.groups = Int64(g.groups)
        p.has_bias = hasBias ? 1 : 0
        p.has_scale_shift = hasScaleShift ? 1 : 0
        p.activation = activation?.kind ?? 0
        p.alpha = activation?.alpha ?? 0
        p.beta = activation?.beta ?? 0
        return wt_dnnl_conv_create(&p, layoutOnly ? 1 : 0, nil, 0)
    }

    private static func reorder(_ kernel: _FloatWeights, handle: OpaquePointer, count: Int) -> _FloatWeights? {
        let buffer = OwnedBuffer(byteCount: max(count, 1) * MemoryLayout<Float>.stride)
        let status = withExtendedLifetime(kernel) { wt_dnnl_conv_reorder_weights(handle, kernel.pointer, buffer.pointer, nil, 0) }
        return status == 0 ? _FloatWeights(owning: buffer, count: count) : nil
    }

    /// The primitive for `part`, built on first use; nil when oneDNN refuses it.
    func primitive(for part: Part) -> Primitive? {
        if let known = primitives.withLock({ $0[part] }) { return known }
        let built: Primitive? = {
            guard let handle = Self.create(geometry, part, hasBias: bias != nil, hasScaleShift: scaleShift != nil,
                                           activation: fusedActivation, layoutOnly: false) else { return nil }
            let layout = wt_dnnl_conv_weights_layout(handle)
            if let w = weights.withLock({ $0[layout] }) { return Primitive(handle: handle, weights: w) }
            let count = (wt_dnnl_conv_weights_bytes(handle) + 3) / 4
            guard let w = Self.reorder(kernel, handle: handle, count: count) else {
                wt_dnnl_conv_destroy(handle)
                return nil
            }
            weights.withLock { $0[layout] = w }
            return Primitive(handle: handle, weights: w)
        }()
        primitives.withLock { $0[part] = .some(built) }
        return built
    }

    /// The parts of `input` for `parallel`'s workers with their primitives, built now if need
    /// be; nil when oneDNN refuses one (the caller falls back).
    func prepare(input: [Int], parallel: _Parallel) -> [(image: Int, part: Part, primitive: Primitive)]? {
        guard input.count == 4 else { return nil }
        let parts = Self.parts(geometry, padding, input: input, pieces: parallel.workers)
        guard !parts.isEmpty else { return nil }
        var prepared: [(image: Int, part: Part, primitive: Primitive)] = []
        for (image, part) in parts {
            guard let p = primitive(for: part) else { return nil }
            prepared.append((image, part, p))
        }
        return prepared
    }

    /// Runs one part's primitive (on the calling thread); false when oneDNN fails.
    func execute(_ primitive: Primitive, source: UnsafePointer<Float>, destination: UnsafeMutablePointer<Float>) -> Bool {
        withExtendedLifetime((primitive, bias, scaleShift)) {
            wt_dnnl_conv_execute(primitive.handle, source, primitive.weights.pointer, bias?.pointer,
                                 scaleShift?.scale.pointer, scaleShift?.shift.pointer, destination, nil, 0) == 0
        }
    }

    /// Runs the convolution of `input` (NHWC `inputShape`) into `output`, its parts on
    /// `parallel`'s workers, then `activation` (one oneDNN did not fuse; element-wise) on each
    /// part's output by the worker that wrote it, while it is in that core's cache; false when
    /// oneDNN refuses a part or fails (the caller falls back).
    func run(input: UnsafePointer<Float>, inputShape: [Int], output: UnsafeMutablePointer<Float>, parallel: _Parallel,
             activation: Activation = .linear) -> Bool {
        precondition(activation.isElementwise, "a row-crossing activation runs after the convolution")
        guard let prepared = prepare(input: inputShape, parallel: parallel) else { return false }
        let (h, w, c) = (inputShape[1], inputShape[2], inputShape[3])
        let first = prepared[0].part
        // Image 0's parts cover its output rows once (one run of images, or every band).
        let rowsPerImage = prepared.filter { $0.image == 0 }.reduce(0) { $0 + $1.part.outHeight }
        let cout = geometry.outChannels
        let work = _Parallel.work(first.batch, first.outHeight, first.outWidth, cout, geometry.inChannels / geometry.groups,
                                  geometry.kernelSize[0], geometry.kernelSize[1])
        let failed = Atomic<Bool>(false)
        parallel.forEachRange(prepared.count, workPerItem: work) { range in
            for i in range {
                let (image, part, primitive) = prepared[i]
                let source = input + ((image * h + part.inRow) * w) * c
                let destination = output + ((image * rowsPerImage + part.outRow) * part.outWidth) * cout
                if !execute(primitive, source: source, destination: destination) {
                    failed.store(true, ordering: .relaxed)
                } else if activation != .linear {
                    _Activations.apply(activation, source: destination, destination: destination,
                                       shape: [part.batch * part.outHeight * part.outWidth, cout], bias: nil, parallel: .serial)
                }
            }
        }
        return !failed.load(ordering: .relaxed)
    }
}

/// Keras `Conv2D` / `DepthwiseConv2D` / ONNX `Conv` on oneDNN (layouts as ``_OneDNNConvolution``),
/// with the im2col or depthwise kernel it replaces as the fallback for a shape oneDNN refuses.
/// What oneDNN cannot fuse of the epilogue (a non-piecewise-linear activation, a softmax) runs
/// after it, over the output.
struct _OneDNNConv2DKernel: _Kernel {
    let convolution: _OneDNNConvolution
    let fallback: any _Kernel
    /// The activation left for after oneDNN (`.linear` when it fused it).
    let activation: Activation

    /// The fallback's scratch, in case oneDNN refuses these shapes or fails when it runs.
    func scratchCount(inputShapes: [[Int]], outputShape: [Int]) -> Int {
        fallback.scratchCount(inputShapes: inputShapes, outputShape: outputShape)
    }

    func run(_ a: _KernelArguments) {
        guard Self.run(convolution, activation, input: a.inputs[0], inputShape: a.inputShapes[0], output: a.output,
                       outputShape: a.outputShape, parallel: a.parallel) else { return fallback.run(a) }
    }

    /// Runs `convolution` and the activation oneDNN did not fuse: element-wise ones on each part
    /// as it is written, others (softmax) over the whole output after it.
    static func run(_ convolution: _OneDNNConvolution, _ activation: Activation, input: UnsafePointer<Float>, inputShape: [Int],
                    output: UnsafeMutablePointer<Float>, outputShape: [Int], parallel: _Parallel) -> Bool {
        let perPart = activation.isElementwise
        guard convolution.run(input: input, inputShape: inputShape, output: output, parallel: parallel,
                              activation: perPart ? activation : .linear) else { return false }
        if !perPart {
            _Activations.apply(activation, source: output, destination: output, shape: outputShape, bias: nil, parallel: parallel)
        }
        return true
    }
}

/// Keras `SeparableConv2D` (and a DepthwiseConv2D fused with the 1×1 Conv2D after it) as two
/// oneDNN convolutions, the depthwise output in scratch; the Swift separable kernel is the
/// fallback. With an ``Expansion`` (MobileNetV2's inverted residual block), a 1×1 convolution
/// runs before the depthwise one in the same way: three convolutions, two intermediates in scratch.
///
/// The pointwise convolution reads only the rows the depthwise one wrote at the same place, and
/// the depthwise one only the rows of the expansion's output around them, so each worker runs all
/// of them on its own part, one after the other, with no barrier between them and the
/// intermediate rows still in its cache: a band of output rows (one image; the expansion computes
/// the band's input rows, the one or two rows at a band's edge twice), or a few images at a time
/// through a run of images. Each part has its own scratch for its intermediates, reused from step
/// to step. A row-crossing activation (softmax) in any stage, or a pointwise convolution split by
/// output channels, makes it one pass per convolution over whole tensors.
struct _OneDNNSeparableConv2DKernel: _Kernel {
    let depthwise: _OneDNNConvolution
    let depthwiseActivation: Activation
    /// The pointwise convolution, split by output channels (small maps; ``_OneDNNChannelSlices``)
    /// or whole with the activation it did not fuse; or none (an expanded depthwise convolution,
    /// EfficientNet's: the depthwise output is the kernel's).
    enum Pointwise: Sendable {
        case whole(_OneDNNConvolution, activation: Activation)
        case sliced(_OneDNNChannelSlices)
        case none
    }
    let pointwise: Pointwise
    let fallback: any _Kernel
    /// The executor's worker count, which the parts and their scratch are laid out for.
    let workers: Int

    /// A 1×1, stride-1 convolution whose output only the depthwise convolution reads, run as the
    /// first stage (`_FusionPass.fuseExpansions`).
    struct Expansion: Sendable {
        let convolution: _OneDNNConvolution
        /// The activation oneDNN did not fuse (element-wise), `.linear` when it did.
        let activation: Activation
        /// Its own kernel's fallback, for when oneDNN refuses a shape or fails.
        let fallback: any _Kernel
    }
    private(set) var expansion: Expansion? = nil

    init(depthwise: _OneDNNConvolution, depthwiseActivation: Activation, pointwise: Pointwise, fallback: any _Kernel, workers: Int) {
        self.depthwise = depthwise
        self.depthwiseActivation = depthwiseActivation
        self.pointwise = pointwise
        self.fallback = fallback
        self.workers = max(workers, 1)
    }

    /// A depthwise convolution on oneDNN alone (`.none`), for an expansion to join; nil when
    /// `kernel` is not a depthwise convolution with an element-wise activation.
    init?(depthwise kernel: _OneDNNConv2DKernel, workers: Int) {
        let g = kernel.convolution.geometry
        guard g.groups > 1, g.groups == g.inChannels, kernel.activation.isElementwise else { return nil }
        self.init(depthwise: kernel.convolution, depthwiseActivation: kernel.activation, pointwise: .none, fallback: kernel.fallback,
                  workers: workers)
    }

    /// This kernel with `kernel` (a 1×1 stride-1 convolution producing the depthwise input) as
    /// its first stage, or nil when `kernel` is not such a convolution on oneDNN.
    func expanded(by kernel: any _Kernel) -> Self? {
        guard expansion == nil, let k = kernel as? _OneDNNConv2DKernel, k.activation.isElementwise else { return nil }
        let g = k.convolution.geometry
        guard g.kernelSize == [1, 1], g.strides == [1, 1], g.groups == 1, g.outChannels == depthwise.geometry.inChannels,
              k.convolution.padding == .same || k.convolution.padding.isZero else { return nil }
        var copy = self
        copy.expansion = Expansion(convolution: k.convolution, activation: k.activation, fallback: k.fallback)
        return copy
    }

    /// The depthwise convolution's input for the kernel's `input`: the expansion's output, or `input`.
    private func depthwiseInput(_ input: [Int], _ expansion: Expansion?) -> [Int] {
        guard let expansion, input.count == 4 else { return input }
        return [input[0], input[1], input[2], expansion.convolution.geometry.outChannels]
    }

    private func middleShape(_ input: [Int], _ output: [Int]) -> [Int] {
        [input[0], output[1], output[2], depthwise.geometry.outChannels]
    }

    /// The most of: the fused parts' regions; the expansion's whole output and, after it, what
    /// the separable convolution needs by itself (the one-pass-per-convolution tensors, or the
    /// fallback's scratch, which runs when oneDNN refuses these shapes or fails).
    func scratchCount(inputShapes: [[Int]], outputShape: [Int]) -> Int {
        guard let expansion else { return separableScratch(inputShapes[0], outputShape) }
        let expanded = depthwiseInput(inputShapes[0], expansion)
        let after = max(separableScratch(expanded, outputShape),
                        expansion.fallback.scratchCount(inputShapes: inputShapes, outputShape: expanded))
        return max(_FloatBuffer.alignedCount(expanded.reduce(1, *)) + after, fusedPlan(inputShapes[0], outputShape, expansion)?.total ?? 0)
    }

    private func separableScratch(_ input: [Int], _ output: [Int]) -> Int {
        var count = middleShape(input, output).reduce(1, *)
        switch pointwise {
        case .sliced(let slices): count += slices.scratchCount(outputShape: output)
        case .none: count = 0
        case .whole: break
        }
        return max(count, fallback.scratchCount(inputShapes: [input], outputShape: output), fusedPlan(input, output, nil)?.total ?? 0)
    }

    func run(_ a: _KernelArguments) {
        guard let expansion else { return runSeparable(a) }
        let expanded = depthwiseInput(a.inputShapes[0], expansion)
        if let (pointwise, activation) = fusablePointwise,
           fused(a, middle: middleShape(expanded, a.outputShape), pointwise: pointwise, activation: activation, expansion: expansion) {
            return
        }
        // One pass per convolution: the expansion's whole output into scratch, then the rest on it.
        var first = a
        first.output = a.scratch
        first.outputShape = expanded
        first.scratch = a.scratch + _FloatBuffer.alignedCount(expanded.reduce(1, *))
        if !_OneDNNConv2DKernel.run(expansion.convolution, expansion.activation, input: a.inputs[0], inputShape: a.inputShapes[0],
                                    output: first.output, outputShape: expanded, parallel: a.parallel) {
            expansion.fallback.run(first)
        }
        var rest = a
        rest.inputs = [UnsafePointer(first.output)]
        rest.inputShapes = [expanded]
        rest.scratch = first.scratch
        runSeparable(rest)
    }

    /// The pointwise convolution (nil: none) and its activation when the depthwise and pointwise
    /// stages can run part by part (element-wise activations, a whole pointwise convolution).
    private var fusablePointwise: (_OneDNNConvolution?, Activation)? {
        guard depthwiseActivation.isElementwise else { return nil }
        switch pointwise {
        case .whole(let convolution, let activation): return activation.isElementwise ? (convolution, activation) : nil
        case .none: return (nil, .linear)
        case .sliced: return nil
        }
    }

    /// The depthwise and pointwise convolutions of `a.inputs[0]`.
    private func runSeparable(_ a: _KernelArguments) {
        let middle = middleShape(a.inputShapes[0], a.outputShape)
        let done: Bool
        if let (pointwise, activation) = fusablePointwise {
            done = fused(a, middle: middle, pointwise: pointwise, activation: activation, expansion: nil)
        } else {
            done = runInPasses(a, middle: middle)
        }
        if !done { fallback.run(a) }
    }

    /// One pass per convolution over whole tensors (a row-crossing activation, or a pointwise
    /// convolution split by output channels); false when oneDNN refuses a part or fails.
    private func runInPasses(_ a: _KernelArguments, middle: [Int]) -> Bool {
        switch pointwise {
        case .sliced(let slices):
            // Every slice reads the whole depthwise output: two passes.
            return _OneDNNConv2DKernel.run(depthwise, depthwiseActivation, input: a.inputs[0], inputShape: a.inputShapes[0],
                                           output: a.scratch, outputShape: middle, parallel: a.parallel)
                && slices.run(input: a.scratch, inputShape: middle, output: a.output, outputShape: a.outputShape,
                              scratch: a.scratch + middle.reduce(1, *), parallel: a.parallel)
        case .none:
            return _OneDNNConv2DKernel.run(depthwise, depthwiseActivation, input: a.inputs[0], inputShape: a.inputShapes[0],
                                           output: a.output, outputShape: a.outputShape, parallel: a.parallel)
        case .whole(let pointwise, let activation):
            return depthwise.prepare(input: a.inputShapes[0], parallel: a.parallel) != nil
                && pointwise.prepare(input: middle, parallel: a.parallel) != nil
                && _OneDNNConv2DKernel.run(depthwise, depthwiseActivation, input: a.inputs[0], inputShape: a.inputShapes[0],
                                           output: a.scratch, outputShape: middle, parallel: a.parallel)
                && _OneDNNConv2DKernel.run(pointwise, activation, input: a.scratch, inputShape: middle, output: a.output,
                                           outputShape: a.outputShape, parallel: a.parallel)
        }
    }

    /// How many bytes of intermediate rows a worker's run of images holds at a time. Measured on
    /// MobileNetV2 at batch 20 (AVX-512; the depthwise output only, before the expansion joined):
    /// 256 KiB, 512 KiB, 2 MiB and unlimited gave 0.97, 0.96, 0.91 and 0.93 of the time of two
    /// passes; MobileNet and Xception were level with all four.
    static let middleBudget = 2 << 20

    /// The pointwise part over `rows` whole rows of each of `images` images.
    private func pointwisePart(images: Int = 1, rows: Int, width: Int) -> _OneDNNConvolution.Part {
        _OneDNNConvolution.Part(batch: images, inHeight: rows, width: width, padTop: 0, padBottom: 0, padLeft: 0, padRight: 0,
                                outHeight: rows, outWidth: width, inRow: 0, outRow: 0)
    }

    /// How the fused path runs an input (the kernel's; NHWC): the depthwise parts for the
    /// workers, how many images a run takes at a time, and each part's scratch (the expansion's
    /// rows, then the depthwise output's; floats from the scratch's start).
    private struct FusedPlan {
        var parts: [(image: Int, part: _OneDNNConvolution.Part)]
        var step: Int
        var regions: [(expanded: Int, middle: Int)]
        var total: Int
        /// Input rows the bands read more than once (the rows at their edges), over all images.
        var repeatedRows: Int
    }

    private func fusedPlan(_ input: [Int], _ output: [Int], _ expansion: Expansion?) -> FusedPlan? {
        guard input.count == 4, output.count == 4 else { return nil }
        let source = depthwiseInput(input, expansion)
        let parts = _OneDNNConvolution.parts(depthwise.geometry, depthwise.padding, input: source, pieces: workers)
        guard !parts.isEmpty else { return nil }
        let (h, w, expandedChannels) = (source[1], source[2], expansion == nil ? 0 : source[3])
        let (oh, ow, cm) = (output[1], output[2], depthwise.geometry.outChannels)
        let perImage = (h * w * expandedChannels + oh * ow * cm) * MemoryLayout<Float>.stride
        // Without a pointwise convolution the depthwise output goes straight to the output.
        let writesMiddle: Bool = { if case .none = pointwise { false } else { true } }()
        let step = max(1, Self.middleBudget / max(perImage, 1))
        var regions: [(expanded: Int, middle: Int)] = [], total = 0, rows = 0
        for (_, part) in parts {
            rows += part.batch == 1 ? part.inHeight : part.batch * h
            // A band's own rows; a run's images a step at a time.
            let (images, inRows, outRows) = part.batch == 1 ? (1, part.inHeight, part.outHeight) : (min(step, part.batch), h, oh)
            let expanded = _FloatBuffer.alignedCount(images * inRows * w * expandedChannels)
            let middle = _FloatBuffer.alignedCount(images * outRows * ow * (writesMiddle ? cm : 0))
            regions.append((total, total + expanded))
            total += expanded + middle
        }
        return FusedPlan(parts: parts, step: step, regions: regions, total: total, repeatedRows: max(0, rows - input[0] * h))
    }

    /// Whether the expansion runs in the parts for this kernel input (NHWC) and output, rather
    /// than as a pass of its own (for tests).
    func fusesExpansion(input: [Int], output: [Int]) -> Bool {
        guard expansion != nil, fusablePointwise != nil, let plan = fusedPlan(input, output, expansion) else { return false }
        return Self.fusesExpansion(plan, input: input)
    }

    /// The expansion of the rows at the bands' edges is done twice: on small maps (a band of a
    /// few rows) that costs more than the passes it saves. Measured on MobileNetV2 at batch 1
    /// (97×97 input, AVX-512): level with separate passes at 13 rows (15% repeated), 7–10%
    /// slower at 7 and 4 rows (29%, 50%). Runs of images repeat nothing.
    private static func fusesExpansion(_ plan: FusedPlan, input: [Int]) -> Bool {
        plan.repeatedRows * 10 <= input[0] * input[1]
    }

    /// The convolutions part by part on each worker; false when oneDNN refuses a part or fails.
    private func fused(_ a: _KernelArguments, middle: [Int], pointwise: _OneDNNConvolution?, activation: Activation,
                       expansion: Expansion?) -> Bool {
        guard a.parallel.workers == workers, let plan = fusedPlan(a.inputShapes[0], a.outputShape, expansion) else { return false }
        let input = a.inputShapes[0], source = depthwiseInput(input, expansion)
        if expansion != nil, !Self.fusesExpansion(plan, input: input) { return false }
        let (h, w, c, ce) = (input[1], input[2], input[3], source[3])
        let (oh, ow, cm, cout) = (middle[1], middle[2], middle[3], pointwise?.geometry.outChannels ?? middle[3])
        typealias Primitive = _OneDNNConvolution.Primitive
        typealias Stages = (expansion: Primitive?, expandedRows: Int, depthwise: Primitive, pointwise: Primitive?)
        /// The primitives for `images` images (or a band: one image) whose depthwise part is `part`.
        func stages(images: Int, _ part: _OneDNNConvolution.Part) -> Stages? {
            var e: Primitive? = nil
            if let expansion {
                guard let p = expansion.convolution.primitive(for: pointwisePart(images: images, rows: part.inHeight, width: w)) else { return nil }
                e = p
            }
            guard let d = depthwise.primitive(for: part) else { return nil }
            guard let pointwise else { return (e, images * part.inHeight, d, nil) }
            guard let p = pointwise.primitive(for: pointwisePart(images: images, rows: part.outHeight, width: ow)) else { return nil }
            return (e, images * part.inHeight, d, p)
        }
        // Runs of images go a few images at a time (`middleBudget`; small late-layer maps want
        // the larger GEMMs of several images): the primitives per image count.
        var runs: [Int: Stages] = [:]
        for (_, part) in plan.parts where part.batch > 1 {
            let step = min(plan.step, part.batch)
            for images in Set([step, part.batch % step]) where images > 0 && runs[images] == nil {
                guard let whole = _OneDNNConvolution.parts(depthwise.geometry, depthwise.padding, input: [images, h, w, ce], pieces: 1).first,
                      let s = stages(images: images, whole.part) else { return false }
                runs[images] = s
            }
        }
        var bands: [Stages?] = []
        for (_, part) in plan.parts {
            guard part.batch == 1 else { bands.append(nil); continue }
            guard let s = stages(images: 1, part) else { return false }
            bands.append(s)
        }
        let input0 = a.inputs[0], scratch = a.scratch, output = a.output
        let (dwActivation, pwActivation) = (depthwiseActivation, activation)
        let dw = depthwise, pw = pointwise
        let failed = Atomic<Bool>(false)
        /// Image `image`'s output rows `[row, row + rows)` (several images' when a run) from its
        /// input rows from `inRow` on: expansion, depthwise, pointwise.
        func stage(_ s: Stages, _ region: (expanded: Int, middle: Int), image: Int, inRow: Int, row: Int, rows: Int) {
            var dwSource = input0 + ((image * h + inRow) * w) * c
            if let expansion, let e = s.expansion {
                let x = scratch + region.expanded
                guard expansion.convolution.execute(e, source: dwSource, destination: x) else { return failed.store(true, ordering: .relaxed) }
                if expansion.activation != .linear {
                    _Activations.apply(expansion.activation, source: x, destination: x, shape: [s.expandedRows * w, ce], bias: nil, parallel: .serial)
                }
                dwSource = UnsafePointer(x)
            }
            let o = output + ((image * oh + row) * ow) * cout
            // Without a pointwise convolution the depthwise one writes the output.
            let m = pw == nil ? o : scratch + region.middle
            guard dw.execute(s.depthwise, source: dwSource, destination: m) else { return failed.store(true, ordering: .relaxed) }
            if dwActivation != .linear {
                _Activations.apply(dwActivation, source: m, destination: m, shape: [rows * ow, cm], bias: nil, parallel: .serial)
            }
            guard let pw, let p = s.pointwise else { return }
            guard pw.execute(p, source: m, destination: o) else { return failed.store(true, ordering: .relaxed) }
            if pwActivation != .linear {
                _Activations.apply(pwActivation, source: o, destination: o, shape: [rows * ow, cout], bias: nil, parallel: .serial)
            }
        }
        let first = plan.parts[0].part
        let work = _Parallel.work(first.batch, first.outHeight, ow, cm, depthwise.geometry.kernelSize.reduce(1, *) + cout + (expansion == nil ? 0 : c))
        a.parallel.forEachRange(plan.parts.count, workPerItem: work) { range in
            for i in range {
                let (image, part) = plan.parts[i]
                if let band = bands[i] {
                    stage(band, plan.regions[i], image: image, inRow: part.inRow, row: part.outRow, rows: part.outHeight)
                } else {
                    var k = image
                    while k < image + part.batch {
                        let images = min(plan.step, image + part.batch - k)
                        guard let run = runs[images] else { return failed.store(true, ordering: .relaxed) }
                        stage(run, plan.regions[i], image: k, inRow: 0, row: 0, rows: images * oh)
                        k += images
                    }
                }
            }
        }
        return !failed.load(ordering: .relaxed)
    }
}
