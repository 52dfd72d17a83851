/// ONNX Einsum (NumPy `einsum` semantics): an equation `ab,bc->ac` over lower- and upper-case
/// labels, `...` for broadcast leading axes, a label repeated in one operand for a diagonal, an
/// implicit output (no `->`: the labels seen once, sorted, after the ellipsis axes).
struct _Einsum {
    /// Per operand, the label of each axis (the ellipsis's axes get labels of their own).
    let operands: [[Character]]
    /// The output's labels, in order.
    let output: [Character]

    /// Labels for ellipsis axes: private-use characters, never in an equation.
    private static func ellipsisLabel(_ k: Int) -> Character { Character(Unicode.Scalar(0xE000 + UInt32(k))!) }

    init(_ equation: String, ranks: [Int]) throws {
        let text = equation.filter { $0 != " " }
        let sides = text.components(separatedBy: "->")
        guard sides.count <= 2 else { throw Problem("has more than one '->'") }
        let terms = sides[0].components(separatedBy: ",")
        guard terms.count == ranks.count else { throw Problem("has \(terms.count) operands, the node \(ranks.count)") }
        func letters(_ term: String) throws -> (before: [Character], ellipsis: Bool, after: [Character]) {
            let parts = term.components(separatedBy: "...")
            guard parts.count <= 2 else { throw Problem("term '\(term)' has more than one '...'") }
            for p in parts where !p.allSatisfy({ $0.isASCII && $0.isLetter }) { throw Problem("term '\(term)' has a character that is not a letter") }
            return (Array(parts[0]), parts.count == 2, parts.count == 2 ? Array(parts[1]) : [])
        }
        // Ellipsis axes align on the right: an operand with fewer takes the last of the longest's.
        var split: [(before: [Character], ellipsis: Int?, after: [Character])] = []
        for (term, rank) in zip(terms, ranks) {
            let (before, hasEllipsis, after) = try letters(term)
            let named = before.count + after.count
            guard hasEllipsis ? named <= rank : named == rank else {
                throw Problem("term '\(term)' names \(named) axes of an operand of rank \(rank)")
            }
            split.append((before, hasEllipsis ? rank - named : nil, after))
        }
        let ellipsisRank = split.compactMap(\.ellipsis).max() ?? 0
        let parsed = split.map { term in
            term.before + (0..<(term.ellipsis ?? 0)).map { Self.ellipsisLabel(ellipsisRank - (term.ellipsis ?? 0) + $0) } + term.after
        }
        let ellipsis = (0..<ellipsisRank).map(Self.ellipsisLabel)
        let out: [Character]
        if sides.count == 2 {
            let (before, hasEllipsis, after) = try letters(sides[1])
            out = before + (hasEllipsis ? ellipsis : []) + after
            let seen = Set(parsed.joined())
            for c in before + after where !seen.contains(c) { throw Problem("output label '\(c)' is in no operand") }
            guard Set(out).count == out.count else { throw Problem("the output repeats a label") }
        } else {
            var counts: [Character: Int] = [:]
            for c in parsed.joined() { counts[c, default: 0] += 1 }
            out = ellipsis + counts.filter { $0.value == 1 && !ellipsis.contains($0.key) }.keys.sorted()
        }
        operands = parsed
        output = out
    }

    struct Problem: Error {
        let detail: String
        init(_ detail: String) { self.detail = detail }
    }

    /// Each label's size (a size-1 axis broadcasts), or a problem; unknown (-1) sizes stay -1.
    func sizes(_ shapes: [[Int]]) throws -> [Character: Int] {
        var sizes: [Character: Int] = [:]
        for (labels, shape) in zip(operands, shapes) {
            for (c, d) in zip(labels, shape) {
                let known = sizes[c]
                if known == nil || known == 1 || known == -1 && d > 1 { sizes[c] = d; continue }
                guard d == 1 || d == -1 || d == known else { throw Problem("label '\(c.isASCII ? String(c) : "...")' is \(known!) and \(d)") }
            }
        }
        return sizes
    }

    func outputShape(_ shapes: [[Int]]) throws -> [Int] {
        let s = try sizes(shapes)
        return output.map { s[$0] ?? 1 }
    }

    /// The result, computed in `Double` (floating types) or wrapping `Int64` (integers), stored as
    /// `dtype`: for every output element, the sum over the other labels of the operands' product.
    func evaluate(_ tensors: [Tensor], dtype: DType) throws -> Tensor {
        let s = try sizes(tensors.map(\.shape))
        let outShape = output.map { s[$0] ?? 1 }
        let summed = Array(Set(operands.joined()).subtracting(output)).sorted()
        let loops = output + summed
        let sizesInOrder = loops.map { s[$0] ?? 1 }
        // Per operand, the element stride of each loop label (a repeated label adds up; a
        // broadcast size-1 axis has stride 0).
        let strides: [[Int]] = zip(operands, tensors).map { labels, t in
            let st = Shape.strides(t.shape)
            return loops.map { c in
                zip(labels, zip(t.shape, st)).reduce(0) { sum, e in e.0 == c && e.1.0 != 1 ? sum + e.1.1 : sum }
            }
        }
        let outCount = Shape.elementCount(outShape) ?? 0
        let inner = summed.map { s[$0] ?? 1 }.reduce(1, *)
        let n = tensors.count
        if dtype.isFloatingPoint {
            let values = tensors.map(\.doubles)
            var result = [Double](repeating: 0, count: outCount)
            walk(outCount: outCount, inner: inner, sizes: sizesInOrder, strides: strides, n: n) { o, offsets in
                var p = 1.0
                for k in 0..<n { p *= values[k][offsets[k]] }
                result[o] += p
            }
            return Tensor(shape: outShape, doubles: result, dtype: dtype)
        }
        let values = tensors.map(\.integers)
        var result = [Int64](repeating: 0, count: outCount)
        walk(outCount: outCount, inner: inner, sizes: sizesInOrder, strides: strides, n: n) { o, offsets in
            var p: Int64 = 1
            for k in 0..<n { p = p &* values[k][offsets[k]] }
            result[o] = result[o] &+ p
        }
        return Tensor(shape: outShape, integers: result, dtype: dtype)
    }

    /// Visits every combination of the loop labels (output ones first, row-major, so the output
    /// element is the visit's number divided by the summed combinations), giving the output
    /// element and each operand's element offset.
    private func walk(outCount: Int, inner: Int, sizes: [Int], strides: [[Int]], n: Int,
                      _ body: (Int, [Int]) -> Void) {
        guard outCount > 0, inner > 0 else { return }
        var index = [Int](repeating: 0, count: sizes.count)
        var offsets = [Int](repeating: 0, count: n)
        for visit in 0..<(outCount * inner) {
            body(visit / inner, offsets)
            var j = sizes.count - 1
            while j >= 0 {
                index[j] += 1
                for k in 0..<n { offsets[k] += strides[k][j] }
                if index[j] < sizes[j] { break }
                for k in 0..<n { offsets[k] -= strides[k][j] * sizes[j] }
                index[j] = 0
                j -= 1
            }
        }
    }
}
