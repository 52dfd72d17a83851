extension QuantizationOp {
    func infer(_ ctx: InferenceContext) throws -> [Operand] {
        let x = try ctx.operand(0)
        switch self {
        case .quantizeLinear(let a):
            let scale = try ctx.operand(1)
            guard scale.dtype.isFloatingPoint else { throw ctx.error("the scale must be floating point") }
            if let zero = ctx.optional(2), let declared = a.outputType, zero.dtype != declared {
                throw ctx.error("the zero point is \(zero.dtype) but output_dtype is \(declared)")
            }
            let type = ctx.optional(2)?.dtype ?? a.outputType ?? .uint8
            guard [.uint8, .int8, .uint16, .int16, .int32].contains(type) else { throw ctx.error("cannot quantize to \(type)") }
            return [Operand(type: ValueType(dtype: type, shape: x.shape))]
        case .dequantizeLinear:
            let scale = try ctx.operand(1)
            return [Operand(type: ValueType(dtype: scale.dtype, shape: x.shape))]
        case .dynamicQuantizeLinear:
            guard x.dtype == .float32 else { throw ctx.error("DynamicQuantizeLinear takes float32") }
            return [Operand(type: ValueType(dtype: .uint8, shape: x.shape)), Operand(type: ValueType(dtype: .float32, shape: [])),
                    Operand(type: ValueType(dtype: .uint8, shape: []))]
        }
    }
}
