import Foundation
import ModelIR
import ONNXProto

/// ONNX's shape and type ops (Shape, Size, Cast, CastLike, ConstantOfShape, Range) → IR `tensor`,
/// and `Constant` → a weight. Shapes known at import make these fold away.
extension ONNXImporter {
    static let shapeOps: Set<String> = ["Shape", "Size", "Cast", "CastLike", "ConstantOfShape", "Range"]

    /// Cast's names for element types before opset 6 (a STRING `to`).
    static let legacyTypeNames: [String: DType] = [
        "FLOAT": .float32, "UINT8": .uint8, "INT8": .int8, "UINT16": .uint16, "INT16": .int16, "INT32": .int32, "INT64": .int64,
        "BOOL": .bool, "FLOAT16": .float16, "DOUBLE": .float64, "UINT32": .uint32, "UINT64": .uint64, "BFLOAT16": .bfloat16,
    ]

    func importShapeOp(_ ctx: _NodeContext) throws -> Node {
        let a = ctx.attributes
        switch ctx.op {
        case "Shape":
            try ctx.arity(1...1)
            try a.allow(["start", "end"])
            return ctx.node(.tensor(.shape(start: try a.int("start", default: 0), end: try a.int("end"))), [ctx.input(0)])
        case "Size":
            try ctx.arity(1...1)
            try a.allow([])
            return ctx.node(.tensor(.size), [ctx.input(0)])
        case "Cast":
            try ctx.arity(1...1)
            try a.allow(["to", "saturate", "round_mode"])
            let to: DType
            if ctx.opset < 6, let name = try? a.string("to") {
                guard let t = Self.legacyTypeNames[name.uppercased()] else { throw _Carry("cast to \(name) is not a type wtool holds") }
                to = t
            } else {
                guard let code = try a.int("to") else { throw ctx.error("needs to") }
                guard let t = _DataType.dtype(Int32(clamping: code)) else {
                    throw _Carry("cast to \(_DataType.name(Int32(clamping: code))), which wtool does not hold")
                }
                to = t
            }
            if let r = try a.string("round_mode"), r != "up" { throw _Carry("round_mode '\(r)' (float8 casts) is not interpreted") }
            return ctx.node(.tensor(.cast(to: to)), [ctx.input(0)])
        case "CastLike":
            try ctx.arity(2...2)
            try a.allow(["saturate", "round_mode"])
            return ctx.node(.tensor(.castLike), ctx.inputs)
        case "ConstantOfShape":
            try ctx.arity(1...1)
            try a.allow(["value"])
            var fill = ScalarValue.zeroFloat
            if let t = try a.tensor("value") {
                let v = try loader.load(t, name: "\(ctx.name)/value")
                guard v.elementCount == 1 else { throw ctx.error("value must hold one element, holds \(v.elementCount ?? 0)") }
                fill = ScalarValue(v)
            }
            return ctx.node(.tensor(.constantOfShape(value: fill)), [ctx.input(0)])
        default:  // Range
            try ctx.arity(3...3)
            try a.allow([])
            return ctx.node(.tensor(.range), ctx.inputs)
        }
    }

    /// `Constant` → a weight named after its output (PyTorch writes some weights this way).
    func importConstant(_ ctx: _NodeContext) throws -> [Node] {
        let a = ctx.attributes
        try ctx.arity(0...0)
        try a.allow(["value", "value_float", "value_floats", "value_int", "value_ints", "sparse_value", "value_string", "value_strings"])
        let output = ctx.outputs[0]
        let value: Tensor
        if let t = try a.tensor("value") {
            guard _DataType.dtype(t.dataType) != nil else { throw _Carry("a \(_DataType.name(t.dataType)) constant is not a type wtool holds") }
            value = try loader.load(t, name: output)
        } else if let f = try a.float("value_float") {
            value = Tensor(shape: [], floats: [f])
        } else if let fs = try a.floats("value_floats") {
            value = Tensor(shape: [fs.count], floats: fs)
        } else if let i = try a.int("value_int") {
            value = Tensor(shape: [], integers: [Int64(i)])
        } else if let ints = try a.ints("value_ints") {
            value = Tensor(shape: [ints.count], integers: ints.map(Int64.init))
        } else if a.has("sparse_value") {
            guard let s = ctx.proto.attribute.first(where: { $0.name == "sparse_value" })?.sparseTensor else { throw ctx.error("bad sparse_value") }
            value = try _SparseTensor.densify(s, loader: &loader, name: output)
        } else if a.has("value_string") || a.has("value_strings") {
            throw _Carry("string constants are not a type wtool holds")
        } else {
            throw ctx.error("needs a value")
        }
        addWeight(output, value, trainable: true, source: "Constant node '\(ctx.name)'")
        return []
    }
}
