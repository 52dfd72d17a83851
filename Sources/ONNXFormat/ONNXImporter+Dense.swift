import ModelIR

/// `Gemm` and `MatMul` with a constant right-hand side → IR `dense` (IO kernel). `alpha` and
/// `beta` are folded into the kernel and bias; `transB = 1` (PyTorch's `Linear`) transposes the
/// kernel once. A `MatMul` bias arrives as a following `Add`, folded by `importBinary`.
extension ONNXImporter {
    func importDense(_ ctx: _NodeContext) throws {
        let a = ctx.attributes
        let isGemm = ctx.op == "Gemm"
        try a.allow(isGemm ? ["alpha", "beta", "transA", "transB", "broadcast"] : [])
        try expectArity(ctx, inputs: isGemm ? 2...3 : 2...2)
        let x = try value(ctx, 0)
        guard let b = try constant(ctx, 1) else { throw ctx.error("input B is missing") }
        guard b.dims.count == 2, b.dtype.isFloatingPoint else {
            throw ctx.unsupported("a right-hand side that is not a 2-D floating-point constant (B is \(b.dtype) \(b.dims))")
        }
        let transB = isGemm ? try a.bool("transB", default: false) : false
        if isGemm, try a.bool("transA", default: false) { throw ctx.unsupported("transA 1") }
        let alpha = isGemm ? try a.float("alpha", default: 1) : 1
        let beta = isGemm ? try a.float("beta", default: 1) : 1
        guard alpha.isFinite, beta.isFinite else { throw ctx.error("alpha/beta must be finite") }
        let (k, m) = transB ? (b.dims[1], b.dims[0]) : (b.dims[0], b.dims[1])
        guard k > 0, m > 0 else { throw ctx.error("B \(b.dims) is empty") }
        if isGemm {
            guard x.rank == 2 else { throw ctx.error("A must be 2-D, is rank \(x.rank)") }
        }
        guard x.perm.last == x.rank - 1 else {
            throw ctx.unsupported("a product over an axis that is not the IR's last (input axis order \(x.perm))")
        }
        let features = onnxShape(x).last ?? -1
        guard features == k else { throw ctx.error("A has \(features) features but B \(b.dims) expects \(k)") }
        if let order = x.featureOrder, order.count != k { throw ctx.error("feature order of \(order.count) does not match \(k)") }

        let needsCopy = transB || alpha != 1 || x.featureOrder != nil
        let kernelName = weight(from: b, transform: needsCopy ? "io:\(transB):\(alpha):\(ctx.name)" : "io", shape: [k, m], layout: .io) {
            guard needsCopy else { return (b.dtype, b.data) }
            let raw = b.floats()
            // B is [K, M], or [M, K] with transB.
            let source = transB ? (0..<(k * m)).map { raw[($0 % m) * k + $0 / m] } : raw
            var kernel = source
            if let order = x.featureOrder {
                // ONNX row f (the flattened NCHW position) is IR row order[f] (NHWC).
                for f in 0..<k {
                    let r = order[f]
                    for j in 0..<m { kernel[r * m + j] = source[f * m + j] }
                }
            }
            if alpha != 1 { for i in kernel.indices { kernel[i] *= alpha } }
            return (.float32, TensorData(floats: kernel))
        }
        var weightNames = [kernelName]
        if isGemm, let c = try constant(ctx, 2) {
            guard c.dtype.isFloatingPoint, c.elementCount == m || c.elementCount == 1, c.dims.count <= 2,
                  c.dims.dropLast().allSatisfy({ $0 == 1 }) else {
                throw ctx.unsupported("bias C of shape \(c.dims) (only [\(m)], [1, \(m)] or one value)")
            }
            if c.elementCount == m, beta == 1 {
                weightNames.append(weight(from: c, transform: "bias", shape: [m], layout: .channel) { (c.dtype, c.data) })
            } else {
                let raw = c.floats()
                let bias = (0..<m).map { beta * raw[raw.count == 1 ? 0 : $0] }
                weightNames.append(newWeight(c.name, floats: bias, shape: [m], layout: .channel, source: c.source))
            }
        }
        try emit(ctx, .dense(DenseAttributes(units: m, useBias: weightNames.count == 2)), inputs: [x.ir], weights: weightNames,
                 perm: x.perm)
    }
}
