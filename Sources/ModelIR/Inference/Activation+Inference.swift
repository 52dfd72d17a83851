extension Activation {
    func infer(_ ctx: InferenceContext) throws -> [Operand] {
        let x = try ctx.operand(0)
        switch self {
        case .softmax(let axis), .logSoftmax(let axis):
            if let rank = x.type.rank { _ = try ctx.axis(axis, rank: rank) }
        default: break
        }
        guard x.dtype.isFloatingPoint || self == .relu || self == .linear else {
            throw ctx.error("activation \(kerasName) takes floating-point inputs, not \(x.dtype)")
        }
        return [Operand(type: x.type)]
    }
}
