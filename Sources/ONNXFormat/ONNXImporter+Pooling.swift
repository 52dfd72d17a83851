import ModelIR

/// `MaxPool`, `AveragePool` (with `count_include_pad`), `GlobalAveragePool`, `GlobalMaxPool` →
/// IR pooling over NHWC. ONNX pads of a MaxPool never win (they are −∞), and the IR's explicit
/// padding of a max pool excludes padded cells too, so both paddings mean the same.
extension ONNXImporter {
    func importPool(_ ctx: _NodeContext) throws {
        let a = ctx.attributes
        let x = try value(ctx, 0)
        guard x.rank == 4, x.isNCHWView else {
            throw ctx.unsupported("an input in axis order \(x.perm) (\(ctx.op) needs NCHW of an image tensor)")
        }
        switch ctx.op {
        case "GlobalAveragePool", "GlobalMaxPool":
            try a.allow([])
            try expectArity(ctx, inputs: 1...1)
            let op: Op = ctx.op == "GlobalAveragePool" ? .globalAveragePool2D(keepDims: true) : .globalMaxPool2D(keepDims: true)
            try emit(ctx, op, inputs: [x.ir], perm: x.perm)
        default:
            let isMax = ctx.op == "MaxPool"
            try a.allow(isMax ? ["auto_pad", "ceil_mode", "dilations", "kernel_shape", "pads", "storage_order", "strides"]
                              : ["auto_pad", "ceil_mode", "count_include_pad", "dilations", "kernel_shape", "pads", "strides"])
            try expectArity(ctx, inputs: 1...1, outputs: 1...(isMax ? 2 : 1))
            guard let kernel = try a.ints("kernel_shape") else { throw ctx.error("kernel_shape is required") }
            guard kernel.count == 2 else { throw ctx.unsupported("\(kernel.count)-D pooling (only 2-D)") }
            guard kernel.allSatisfy({ (1...Self.maximumWindow).contains($0) }) else { throw ctx.error("kernel_shape \(kernel) is out of range") }
            let window = try windowAttributes(ctx, kernel: kernel, input: irShape(x), allowDilations: false)
            if try a.bool("ceil_mode", default: false) {
                try requireCeilModeIrrelevant(ctx, input: irShape(x), kernel: kernel, window: window)
            }
            let attributes = Pool2DAttributes(poolSize: kernel, strides: window.strides, padding: window.padding,
                                              countIncludePad: isMax ? false : try a.bool("count_include_pad", default: false))
            try emit(ctx, isMax ? .maxPool2D(attributes) : .averagePool2D(attributes), inputs: [x.ir], perm: x.perm)
        }
    }

    /// `ceil_mode = 1` is accepted where it gives the same output size as floor (the IR has no ceil mode).
    private func requireCeilModeIrrelevant(_ ctx: _NodeContext, input: [Int], kernel: [Int],
                                           window: (strides: [Int], dilations: [Int], padding: Padding2D)) throws {
        guard case .explicit(let top, let bottom, let left, let right) = window.padding, input[1] > 0, input[2] > 0 else {
            throw ctx.unsupported("ceil_mode 1 with \(window.padding == .same ? "SAME padding" : "an unknown input size")")
        }
        for (size, k, s, before, after) in [(input[1], kernel[0], window.strides[0], top, bottom), (input[2], kernel[1], window.strides[1], left, right)] {
            let span = size + before + after - k
            if span >= 0, span % s != 0 { throw ctx.unsupported("ceil_mode 1 where it changes the output size") }
        }
    }
}
