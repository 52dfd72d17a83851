import ModelIR

/// ONNX `BatchNormalization` (inference mode) → IR `batchNormalization` over the channel axis.
///
/// Kept as its own node, with ONNX's scale, B, mean and var as Keras's gamma, beta, moving mean and
/// moving variance (the last two non-trainable): the runtime folds it into a preceding
/// convolution at load time, so importing it unfolded keeps the file's structure at no cost.
extension ONNXImporter {
    func importBatchNormalization(_ ctx: _NodeContext) throws {
        let a = ctx.attributes
        try a.allow(["epsilon", "momentum", "spatial", "training_mode", "is_test", "consumed_inputs"])
        try expectArity(ctx, inputs: 5...5, outputs: 1...5)
        if try a.bool("training_mode", default: false) { throw ctx.unsupported("training_mode 1") }
        if try a.int("spatial", default: 1) != 1 { throw ctx.unsupported("spatial 0") }
        let epsilon = try a.float("epsilon", default: 1e-5)
        guard epsilon.isFinite, epsilon >= 0 else { throw ctx.error("epsilon \(epsilon) is not a non-negative number") }
        let x = try value(ctx, 0)
        guard x.featureOrder == nil, x.rank >= 2, x.perm[1] == x.rank - 1 else {
            throw ctx.unsupported("normalizing an axis that is not the IR's channel axis (input axis order \(x.perm))")
        }
        let channels = irShape(x).last ?? -1
        guard channels > 0 else { throw ctx.error("the channel count of the input is unknown") }
        var names: [String] = []
        for (i, role) in [(1, "scale"), (2, "B"), (3, "mean"), (4, "var")] {
            guard let c = try constant(ctx, i) else { throw ctx.error("input '\(role)' is missing") }
            guard c.dims == [channels], c.dtype.isFloatingPoint else {
                throw ctx.error("\(role) '\(c.name)' is \(c.dtype) \(c.dims), expected floating point [\(channels)]")
            }
            names.append(weight(from: c, transform: "channel", shape: [channels], layout: .channel, trainable: i <= 2) { (c.dtype, c.data) })
        }
        try emit(ctx, .batchNormalization(BatchNormAttributes(epsilon: epsilon, center: true, scale: true, axis: -1)),
                 inputs: [x.ir], weights: names, perm: x.perm)
    }
}
