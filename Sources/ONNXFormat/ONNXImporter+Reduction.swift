import ModelIR
import ONNXProto

/// ONNX Reduce*, ArgMax/ArgMin → IR `reduction`; QuantizeLinear, DequantizeLinear and
/// DynamicQuantizeLinear → IR `quantization` (QDQ models keep their quantized weights).
extension ONNXImporter {
    static let reduceFunctions: [String: ReduceFunction] = [
        "ReduceSum": .sum, "ReduceMean": .mean, "ReduceMax": .max, "ReduceMin": .min, "ReduceProd": .prod, "ReduceL1": .l1,
        "ReduceL2": .l2, "ReduceLogSum": .logSum, "ReduceLogSumExp": .logSumExp, "ReduceSumSquare": .sumSquare,
    ]
    static let reductionOps: Set<String> = Set(reduceFunctions.keys).union(["ArgMax", "ArgMin"])

    func importReduction(_ ctx: _NodeContext) throws -> Node {
        let a = ctx.attributes
        if let f = Self.reduceFunctions[ctx.op] {
            // `axes` is an attribute before opset 18 (13 for ReduceSum) and an input after.
            try ctx.arity(1...2)
            try a.allow(["axes", "keepdims", "noop_with_empty_axes"])
            var attributes = ReduceAttributes(function: f, axes: try a.ints("axes"), keepDims: try a.bool("keepdims", default: true),
                                              noopWithEmptyAxes: try a.bool("noop_with_empty_axes", default: false))
            var axesOperand = ctx.input(1)
            if let axes = try ctx.ints(1) {
                attributes.axes = axes
                axesOperand = ""
            }
            return ctx.node(.reduction(.reduce(attributes)), [ctx.input(0), axesOperand])
        }
        try ctx.arity(1...1)
        try a.allow(["axis", "keepdims", "select_last_index"])
        let attributes = ArgReduceAttributes(axis: try a.int("axis", default: 0), keepDims: try a.bool("keepdims", default: true),
                                             selectLastIndex: try a.bool("select_last_index", default: false))
        return ctx.node(.reduction(ctx.op == "ArgMax" ? .argMax(attributes) : .argMin(attributes)), [ctx.input(0)])
    }

    /// onnxruntime's `com.microsoft` ops that wtool interprets; the domain's others are carried.
    static let microsoftOps: Set<String> = ["QLinearGlobalAveragePool", "QLinearSoftmax"]

    /// com.microsoft QLinearGlobalAveragePool and QLinearSoftmax (onnxruntime's QOperator
    /// quantizer emits them for GlobalAveragePool and Softmax) → IR `quantization`.
    func importMicrosoftQuantization(_ ctx: _NodeContext) throws -> Node {
        let a = ctx.attributes
        switch ctx.op {
        case "QLinearGlobalAveragePool":
            try ctx.arity(5...5)
            try a.allow(["channels_last"])
            let attributes = QLinearPoolAttributes(channelsLast: try a.int("channels_last", default: 0) != 0)
            return ctx.node(.quantization(.qLinearGlobalAveragePool(attributes)), ctx.inputs)
        default:
            try ctx.arity(4...5)
            try a.allow(["axis", "opset"])
            guard let opset = try a.int("opset") else { throw ctx.error("needs the opset attribute") }
            let attributes = QLinearSoftmaxAttributes(axis: try a.int("axis", default: opset < 13 ? 1 : -1), opset: opset)
            return ctx.node(.quantization(.qLinearSoftmax(attributes)), ctx.inputs)
        }
    }

    func importQuantization(_ ctx: _NodeContext) throws -> Node {
        let a = ctx.attributes
        switch ctx.op {
        case "ConvInteger", "QLinearConv": return try importQuantizedConv(ctx)
        case "MatMulInteger", "QLinearMatMul":
            try ctx.arity(ctx.op == "QLinearMatMul" ? 8...8 : 2...4)
            try a.allow([])
            return ctx.node(.quantization(ctx.op == "QLinearMatMul" ? .qLinearMatMul : .matMulInteger), ctx.inputs)
        default: break
        }
        if ctx.op == "DynamicQuantizeLinear" {
            try ctx.arity(1...1, outputs: 1...3)
            try a.allow([])
            return ctx.node(.quantization(.dynamicQuantizeLinear), [ctx.input(0)])
        }
        try ctx.arity(2...3)
        let quantize = ctx.op == "QuantizeLinear"
        try a.allow(quantize ? ["axis", "saturate", "output_dtype", "block_size"] : ["axis", "block_size", "output_dtype"])
        let block = try a.int("block_size", default: 0)
        guard block >= 0 else { throw ctx.error("block_size \(block) is negative") }
        var attributes = QuantizeAttributes(axis: try a.int("axis", default: 1), saturate: try a.bool("saturate", default: true),
                                            blockSize: block > 0 ? block : nil)
        if let code = try a.int("output_dtype"), code != 0 {
            guard let dtype = _DataType.dtype(Int32(clamping: code)) else {
                throw _Carry("output_dtype \(_DataType.name(Int32(clamping: code))) is not a type wtool holds")
            }
            if quantize {
                attributes.outputType = dtype
            } else if let scale = ctx.operand(1), scale.dtype != dtype {
                throw _Carry("a DequantizeLinear output_dtype other than the scale's is not interpreted")
            }
        }
        return ctx.node(.quantization(quantize ? .quantizeLinear(attributes) : .dequantizeLinear(attributes)),
                        [ctx.input(0), ctx.input(1), ctx.input(2)])
    }
}
