extension ElementwiseOp {
    func infer(_ ctx: InferenceContext) throws -> [Operand] {
        func broadcast(_ indices: [Int]) throws -> [Int]? {
            var shapes: [[Int]] = []
            for i in indices {
                guard let s = try ctx.operand(i).shape else { return nil }
                shapes.append(s)
            }
            guard let out = Shape.broadcast(shapes) else {
                throw ctx.error("shapes \(shapes.map(Shape.kerasString).joined(separator: ", ")) do not broadcast")
            }
            return out
        }
        let x = try ctx.operand(0)
        switch self {
        case .unary(let f):
            let allowed: Bool = switch f {
            case .not: x.dtype == .bool
            case .bitwiseNot: x.dtype.isInteger
            case .neg, .abs, .sign: x.dtype != .bool
            default: x.dtype.isFloatingPoint
            }
            guard allowed else { throw ctx.error("\(f.displayName) does not take \(x.dtype)") }
            return [Operand(type: ValueType(dtype: f.returnsBool ? .bool : x.dtype, shape: x.shape))]
        case .binary(let f):
            let b = try ctx.operand(1)
            switch f {
            case .and, .or, .xor:
                guard x.dtype == .bool, b.dtype == .bool else { throw ctx.error("\(f.displayName) takes bool operands") }
            case .bitwiseAnd, .bitwiseOr, .bitwiseXor, .shiftLeft, .shiftRight:
                guard x.dtype.isInteger, b.dtype == x.dtype else { throw ctx.error("\(f.displayName) takes integer operands of one type") }
            case .pow:
                break
            default:
                guard b.dtype == x.dtype else { throw ctx.error("operand types differ: \(x.dtype) and \(b.dtype)") }
            }
            return [Operand(type: ValueType(dtype: f.returnsBool ? .bool : x.dtype, shape: try broadcast([0, 1])))]
        case .variadic:
            guard ctx.count >= 1 else { throw ctx.error("needs at least one operand") }
            for i in 1..<ctx.count where try ctx.operand(i).dtype != x.dtype {
                throw ctx.error("operand types differ: \(x.dtype) and \(try ctx.operand(i).dtype)")
            }
            return [Operand(type: ValueType(dtype: x.dtype, shape: try broadcast(Array(0..<ctx.count))))]
        case .select:
            guard x.dtype == .bool else { throw ctx.error("the condition must be bool, not \(x.dtype)") }
            let a = try ctx.operand(1), b = try ctx.operand(2)
            guard a.dtype == b.dtype else { throw ctx.error("operand types differ: \(a.dtype) and \(b.dtype)") }
            return [Operand(type: ValueType(dtype: a.dtype, shape: try broadcast([0, 1, 2])))]
        case .clip:
            for i in [1, 2] {
                if let o = ctx.optional(i), let s = o.shape, Shape.elementCount(s) != 1, !s.isEmpty {
                    throw ctx.error("a Clip bound must be a scalar, got shape \(s)")
                }
            }
            return [Operand(type: x.type)]
        case .prelu, .scale:
            let slope = try ctx.operand(1)
            if let xs = x.shape, let ss = slope.shape,
               Shape.broadcast([xs, ss]).map({ $0.count == xs.count && zip($0, xs).allSatisfy { $0 == $1 || $1 < 0 } }) != true {
                throw ctx.error("\(self == .prelu ? "slope" : "gamma") of shape \(ss) does not broadcast to \(xs)")
            }
            if self == .scale, slope.dtype != x.dtype { throw ctx.error("operand types differ: \(x.dtype) and \(slope.dtype)") }
            return [Operand(type: x.type)]
        case .scalar(let s):
            guard x.dtype.isFloatingPoint else { throw ctx.error("\(s.function.displayName) with a number takes floating-point values, not \(x.dtype)") }
            return [Operand(type: x.type)]
        case .scaledAdd:
            let r = try ctx.operand(1)
            guard x.dtype.isFloatingPoint, r.dtype == x.dtype else { throw ctx.error("operand types differ or are not floating point: \(x.dtype) and \(r.dtype)") }
            return [Operand(type: ValueType(dtype: x.dtype, shape: try broadcast([0, 1])))]
        }
    }
}
