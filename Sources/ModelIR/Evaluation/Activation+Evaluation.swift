import Foundation

extension Activation {
    func evaluate(_ ctx: EvaluationContext) throws -> Tensor {
        let x = try ctx.operand(0)
        let floats = x.dtype == .float32 ? x : x.converted(to: .float32)
        var result: Tensor
        switch self {
        case .softmax(let axis), .logSoftmax(let axis):
            let isLog: Bool = if case .logSoftmax = self { true } else { false }
            result = Tensor(dtype: .float32, shape: x.shape) { raw in
                let dst = raw.bindMemory(to: Float.self)
                floats.withFloats { src in
                    for i in 0..<src.count { dst[i] = src[i] }
                }
                if let base = dst.baseAddress { ActivationFunctions.softmax(base, shape: x.shape, axis: axis, log: isLog) }
            }
        default:
            result = ActivationFunctions.with(self) { f in ElementwiseOp.mapFloat(floats) { f($0) } } ?? floats
        }
        return x.dtype == .float32 ? result : result.converted(to: x.dtype)
    }
}
