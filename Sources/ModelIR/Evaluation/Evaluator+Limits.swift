extension Evaluator {
    /// The largest buffer (result or scratch) the evaluator allocates: 2³² bytes. Shape inference
    /// bounds each dimension by 2⁶⁰, not their product, so a hostile tile, expand, pad, resize or
    /// constant-of-shape could otherwise ask for more memory than exists, and a failed allocation
    /// traps; over the bound the evaluator throws instead.
    public static let maxBufferBytes = 1 << 32
}

extension EvaluationContext {
    /// The concrete shape of result `i` and its element count, once its bytes are known to fit
    /// `Evaluator.maxBufferBytes`.
    func resultShape(_ i: Int = 0) throws -> (shape: [Int], count: Int) {
        let shape = try outputShape(i)
        let count = try checkedCount(shape, elementBytes: outputType(i).byteSize, what: "result \(i)")
        return (shape, count)
    }

    /// The element count of `shape` when `elementBytes`-byte elements of it fit the allocation bound.
    func checkedCount(_ shape: [Int], elementBytes: Int, what: String) throws -> Int {
        guard let count = Shape.elementCount(shape) else { throw error("\(what) has shape \(shape), which has no valid element count") }
        let (bytes, overflow) = count.multipliedReportingOverflow(by: elementBytes)
        guard !overflow, bytes <= Evaluator.maxBufferBytes else {
            throw error("\(what) of shape \(shape) would take over \(Evaluator.maxBufferBytes >> 30) GiB")
        }
        return count
    }

    /// Requires every operand and result to have dimensions whose nonzero ones multiply without
    /// overflow. A tensor with a 0 dimension holds no bytes whatever its other dimensions, so
    /// `[0, 2^60, 2^60]` is consistent; refusing it up front keeps every partial product of
    /// dimensions the kernels take (outer and inner counts, strides) in range.
    func checkExtents() throws {
        let shapes = operands.compactMap { $0?.shape } + outputTypes.compactMap(\.concreteShape)
        for shape in shapes where Shape.elementCount(shape.map { $0 == 0 ? 1 : $0 }) == nil {
            throw unsupported("shape \(shape): its nonzero dimensions multiply past Int.max")
        }
    }

    /// Zero-element results, when every result is empty (their per-axis tables could still be
    /// long: `[0, 2^60]` is empty).
    func emptyResults() -> [Tensor]? {
        let shapes = outputTypes.compactMap(\.concreteShape)
        guard shapes.count == outputTypes.count, shapes.allSatisfy({ Shape.elementCount($0) == 0 }) else { return nil }
        return zip(shapes, outputTypes).map { Tensor(zeros: $1.dtype, shape: $0) }
    }

    /// An inference context over the same node, for the shared shape helpers' messages.
    var inference: InferenceContext { InferenceContext(node: node, operands: operands.map { $0.map(Operand.init) }) }
}
