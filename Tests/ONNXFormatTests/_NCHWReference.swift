import Foundation

/// A naive ONNX evaluator in NCHW, straight from the operator definitions (double accumulation), to
/// check that imported graphs compute what the ONNX model means, independently of the importer's
/// layout bookkeeping and of wtool's runtime.
struct RefTensor {
    var shape: [Int]
    var data: [Double]

    init(shape: [Int], data: [Double]) {
        precondition(shape.reduce(1, *) == data.count)
        self.shape = shape
        self.data = data
    }

    init(shape: [Int], floats: [Float]) { self.init(shape: shape, data: floats.map(Double.init)) }

    var floats: [Float] { data.map(Float.init) }

    func transposed(_ perm: [Int]) -> RefTensor {
        let rank = shape.count
        var strides = [Int](repeating: 1, count: rank)
        for i in stride(from: rank - 2, through: 0, by: -1) { strides[i] = strides[i + 1] * shape[i + 1] }
        let outShape = perm.map { shape[$0] }
        var out = [Double](repeating: 0, count: data.count)
        var index = [Int](repeating: 0, count: rank)
        for o in 0..<data.count {
            var src = 0
            for (j, i) in index.enumerated() { src += i * strides[perm[j]] }
            out[o] = data[src]
            var j = rank - 1
            while j >= 0 {
                index[j] += 1
                if index[j] < outShape[j] { break }
                index[j] = 0
                j -= 1
            }
        }
        return RefTensor(shape: outShape, data: out)
    }

    func map(_ f: (Double) -> Double) -> RefTensor { RefTensor(shape: shape, data: data.map(f)) }
}

enum Ref {
    /// ONNX Conv, NCHW, W `[M, C/group, kh, kw]`, pads `[top, left, bottom, right]`.
    static func conv(_ x: RefTensor, _ w: RefTensor, _ b: [Double]?, strides: [Int] = [1, 1], pads: [Int] = [0, 0, 0, 0],
                     dilations: [Int] = [1, 1], group: Int = 1) -> RefTensor {
        let (n, c, h, wi) = (x.shape[0], x.shape[1], x.shape[2], x.shape[3])
        let (m, cg, kh, kw) = (w.shape[0], w.shape[1], w.shape[2], w.shape[3])
        let oh = (h + pads[0] + pads[2] - ((kh - 1) * dilations[0] + 1)) / strides[0] + 1
        let ow = (wi + pads[1] + pads[3] - ((kw - 1) * dilations[1] + 1)) / strides[1] + 1
        var out = [Double](repeating: 0, count: n * m * oh * ow)
        let mPerGroup = m / group
        precondition(cg * group == c)
        for b0 in 0..<n { for o in 0..<m { for y in 0..<oh { for xx in 0..<ow {
            var acc = b?[o] ?? 0
            let g = o / mPerGroup
            for ci in 0..<cg { for i in 0..<kh { for j in 0..<kw {
                let iy = y * strides[0] - pads[0] + i * dilations[0], ix = xx * strides[1] - pads[1] + j * dilations[1]
                guard iy >= 0, iy < h, ix >= 0, ix < wi else { continue }
                acc += x.data[((b0 * c + g * cg + ci) * h + iy) * wi + ix] * w.data[((o * cg + ci) * kh + i) * kw + j]
            } } }
            out[((b0 * m + o) * oh + y) * ow + xx] = acc
        } } } }
        return RefTensor(shape: [n, m, oh, ow], data: out)
    }

    static func batchNorm(_ x: RefTensor, scale: [Double], bias: [Double], mean: [Double], variance: [Double], epsilon: Double) -> RefTensor {
        let c = x.shape[1], inner = x.shape.dropFirst(2).reduce(1, *)
        var out = x
        for i in 0..<x.data.count {
            let ch = (i / inner) % c
            out.data[i] = (x.data[i] - mean[ch]) / (variance[ch] + epsilon).squareRoot() * scale[ch] + bias[ch]
        }
        return out
    }

    /// MaxPool / AveragePool (count_include_pad as given), NCHW.
    static func pool(_ x: RefTensor, kernel: [Int], strides: [Int], pads: [Int] = [0, 0, 0, 0], max isMax: Bool,
                     countIncludePad: Bool = false) -> RefTensor {
        let (n, c, h, w) = (x.shape[0], x.shape[1], x.shape[2], x.shape[3])
        let oh = (h + pads[0] + pads[2] - kernel[0]) / strides[0] + 1
        let ow = (w + pads[1] + pads[3] - kernel[1]) / strides[1] + 1
        var out = [Double](repeating: 0, count: n * c * oh * ow)
        for p in 0..<(n * c) { for y in 0..<oh { for xx in 0..<ow {
            var best = -Double.infinity, sum = 0.0, count = 0
            for i in 0..<kernel[0] { for j in 0..<kernel[1] {
                let iy = y * strides[0] - pads[0] + i, ix = xx * strides[1] - pads[1] + j
                guard iy >= 0, iy < h, ix >= 0, ix < w else { continue }
                let v = x.data[(p * h + iy) * w + ix]
                best = max(best, v)
                sum += v
                count += 1
            } }
            let divisor = countIncludePad ? kernel[0] * kernel[1] : count
            out[(p * oh + y) * ow + xx] = isMax ? best : sum / Double(divisor)
        } } }
        return RefTensor(shape: [n, c, oh, ow], data: out)
    }

    static func globalAveragePool(_ x: RefTensor) -> RefTensor {
        let (n, c) = (x.shape[0], x.shape[1]), inner = x.shape[2] * x.shape[3]
        var out = [Double](repeating: 0, count: n * c)
        for p in 0..<(n * c) { out[p] = x.data[(p * inner)..<((p + 1) * inner)].reduce(0, +) / Double(inner) }
        return RefTensor(shape: [n, c, 1, 1], data: out)
    }

    static func pad(_ x: RefTensor, _ pads: [Int]) -> RefTensor {
        let (n, c, h, w) = (x.shape[0], x.shape[1], x.shape[2], x.shape[3])
        let (t, l, b, r) = (pads[2], pads[3], pads[6], pads[7])
        let oh = h + t + b, ow = w + l + r
        var out = [Double](repeating: 0, count: n * c * oh * ow)
        for p in 0..<(n * c) { for y in 0..<h { for xx in 0..<w { out[(p * oh + y + t) * ow + xx + l] = x.data[(p * h + y) * w + xx] } } }
        return RefTensor(shape: [n, c, oh, ow], data: out)
    }

    /// Gemm / MatMul on `[N, K]` × B (`[K, M]`, or `[M, K]` with transB) + C.
    static func gemm(_ a: RefTensor, _ b: RefTensor, _ c: [Double]?, transB: Bool = false) -> RefTensor {
        let (n, k) = (a.shape[0], a.shape[1])
        let m = transB ? b.shape[0] : b.shape[1]
        var out = [Double](repeating: 0, count: n * m)
        for i in 0..<n { for j in 0..<m {
            var acc = c?[j] ?? 0
            for t in 0..<k { acc += a.data[i * k + t] * (transB ? b.data[j * k + t] : b.data[t * m + j]) }
            out[i * m + j] = acc
        } }
        return RefTensor(shape: [n, m], data: out)
    }

    static func softmaxLastAxis(_ x: RefTensor) -> RefTensor {
        let m = x.shape.last!
        var out = x
        for row in 0..<(x.data.count / m) {
            let slice = x.data[(row * m)..<((row + 1) * m)]
            let top = slice.max()!
            let e = slice.map { Foundation.exp($0 - top) }
            let s = e.reduce(0, +)
            for j in 0..<m { out.data[row * m + j] = e[j] / s }
        }
        return out
    }

    static func relative(_ a: [Float], _ b: [Float]) -> Float {
        let scale = b.map(abs).max() ?? 0
        let diff = zip(a, b).map { abs($0 - $1) }.max() ?? .infinity
        return scale > 0 ? diff / scale : diff
    }
}
