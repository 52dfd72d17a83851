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
        case .matMulInteger:
            try Self.requireEightBit(ctx, [0, 1], zeroPoints: [2: 0, 3: 1])
            return [Operand(type: ValueType(dtype: .int32, shape: try Self.productShape(ctx, a: 0, b: 1)))]
        case .convInteger(let a):
            try Self.requireEightBit(ctx, [0, 1], zeroPoints: [2: 0, 3: 1])
            return [Operand(type: ValueType(dtype: .int32, shape: try Self.convolutionShape(ctx, a, x: 0, w: 1)))]
        case .qLinearConv(let a):
            try Self.requireEightBit(ctx, [0, 3], zeroPoints: [2: 0, 5: 3])
            let type = try Self.requantizedType(ctx, scales: [1, 4, 6], zeroPoint: 7)
            if let b = ctx.optional(8), b.dtype != .int32 { throw ctx.error("the bias must be int32, not \(b.dtype)") }
            return [Operand(type: ValueType(dtype: type, shape: try Self.convolutionShape(ctx, a, x: 0, w: 3)))]
        case .qLinearMatMul:
            try Self.requireEightBit(ctx, [0, 3], zeroPoints: [2: 0, 5: 3])
            let type = try Self.requantizedType(ctx, scales: [1, 4, 6], zeroPoint: 7)
            return [Operand(type: ValueType(dtype: type, shape: try Self.productShape(ctx, a: 0, b: 3)))]
        case .qLinearGlobalAveragePool(let a):
            try Self.requireEightBit(ctx, [0], zeroPoints: [2: 0, 4: 0])
            _ = try Self.requantizedType(ctx, scales: [1, 3], zeroPoint: 4)
            guard let shape = x.shape else { return [Operand(type: ValueType(dtype: x.dtype, shape: nil))] }
            guard shape.count >= 3 else { throw ModelIRError.inputRankMismatch(node: ctx.node.name, expected: 4, actual: shape) }
            let spatial = a.channelsLast ? 1..<(shape.count - 1) : 2..<shape.count
            return [Operand(type: ValueType(dtype: x.dtype, shape: shape.indices.map { spatial.contains($0) ? 1 : shape[$0] }))]
        case .qLinearSoftmax(let a):
            try Self.requireEightBit(ctx, [0], zeroPoints: [2: 0, 4: 0])
            for i in [1, 3] {
                let t = try ctx.operand(i).dtype
                guard t == .float32 else { throw ctx.error("\(ctx.node.op.inputRoles[i]) must be float32, not \(t)") }
            }
            if let rank = x.shape?.count, Shape.normalizedAxis(a.axis, rank: rank) == nil {
                throw ctx.invalid("axis \(a.axis) is out of range for rank \(rank)")
            }
            return [Operand(type: x.type)]
        }
    }

    /// The quantized operands are int8 or uint8, each zero point of its operand's type.
    private static func requireEightBit(_ ctx: InferenceContext, _ operands: [Int], zeroPoints: [Int: Int]) throws {
        for i in operands {
            let t = try ctx.operand(i).dtype
            guard t == .int8 || t == .uint8 else { throw ctx.error("\(ctx.node.op.inputRoles[i]) must be int8 or uint8, not \(t)") }
        }
        for (z, of) in zeroPoints {
            if let zero = ctx.optional(z), let t = ctx.optional(of)?.dtype, zero.dtype != t {
                throw ctx.error("\(ctx.node.op.inputRoles[z].replacingOccurrences(of: "?", with: "")) is \(zero.dtype), its operand \(t)")
            }
        }
    }

    /// The QLinear result type (the output zero point's, int8 or uint8); the scales are all float32
    /// or all float16.
    private static func requantizedType(_ ctx: InferenceContext, scales: [Int], zeroPoint: Int) throws -> DType {
        let first = try ctx.operand(scales[0]).dtype
        for i in scales {
            let t = try ctx.operand(i).dtype
            guard t == .float32 || t == .float16, t == first else {
                throw ctx.error("\(ctx.node.op.inputRoles[i]) must be float32 or float16 like the others, not \(t)")
            }
        }
        let type = try ctx.operand(zeroPoint).dtype
        guard type == .int8 || type == .uint8 else { throw ctx.error("output_zero_point must be int8 or uint8, not \(type)") }
        return type
    }

    /// MatMul's result shape for operands `a` and `b`.
    private static func productShape(_ ctx: InferenceContext, a: Int, b: Int) throws -> [Int]? {
        guard let sa = try ctx.operand(a).shape, let sb = try ctx.operand(b).shape else { return nil }
        guard let out = LinearOp.matMulShape(sa, sb) else {
            throw ctx.error("cannot multiply \(Shape.kerasString(sa)) by \(Shape.kerasString(sb))")
        }
        return out
    }

    /// The float convolution's result shape for input `x` and kernel `w` (its checks included).
    private static func convolutionShape(_ ctx: InferenceContext, _ a: ConvAttributes, x: Int, w: Int) throws -> [Int]? {
        let floating = { (o: Operand) in Operand(type: ValueType(dtype: .float32, shape: o.shape)) }
        let node = Node(name: ctx.node.name, op: .conv(.conv(a)), inputs: ["x", "w"], outputs: ["y"], sourceType: nil)
        let conv = InferenceContext(node: node, operands: [floating(try ctx.operand(x)), floating(try ctx.operand(w))])
        return try ConvOp.conv(a).infer(conv)[0].shape
    }
}
