import ModelIR

/// ONNX `Conv` → IR `conv2D` (HWIO kernel) or `depthwiseConv2D` (HWCM kernel).
///
/// The ONNX weight is OIHW `[M, C/group, kH, kW]`. `group == 1` or any other grouping becomes a
/// convolution with `groups` and the kernel transposed to HWIO (`[2, 3, 1, 0]`); `group == C` with
/// one input channel per group is a depthwise convolution with multiplier `M / C`, its kernel
/// `[C·mult, 1, kH, kW]` rearranged to HWCM. Kernels are transposed once, here.
extension ONNXImporter {
    /// Largest kernel, stride, dilation or pad accepted: far above any real model, small enough
    /// that window arithmetic cannot overflow.
    static let maximumWindow = 1 << 16

    func importConv(_ ctx: _NodeContext) throws {
        let a = ctx.attributes
        try a.allow(["auto_pad", "dilations", "group", "kernel_shape", "pads", "strides"])
        try expectArity(ctx, inputs: 2...3)
        let x = try value(ctx, 0)
        guard let w = try constant(ctx, 1) else { throw ctx.error("has no weight input") }
        let bias = try constant(ctx, 2)
        guard w.dims.count == 4 else {
            throw ctx.unsupported("a \(w.dims.count - 2)-D convolution (weight \(w.dims); only 2-D)")
        }
        guard x.rank == 4, x.isNCHWView else {
            throw ctx.unsupported("an input in axis order \(x.perm) (Conv needs NCHW of an image tensor)")
        }
        guard w.dtype.isFloatingPoint else { throw ctx.error("weight '\(w.name)' is \(w.dtype), not floating point") }
        let (m, cPerGroup, kh, kw) = (w.dims[0], w.dims[1], w.dims[2], w.dims[3])
        let c = irShape(x)[3]
        guard c > 0 else { throw ctx.error("the input's channel count is unknown") }
        let group = try a.int("group", default: 1)
        guard group >= 1, group <= c, c % group == 0, m % group == 0, m > 0, cPerGroup * group == c else {
            throw ctx.error("weight \(w.dims) with group \(group) does not fit an input with \(c) channels")
        }
        guard kh > 0, kw > 0, kh <= Self.maximumWindow, kw <= Self.maximumWindow else { throw ctx.error("kernel \(kh)x\(kw) is out of range") }
        if let ks = try a.ints("kernel_shape"), ks != [kh, kw] {
            throw ctx.error("kernel_shape \(ks) does not match weight \(w.dims)")
        }
        let window = try windowAttributes(ctx, kernel: [kh, kw], input: irShape(x), allowDilations: true)

        var biasName: String?
        if let b = bias {
            guard b.dims == [m], b.dtype.isFloatingPoint else { throw ctx.error("bias '\(b.name)' has shape \(b.dims), expected [\(m)]") }
            biasName = weight(from: b, transform: "bias", shape: [m], layout: .channel) { (b.dtype, b.data) }
        }
        let op: Op
        let kernelName: String
        if group == c, cPerGroup == 1, group > 1 {
            let multiplier = m / c
            kernelName = weight(from: w, transform: "hwcm", shape: [kh, kw, c, multiplier], layout: .hwcm) {
                (w.dtype, _Transpose.apply(w.data.bytes, dims: [c, multiplier, kh, kw], perm: [2, 3, 0, 1], elementSize: w.dtype.byteSize))
            }
            op = .depthwiseConv2D(DepthwiseConv2DAttributes(depthMultiplier: multiplier, kernelSize: [kh, kw], strides: window.strides,
                                                            dilations: window.dilations, padding: window.padding, useBias: bias != nil))
        } else {
            kernelName = weight(from: w, transform: "hwio", shape: [kh, kw, cPerGroup, m], layout: .hwio) {
                (w.dtype, _Transpose.apply(w.data.bytes, dims: w.dims, perm: [2, 3, 1, 0], elementSize: w.dtype.byteSize))
            }
            op = .conv2D(Conv2DAttributes(filters: m, kernelSize: [kh, kw], strides: window.strides, dilations: window.dilations,
                                          padding: window.padding, groups: group, useBias: bias != nil))
        }
        try emit(ctx, op, inputs: [x.ir], weights: [kernelName] + (biasName.map { [$0] } ?? []), perm: x.perm)
    }

    /// Strides, dilations and padding of a 2-D window op (Conv, MaxPool, AveragePool), from
    /// `strides`, `dilations`, `pads` (`[top, left, bottom, right]`) and `auto_pad`.
    ///
    /// Explicit pads that equal TensorFlow's SAME at stride 1 (where SAME does not depend on the
    /// input size) become `.same`, which is what Keras's `padding="same"` imports as.
    func windowAttributes(_ ctx: _NodeContext, kernel: [Int], input: [Int], allowDilations: Bool)
        throws -> (strides: [Int], dilations: [Int], padding: Padding2D)
    {
        let a = ctx.attributes
        let limit = 1...Self.maximumWindow
        let strides = try a.window("strides", count: 2, range: limit, default: [1, 1])
        let dilations = try a.window("dilations", count: 2, range: limit, default: [1, 1])
        if !allowDilations, dilations != [1, 1] { throw ctx.unsupported("dilations \(dilations)") }
        let autoPad = try a.string("auto_pad", default: "NOTSET")
        let padding: Padding2D
        switch autoPad {
        case "NOTSET", "":
            let p = try a.window("pads", count: 4, range: 0...Self.maximumWindow, default: [0, 0, 0, 0])
            let explicit = Padding2D.explicit(top: p[0], bottom: p[2], left: p[1], right: p[3])
            let same = Padding2D.same.resolve(height: 1, width: 1, kernel: (kernel[0], kernel[1]), stride: (1, 1),
                                              dilation: (dilations[0], dilations[1]))
            if strides == [1, 1], explicit != .valid,
               [same.top, same.left, same.bottom, same.right] == p {
                padding = .same
            } else {
                padding = explicit
            }
        case "VALID":
            padding = .valid
        case "SAME_UPPER":
            padding = .same
        case "SAME_LOWER":
            // The odd pixel goes first: only expressible for a known input size.
            let h = input.count == 4 ? input[1] : -1, w = input.count == 4 ? input[2] : -1
            guard h > 0, w > 0 else { throw ctx.unsupported("auto_pad SAME_LOWER with an unknown input size") }
            let upper = Padding2D.same.resolve(height: h, width: w, kernel: (kernel[0], kernel[1]), stride: (strides[0], strides[1]),
                                               dilation: (dilations[0], dilations[1]))
            padding = .explicit(top: upper.bottom, bottom: upper.top, left: upper.right, right: upper.left)
        default:
            throw ctx.error("auto_pad '\(autoPad)' is not one of NOTSET, SAME_UPPER, SAME_LOWER, VALID")
        }
        if autoPad != "NOTSET", autoPad != "", a.has("pads") {
            throw ctx.error("both auto_pad \(autoPad) and pads")
        }
        return (strides, dilations, padding)
    }
}
