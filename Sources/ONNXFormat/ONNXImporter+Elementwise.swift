import ModelIR
import ONNXProto

/// ONNX's element-wise math, comparisons, logic, Where, Clip and PRelu → IR `elementwise`, with
/// NumPy broadcasting. Add and Mul are two-operand `variadic` ops, like Sum/Max/Min/Mean.
extension ONNXImporter {
    static let unaryFunctions: [String: UnaryFunction] = [
        "Neg": .neg, "Abs": .abs, "Sqrt": .sqrt, "Exp": .exp, "Log": .log, "Reciprocal": .reciprocal, "Erf": .erf,
        "Floor": .floor, "Ceil": .ceil, "Round": .round, "Sign": .sign, "Sin": .sin, "Cos": .cos, "Tan": .tan, "Asin": .asin,
        "Acos": .acos, "Atan": .atan, "Sinh": .sinh, "Cosh": .cosh, "Asinh": .asinh, "Acosh": .acosh, "Atanh": .atanh,
        "Not": .not, "BitwiseNot": .bitwiseNot, "IsNaN": .isNaN,
    ]
    static let binaryFunctions: [String: BinaryFunction] = [
        "Sub": .sub, "Div": .div, "Pow": .pow, "Equal": .equal, "Less": .less, "LessOrEqual": .lessOrEqual, "Greater": .greater,
        "GreaterOrEqual": .greaterOrEqual, "And": .and, "Or": .or, "Xor": .xor, "BitwiseAnd": .bitwiseAnd, "BitwiseOr": .bitwiseOr,
        "BitwiseXor": .bitwiseXor,
    ]
    static let variadicFunctions: [String: VariadicFunction] = ["Add": .add, "Mul": .mul, "Max": .max, "Min": .min, "Sum": .add, "Mean": .mean]
    static let elementwiseOps: Set<String> = Set(unaryFunctions.keys).union(binaryFunctions.keys).union(variadicFunctions.keys)
        .union(["Mod", "BitShift", "IsInf", "Where", "Clip", "PRelu"])

    func importElementwise(_ ctx: _NodeContext) throws -> Node {
        let a = ctx.attributes
        if let f = Self.unaryFunctions[ctx.op] {
            try ctx.arity(1...1)
            try a.allow(["consumed_inputs"])
            return ctx.node(.elementwise(.unary(f)), [ctx.input(0)])
        }
        if let f = Self.binaryFunctions[ctx.op] {
            try ctx.arity(2...2)
            try legacyBroadcast(ctx)
            return ctx.node(.elementwise(.binary(f)), [ctx.input(0), ctx.input(1)])
        }
        if let f = Self.variadicFunctions[ctx.op] {
            let binary = ctx.op == "Add" || ctx.op == "Mul"
            try ctx.arity(binary ? 2...2 : 1...Int(Int32.max))
            guard !ctx.inputs.contains("") else { throw ctx.error("an operand is missing") }
            try legacyBroadcast(ctx)
            return ctx.node(.elementwise(.variadic(f)), ctx.inputs)
        }
        switch ctx.op {
        case "Mod":
            try ctx.arity(2...2)
            try a.allow(["fmod"])
            let f: BinaryFunction = try a.bool("fmod", default: false) ? .fmod : .mod
            return ctx.node(.elementwise(.binary(f)), [ctx.input(0), ctx.input(1)])
        case "BitShift":
            try ctx.arity(2...2)
            try a.allow(["direction"])
            guard a.has("direction") else { throw ctx.error("needs direction") }
            let f: BinaryFunction = try a.choice("direction", ["LEFT", "RIGHT"], default: "LEFT") == "LEFT" ? .shiftLeft : .shiftRight
            return ctx.node(.elementwise(.binary(f)), [ctx.input(0), ctx.input(1)])
        case "IsInf":
            try ctx.arity(1...1)
            try a.allow(["detect_negative", "detect_positive"])
            let f: UnaryFunction
            switch (try a.bool("detect_negative", default: true), try a.bool("detect_positive", default: true)) {
            case (true, true): f = .isInf
            case (true, false): f = .isNegInf
            case (false, true): f = .isPosInf
            case (false, false): throw _Carry("IsInf detecting neither sign is not interpreted")
            }
            return ctx.node(.elementwise(.unary(f)), [ctx.input(0)])
        case "Where":
            try ctx.arity(3...3)
            try a.allow([])
            return ctx.node(.elementwise(.select), ctx.inputs)
        case "PRelu":
            try ctx.arity(2...2)
            try a.allow(["consumed_inputs"])
            var operands = ctx.inputs
            // Before opset 7 a 1-D slope of C values ran along axis 1 (PyTorch's per-channel PReLU).
            if ctx.opset < 7, let x = ctx.shape(0), x.count > 2, let slope = ctx.value(1), slope.shape.count == 1,
               slope.shape[0] > 1, slope.shape[0] == x[1] {
                let name = uniqueValueName("\(ctx.input(1))::per_channel")
                addWeight(name, slope.reshaped([slope.shape[0]] + [Int](repeating: 1, count: x.count - 2)), trainable: true,
                          source: ctx.input(1))
                operands[1] = name
            }
            return ctx.node(.elementwise(.prelu), operands)
        default:  // Clip
            try ctx.arity(1...3)
            if ctx.opset < 11 {
                try a.allow(["min", "max", "consumed_inputs"])
                let clip = ClipAttributes(min: try a.float("min").map(Double.init), max: try a.float("max").map(Double.init))
                return ctx.node(.elementwise(.clip(clip)), [ctx.input(0)])
            }
            try a.allow([])
            var clip = ClipAttributes()
            var operands = [ctx.input(0), ctx.input(1), ctx.input(2)]
            for i in [1, 2] {
                guard let v = ctx.value(i) else { continue }
                guard v.elementCount == 1 else { throw ctx.error("a Clip bound must be a scalar, got shape \(v.shape)") }
                if i == 1 { clip.min = v.doubles.first } else { clip.max = v.doubles.first }
                operands[i] = ""
            }
            return ctx.node(.elementwise(.clip(clip)), operands)
        }
    }

    /// Before opset 7, `broadcast`/`axis` asked for a broadcast aligned at `axis`; only the
    /// suffix-aligned case is NumPy's.
    private func legacyBroadcast(_ ctx: _NodeContext) throws {
        let a = ctx.attributes
        try a.allow(["broadcast", "axis", "consumed_inputs"])
        guard try a.bool("broadcast", default: false), let axis = try a.int("axis") else { return }
        guard let x = ctx.shape(0), let y = ctx.shape(1), (axis < 0 ? axis + x.count : axis) + y.count == x.count else {
            throw _Carry("broadcasting at axis \(axis) (before opset 7) is not interpreted")
        }
    }
}
