extension ReductionOp {
    func evaluate(_ ctx: EvaluationContext) throws -> Tensor {
        throw ctx.unsupported("TODO(ir2): evaluation of \(kind)")
    }
}
