import Foundation
import ModelIR
import XCTest
@testable import Runtime
import _TestSupport

/// A tensor of doubles for the naive reference implementations.
struct RefTensor {
    var shape: [Int]
    var data: [Double]

    init(shape: [Int], data: [Double]) {
        self.shape = shape
        self.data = data
    }

    init(_ t: Tensor) {
        shape = t.shape
        data = t.floats.map(Double.init)
    }

    init(zeros shape: [Int]) {
        self.shape = shape
        data = [Double](repeating: 0, count: shape.reduce(1, *))
    }

    /// Row-major index of an NHWC element.
    @inline(__always) func index(_ n: Int, _ y: Int, _ x: Int, _ c: Int) -> Int {
        ((n * shape[1] + y) * shape[2] + x) * shape[3] + c
    }
}

/// Naive loops in double precision, written straight from the Keras definitions. Nothing here is
/// shared with the runtime except the IR types.
enum Reference {
    /// TensorFlow SAME / explicit pads, computed independently of `Padding.resolve`.
    static func pads(_ padding: Padding, h: Int, w: Int, k: [Int], s: [Int], d: [Int]) -> (Int, Int, Int, Int) {
        switch padding {
        case .valid: return (0, 0, 0, 0)
        case let .explicit(begin, end): return (begin[0], end[0], begin[1], end[1])
        case .same, .sameLower:
            func one(_ n: Int, _ k: Int, _ s: Int, _ d: Int) -> (Int, Int) {
                let out = Int((Double(n) / Double(s)).rounded(.up))
                let need = max((out - 1) * s + (k - 1) * d + 1 - n, 0)
                return (need / 2, need - need / 2)
            }
            let (t, b) = one(h, k[0], s[0], d[0]), (l, r) = one(w, k[1], s[1], d[1])
            return (t, b, l, r)
        }
    }

    static func outSize(_ n: Int, _ k: Int, _ s: Int, _ d: Int, _ before: Int, _ after: Int) -> Int {
        (n + before + after - ((k - 1) * d + 1)) / s + 1
    }

    static func activation(_ a: Activation, _ x: Double) -> Double {
        switch a {
        case .linear: return x
        case .relu: return max(x, 0)
        case let .clippedReLU(maxValue, slope, threshold):
            // The Keras docstring: max_value for x ≥ max_value, x for threshold ≤ x < max_value,
            // negative_slope · (x − threshold) otherwise.
            if let m = maxValue, x >= Double(m) { return Double(m) }
            if x >= Double(threshold) { return x }
            return Double(slope) * (x - Double(threshold))
        case .leakyReLU(let alpha): return x > 0 ? x : Double(alpha) * x
        case .sigmoid: return 1 / (1 + exp(-x))
        case let .hardSigmoid(alpha, beta): return min(max(Double(alpha) * x + Double(beta), 0), 1)
        case .hardSwish: return x * min(max(x + 3, 0), 6) / 6
        case .tanh: return tanh(x)
        case .softmax, .logSoftmax: return x  // handled separately
        case .swish: return x / (1 + exp(-x))
        case .elu(let alpha): return x > 0 ? x : Double(alpha) * (exp(x) - 1)
        case let .selu(alpha, gamma): return Double(gamma) * (x > 0 ? x : Double(alpha) * (exp(x) - 1))
        case .celu(let alpha): return max(x, 0) + min(0, Double(alpha) * (exp(x / Double(alpha)) - 1))
        case .softplus: return log(1 + exp(x))
        case .softsign: return x / (1 + abs(x))
        case .gelu(false): return 0.5 * x * (1 + erf(x / 2.0.squareRoot()))
        case .gelu(true): return 0.5 * x * (1 + tanh((2 / Double.pi).squareRoot() * (x + 0.044715 * x * x * x)))
        case .mish: return x * tanh(log(1 + exp(x)))
        case .exponential: return exp(x)
        case .thresholdedReLU(let alpha): return x > Double(alpha) ? x : 0
        }
    }

    static func apply(_ a: Activation, _ t: RefTensor) -> RefTensor {
        if case .softmax(let axis) = a { return softmax(t, axis: axis) }
        if case .logSoftmax(let axis) = a {
            var out = softmax(t, axis: axis)
            out.data = out.data.map { log($0) }
            return out
        }
        var out = t
        out.data = t.data.map { activation(a, $0) }
        return out
    }

    static func softmax(_ t: RefTensor, axis: Int) -> RefTensor {
        let ax = axis < 0 ? axis + t.shape.count : axis
        let len = t.shape[ax]
        let inner = t.shape[(ax + 1)...].reduce(1, *)
        let outer = t.shape[..<ax].reduce(1, *)
        var out = t
        for o in 0..<outer {
            for i in 0..<inner {
                let idx = (0..<len).map { (o * len + $0) * inner + i }
                let m = idx.map { t.data[$0] }.max() ?? 0
                let s = idx.map { exp(t.data[$0] - m) }.reduce(0, +)
                for j in idx { out.data[j] = exp(t.data[j] - m) / s }
            }
        }
        return out
    }

    static func conv2D(_ x: RefTensor, kernel: [Double], bias: [Double]?, _ a: ConvAttributes) -> RefTensor {
        let (n, h, w, c) = (x.shape[0], x.shape[1], x.shape[2], x.shape[3])
        let (kh, kw) = (a.kernelSize[0], a.kernelSize[1])
        let (t, b, l, r) = pads(a.padding, h: h, w: w, k: a.kernelSize, s: a.strides, d: a.dilations)
        let oh = outSize(h, kh, a.strides[0], a.dilations[0], t, b), ow = outSize(w, kw, a.strides[1], a.dilations[1], l, r)
        let cig = c / a.groups, cout = a.filters, cog = cout / a.groups
        var out = RefTensor(zeros: [n, oh, ow, cout])
        for bi in 0..<n { for oy in 0..<oh { for ox in 0..<ow { for co in 0..<cout {
            let g = co / cog
            var acc = bias?[co] ?? 0
            for i in 0..<kh { for j in 0..<kw {
                let y = oy * a.strides[0] - t + i * a.dilations[0], xx = ox * a.strides[1] - l + j * a.dilations[1]
                guard y >= 0, y < h, xx >= 0, xx < w else { continue }
                for ci in 0..<cig {
                    acc += x.data[x.index(bi, y, xx, g * cig + ci)] * kernel[((i * kw + j) * cig + ci) * cout + co]
                }
            } }
            out.data[out.index(bi, oy, ox, co)] = acc
        } } } }
        return apply(a.activation, out)
    }

    static func depthwise(_ x: RefTensor, kernel: [Double], bias: [Double]?, multiplier: Int, kernelSize: [Int],
                          strides: [Int], dilations: [Int], padding: Padding) -> RefTensor {
        let (n, h, w, c) = (x.shape[0], x.shape[1], x.shape[2], x.shape[3])
        let (kh, kw) = (kernelSize[0], kernelSize[1])
        let (t, b, l, r) = pads(padding, h: h, w: w, k: kernelSize, s: strides, d: dilations)
        let oh = outSize(h, kh, strides[0], dilations[0], t, b), ow = outSize(w, kw, strides[1], dilations[1], l, r)
        var out = RefTensor(zeros: [n, oh, ow, c * multiplier])
        for bi in 0..<n { for oy in 0..<oh { for ox in 0..<ow { for ci in 0..<c { for m in 0..<multiplier {
            let co = ci * multiplier + m
            var acc = bias?[co] ?? 0
            for i in 0..<kh { for j in 0..<kw {
                let y = oy * strides[0] - t + i * dilations[0], xx = ox * strides[1] - l + j * dilations[1]
                guard y >= 0, y < h, xx >= 0, xx < w else { continue }
                acc += x.data[x.index(bi, y, xx, ci)] * kernel[((i * kw + j) * c + ci) * multiplier + m]
            } }
            out.data[out.index(bi, oy, ox, co)] = acc
        } } } } }
        return out
    }

    static func pool(_ x: RefTensor, _ a: PoolAttributes, isMax: Bool) -> RefTensor {
        let (n, h, w, c) = (x.shape[0], x.shape[1], x.shape[2], x.shape[3])
        let (t, b, l, r) = pads(a.padding, h: h, w: w, k: a.poolSize, s: a.strides, d: [1, 1])
        let oh = outSize(h, a.poolSize[0], a.strides[0], 1, t, b), ow = outSize(w, a.poolSize[1], a.strides[1], 1, l, r)
        var out = RefTensor(zeros: [n, oh, ow, c])
        for bi in 0..<n { for oy in 0..<oh { for ox in 0..<ow { for ch in 0..<c {
            var best = -Double.infinity, sum = 0.0, count = 0
            for i in 0..<a.poolSize[0] { for j in 0..<a.poolSize[1] {
                let y = oy * a.strides[0] - t + i, xx = ox * a.strides[1] - l + j
                guard y >= 0, y < h, xx >= 0, xx < w else { continue }
                let v = x.data[x.index(bi, y, xx, ch)]
                best = max(best, v); sum += v; count += 1
            } }
            let divisor = a.countIncludePad ? a.poolSize[0] * a.poolSize[1] : count
            // A window wholly in explicit padding (pads ≥ window; TensorFlow rejects these) gives 0.
            out.data[out.index(bi, oy, ox, ch)] = count == 0 ? 0 : isMax ? best : sum / Double(divisor)
        } } } }
        return out
    }

    static func dense(_ x: RefTensor, kernel: [Double], bias: [Double]?, _ a: DenseAttributes) -> RefTensor {
        let features = x.shape.last!, rows = x.data.count / features
        var out = RefTensor(zeros: Array(x.shape.dropLast()) + [a.units])
        for r in 0..<rows { for u in 0..<a.units {
            var acc = bias?[u] ?? 0
            for f in 0..<features { acc += x.data[r * features + f] * kernel[f * a.units + u] }
            out.data[r * a.units + u] = acc
        } }
        return apply(a.activation, out)
    }

    static func batchNorm(_ x: RefTensor, gamma: [Double]?, beta: [Double]?, mean: [Double], variance: [Double], epsilon: Double) -> RefTensor {
        let c = x.shape.last!
        var out = x
        for i in 0..<x.data.count {
            let ch = i % c
            out.data[i] = (gamma?[ch] ?? 1) * (x.data[i] - mean[ch]) / (variance[ch] + epsilon).squareRoot() + (beta?[ch] ?? 0)
        }
        return out
    }
}

/// Interprets a graph node by node with the reference loops: the "naive executor" the runtime is
/// compared against for whole graphs.
enum NaiveExecutor {
    static func run(_ graph: Graph, inputs: [String: RefTensor]) throws -> [String: RefTensor] {
        var values = inputs
        func w(_ node: Node, _ role: String) -> [Double]? {
            guard let name = node.input(role), let weight = graph.weights[name] else { return nil }
            return weight.data.floatArray(as: weight.info.dtype).map(Double.init)
        }
        for node in graph.nodes {
            let xs = node.dataInputs.map { values[$0]! }
            let x = xs[0]
            let y: RefTensor
            switch node.op {
            case .conv(.conv(let a)): y = Reference.conv2D(x, kernel: w(node, "kernel")!, bias: w(node, "bias"), a)
            case .conv(.depthwise(let a)):
                y = Reference.apply(a.activation, Reference.depthwise(x, kernel: w(node, "depthwise_kernel")!, bias: w(node, "bias"),
                    multiplier: a.depthMultiplier, kernelSize: a.kernelSize, strides: a.strides, dilations: a.dilations, padding: a.padding))
            case .conv(.separable(let a)):
                let d = Reference.depthwise(x, kernel: w(node, "depthwise_kernel")!, bias: nil, multiplier: a.depthMultiplier,
                                            kernelSize: a.kernelSize, strides: a.strides, dilations: a.dilations, padding: a.padding)
                y = Reference.conv2D(d, kernel: w(node, "pointwise_kernel")!, bias: w(node, "bias"),
                                     ConvAttributes(filters: a.filters, kernelSize: [1, 1], activation: a.activation))
            case .linear(.dense(let a)): y = Reference.dense(x, kernel: w(node, "kernel")!, bias: w(node, "bias"), a)
            case .pool(.max(let a)): y = Reference.pool(x, a, isMax: true)
            case .pool(.average(let a)): y = Reference.pool(x, a, isMax: false)
            case .pool(.globalAverage(let g)), .pool(.globalMax(let g)):
                let keep = g.keepDims
                let isMax: Bool = { if case .pool(.globalMax) = node.op { return true }; return false }()
                let (n, h, wd, c) = (x.shape[0], x.shape[1], x.shape[2], x.shape[3])
                var out = RefTensor(zeros: keep ? [n, 1, 1, c] : [n, c])
                for b in 0..<n { for ch in 0..<c {
                    let vals = (0..<(h * wd)).map { x.data[(b * h * wd + $0) * c + ch] }
                    out.data[b * c + ch] = isMax ? vals.max()! : vals.reduce(0, +) / Double(h * wd)
                } }
                y = out
            case .normalization(.batch(let a)):
                y = Reference.batchNorm(x, gamma: w(node, "gamma"), beta: w(node, "beta"), mean: w(node, "moving_mean")!,
                                        variance: w(node, "moving_variance")!, epsilon: Double(a.epsilon))
            case .tensor(.pad(let pad)):
                let p = pad.pads!
                let (t, b, l, r) = (p[1], p[5], p[2], p[6])
                var out = RefTensor(zeros: [x.shape[0], x.shape[1] + t + b, x.shape[2] + l + r, x.shape[3]])
                for n in 0..<x.shape[0] { for yy in 0..<x.shape[1] { for xx in 0..<x.shape[2] { for c in 0..<x.shape[3] {
                    out.data[out.index(n, yy + t, xx + l, c)] = x.data[x.index(n, yy, xx, c)]
                } } } }
                y = out
            case .tensor(.flatten): y = RefTensor(shape: [x.shape[0], x.data.count / max(x.shape[0], 1)], data: x.data)
            case .tensor(.reshape(let r)):
                let target = Array(r.shape!.dropFirst())
                let rest = x.data.count / max(x.shape[0], 1)
                let known = target.filter { $0 != -1 }.reduce(1, *)
                y = RefTensor(shape: [x.shape[0]] + target.map { $0 == -1 ? rest / known : $0 }, data: x.data)
            case .tensor(.dropout), .tensor(.identity): y = x
            case .activation(let a): y = Reference.apply(a, x)
            case .elementwise(.variadic(.add)): y = RefTensor(shape: x.shape, data: (0..<x.data.count).map { i in xs.reduce(0) { $0 + $1.data[i] } })
            case .elementwise(.variadic(.mul)): y = RefTensor(shape: x.shape, data: (0..<x.data.count).map { i in xs.reduce(1) { $0 * $1.data[i] } })
            case .tensor(.concat(let axis)):
                let ax = axis < 0 ? axis + x.shape.count : axis
                let outer = x.shape[..<ax].reduce(1, *)
                var shape = x.shape
                shape[ax] = xs.reduce(0) { $0 + $1.shape[ax] }
                var data: [Double] = []
                for o in 0..<outer {
                    for t in xs {
                        let run = t.shape[ax...].reduce(1, *)
                        data += t.data[(o * run)..<((o + 1) * run)]
                    }
                }
                y = RefTensor(shape: shape, data: data)
            default:
                // Everything else: the IR's reference evaluator, in its own arithmetic.
                let operands = node.inputs.map { name -> Tensor? in
                    if name.isEmpty { return nil }
                    if let v = values[name] { return Tensor(shape: v.shape, floats: v.data.map(Float.init)) }
                    return graph.weights[name]?.tensor
                }
                y = RefTensor(try Evaluator.evaluate(node, operands)[0])
            }
            values[node.outputs[0]] = y
        }
        return values
    }
}

// MARK: - Graph building and comparison

/// Builds small graphs with seeded weights.
struct GraphBuilder {
    var nodes: [Node] = []
    var weights: [String: Weight] = [:]
    var inputs: [TensorInfo] = []
    var seed: UInt64 = 1

    mutating func input(_ name: String, _ shape: [Int]) {
        inputs.append(TensorInfo(name: name, shape: shape, layout: shape.count == 4 ? .nhwc : .unspecified))
    }

    /// Adds a weight of `shape` with seeded values in ±scale (or `values`), stored as `dtype`.
    mutating func weight(_ name: String, _ shape: [Int], scale: Float = 0.5, values: [Float]? = nil, dtype: DType = .float32) -> String {
        seed &+= 1
        let floats = values ?? TestSupport.randomFloats(shape.reduce(1, *), seed: seed, scale: scale)
        let data: TensorData
        if dtype == .float32 {
            data = TensorData(floats: floats)
        } else if dtype == .float64 {
            data = floats.map(Double.init).withUnsafeBytes { TensorData(copying: $0) }
        } else {
            data = TensorData(byteCount: floats.count * dtype.byteSize) { raw in
                floats.withUnsafeBufferPointer { DTypeConversion.fromFloat32($0, to: dtype, into: raw) }
            }
        }
        weights[name] = Weight(info: TensorInfo(name: name, dtype: dtype, shape: shape), data: data)
        return name
    }

    /// Adds a node; `weights` are its parameter operands in role order ("" for an absent one).
    @discardableResult
    mutating func node(_ name: String, _ op: Op, _ inputs: [String], weights: [String] = []) -> String {
        nodes.append(Node(name: name, op: op, inputs: inputs + weights))
        return name
    }

    func graph(outputs: [String]) -> Graph {
        Graph(name: "test", inputs: inputs, outputs: outputs, nodes: nodes, weights: weights)
    }
}

/// Max |a − e| / max |e| (the project's parity metric), with the worst element's index.
func relativeError(_ actual: [Float], _ expected: [Double]) -> (error: Double, worst: Int) {
    precondition(actual.count == expected.count, "\(actual.count) vs \(expected.count) elements")
    var maxDiff = 0.0, maxRef = 0.0, worst = 0
    for i in 0..<actual.count {
        let d = abs(Double(actual[i]) - expected[i])
        if d > maxDiff || d.isNaN { maxDiff = d; worst = i }
        maxRef = max(maxRef, abs(expected[i]))
    }
    return (maxRef == 0 ? maxDiff : maxDiff / maxRef, worst)
}

func assertClose(_ actual: Tensor, _ expected: RefTensor, tolerance: Double = 1e-5, _ message: @autoclosure () -> String = "",
                 file: StaticString = #filePath, line: UInt = #line) {
    XCTAssertEqual(actual.shape, expected.shape, "shape " + message(), file: file, line: line)
    guard actual.shape == expected.shape else { return }
    let values = actual.floats
    let (err, worst) = relativeError(values, expected.data)
    XCTAssertLessThanOrEqual(err, tolerance,
        "relative error \(err) at element \(worst): \(values[worst]) vs \(expected.data[worst]) — \(message())",
        file: file, line: line)
}

/// Options that force the split and chunked paths on small shapes.
func stressOptions(scratchBytes: Int = 512) -> ExecutorOptions {
    var o = ExecutorOptions(scratchBytes: scratchBytes)
    o.minimumParallelWork = 1
    o.minimumGemmRows = 1
    return o
}

/// Runs `graph` with the runtime and the naive executor on seeded inputs and compares every output.
func checkAgainstReference(_ graph: Graph, inputShapes: [String: [Int]], options: ExecutorOptions = ExecutorOptions(),
                           tolerance: Double = 1e-5, seed: UInt64 = 7, _ message: @autoclosure () -> String = "",
                           file: StaticString = #filePath, line: UInt = #line) throws {
    var tensors: [String: Tensor] = [:]
    var refs: [String: RefTensor] = [:]
    var s = seed
    for (name, shape) in inputShapes.sorted(by: { $0.key < $1.key }) {
        s &+= 101
        let t = Tensor(shape: shape, floats: TestSupport.randomFloats(shape.reduce(1, *), seed: s))
        tensors[name] = t
        refs[name] = RefTensor(t)
    }
    let executor = try Executor(graph: graph, options: options)
    let got = try executor.run(inputs: tensors, outputs: graph.outputs)
    let want = try NaiveExecutor.run(graph, inputs: refs)
    for name in graph.outputs {
        assertClose(got[name]!, want[name]!, tolerance: tolerance, "\(name): \(message())", file: file, line: line)
    }
}
