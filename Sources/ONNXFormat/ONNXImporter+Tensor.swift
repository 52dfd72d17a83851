import ModelIR
import ONNXProto

/// ONNX's data-movement ops → IR `tensor`. Each takes its parameters as attributes in old opsets
/// and as inputs in new ones; a constant input becomes the attribute (its operand dropped), a
/// value known only at run time stays an operand.
extension ONNXImporter {
    static let tensorOps: Set<String> = [
        "Reshape", "Flatten", "Transpose", "Squeeze", "Unsqueeze", "Concat", "Split", "Slice", "Gather", "GatherElements", "Expand",
        "ScatterND", "ScatterElements", "Scatter",
        "Tile", "Pad", "DepthToSpace", "SpaceToDepth", "Identity", "Dropout",
    ]

    /// Input `i` as an attribute when it is a constant (and the operand "" then), else its operand.
    func parameter(_ ctx: _NodeContext, _ i: Int) throws -> (value: [Int]?, operand: String) {
        if let v = try ctx.ints(i) { return (v, "") }
        return (nil, ctx.input(i))
    }

    func importTensorOp(_ ctx: _NodeContext) throws -> Node {
        let a = ctx.attributes
        let x = ctx.input(0)
        switch ctx.op {
        case "Reshape":
            if ctx.opset < 5 {
                try ctx.arity(1...1)
                try a.allow(["shape", "consumed_inputs"])
                guard let shape = try a.ints("shape") else { throw ctx.error("needs shape") }
                return ctx.node(.tensor(.reshape(ReshapeAttributes(shape: shape))), [x])
            }
            try ctx.arity(2...2)
            try a.allow(["allowzero"])
            let allowZero = try a.bool("allowzero", default: false)
            var (shape, operand) = try parameter(ctx, 1)
            if shape == nil, let target = staticReshapeTarget(ctx, allowZero: allowZero) {
                (shape, operand) = (target, "")
            }
            return ctx.node(.tensor(.reshape(ReshapeAttributes(shape: shape, allowZero: allowZero))), [x, operand])
        case "Flatten":
            try ctx.arity(1...1)
            try a.allow(["axis"])
            return ctx.node(.tensor(.flatten(axis: try a.int("axis", default: 1))), [x])
        case "Transpose":
            try ctx.arity(1...1)
            try a.allow(["perm"])
            return ctx.node(.tensor(.transpose(perm: try a.ints("perm"))), [x])
        case "Squeeze", "Unsqueeze":
            try ctx.arity(1...2)
            try a.allow(["axes"])
            var (axes, operand) = try parameter(ctx, 1)
            if let attribute = try a.ints("axes") { axes = attribute }
            if ctx.op == "Unsqueeze", axes == nil, operand.isEmpty { throw ctx.error("needs axes") }
            return ctx.node(.tensor(ctx.op == "Squeeze" ? .squeeze(axes: axes) : .unsqueeze(axes: axes)), [x, operand])
        case "Concat":
            try ctx.arity(1...Int(Int32.max))
            try a.allow(["axis"])
            guard !ctx.inputs.contains("") else { throw ctx.error("an operand is missing") }
            guard let axis = try a.int("axis") ?? (ctx.opset < 4 ? 1 : nil) else { throw ctx.error("needs axis") }
            return ctx.node(.tensor(.concat(axis: axis)), ctx.inputs)
        case "Split":
            try ctx.arity(1...2, outputs: 1...Int(Int32.max))
            try a.allow(["axis", "split", "num_outputs"])
            var (sizes, operand) = try parameter(ctx, 1)
            if let attribute = try a.ints("split") { sizes = attribute }
            if let n = try a.int("num_outputs"), n != ctx.proto.output.count {
                throw ctx.error("num_outputs \(n) but \(ctx.proto.output.count) outputs")
            }
            let op = Op.tensor(.split(SplitAttributes(axis: try a.int("axis", default: 0), sizes: sizes)))
            // Every output counts (an equal split divides by the output count), named or not.
            return Node(name: ctx.name, op: op, inputs: operand.isEmpty ? [x] : [x, operand], outputs: ctx.proto.output)
        case "Slice":
            if ctx.opset < 10 {
                try ctx.arity(1...1)
                try a.allow(["starts", "ends", "axes"])
                guard let starts = try a.ints("starts"), let ends = try a.ints("ends") else { throw ctx.error("needs starts and ends") }
                return ctx.node(.tensor(.slice(SliceAttributes(starts: starts, ends: ends, axes: try a.ints("axes")))), [x])
            }
            try ctx.arity(3...5)
            try a.allow([])
            let starts = try parameter(ctx, 1), ends = try parameter(ctx, 2), axes = try parameter(ctx, 3), steps = try parameter(ctx, 4)
            let attributes = SliceAttributes(starts: starts.value, ends: ends.value, axes: axes.value, steps: steps.value)
            return ctx.node(.tensor(.slice(attributes)), [x, starts.operand, ends.operand, axes.operand, steps.operand])
        case "Gather", "GatherElements":
            try ctx.arity(2...2)
            try a.allow(["axis"])
            let axis = try a.int("axis", default: 0)
            return ctx.node(.tensor(ctx.op == "Gather" ? .gather(axis: axis) : .gatherElements(axis: axis)), ctx.inputs)
        case "ScatterND", "ScatterElements", "Scatter":
            try ctx.arity(3...3)
            try a.allow(ctx.op == "ScatterND" ? ["reduction"] : ["axis", "reduction"])
            let name = try a.string("reduction", default: "none")
            guard let reduction = ScatterReduction(rawValue: name) else { throw ctx.error("unknown reduction '\(name)'") }
            if ctx.op == "ScatterND" { return ctx.node(.tensor(.scatterND(reduction: reduction)), ctx.inputs) }
            return ctx.node(.tensor(.scatterElements(axis: try a.int("axis", default: 0), reduction: reduction)), ctx.inputs)
        case "Expand":
            try ctx.arity(2...2)
            try a.allow([])
            let (shape, operand) = try parameter(ctx, 1)
            return ctx.node(.tensor(.expand(shape: shape)), [x, operand])
        case "Tile":
            if ctx.opset < 6 { throw _Carry("Tile before opset 6 (tiles and axis inputs) is not interpreted") }
            try ctx.arity(2...2)
            try a.allow([])
            let (repeats, operand) = try parameter(ctx, 1)
            return ctx.node(.tensor(.tile(repeats: repeats)), [x, operand])
        case "Pad":
            return try importPad(ctx)
        case "DepthToSpace":
            try ctx.arity(1...1)
            try a.allow(["blocksize", "mode"])
            guard let block = try a.int("blocksize"), block > 0 else { throw ctx.error("needs a positive blocksize") }
            let crd = try a.choice("mode", ["DCR", "CRD"], default: "DCR") == "CRD"
            return ctx.node(.tensor(.depthToSpace(DepthToSpaceAttributes(blockSize: block, columnRowDepth: crd))), [x])
        case "SpaceToDepth":
            try ctx.arity(1...1)
            try a.allow(["blocksize", "mode"])
            guard let block = try a.int("blocksize"), block > 0 else { throw ctx.error("needs a positive blocksize") }
            let crd = try a.choice("mode", ["DCR", "CRD"], default: "DCR") == "CRD"
            return ctx.node(.tensor(.spaceToDepth(SpaceToDepthAttributes(blockSize: block, columnRowDepth: crd))), [x])
        case "Identity":
            try ctx.arity(1...1)
            try a.allow([])
            return ctx.node(.tensor(.identity), [x])
        default:
            return try importDropout(ctx)
        }
    }

    private func importPad(_ ctx: _NodeContext) throws -> Node {
        let a = ctx.attributes
        let mode = try a.choice("mode", ["constant", "reflect", "edge", "wrap"], default: "constant")
        let padMode = PadMode(rawValue: mode) ?? .constant
        if ctx.opset < 11 {
            try ctx.arity(1...1)
            try a.allow(["pads", "paddings", "mode", "value"])
            guard let pads = try a.ints("pads") ?? a.ints("paddings") else { throw ctx.error("needs pads") }
            let attributes = PadAttributes(mode: padMode, pads: pads, value: Double(try a.float("value", default: 0)))
            return ctx.node(.tensor(.pad(attributes)), [ctx.input(0)])
        }
        try ctx.arity(2...4)
        try a.allow(["mode"])
        let pads = try parameter(ctx, 1), axes = try parameter(ctx, 3)
        var value: Double? = 0
        var valueOperand = ""
        if ctx.has(2) {
            if let v = ctx.value(2) {
                guard v.elementCount ?? 0 <= 1 else { throw ctx.error("constant_value must be a scalar") }
                value = v.doubles.first ?? 0
            } else {
                value = nil
                valueOperand = ctx.input(2)
            }
        }
        let attributes = PadAttributes(mode: padMode, pads: pads.value, axes: axes.value, value: value)
        return ctx.node(.tensor(.pad(attributes)), [ctx.input(0), pads.operand, valueOperand, axes.operand])
    }

    private func importDropout(_ ctx: _NodeContext) throws -> Node {
        let a = ctx.attributes
        try ctx.arity(1...3, outputs: 1...2)
        try a.allow(["ratio", "is_test", "seed", "consumed_inputs"])
        // At inference the ratio changes nothing; one given at run time stays an operand.
        var rate = try a.float("ratio", default: 0.5)
        var ratio = ctx.input(1)
        if let r = ctx.value(1)?.doubles.first {
            rate = Float(r)
            ratio = ""
        }
        // training_mode: false at import is dropped; true with a ratio known to be nonzero is
        // random; given at run time it stays an operand (the evaluator refuses a random case then).
        var training = ctx.input(2)
        if let v = ctx.value(2) {
            if v.integers.first ?? 0 == 0 {
                training = ""
            } else if ratio.isEmpty, rate != 0 {
                throw _Carry("training mode (random dropout) is not interpreted")
            }
        }
        if ctx.opset < 7, !(try a.bool("is_test", default: false)), ctx.isUsed(output: 1) {
            throw _Carry("training mode (random dropout) is not interpreted")
        }
        return ctx.node(.tensor(.dropout(rate: rate, seed: try a.int("seed"))), [ctx.input(0), ratio, training])
    }
}
