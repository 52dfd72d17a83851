extension ReductionOp {
    func infer(_ ctx: InferenceContext) throws -> [Operand] {
        let x = try ctx.operand(0)
        switch self {
        case .reduce(let a):
            guard let shape = x.shape else { return [Operand(type: ValueType(dtype: x.dtype, shape: nil))] }
            let axes: [Int]
            if let fixed = a.axes {
                axes = fixed
            } else if let given = try ctx.integers(1) {
                axes = given
            } else if ctx.isDynamic(1) {
                // Which axes go is known only at run time.
                return [Operand(type: ValueType(dtype: x.dtype, shape: a.keepDims ? shape.map { _ in -1 } : nil))]
            } else {
                axes = a.noopWithEmptyAxes ? [] : Array(0..<shape.count)
            }
            if axes.isEmpty, a.noopWithEmptyAxes { return [Operand(type: x.type)] }
            let reduced = Set(try (axes.isEmpty ? Array(0..<shape.count) : axes).map { try ctx.axis($0, rank: shape.count) })
            let out = a.keepDims ? shape.enumerated().map { reduced.contains($0.offset) ? 1 : $0.element }
                                 : shape.enumerated().filter { !reduced.contains($0.offset) }.map(\.element)
            return [Operand(type: ValueType(dtype: x.dtype, shape: out))]
        case .argMax(let a), .argMin(let a):
            guard let shape = x.shape else { return [Operand(type: ValueType(dtype: .int64, shape: nil))] }
            let axis = try ctx.axis(a.axis, rank: shape.count)
            var out = shape
            if a.keepDims { out[axis] = 1 } else { out.remove(at: axis) }
            return [Operand(type: ValueType(dtype: .int64, shape: out))]
        }
    }
}
