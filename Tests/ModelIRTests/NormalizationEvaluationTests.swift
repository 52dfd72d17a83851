import ModelIR
import XCTest

/// Normalizations against their textbook formulas written over multi-indices.
final class NormalizationEvaluationTests: XCTestCase {
    /// Mean and (biased) variance of `values`.
    static func moments(_ values: [Double]) -> (mean: Double, variance: Double) {
        let mean = values.reduce(0, +) / Double(values.count)
        return (mean, values.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / Double(values.count))
    }

    /// The mean and variance of the group of a full index: the elements sharing its indices on
    /// every axis outside `reduced`.
    static func groupStats(_ x: Tensor, reduced: Set<Int>) -> ([Int]) -> (mean: Double, variance: Double) {
        let xs = x.doubles
        let keyShape = x.shape.indices.map { reduced.contains($0) ? 1 : x.shape[$0] }
        func key(_ i: [Int]) -> Int { Eval.flat(i.indices.map { reduced.contains($0) ? 0 : i[$0] }, keyShape) }
        var groups: [Int: [Double]] = [:]
        for i in Eval.indices(x.shape) { groups[key(i), default: []].append(xs[Eval.flat(i, x.shape)]) }
        let stats = groups.mapValues(moments)
        return { stats[key($0)]! }
    }

    /// `(x − mean) / sqrt(var + ε) · γ + β` with statistics over `reduced` axes; `gamma`/`beta` give
    /// the parameter for a full index.
    static func naiveNormalize(_ x: Tensor, reduced: Set<Int>, epsilon: Double, gamma: ([Int]) -> Double, beta: ([Int]) -> Double) -> [Double] {
        let xs = x.doubles
        let stats = groupStats(x, reduced: reduced)
        return Eval.indices(x.shape).map { i in
            let s = stats(i)
            return (xs[Eval.flat(i, x.shape)] - s.mean) / (s.variance + epsilon).squareRoot() * gamma(i) + beta(i)
        }
    }

    func testBatchNormalizationAnyAxis() throws {
        for (shape, axis) in [([2, 3], -1), ([2, 3, 4, 5], 1), ([2, 4, 3], -1), ([3, 2, 2], 0), ([2, 3, 2, 2, 2], 1), ([5], 0)] {
            let rank = shape.count, a = axis < 0 ? axis + rank : axis, c = shape[a]
            for (useGamma, useBeta) in [(true, true), (false, true), (true, false), (false, false)] {
                let x = Eval.random(shape, seed: 1, scale: 3)
                let gamma = Eval.random([c], seed: 2), beta = Eval.random([c], seed: 3), mean = Eval.random([c], seed: 4)
                let variance = Tensor(shape: [c], doubles: Eval.random([c], seed: 5).doubles.map { abs($0) + 0.1 }, dtype: .float32)
                let (g, b, m, v) = (gamma.doubles, beta.doubles, mean.doubles, variance.doubles)
                let xs = x.doubles
                let expected = Eval.indices(shape).map { i -> Double in
                    let ch = i[a]
                    return (xs[Eval.flat(i, shape)] - m[ch]) / (v[ch] + 0.001).squareRoot() * (useGamma ? g[ch] : 1) + (useBeta ? b[ch] : 0)
                }
                let op = Op.normalization(.batch(BatchNormAttributes(epsilon: 0.001, axis: axis)))
                Eval.assertClose(try Eval.run(op, [x, useGamma ? gamma : nil, useBeta ? beta : nil, mean, variance]), expected, shape: shape,
                                 "\(shape) axis \(axis)")
            }
        }
        // Hand-computed: (4 − 2) / sqrt(3 + 1) · 3 + 1 = 4.
        let y = try Eval.run(.normalization(.batch(BatchNormAttributes(epsilon: 1, axis: 1))),
                             [Tensor(shape: [1, 1], floats: [4]), Tensor(shape: [1], floats: [3]), Tensor(shape: [1], floats: [1]),
                              Tensor(shape: [1], floats: [2]), Tensor(shape: [1], floats: [3])])
        XCTAssertEqual(y.floats, [4])
    }

    func testInstanceNormalizationBothLayouts() throws {
        for layout in [DataLayout.channelsFirst, .channelsLast] {
            for spatial in [[5], [3, 4], [2, 2, 3]] {
                let shape = ConvEvaluationTests.activationShape(batch: 2, channels: 3, spatial: spatial, layout)
                let x = Eval.random(shape, seed: 8, scale: 2)
                let scale = Eval.random([3], seed: 9), bias = Eval.random([3], seed: 10)
                let (s, b) = (scale.doubles, bias.doubles)
                let c = layout.channelAxis(rank: shape.count)
                let expected = Self.naiveNormalize(x, reduced: Set(layout.spatialAxes(rank: shape.count)), epsilon: 1e-5,
                                                   gamma: { s[$0[c]] }, beta: { b[$0[c]] })
                let op = Op.normalization(.instance(InstanceNormAttributes(epsilon: 1e-5, layout: layout)))
                Eval.assertClose(try Eval.run(op, [x, scale, bias]), expected, shape: shape, atol: 2e-5, "\(layout) \(spatial)")
            }
        }
    }

    func testLayerNormalizationKerasAndOnnxParameterShapes() throws {
        let shape = [2, 3, 4, 5]
        let x = Eval.random(shape, seed: 12, scale: 2)
        // (axes, gamma shape, how a full index picks the parameter element)
        let cases: [([Int], [Int], ([Int]) -> Int)] = [
            ([-1], [5], { $0[3] }),                                      // Keras default, ONNX axis -1
            ([1, 2], [3, 4], { $0[1] * 4 + $0[2] }),                     // Keras axes (1, 2): γ laid over H, W
            ([1, 2, 3], [3, 4, 5], { ($0[1] * 4 + $0[2]) * 5 + $0[3] }), // ONNX axis 1
            ([2, 3], [1, 5], { $0[3] }),                                 // ONNX scale broadcast from the end
            ([-3, -1], [3, 5], { $0[1] * 5 + $0[3] }),                   // non-adjacent Keras axes
        ]
        for (axes, pShape, pick) in cases {
            let gamma = Eval.random(pShape, seed: 13), beta = Eval.random(pShape, seed: 14)
            let (g, b) = (gamma.doubles, beta.doubles)
            let reduced = Set(axes.map { $0 < 0 ? $0 + 4 : $0 })
            let expected = Self.naiveNormalize(x, reduced: reduced, epsilon: 1e-3, gamma: { g[pick($0)] }, beta: { b[pick($0)] })
            let op = Op.normalization(.layer(LayerNormAttributes(axes: axes, epsilon: 1e-3)))
            Eval.assertClose(try Eval.run(op, [x, gamma, beta]), expected, shape: shape, atol: 2e-5, "axes \(axes) γ \(pShape)")
            // Keras rms_scaling (deprecated): x · rsqrt(var + ε) · γ, centred variance, no β.
            let xs = x.doubles, stats = Self.groupStats(x, reduced: reduced)
            let rmsExpected = Eval.indices(shape).map { i in
                xs[Eval.flat(i, shape)] / (stats(i).variance + 1e-3).squareRoot() * g[pick(i)]
            }
            let rms = Op.normalization(.layer(LayerNormAttributes(axes: axes, epsilon: 1e-3, rmsScaling: true)))
            Eval.assertClose(try Eval.run(rms, [x, gamma, nil]), rmsExpected, shape: shape, atol: 2e-5, "rms axes \(axes)")
        }
        // keras.ops.layer_normalization(arange(5)) with ε = 1e-7, as its docstring shows.
        let y = try Eval.run(.normalization(.layer(LayerNormAttributes(axes: [-1], epsilon: 1e-7))), [Tensor(shape: [5], floats: [0, 1, 2, 3, 4])])
        Eval.assertClose(y, [-1.4142135, -0.70710677, 0, 0.7071067, 1.4142135], shape: [5], atol: 1e-6)
    }

    func testGroupNormalizationKerasSemantics() throws {
        for (shape, axis, groups) in [([2, 3, 4], -1, 2), ([2, 6, 3, 2], 1, 3), ([1, 3, 3, 4], -1, 4), ([2, 5], -1, 5), ([2, 4, 2, 2], -1, 1)] {
            let rank = shape.count, c = axis < 0 ? axis + rank : axis, channels = shape[c], per = channels / groups
            let x = Eval.random(shape, seed: 20, scale: 2)
            let gamma = Eval.random([channels], seed: 21), beta = Eval.random([channels], seed: 22)
            let (xs, g, b) = (x.doubles, gamma.doubles, beta.doubles)
            let all = Eval.indices(shape)
            var members: [[Int]: [Double]] = [:]
            for i in all { members[[i[0], i[c] / per], default: []].append(xs[Eval.flat(i, shape)]) }
            let stats = members.mapValues(Self.moments)
            let expected = all.map { i -> Double in
                let s = stats[[i[0], i[c] / per]]!
                return (xs[Eval.flat(i, shape)] - s.mean) / (s.variance + 1e-3).squareRoot() * g[i[c]] + b[i[c]]
            }
            let op = Op.normalization(.group(GroupNormAttributes(groups: groups, axis: axis, epsilon: 1e-3)))
            Eval.assertClose(try Eval.run(op, [x, gamma, beta]), expected, shape: shape, atol: 2e-5, "\(shape) groups \(groups)")
        }
    }

    func testLpNormalizationAndLRN() throws {
        let x = Eval.random([2, 3, 4], seed: 30)
        let xs = x.doubles
        for axis in [0, 1, -1] {
            for p in [1, 2] {
                let a = axis < 0 ? axis + 3 : axis
                let expected = Eval.indices([2, 3, 4]).map { i -> Double in
                    var norm = 0.0
                    for k in 0..<[2, 3, 4][a] {
                        var j = i; j[a] = k
                        let v = xs[Eval.flat(j, [2, 3, 4])]
                        norm += p == 1 ? abs(v) : v * v
                    }
                    return xs[Eval.flat(i, [2, 3, 4])] / (p == 1 ? norm : norm.squareRoot())
                }
                Eval.assertClose(try Eval.run(.normalization(.lp(LpNormAttributes(axis: axis, p: p))), [x]), expected, shape: [2, 3, 4])
            }
        }
        // A zero vector stays zero (no NaN).
        XCTAssertEqual(try Eval.run(.normalization(.lp(LpNormAttributes(axis: -1, p: 2))), [Tensor(shape: [2, 2], floats: [0, 0, 3, 4])]).floats,
                       [0, 0, 0.6, 0.8])

        // LRN by the ONNX spec: square sums over channels c − ⌊(size−1)/2⌋ … c + ⌈(size−1)/2⌉.
        for layout in [DataLayout.channelsFirst, .channelsLast] {
            for size in 1...5 {
                let shape = ConvEvaluationTests.activationShape(batch: 2, channels: 5, spatial: [2, 3], layout)
                let x = Eval.random(shape, seed: 31, scale: 2)
                let xs = x.doubles, c = layout.channelAxis(rank: 4)
                let (alpha, beta, bias) = (0.02, 0.75, 1.5)
                let expected = Eval.indices(shape).map { i -> Double in
                    var sum = 0.0
                    for k in max(0, i[c] - (size - 1) / 2)...min(4, i[c] + size / 2) {
                        var j = i; j[c] = k
                        sum += xs[Eval.flat(j, shape)] * xs[Eval.flat(j, shape)]
                    }
                    return xs[Eval.flat(i, shape)] / Foundation.pow(bias + alpha / Double(size) * sum, beta)
                }
                let op = Op.normalization(.localResponse(LRNAttributes(size: size, alpha: 0.02, beta: 0.75, bias: 1.5, layout: layout)))
                Eval.assertClose(try Eval.run(op, [x]), expected, shape: shape, "LRN size \(size) \(layout)")
            }
        }
    }

    func testKerasNormalizationAndRescaling() throws {
        let shape = [2, 3, 4]
        let x = Eval.random(shape, seed: 40, scale: 3)
        let xs = x.doubles
        // (kept axes, mean/variance shape, index of the statistic for a full index)
        let cases: [([Int], [Int], ([Int]) -> Int)] = [([-1], [4], { $0[2] }), ([1, 2], [3, 4], { $0[1] * 4 + $0[2] }),
                                                       ([], [], { _ in 0 }), ([1], [3], { $0[1] }), ([2], [1, 1, 4], { $0[2] })]
        for (axes, sShape, pick) in cases {
            let mean = Eval.random(sShape, seed: 41)
            // Some variances are 0: the deviation is clamped to Keras's epsilon, 1e-7.
            let variance = Tensor(shape: sShape, doubles: Eval.random(sShape, seed: 42).doubles.enumerated().map { $0.offset % 3 == 0 ? 0 : abs($0.element) },
                                  dtype: .float32)
            let (m, v) = (mean.doubles, variance.doubles)
            for invert in [false, true] {
                let expected = Eval.indices(shape).map { i -> Double in
                    let d = max(v[pick(i)].squareRoot(), Double(Float(1e-7)))
                    let value = xs[Eval.flat(i, shape)]
                    return invert ? m[pick(i)] + value * d : (value - m[pick(i)]) / d
                }
                let op = Op.normalization(.standardize(StandardizeAttributes(axes: axes, invert: invert)))
                Eval.assertClose(try Eval.run(op, [x, mean, variance]), expected, shape: shape, atol: 1e-5, rtol: 1e-6, "axes \(axes)")
            }
        }
        // Rescaling: scalars, and per-channel lists on the last axis.
        let scalar = try Eval.run(.normalization(.rescale(RescaleAttributes(scale: [0.5], offset: [-1]))), [x])
        Eval.assertClose(scalar, xs.map { Double(Float(Float($0) * 0.5) - 1) }, shape: shape, atol: 0, rtol: 0)
        let channel = try Eval.run(.normalization(.rescale(RescaleAttributes(scale: [1, 2, 3, 4], offset: [0, 0, 1, 1]))), [x])
        Eval.assertClose(channel, xs.enumerated().map { $0.element * Double($0.offset % 4 + 1) + ($0.offset % 4 >= 2 ? 1 : 0) },
                         shape: shape, atol: 1e-6)
        // Integer images come out as float32 (Keras Rescaling's compute type).
        let image = Tensor(shape: [1, 2, 2], integers: [0, 51, 255, 102], dtype: .uint8)
        let y = try Eval.run(.normalization(.rescale(RescaleAttributes(scale: [1.0 / 255]))), [image])
        XCTAssertEqual(y.dtype, .float32)
        XCTAssertEqual(y.floats, [0, 51, 255, 102].map { Float($0) * Float(1.0 / 255) })
    }

    func testHalfAndDoublePrecision() throws {
        let x = Eval.random([2, 3, 4], seed: 50, scale: 2)
        let gamma = Eval.random([4], seed: 51), beta = Eval.random([4], seed: 52)
        let op = Op.normalization(.layer(LayerNormAttributes(axes: [-1], epsilon: 1e-3)))
        for dtype in [DType.float16, .bfloat16, .float64] {
            let narrow = x.converted(to: dtype)
            let expected = try Eval.run(op, [narrow.converted(to: .float64), gamma, beta])
            let y = try Eval.run(op, [narrow, gamma, beta])
            XCTAssertEqual(y.dtype, dtype)
            let tolerance = dtype == .float64 ? 1e-12 : (dtype == .float16 ? 2e-3 : 1.6e-2)
            Eval.assertClose(y, expected.doubles, shape: [2, 3, 4], atol: tolerance, rtol: tolerance, "\(dtype)")
        }
    }

    func testBadNormalizationOperandsThrow() {
        let x = Eval.random([2, 3, 4], seed: 1)
        let four = Eval.random([4], seed: 2), three = Eval.random([3], seed: 3)
        Eval.assertThrows(.normalization(.batch(BatchNormAttributes(axis: -1))), [x, three, nil, four, four], "gamma shape")
        Eval.assertThrows(.normalization(.batch(BatchNormAttributes(axis: -1))), [x, nil, nil, four], "missing variance")
        Eval.assertThrows(.normalization(.batch(BatchNormAttributes(axis: 5))), [x, nil, nil, four, four], "axis")
        Eval.assertThrows(.normalization(.batch(BatchNormAttributes(axis: -1))),
                          [Tensor(shape: [1, 4], integers: [1, 2, 3, 4]), nil, nil, four, four], "integer input")
        Eval.assertThrows(.normalization(.layer(LayerNormAttributes(axes: [1, 2]))), [x, Eval.random([4, 3], seed: 4)], "layer γ")
        Eval.assertThrows(.normalization(.layer(LayerNormAttributes(axes: [1, 1]))), [x], "repeated axes")
        Eval.assertThrows(.normalization(.group(GroupNormAttributes(groups: 3, axis: -1))), [x], "groups divide channels")
        Eval.assertThrows(.normalization(.group(GroupNormAttributes(groups: 2, axis: 0))), [x], "batch axis")
        Eval.assertThrows(.normalization(.instance(InstanceNormAttributes(layout: .channelsFirst))), [x, four, four], "instance scale")
        Eval.assertThrows(.normalization(.lp(LpNormAttributes(axis: -1, p: 3))), [x], "p")
        Eval.assertThrows(.normalization(.localResponse(LRNAttributes(size: 0))), [x], "LRN size")
        Eval.assertThrows(.normalization(.standardize(StandardizeAttributes(axes: [-1]))), [x, three, three], "mean shape")
        Eval.assertThrows(.normalization(.rescale(RescaleAttributes(scale: [1, 2]))), [x], "scale count")
        Eval.assertThrows(.normalization(.rescale(RescaleAttributes(scale: []))), [x], "empty scale")
    }
}
