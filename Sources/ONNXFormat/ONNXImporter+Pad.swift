import ModelIR

/// `Pad` (mode constant, value 0, spatial axes only) → IR `zeroPadding2D`, Keras's `ZeroPadding2D`.
/// Pads are an attribute before opset 11 and an input from 11 on (with an optional `axes` input
/// from 18).
extension ONNXImporter {
    func importPad(_ ctx: _NodeContext) throws {
        let a = ctx.attributes
        try a.allow(opset < 11 ? ["mode", "pads", "value"] : ["mode"])
        try expectArity(ctx, inputs: opset < 11 ? 1...1 : 2...4)
        let x = try value(ctx, 0)
        let mode = try a.string("mode", default: "constant")
        guard mode == "constant" else { throw ctx.unsupported("mode '\(mode)' (only constant zero padding)") }
        let rank = x.rank
        var pads: [Int]
        var value: Float = 0
        if opset < 11 {
            guard let p = try a.ints("pads") else { throw ctx.error("pads is required") }
            pads = p
            value = try a.float("value", default: 0)
        } else {
            guard let p = try constant(ctx, 1), let ints = p.integers(), p.dims.count == 1 else {
                throw ctx.error("pads must be a 1-D integer constant")
            }
            pads = ints
            if let v = try constant(ctx, 2) {
                guard v.elementCount == 1 else { throw ctx.error("constant_value must be one value") }
                value = v.floats()[0]
            }
            if let axesTensor = try constant(ctx, 3) {
                guard let axes = axesTensor.integers(), axes.count * 2 == pads.count else {
                    throw ctx.error("axes must be integers, half as many as pads")
                }
                var full = [Int](repeating: 0, count: 2 * rank)
                var seen = Set<Int>()
                for (i, axis) in axes.enumerated() {
                    let ax = axis < 0 ? axis + rank : axis
                    guard (0..<rank).contains(ax), seen.insert(ax).inserted else { throw ctx.error("axes \(axes) are out of range or repeated") }
                    full[ax] = pads[i]
                    full[rank + ax] = pads[axes.count + i]
                }
                pads = full
            }
        }
        guard pads.count == 2 * rank else { throw ctx.error("pads has \(pads.count) values; a rank-\(rank) input needs \(2 * rank)") }
        guard value == 0 else { throw ctx.unsupported("padding with \(value) (only zeros)") }
        guard pads.allSatisfy({ (0...Self.maximumWindow).contains($0) }) else {
            throw ctx.unsupported("pads \(pads) (negative pads crop; only 0...\(Self.maximumWindow))")
        }
        guard rank == 4, x.featureOrder == nil else { throw ctx.unsupported("padding a rank-\(rank) tensor (only images)") }
        // Pads per IR axis.
        var begin = [Int](repeating: 0, count: 4), end = [Int](repeating: 0, count: 4)
        for i in 0..<4 {
            begin[x.perm[i]] = pads[i]
            end[x.perm[i]] = pads[4 + i]
        }
        guard begin[0] == 0, end[0] == 0, begin[3] == 0, end[3] == 0 else {
            throw ctx.unsupported("padding the batch or channel axis (pads \(pads))")
        }
        try emit(ctx, .zeroPadding2D(top: begin[1], bottom: end[1], left: begin[2], right: end[2]), inputs: [x.ir], perm: x.perm)
    }
}
