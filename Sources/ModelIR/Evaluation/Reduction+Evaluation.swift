import Foundation

/// ONNX Reduce* and ArgMax/ArgMin. Floating inputs accumulate in Double and round once to their
/// type (closer to NumPy's pairwise sums, which the ONNX reference uses, than a running float32
/// sum); integers and bool accumulate in Int64 with wrapping, so results equal NumPy's in the
/// type's own width. Reducing nothing gives ONNX's identities: sum, L1, L2, sum of squares 0,
/// product 1, max −∞ (integers: the type's minimum), min +∞ (the maximum), log-sum and
/// log-sum-exp −∞, mean NaN (integers: 0). NaN propagates through max and min, and ArgMax/ArgMin
/// pick a NaN as NumPy does.
///
/// ONNX's reference implementation differs in ways this does not follow: float16 sums accumulate
/// in float16 there; integer ReduceSumSquare returns int64; an empty integer ReduceMean is NaN
/// cast to an integer.
extension ReductionOp {
    func evaluate(_ ctx: EvaluationContext) throws -> Tensor {
        let x = try ctx.operand(0)
        try ctx.checkExtents()
        // Integers and non-float32 floats are read widened to 8 bytes.
        if x.dtype != .float32 { _ = try ctx.checkedCount(x.shape, elementBytes: 8, what: "the widened input") }
        switch self {
        case .reduce(let a): return try Self.reduce(x, a, ctx)
        case .argMax(let a): return try Self.argReduce(x, a, largest: true, ctx)
        case .argMin(let a): return try Self.argReduce(x, a, largest: false, ctx)
        }
    }

    static func reduce(_ x: Tensor, _ a: ReduceAttributes, _ ctx: EvaluationContext) throws -> Tensor {
        let rank = x.shape.count
        let axes = a.axes ?? ctx.integers(1) ?? []
        // No axes with noop_with_empty_axes reduces over the empty set of axes: each element
        // alone, so the composite reductions still apply their steps (ReduceSumSquare squares,
        // ReduceLogSum takes the log), as the specification says.
        var reduced = [Bool](repeating: axes.isEmpty && !a.noopWithEmptyAxes, count: rank)
        for axis in axes {
            guard let n = Shape.normalizedAxis(axis, rank: rank) else { throw ctx.error("axis \(axis) is out of range for rank \(rank)") }
            reduced[n] = true
        }
        let (shape, count) = try ctx.resultShape()
        let runs = _ReductionRuns(shape: x.shape, reduced: reduced)
        guard runs.outputCount == count else { throw ctx.error("reducing \(x.shape) gives \(runs.outputCount) elements, not \(count)") }
        let dtype = x.dtype
        let function = a.function
        if dtype.isFloatingPoint || function == .logSum || function == .logSumExp {
            let values: [Double] = dtype == .float32
                ? x.withFloats { Self.reduceFloating($0, runs, function) }
                : x.doubles.withUnsafeBufferPointer { Self.reduceFloating($0, runs, function) }
            if dtype == .float32 { return Tensor(shape: shape, floats: values.map { Float($0) }) }
            return Tensor(dtype: dtype, shape: shape) { raw in
                guard let dst = raw.baseAddress else { return }
                for (i, v) in values.enumerated() { DTypeConversion.store(v, dst, i, dtype) }
            }
        }
        let values = x.integers.withUnsafeBufferPointer { Self.reduceIntegers($0, runs, function, dtype) }
        return Tensor(dtype: dtype, shape: shape) { raw in
            guard let dst = raw.baseAddress else { return }
            for (i, v) in values.enumerated() { DTypeConversion.store(v, dst, i, dtype) }
        }
    }

    static func reduceFloating<T: BinaryFloatingPoint>(_ src: UnsafeBufferPointer<T>, _ runs: _ReductionRuns,
                                                       _ function: ReduceFunction) -> [Double] {
        let n = Double(runs.reducedCount)
        switch function {
        case .sum: return _fold(_Sum.self, src, runs)
        case .mean: return _fold(_Sum.self, src, runs).map { $0 / n }
        case .prod: return _fold(_Product.self, src, runs)
        case .max: return _fold(_Maximum.self, src, runs)
        case .min: return _fold(_Minimum.self, src, runs)
        case .l1: return _fold(_SumOfMagnitudes.self, src, runs)
        case .l2: return _fold(_SumOfSquares.self, src, runs).map { $0.squareRoot() }
        case .sumSquare: return _fold(_SumOfSquares.self, src, runs)
        case .logSum: return _fold(_Sum.self, src, runs).map { Foundation.log($0) }
        case .logSumExp:
            // Shifted by the largest element (0 when that is infinite, as onnxruntime does, so an
            // infinite element gives ±∞ rather than NaN).
            let shifts = _fold(_Maximum.self, src, runs).map { $0.isInfinite ? 0 : $0 }
            var acc = [Double](repeating: 0, count: runs.outputCount)
            runs.forEach { input, count, output, step in
                for i in 0..<count { acc[output + i * step] += Foundation.exp(Double(src[input + i]) - shifts[output + i * step]) }
            }
            return zip(acc, shifts).map { Foundation.log($0) + $1 }
        }
    }

    static func reduceIntegers(_ src: UnsafeBufferPointer<Int64>, _ runs: _ReductionRuns, _ function: ReduceFunction,
                               _ dtype: DType) -> [Int64] {
        @inline(__always) func fold(_ initial: Int64, _ map: (Int64) -> Int64, _ combine: (Int64, Int64) -> Int64) -> [Int64] {
            var acc = [Int64](repeating: initial, count: runs.outputCount)
            runs.forEach { input, n, output, step in
                if step == 0 {
                    var a = acc[output]
                    for i in input..<(input + n) { a = combine(a, map(src[i])) }
                    acc[output] = a
                } else {
                    for i in 0..<n { acc[output + i] = combine(acc[output + i], map(src[input + i])) }
                }
            }
            return acc
        }
        let unsigned = dtype.isUnsigned || dtype == .bool
        let (low, high) = Self.integerLimits(dtype)
        switch function {
        case .sum: return fold(0, { $0 }, &+)
        case .mean:
            let n = Int64(runs.reducedCount)
            // NumPy sums in the type's width, then divides (truncating).
            return fold(0, { $0 }, &+).map { s in
                let wrapped = Self.wrap(s, dtype)
                guard n > 0 else { return 0 }
                return unsigned ? Int64(bitPattern: UInt64(bitPattern: wrapped) / UInt64(n)) : wrapped / n
            }
        case .prod: return fold(1, { $0 }, &*)
        case .max: return fold(low, { $0 }, unsigned ? { UInt64(bitPattern: $0) >= UInt64(bitPattern: $1) ? $0 : $1 } : { Swift.max($0, $1) })
        case .min: return fold(high, { $0 }, unsigned ? { UInt64(bitPattern: $0) <= UInt64(bitPattern: $1) ? $0 : $1 } : { Swift.min($0, $1) })
        case .l1: return fold(0, { $0 < 0 ? 0 &- $0 : $0 }, &+)
        case .sumSquare: return fold(0, { $0 &* $0 }, &+)
        case .l2:
            // NumPy squares in the type (wrapping), sums in 64 bits, takes the root in Double.
            return fold(0, { Self.wrap($0 &* $0, dtype) }, &+).map { s in
                let root = (unsigned ? Double(UInt64(bitPattern: s)) : Double(s)).squareRoot()
                return DTypeConversion.clampToInt64(root)
            }
        case .logSum, .logSumExp:
            return []   // computed in Double by the caller
        }
    }

    /// `value` wrapped to the width of `dtype`, then widened back (sign- or zero-extended).
    static func wrap(_ value: Int64, _ dtype: DType) -> Int64 {
        var bytes: UInt64 = 0
        return withUnsafeMutableBytes(of: &bytes) { raw in
            guard let p = raw.baseAddress else { return value }
            DTypeConversion.store(value, p, 0, dtype)
            return DTypeConversion.int64(UnsafeRawPointer(p), 0, dtype)
        }
    }

    /// The smallest and largest values of an integer (or bool) dtype, as Int64 bit patterns.
    static func integerLimits(_ dtype: DType) -> (Int64, Int64) {
        switch dtype {
        case .int8: (Int64(Int8.min), Int64(Int8.max))
        case .int16: (Int64(Int16.min), Int64(Int16.max))
        case .int32: (Int64(Int32.min), Int64(Int32.max))
        case .uint8: (0, Int64(UInt8.max))
        case .uint16: (0, Int64(UInt16.max))
        case .uint32: (0, Int64(UInt32.max))
        case .uint64: (0, -1)
        case .bool: (0, 1)
        default: (Int64.min, Int64.max)
        }
    }

    // MARK: - ArgMax / ArgMin

    static func argReduce(_ x: Tensor, _ a: ArgReduceAttributes, largest: Bool, _ ctx: EvaluationContext) throws -> Tensor {
        guard let axis = Shape.normalizedAxis(a.axis, rank: x.shape.count) else {
            throw ctx.error("axis \(a.axis) is out of range for rank \(x.shape.count)")
        }
        let (shape, count) = try ctx.resultShape()
        let n = x.shape[axis]
        guard n > 0 || count == 0 else { throw ctx.error("cannot take \(largest ? "ArgMax" : "ArgMin") along axis \(axis) of size 0") }
        let inner = x.shape[(axis + 1)...].reduce(1, *)
        let outer = count / max(inner, 1)
        let picks: [Int64]
        if x.dtype == .float32 {
            picks = x.withFloats { Self.argScan($0, outer: outer, n: n, inner: inner, largest: largest, last: a.selectLastIndex) }
        } else if x.dtype.isFloatingPoint {
            picks = x.doubles.withUnsafeBufferPointer { Self.argScan($0, outer: outer, n: n, inner: inner, largest: largest, last: a.selectLastIndex) }
        } else {
            // uint64 compares as unsigned: flipping the sign bit maps that order onto Int64's.
            let flip: Int64 = x.dtype == .uint64 ? .min : 0
            picks = x.integers.map { $0 ^ flip }.withUnsafeBufferPointer {
                Self.argScan($0, outer: outer, n: n, inner: inner, largest: largest, last: a.selectLastIndex)
            }
        }
        return Tensor(shape: shape, integers: picks)
    }

    /// For each (outer, inner) position, the index along the axis of the largest (smallest)
    /// element: the first of equal ones, or the last with `last`; a NaN wins, as in NumPy.
    static func argScan<T: Comparable>(_ v: UnsafeBufferPointer<T>, outer: Int, n: Int, inner: Int, largest: Bool, last: Bool) -> [Int64] {
        var picks = [Int64](repeating: 0, count: outer * inner)
        guard n > 0, inner > 0, outer > 0, let v = v.baseAddress else { return picks }
        var best = [T](repeating: v[0], count: inner)
        picks.withUnsafeMutableBufferPointer { pickBuffer in
            best.withUnsafeMutableBufferPointer { bestBuffer in
                guard let picks = pickBuffer.baseAddress, let best = bestBuffer.baseAddress else { return }
                for o in 0..<outer {
                    let base = v + o * n * inner, pick = picks + o * inner
                    best.update(from: base, count: inner)
                    for k in 1..<n {
                        let row = base + k * inner
                        for i in 0..<inner {
                            let (c, b) = (row[i], best[i])
                            // x != x only for NaN.
                            let (cNaN, bNaN) = (c != c, b != b)
                            let replace = last ? cNaN || (!bNaN && (largest ? c >= b : c <= b))
                                               : !bNaN && (cNaN || (largest ? c > b : c < b))
                            if replace {
                                best[i] = c
                                pick[i] = Int64(k)
                            }
                        }
                    }
                }
            }
        }
        return picks
    }
}

/// Accumulations the reductions fold with, as types so `_fold` is specialised for each.
protocol _FloatFold {
    static var initial: Double { get }
    static func step(_ accumulator: Double, _ x: Double) -> Double
}
enum _Sum: _FloatFold {
    static var initial: Double { 0 }
    @inline(__always) static func step(_ a: Double, _ x: Double) -> Double { a + x }
}
enum _SumOfMagnitudes: _FloatFold {
    static var initial: Double { 0 }
    @inline(__always) static func step(_ a: Double, _ x: Double) -> Double { a + Swift.abs(x) }
}
enum _SumOfSquares: _FloatFold {
    static var initial: Double { 0 }
    @inline(__always) static func step(_ a: Double, _ x: Double) -> Double { a + x * x }
}
enum _Product: _FloatFold {
    static var initial: Double { 1 }
    @inline(__always) static func step(_ a: Double, _ x: Double) -> Double { a * x }
}
/// NaN propagates, as NumPy's maximum.reduce.
enum _Maximum: _FloatFold {
    static var initial: Double { -.infinity }
    @inline(__always) static func step(_ a: Double, _ x: Double) -> Double { a.isNaN || x.isNaN ? .nan : Swift.max(a, x) }
}
enum _Minimum: _FloatFold {
    static var initial: Double { .infinity }
    @inline(__always) static func step(_ a: Double, _ x: Double) -> Double { a.isNaN || x.isNaN ? .nan : Swift.min(a, x) }
}

/// `F` folded over each output's elements, in Double.
func _fold<F: _FloatFold, T: BinaryFloatingPoint>(_: F.Type, _ src: UnsafeBufferPointer<T>, _ runs: _ReductionRuns) -> [Double] {
    var acc = [Double](repeating: F.initial, count: runs.outputCount)
    acc.withUnsafeMutableBufferPointer { buffer in
        guard let a = buffer.baseAddress, let s = src.baseAddress else { return }
        runs.forEach { input, n, output, step in
            if step == 0 {
                var v = a[output]
                for i in 0..<n { v = F.step(v, Double(s[input + i])) }
                a[output] = v
            } else {
                for i in 0..<n { a[output + i] = F.step(a[output + i], Double(s[input + i])) }
            }
        }
    }
    return acc
}

/// A reduction's walk over its input in memory order, as runs along the innermost (merged) axis:
/// each run reads `count` consecutive elements from `input` and folds them into output element
/// `output` (step 0, the axis is reduced) or into `count` consecutive ones (step 1).
struct _ReductionRuns {
    /// Merged axes (size-1 axes dropped, neighbours of the same kind joined): size and whether reduced.
    private(set) var dims: [(size: Int, reduced: Bool)] = []
    let outputCount: Int
    /// How many input elements fold into each output element.
    let reducedCount: Int
    let isEmpty: Bool

    init(shape: [Int], reduced: [Bool]) {
        outputCount = zip(shape, reduced).reduce(1) { $0 * ($1.1 ? 1 : $1.0) }
        reducedCount = zip(shape, reduced).reduce(1) { $0 * ($1.1 ? $1.0 : 1) }
        isEmpty = shape.contains(0)
        for (size, r) in zip(shape, reduced) where size != 1 {
            if let last = dims.last, last.reduced == r {
                dims[dims.count - 1].size *= size
            } else {
                dims.append((size, r))
            }
        }
    }

    /// Calls `body(inputStart, count, outputStart, outputStep)` for every run, in input order.
    func forEach(_ body: (Int, Int, Int, Int) -> Void) {
        if isEmpty { return }
        guard let innermost = dims.last else { return body(0, 1, 0, 0) }
        // Output strides of the merged axes (0 on reduced ones).
        var outStrides = [Int](repeating: 0, count: dims.count)
        var s = 1
        for k in stride(from: dims.count - 1, through: 0, by: -1) where !dims[k].reduced {
            outStrides[k] = s
            s *= dims[k].size
        }
        let outer = dims.count - 1
        var index = [Int](repeating: 0, count: outer)
        var input = 0, output = 0
        let step = innermost.reduced ? 0 : 1
        while true {
            body(input, innermost.size, output, step)
            input += innermost.size
            var k = outer - 1
            while k >= 0 {
                index[k] += 1
                output += outStrides[k]
                if index[k] < dims[k].size { break }
                output -= outStrides[k] * dims[k].size
                index[k] = 0
                k -= 1
            }
            if k < 0 { return }
        }
    }
}
