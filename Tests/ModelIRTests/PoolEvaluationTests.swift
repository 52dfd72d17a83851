import ModelIR
import XCTest

/// Pooling against direct loops that classify every tap of every window as a real cell, a padding
/// cell or outside the padded extent (reached only by a ceil-mode window).
final class PoolEvaluationTests: XCTestCase {
    enum Kind { case max, average(includePad: Bool), lp(Int) }

    static func naivePool(_ x: Tensor, _ kind: Kind, layout: DataLayout, kernel: [Int], strides: [Int], dilations: [Int],
                          begin: [Int], end: [Int], outSpatial: [Int]) -> [Double] {
        let rank = x.shape.count
        let channels = x.shape[layout == .channelsFirst ? 1 : rank - 1]
        let inSpatial = layout == .channelsFirst ? Array(x.shape[2...]) : Array(x.shape[1..<(rank - 1)])
        let outShape = ConvEvaluationTests.activationShape(batch: x.shape[0], channels: channels, spatial: outSpatial, layout)
        let xs = x.doubles
        var y = [Double](repeating: 0, count: outShape.reduce(1, *))
        let taps = Eval.indices(kernel), positions = Eval.indices(outSpatial)
        for n in 0..<x.shape[0] {
            for c in 0..<channels {
                for o in positions {
                    var real: [Double] = [], padded = 0
                    for k in taps {
                        let i = (0..<o.count).map { o[$0] * strides[$0] + k[$0] * dilations[$0] - begin[$0] }
                        if zip(i, inSpatial).allSatisfy({ $0 >= 0 && $0 < $1 }) {
                            real.append(xs[Eval.flat(ConvEvaluationTests.activationIndex(n, c, i, layout), x.shape)])
                        } else if (0..<i.count).allSatisfy({ i[$0] >= -begin[$0] && i[$0] < inSpatial[$0] + end[$0] }) {
                            padded += 1
                        }
                    }
                    let value: Double
                    switch kind {
                    case .max:
                        value = real.contains(where: \.isNaN) ? .nan : (real.max() ?? -Double(Float.greatestFiniteMagnitude))
                    case .average(let includePad):
                        value = real.reduce(0, +) / Double(real.count + (includePad ? padded : 0))
                    case .lp(let p):
                        value = Foundation.pow(real.map { Foundation.pow(abs($0), Double(p)) }.reduce(0, +), 1 / Double(p))
                    }
                    y[Eval.flat(ConvEvaluationTests.activationIndex(n, c, o, layout), outShape)] = value
                }
            }
        }
        return y
    }

    /// ONNX's output size (and PyTorch's): floor, or ceil dropping a window that starts in the end padding.
    static func outputSize(_ size: Int, kernel: Int, stride: Int, dilation: Int, begin: Int, end: Int, ceil: Bool) -> Int {
        let span = size + begin + end - (kernel - 1) * dilation - 1
        if !ceil { return span / stride + 1 }
        var out = (span + stride - 1) / stride + 1
        if (out - 1) * stride >= size + begin { out -= 1 }
        return out
    }

    func testWindowedPoolingSweepMatchesDirectLoops() throws {
        var random = SweepRandom(seed: 5)
        var cases = 0
        for spatialRank in 1...3 {
            for layout in [DataLayout.channelsFirst, .channelsLast] {
                for trial in 0..<(spatialRank == 3 ? 12 : 30) {
                    let kernel = (0..<spatialRank).map { _ in random.int(1...3) }
                    let strides = (0..<spatialRank).map { _ in random.int(1...3) }
                    let dilations = (0..<spatialRank).map { _ in random.pick([1, 1, 2]) }
                    let sizes = (0..<spatialRank).map { i in (kernel[i] - 1) * dilations[i] + 1 + random.int(0...(spatialRank == 3 ? 3 : 6)) }
                    let ceil = random.bool()
                    var padding: Padding
                    var begin: [Int], end: [Int], outSpatial: [Int]
                    switch trial % 4 {
                    case 0, 1:
                        // Explicit pads below the window, as ONNX requires.
                        begin = kernel.map { random.int(0...($0 - 1)) }
                        end = kernel.map { random.int(0...($0 - 1)) }
                        padding = .explicit(begin: begin, end: end)
                        outSpatial = sizes.indices.map {
                            Self.outputSize(sizes[$0], kernel: kernel[$0], stride: strides[$0], dilation: dilations[$0],
                                            begin: begin[$0], end: end[$0], ceil: ceil)
                        }
                    case 2:
                        padding = random.bool() ? .same : .sameLower
                        (begin, end) = ConvEvaluationTests.samePads(sizes, kernel: kernel, strides: strides, dilations: dilations,
                                                                    lower: padding == .sameLower)
                        outSpatial = sizes.indices.map { (sizes[$0] + strides[$0] - 1) / strides[$0] }
                    default:
                        padding = .valid
                        begin = sizes.map { _ in 0 }; end = begin
                        outSpatial = sizes.indices.map {
                            Self.outputSize(sizes[$0], kernel: kernel[$0], stride: strides[$0], dilation: dilations[$0],
                                            begin: 0, end: 0, ceil: ceil)
                        }
                    }
                    let attrs = PoolAttributes(poolSize: kernel, strides: strides, dilations: dilations, padding: padding,
                                               ceilMode: ceil, countIncludePad: random.bool(), p: random.int(1...3), layout: layout)
                    let x = Eval.random(ConvEvaluationTests.activationShape(batch: 2, channels: random.int(1...3), spatial: sizes, layout),
                                        seed: random.next())
                    let outShape = ConvEvaluationTests.activationShape(batch: 2, channels: x.shape[layout == .channelsFirst ? 1 : spatialRank + 1],
                                                                       spatial: outSpatial, layout)
                    let ops: [(Op, Kind)] = [(.pool(.max(attrs)), .max), (.pool(.average(attrs)), .average(includePad: attrs.countIncludePad)),
                                             (.pool(.lp(attrs)), .lp(attrs.p))]
                    for (op, kind) in ops {
                        let expected = Self.naivePool(x, kind, layout: layout, kernel: kernel, strides: strides, dilations: dilations,
                                                      begin: begin, end: end, outSpatial: outSpatial)
                        Eval.assertClose(try Eval.run(op, [x]), expected, shape: outShape, "\(op) on \(x.shape)")
                        cases += 1
                    }
                }
            }
        }
        XCTAssertEqual(cases, 3 * (2 * 30 * 2 + 2 * 12))
    }

    func testGlobalPoolingMatchesDirectLoops() throws {
        for layout in [DataLayout.channelsFirst, .channelsLast] {
            for spatial in [[5], [3, 4], [2, 3, 2]] {
                for keepDims in [false, true] {
                    let x = Eval.random(ConvEvaluationTests.activationShape(batch: 2, channels: 3, spatial: spatial, layout), seed: 9)
                    let xs = x.doubles
                    var maxima: [Double] = [], means: [Double] = [], norms: [Double] = []
                    for n in 0..<2 {
                        for c in 0..<3 {
                            let values = Eval.indices(spatial).map { xs[Eval.flat(ConvEvaluationTests.activationIndex(n, c, $0, layout), x.shape)] }
                            maxima.append(values.max() ?? 0)
                            means.append(values.reduce(0, +) / Double(values.count))
                            norms.append(Foundation.pow(values.map { abs($0) * abs($0) * abs($0) }.reduce(0, +), 1.0 / 3))
                        }
                    }
                    let kept = keepDims ? ConvEvaluationTests.activationShape(batch: 2, channels: 3, spatial: spatial.map { _ in 1 }, layout) : [2, 3]
                    let a = GlobalPoolAttributes(keepDims: keepDims, layout: layout, p: 3)
                    Eval.assertClose(try Eval.run(.pool(.globalMax(a)), [x]), maxima, shape: kept)
                    Eval.assertClose(try Eval.run(.pool(.globalAverage(a)), [x]), means, shape: kept)
                    Eval.assertClose(try Eval.run(.pool(.globalLp(a)), [x]), norms, shape: kept)
                }
            }
        }
    }

    // MARK: - Hand-computed values (ONNX backend test cases)

    func testOnnxBackendCases() throws {
        let x = Tensor(shape: [1, 1, 4, 4], floats: (1...16).map(Float.init))
        // test_maxpool_2d_ceil / test_averagepool_2d_ceil: kernel 3, strides 2, ceil_mode.
        let ceil = PoolAttributes(poolSize: [3, 3], strides: [2, 2], ceilMode: true, layout: .channelsFirst)
        XCTAssertEqual(try Eval.run(.pool(.max(ceil)), [x]).floats, [11, 12, 15, 16])
        XCTAssertEqual(try Eval.run(.pool(.average(ceil)), [x]).floats, [6, 7.5, 12, 13.5])
        // count_include_pad with ceil_mode: the last window's taps past the end padding never count.
        var include = ceil; include.countIncludePad = true; include.padding = .explicit(begin: [1, 1], end: [1, 1])
        // Windows start at −1, 1 and 3; the padded extent is −1…4. The first covers rows/cols −1…1
        // (9 taps, 4 real: 1, 2, 5, 6); the last column window covers 3, 4 (padding) and 5 (beyond).
        let y = try Eval.run(.pool(.average(include)), [x]).floats
        XCTAssertEqual(y.count, 9)
        XCTAssertEqual(y[0], 14 / 9)
        XCTAssertEqual(y[2], (4 + 8) / 6)
        XCTAssertEqual(y[8], 16 / 4)
        // test_maxpool_2d_dilations: 4×4, kernel 2, dilation 2, stride 1 → [[11, 12], [15, 16]].
        let dilated = PoolAttributes(poolSize: [2, 2], strides: [1, 1], dilations: [2, 2], layout: .channelsFirst)
        XCTAssertEqual(try Eval.run(.pool(.max(dilated)), [x]).floats, [11, 12, 15, 16])
        // Keras AveragePooling2D, same padding: edge windows divide by their real cells only.
        let same = PoolAttributes(poolSize: [2, 2], strides: [2, 2], padding: .same, layout: .channelsLast)
        let three = Tensor(shape: [1, 3, 3, 1], floats: (1...9).map(Float.init))
        XCTAssertEqual(try Eval.run(.pool(.average(same)), [three]).floats, [3, 4.5, 7.5, 9])
        // LpPool p=2 over a 2×2 window of [3, 4, 0, 0]: 5.
        let lp = PoolAttributes(poolSize: [2, 2], p: 2, layout: .channelsFirst)
        XCTAssertEqual(try Eval.run(.pool(.lp(lp)), [Tensor(shape: [1, 1, 2, 2], floats: [3, 4, 0, 0])]).floats, [5])
    }

    func testMaxPoolingPropagatesNaNAndHandlesEmptyWindows() throws {
        let a = PoolAttributes(poolSize: [2], strides: [2], layout: .channelsFirst)
        let y = try Eval.run(.pool(.max(a)), [Tensor(shape: [1, 1, 4], floats: [1, .nan, -3, -4])]).floats
        XCTAssertTrue(y[0].isNaN)
        XCTAssertEqual(y[1], -3)
        // A window entirely in the begin padding: onnxruntime's lowest float.
        let padded = PoolAttributes(poolSize: [2], strides: [1], padding: .explicit(begin: [2], end: [0]), layout: .channelsFirst)
        XCTAssertEqual(try Eval.run(.pool(.max(padded)), [Tensor(shape: [1, 1, 2], floats: [5, 6])]).floats,
                       [-Float.greatestFiniteMagnitude, 5, 6])
    }

    func testIntegerMaxPooling() throws {
        let a = PoolAttributes(poolSize: [2, 2], strides: [1, 1], padding: .explicit(begin: [1, 0], end: [0, 0]), layout: .channelsLast)
        let signed = Tensor(shape: [1, 2, 2, 1], integers: [-100, -7, -3, -128], dtype: .int8)
        let y = try Eval.run(.pool(.max(a)), [signed])
        XCTAssertEqual(y.dtype, .int8)
        XCTAssertEqual(y.shape, [1, 2, 1, 1])
        XCTAssertEqual(y.integers, [-7, -3])
        let unsigned = Tensor(shape: [1, 2, 2, 1], integers: [200, 7, 3, 255], dtype: .uint8)
        XCTAssertEqual(try Eval.run(.pool(.max(a)), [unsigned]).integers, [200, 255])
        let wide = Tensor(shape: [1, 1, 3], integers: [Int64.min, Int64.min + 1, 5], dtype: .int64)
        let b = PoolAttributes(poolSize: [2], strides: [1], layout: .channelsFirst)
        XCTAssertEqual(try Eval.run(.pool(.max(b)), [wide]).integers, [Int64.min + 1, 5])
        let big = Tensor(shape: [1, 1, 2], integers: [Int64(bitPattern: UInt64.max), 1], dtype: .uint64)
        XCTAssertEqual(try Eval.run(.pool(.max(b)), [big]).integers, [Int64(bitPattern: UInt64.max)])
    }

    func testHalfAndDoublePrecision() throws {
        let a = PoolAttributes(poolSize: [3, 3], strides: [2, 2], padding: .same, layout: .channelsFirst)
        let x = Eval.random([1, 2, 7, 6], seed: 4)
        let reference = try Eval.run(.pool(.average(a)), [x.converted(to: .float64)])
        XCTAssertEqual(reference.dtype, .float64)
        for dtype in [DType.float16, .bfloat16] {
            let narrow = x.converted(to: dtype)
            let expected = try Eval.run(.pool(.average(a)), [narrow.converted(to: .float64)]).doubles
            let y = try Eval.run(.pool(.average(a)), [narrow])
            XCTAssertEqual(y.dtype, dtype)
            Eval.assertClose(y, expected, shape: reference.shape, atol: 1e-3, rtol: dtype == .float16 ? 1e-3 : 8e-3)
        }
    }

    func testBadPoolingThrows() {
        let x = Eval.random([1, 2, 5, 5], seed: 1)
        Eval.assertThrows(.pool(.max(PoolAttributes(poolSize: [2], layout: .channelsFirst))), [x], "rank")
        Eval.assertThrows(.pool(.average(PoolAttributes(poolSize: [2, 2], layout: .channelsFirst))),
                          [Tensor(shape: [1, 1, 2, 2], integers: [1, 2, 3, 4])], "integer average")
        Eval.assertThrows(.pool(.lp(PoolAttributes(poolSize: [2, 2], p: 0, layout: .channelsFirst))), [x], "p = 0")
        Eval.assertThrows(.pool(.globalLp(GlobalPoolAttributes(layout: .channelsFirst, p: -1))), [x], "global p")
        Eval.assertThrows(.pool(.max(PoolAttributes(poolSize: [6, 6], layout: .channelsFirst))), [x], "window over input")
        Eval.assertThrows(.pool(.max(PoolAttributes(poolSize: [2, 0], layout: .channelsFirst))), [x], "zero window")
        let hostile = PoolAttributes(poolSize: [1 << 40], strides: [1], padding: .explicit(begin: [1 << 41], end: [1 << 41]),
                                     layout: .channelsFirst)
        Eval.assertThrows(.pool(.average(hostile)), [Eval.random([1, 1, 3], seed: 2)], "huge output")
        // A 2^40 window with a 2^39 stride has three outputs (windows from −2^40 + 2, −2^39 + 2 and 2);
        // the work follows the real cells, and all 2^40 taps are inside the padded extent.
        let sparse = PoolAttributes(poolSize: [1 << 40], strides: [1 << 39], padding: .explicit(begin: [(1 << 40) - 2], end: [1 << 40]),
                                    countIncludePad: true, layout: .channelsFirst)
        let y = try? Eval.run(.pool(.average(sparse)), [Tensor(shape: [1, 1, 4], floats: [1, 2, 3, 6])])
        XCTAssertEqual(y?.shape, [1, 1, 3])
        XCTAssertEqual(y?.floats, [3, 12, 9].map { $0 / Float(1 << 40) })
        Eval.assertThrows(.pool(.globalMax(GlobalPoolAttributes(layout: .channelsFirst))), [Eval.random([2, 3], seed: 1)], "global rank")
    }
}
