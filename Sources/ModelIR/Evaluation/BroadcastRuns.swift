/// NumPy broadcasting as runs: the output of `outputShape` is visited in row-major order as runs
/// along its last (collapsed) axis; operand `k` starts each run at `offsets[k]` and steps by
/// `steps[k]` (1 when it varies along that axis, 0 when broadcast). The evaluator's element-wise
/// ops and the runtime's fast element-wise kernels both walk tensors this way.
public struct BroadcastRuns: Sendable {
    /// The output shape with size-1 axes dropped and compatible neighbours merged.
    public let shape: [Int]
    /// Per operand, per collapsed axis: element stride (0 on broadcast axes).
    public let strides: [[Int]]

    /// Aligns operand shapes to `outputShape` and merges adjacent axes that every operand treats
    /// alike (all contiguous or all broadcast), so runs are as long as possible.
    public init(outputShape: [Int], operandShapes: [[Int]]) {
        let rank = outputShape.count
        var aligned: [[Int]] = operandShapes.map { s in
            let padded = [Int](repeating: 1, count: rank - s.count) + s
            var strides = [Int](repeating: 0, count: rank)
            var step = 1
            for i in stride(from: rank - 1, through: 0, by: -1) {
                strides[i] = padded[i] == 1 && outputShape[i] != 1 ? 0 : step
                step *= padded[i]
            }
            return strides
        }
        var dims = outputShape
        // Drop size-1 axes, then merge axis i into i+1 when every operand's stride on i equals its
        // stride on i+1 times dims[i+1] (contiguous) or both are 0 (broadcast).
        var keep = dims.indices.filter { dims[$0] != 1 }
        if keep.isEmpty { keep = rank > 0 ? [rank - 1] : [] }
        dims = keep.map { dims[$0] }
        aligned = aligned.map { s in keep.map { s[$0] } }
        var i = dims.count - 2
        while i >= 0 {
            let mergeable = aligned.allSatisfy { s in
                (s[i] == 0 && s[i + 1] == 0) || (s[i] != 0 && s[i] == s[i + 1] * dims[i + 1])
            }
            if mergeable {
                dims[i] *= dims[i + 1]
                dims.remove(at: i + 1)
                for k in aligned.indices {
                    if aligned[k][i] != 0 { aligned[k][i] = aligned[k][i + 1] }
                    aligned[k].remove(at: i + 1)
                }
            }
            i -= 1
        }
        self.shape = dims
        self.strides = aligned
    }

    /// The number of runs (output elements / run length), for splitting work.
    public var runCount: Int {
        guard let length = shape.last, length > 0 else { return shape.isEmpty ? 1 : 0 }
        return (Shape.elementCount(shape) ?? 0) / length
    }

    /// Calls `body(outStart, count, offsets, steps)` for each run, in output order.
    public func forEach(_ body: (Int, Int, [Int], [Int]) -> Void) {
        forEach(in: 0..<runCount, body)
    }

    /// Calls `body(outStart, count, offsets, steps)` for runs `runs` (a slice of `0..<runCount`),
    /// in output order: threads can each take a slice.
    public func forEach(in runs: Range<Int>, _ body: (Int, Int, [Int], [Int]) -> Void) {
        let operands = strides.count
        guard let length = shape.last else {
            if runs.contains(0) { body(0, 1, [Int](repeating: 0, count: operands), [Int](repeating: 0, count: operands)) }
            return
        }
        guard length > 0, !shape.contains(0), !runs.isEmpty else { return }
        let steps = strides.map { $0.last ?? 0 }
        let outer = Array(shape.dropLast())
        var index = [Int](repeating: 0, count: outer.count)
        var offsets = [Int](repeating: 0, count: operands)
        var r = runs.lowerBound
        for axis in stride(from: outer.count - 1, through: 0, by: -1) {
            index[axis] = r % outer[axis]
            r /= outer[axis]
            for k in 0..<operands { offsets[k] += index[axis] * strides[k][axis] }
        }
        var out = runs.lowerBound * length
        for _ in runs {
            body(out, length, offsets, steps)
            out += length
            var axis = outer.count - 1
            while axis >= 0 {
                index[axis] += 1
                for k in 0..<operands { offsets[k] += strides[k][axis] }
                if index[axis] < outer[axis] { break }
                for k in 0..<operands { offsets[k] -= strides[k][axis] * index[axis] }
                index[axis] = 0
                axis -= 1
            }
        }
    }
}

/// Element access in a wide representation, for the paths that are not float32.
enum _Wide {
    /// Floats widened to Double (f16, bf16, f32, f64).
    static func doubles(_ t: Tensor) -> [Double] { t.doubles }
    /// Integers and bools as Int64.
    static func integers(_ t: Tensor) -> [Int64] { t.integers }
}
