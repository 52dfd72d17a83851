import ModelIR
import ONNXProto

/// ONNX Conv, ConvTranspose and the pools → IR `conv` / `pool`, channels first (NCHW, NCW, NCDHW)
/// with the kernel as ONNX lays it out (OIHW, or IOHW for ConvTranspose): nothing is transposed.
/// Grouped and depthwise convolutions keep `groups`.
extension ONNXImporter {
    static let windowLimit = 1...Int(Int32.max)

    func importConv(_ ctx: _NodeContext) throws -> Node {
        let transposed = ctx.op == "ConvTranspose"
        try ctx.arity(2...3)
        let operands = [ctx.input(0), ctx.input(1), ctx.input(2)]
        if !transposed { return ctx.node(.conv(.conv(try convAttributes(ctx, weight: 1))), operands) }
        let a = ctx.attributes
        try a.allow(["auto_pad", "dilations", "group", "kernel_shape", "output_padding", "output_shape", "pads", "strides"])
        let (w, kernel, strides, dilations, groups) = try window(ctx, weight: 1)
        let n = kernel.count
        guard w[1] > 0 else { throw _Carry("the weight's output-channel count is not known at import") }
        let outputPadding = try a.window("output_padding", count: n, range: 0...Int(Int32.max), default: kernel.map { _ in 0 })
        var outputShape = try a.ints("output_shape")
        if let s = outputShape {
            // Some exporters give the whole shape; the spatial part is what counts.
            if s.count == n + 2 { outputShape = Array(s.suffix(n)) }
            guard outputShape?.count == n, outputShape?.allSatisfy({ Self.windowLimit.contains($0) }) == true else {
                throw ctx.error("output_shape \(s) does not fit \(n) spatial axes")
            }
        }
        var padding = try windowPadding(ctx, n: n)
        if outputShape != nil {
            // The padding follows from output_shape: SAME_UPPER puts the odd pixel at the end,
            // NOTSET and SAME_LOWER at the beginning (ONNX's ConvTranspose rule).
            padding = (try a.string("auto_pad")) == "SAME_UPPER" ? .same : .sameLower
        }
        let (filters, overflow) = w[1].multipliedReportingOverflow(by: groups)
        guard !overflow, filters <= ShapeInference.maxExtent else { throw ctx.error("group \(groups) is out of range") }
        let attributes = ConvTransposeAttributes(filters: filters, kernelSize: kernel, strides: strides, dilations: dilations,
                                                 padding: padding, outputPadding: outputPadding, outputShape: outputShape,
                                                 groups: groups, layout: .channelsFirst, kernelLayout: .spatialLast)
        return ctx.node(.conv(.transposed(attributes)), operands)
    }

    /// ConvInteger and QLinearConv (onnxruntime's quantized convolutions) → IR `quantization`,
    /// with Conv's attributes; the kernel is ONNX's OIHW.
    func importQuantizedConv(_ ctx: _NodeContext) throws -> Node {
        let linear = ctx.op == "QLinearConv"
        try ctx.arity(linear ? 8...9 : 2...4)
        let attributes = try convAttributes(ctx, weight: linear ? 3 : 1)
        return ctx.node(.quantization(linear ? .qLinearConv(attributes) : .convInteger(attributes)), ctx.inputs)
    }

    /// ONNX Conv's attributes (and the kernel shape of input `weight`), channels first, OIHW.
    private func convAttributes(_ ctx: _NodeContext, weight: Int) throws -> ConvAttributes {
        try ctx.attributes.allow(["auto_pad", "dilations", "group", "kernel_shape", "pads", "strides"])
        let (w, kernel, strides, dilations, groups) = try window(ctx, weight: weight)
        guard w[0] > 0 else { throw _Carry("the weight's output-channel count is not known at import") }
        return ConvAttributes(filters: w[0], kernelSize: kernel, strides: strides, dilations: dilations,
                              padding: try windowPadding(ctx, n: kernel.count), groups: groups, layout: .channelsFirst,
                              kernelLayout: .spatialLast)
    }

    /// The weight's shape and the window attributes every convolution shares.
    private func window(_ ctx: _NodeContext, weight: Int) throws
        -> (weight: [Int], kernel: [Int], strides: [Int], dilations: [Int], groups: Int) {
        let a = ctx.attributes
        guard let w = ctx.shape(weight), w.count >= 3 else { throw _Carry("the rank of its weight is not known at import") }
        let kernel = try a.ints("kernel_shape") ?? Array(w.dropFirst(2))
        let n = kernel.count
        guard n == w.count - 2 else { throw ctx.error("kernel_shape \(kernel) does not fit a weight of shape \(w)") }
        guard (1...3).contains(n) else { throw _Carry("convolutions over \(n) spatial axes are not interpreted") }
        guard kernel.allSatisfy({ Self.windowLimit.contains($0) }) else {
            if kernel.contains(-1) { throw _Carry("the weight's spatial size is not known at import") }
            throw ctx.error("kernel_shape \(kernel) is out of range")
        }
        let strides = try a.window("strides", count: n, range: Self.windowLimit, default: kernel.map { _ in 1 })
        let dilations = try a.window("dilations", count: n, range: Self.windowLimit, default: kernel.map { _ in 1 })
        let groups = try a.int("group", default: 1)
        guard groups >= 1, groups <= Int(Int32.max) else { throw ctx.error("group \(groups) must be positive") }
        return (w, kernel, strides, dilations, groups)
    }

    /// `auto_pad` and `pads` as one `Padding` (SAME_UPPER is TensorFlow's SAME).
    func windowPadding(_ ctx: _NodeContext, n: Int) throws -> Padding {
        let a = ctx.attributes
        switch try a.choice("auto_pad", ["NOTSET", "SAME_UPPER", "SAME_LOWER", "VALID"], default: "NOTSET") {
        case "SAME_UPPER": return .same
        case "SAME_LOWER": return .sameLower
        case "VALID": return .valid
        default:
            let pads = try a.window("pads", count: 2 * n, range: 0...Int(Int32.max), default: [Int](repeating: 0, count: 2 * n))
            return Padding.explicit(begin: Array(pads[..<n]), end: Array(pads[n...])).normalized
        }
    }

    func importPool(_ ctx: _NodeContext) throws -> Node {
        let a = ctx.attributes
        func lpExponent() throws -> Int {
            // LpPool-1 had a FLOAT p; later versions an INT.
            if let p = try? a.int("p", default: 2) { return p }
            guard let f = try a.float("p"), f == f.rounded(), f >= 1, f <= 64 else { throw _Carry("a non-integer p is not interpreted") }
            return Int(f)
        }
        switch ctx.op {
        case "GlobalAveragePool", "GlobalMaxPool", "GlobalLpPool":
            try ctx.arity(1...1)
            let lp = ctx.op == "GlobalLpPool"
            try a.allow(lp ? ["p"] : [])
            let attributes = GlobalPoolAttributes(keepDims: true, layout: .channelsFirst, p: lp ? try lpExponent() : 2)
            let op: PoolOp = ctx.op == "GlobalAveragePool" ? .globalAverage(attributes)
                : ctx.op == "GlobalMaxPool" ? .globalMax(attributes) : .globalLp(attributes)
            return ctx.node(.pool(op), [ctx.input(0)])
        default:
            let isMax = ctx.op == "MaxPool", isAverage = ctx.op == "AveragePool"
            try ctx.arity(1...1, outputs: isMax ? 1...2 : 1...1)
            var allowed: Set<String> = ["auto_pad", "ceil_mode", "dilations", "kernel_shape", "pads", "strides"]
            if isMax { allowed.insert("storage_order") }
            if isAverage { allowed.insert("count_include_pad") }
            if !isMax && !isAverage { allowed.insert("p") }
            try a.allow(allowed)
            if isMax { try ctx.requireUnusedOutputs(from: 1, "Indices") }
            guard let kernel = try a.ints("kernel_shape") else { throw ctx.error("needs kernel_shape") }
            let n = kernel.count
            guard (1...3).contains(n) else { throw _Carry("pooling over \(n) spatial axes is not interpreted") }
            guard kernel.allSatisfy({ Self.windowLimit.contains($0) }) else { throw ctx.error("kernel_shape \(kernel) is out of range") }
            let attributes = PoolAttributes(
                poolSize: kernel,
                strides: try a.window("strides", count: n, range: Self.windowLimit, default: kernel.map { _ in 1 }),
                dilations: try a.window("dilations", count: n, range: Self.windowLimit, default: kernel.map { _ in 1 }),
                padding: try windowPadding(ctx, n: n), ceilMode: try a.bool("ceil_mode", default: false),
                countIncludePad: try a.bool("count_include_pad", default: false), p: isMax || isAverage ? 2 : try lpExponent(),
                layout: .channelsFirst)
            let op: PoolOp = isMax ? .max(attributes) : isAverage ? .average(attributes) : .lp(attributes)
            return ctx.node(.pool(op), [ctx.input(0)], outputCount: 1)
        }
    }
}
