import Foundation
import ModelIR
import XCTest

/// A per-element Resize written as the ONNX reference's original scalar version
/// (`_interpolate_nd_with_x`): recursion over axes, neighbours chosen by sorting distances on
/// an edge-padded copy, `output_width = scale · length` as there.
private struct NaiveResize {
    var a: ResizeAttributes

    func coefficients(_ ratio: Double, _ scale: Double) -> [Double] {
        switch a.mode {
        case .nearest:
            if ratio == 1 { return [0, 1] }
            switch a.nearestMode {
            case .roundPreferFloor: return ratio <= 0.5 ? [1, 0] : [0, 1]
            case .roundPreferCeil: return ratio < 0.5 ? [1, 0] : [0, 1]
            case .floor: return [1, 0]
            case .ceil: return [0, 1]
            }
        case .linear:
            if !a.antialias { return [1 - ratio, ratio] }
            let s = min(scale, 1)
            let start = Int((-1 / s).rounded(.down)) + 1
            let c = (start..<(start + 2 - 2 * start)).map { min(max(1 - abs((Double($0) - ratio) * s), 0), 1) }
            return c.map { $0 / c.reduce(0, +) }
        case .cubic:
            let A = Double(a.cubicCoefficient)
            func k(_ x: Double) -> Double {
                let x = abs(x)
                if x <= 1 { return (A + 2) * x * x * x - (A + 3) * x * x + 1 }
                if x < 2 { return A * x * x * x - 5 * A * x * x + 8 * A * x - 4 * A }
                return 0
            }
            if !a.antialias { return [k(ratio + 1), k(ratio), k(1 - ratio), k(2 - ratio)] }
            let s = min(scale, 1)
            let start = Int((-2 / s).rounded(.down)) + 1
            let c = (start..<(2 - start)).map { k(s * (Double($0) - ratio)) }
            return c.map { $0 / c.reduce(0, +) }
        }
    }

    func interpolate1D(_ data: [Double], scale: Double, outSize: Int, y: Int, roi: (Double, Double)) -> Double {
        // An axis Resize does not list, or resizes to itself (scale 1, no region), is not
        // touched: the reference skips it.
        if scale == 1, outSize == data.count, a.coordinateTransformation != .tfCropAndResize || roi == (0, 1) { return data[y] }
        let n = Double(data.count), yy = Double(y), width = scale * n
        let x: Double
        switch a.coordinateTransformation {
        case .halfPixel: x = (yy + 0.5) / scale - 0.5
        case .halfPixelSymmetric: x = n / 2 * (1 - Double(outSize) / width) + (yy + 0.5) / scale - 0.5
        case .pytorchHalfPixel: x = width == 1 ? -0.5 : (yy + 0.5) / scale - 0.5
        case .alignCorners: x = width == 1 ? 0 : yy * (n - 1) / (width - 1)
        case .asymmetric: x = yy / scale
        case .tfHalfPixelForNN: x = (yy + 0.5) / scale
        case .tfCropAndResize:
            x = width != 1 ? roi.0 * (n - 1) + yy * (roi.1 - roi.0) * (n - 1) / (width - 1) : 0.5 * (roi.0 + roi.1) * (n - 1)
            if x < 0 || x > n - 1 { return Double(a.extrapolationValue) }
        }
        let ratio = x == x.rounded(.down) ? 1 : x - x.rounded(.down)
        var c = coefficients(ratio, scale)
        let pad = (c.count + 1) / 2
        let padded = [Double](repeating: data[0], count: pad) + data + [Double](repeating: data[data.count - 1], count: pad)
        let xp = x + Double(pad)
        let chosen = padded.indices.sorted { (abs(xp - Double($0)), $0) < (abs(xp - Double($1)), $1) }.prefix(c.count).sorted()
        if a.excludeOutside, a.mode != .nearest {
            for (t, i) in chosen.enumerated() where i - pad < 0 || i - pad >= data.count { c[t] = 0 }
            let sum = c.reduce(0, +)
            c = c.map { $0 / sum }
        }
        return zip(c, chosen).reduce(0) { $0 + $1.0 * padded[$1.1] }
    }

    /// The element at output index `y` of `data` (shape `shape`).
    func element(_ data: [Double], _ shape: [Int], scales: [Double], outSizes: [Int], rois: [(Double, Double)], _ y: [Int]) -> Double {
        if shape.count == 1 { return interpolate1D(data, scale: scales[0], outSize: outSizes[0], y: y[0], roi: rois[0]) }
        let inner = shape.dropFirst().reduce(1, *)
        let column = (0..<shape[0]).map { i in
            element(Array(data[(i * inner)..<((i + 1) * inner)]), Array(shape.dropFirst()), scales: Array(scales.dropFirst()),
                    outSizes: Array(outSizes.dropFirst()), rois: Array(rois.dropFirst()), Array(y.dropFirst()))
        }
        return interpolate1D(column, scale: scales[0], outSize: outSizes[0], y: y[0], roi: rois[0])
    }

    func run(_ data: [Double], _ shape: [Int], scales: [Double], outSizes: [Int], rois: [(Double, Double)]) -> [Double] {
        Naive.indices(outSizes).map { element(data, shape, scales: scales, outSizes: outSizes, rois: rois, $0) }
    }
}

final class ResizeEvaluationTests: XCTestCase {
    private func resize(_ a: ResizeAttributes, _ x: Tensor, roi: Tensor? = nil, scales: [Float]? = nil, sizes: [Int]? = nil) throws -> Tensor {
        let s = scales.map { Tensor(shape: [$0.count], floats: $0) }
        return try evaluate(.resize(a), [x, roi, s, sizes.map { ints($0) }])[0]
    }

    func testNearestUpsamplingByHand() throws {
        let x = tensor([1, 2, 3, 4], [1, 1, 2, 2])
        let a = ResizeAttributes(mode: .nearest, coordinateTransformation: .asymmetric, nearestMode: .floor)
        let y = try resize(a, x, scales: [1, 1, 2, 3])
        XCTAssertEqual(y.shape, [1, 1, 4, 6])
        XCTAssertEqual(y.floats, [1, 1, 1, 2, 2, 2, 1, 1, 1, 2, 2, 2, 3, 3, 3, 4, 4, 4, 3, 3, 3, 4, 4, 4])
        // Keras UpSampling2D on NHWC: sizes, only the spatial axes.
        let nhwc = tensor([1, 2, 3, 4], [1, 2, 1, 2], .int64)
        var b = a
        b.axes = [1, 2]
        let z = try resize(b, nhwc, sizes: [4, 2])
        XCTAssertEqual(z.shape, [1, 4, 2, 2])
        XCTAssertEqual(z.integers, [1, 2, 1, 2, 1, 2, 1, 2, 3, 4, 3, 4, 3, 4, 3, 4])
    }

    func testLinearHalfPixelByHand() throws {
        // 1-D [0, 10] to 4: coordinates -0.25, 0.25, 0.75, 1.25 → clamped edges.
        let y = try resize(ResizeAttributes(mode: .linear), tensor([0, 10], [2]), scales: [2])
        XCTAssertEqual(y.floats, [0, 2.5, 7.5, 10])
        let c = try resize(ResizeAttributes(mode: .linear, coordinateTransformation: .alignCorners), tensor([0, 10], [2]), sizes: [5])
        XCTAssertEqual(c.floats, [0, 2.5, 5, 7.5, 10])
        // uint8 rounds half to even: 0.5 → 0, 1.5 → 2, as the reference's saturate_cast.
        let u = try resize(ResizeAttributes(mode: .linear, coordinateTransformation: .alignCorners), tensor([0, 3], [2], .uint8), sizes: [3])
        XCTAssertEqual(u.integers, [0, 2, 3])
        let v = try resize(ResizeAttributes(mode: .linear, coordinateTransformation: .alignCorners), tensor([0, 1], [2], .uint8), sizes: [3])
        XCTAssertEqual(v.integers, [0, 0, 1])
    }

    func testEveryModeAgainstTheScalarReference() throws {
        let shape = [2, 3, 4]
        let data = seededValues(24, seed: 5, range: 20).map { $0 / 4 }
        let modes: [(ResizeMode, NearestMode)] = [(.nearest, .roundPreferFloor), (.nearest, .roundPreferCeil), (.nearest, .floor),
                                                  (.nearest, .ceil), (.linear, .roundPreferFloor), (.cubic, .roundPreferFloor)]
        let transforms: [CoordinateTransformation] = [.halfPixel, .halfPixelSymmetric, .pytorchHalfPixel, .alignCorners, .asymmetric,
                                                      .tfHalfPixelForNN, .tfCropAndResize]
        // (scales, sizes) on axes 1 and 2.
        let targets: [([Float]?, [Int]?)] = [([2, 1.5], nil), ([0.5, 0.75], nil), ([1.7, 0.6], nil), (nil, [5, 3]), (nil, [1, 7]), (nil, [3, 4])]
        var checked = 0
        for (mode, nearest) in modes {
            for transform in transforms {
                if transform == .tfHalfPixelForNN && mode != .nearest { continue }
                for exclude in [false, true] {
                    for antialias in mode == .nearest ? [false] : [false, true] {
                        for (scales, sizes) in targets {
                            var a = ResizeAttributes(mode: mode, coordinateTransformation: transform, nearestMode: nearest,
                                                     cubicCoefficient: -0.5, excludeOutside: exclude, extrapolationValue: -9, axes: [1, -1])
                            a.antialias = antialias
                            let roiValues: [Float] = [0.2, -0.1, 0.9, 1.3]
                            let roi = transform == .tfCropAndResize ? Tensor(shape: [4], floats: roiValues) : nil
                            let rois = [(0, 1)] + [(roiValues[0], roiValues[2]), (roiValues[1], roiValues[3])].map { (Double($0), Double($1)) }
                            let outSizes = sizes ?? zip([3, 4], scales ?? []).map { Int((Double($0) * Double($1)).rounded(.down)) }
                            let axisScales = sizes.map { zip($0, [3.0, 4.0]).map { Double($0) / $1 } } ?? (scales ?? []).map(Double.init)
                            let naive = NaiveResize(a: a).run(data, shape, scales: [1] + axisScales, outSizes: [2] + outSizes,
                                                              rois: rois)
                            let label = "\(mode) \(nearest) \(transform) exclude \(exclude) antialias \(antialias) \(scales ?? []) \(sizes ?? [])"
                            for dtype in [DType.float64, .float32] {
                                let y = try resize(a, tensor(data, shape, dtype), roi: roi, scales: scales, sizes: sizes)
                                XCTAssertEqual(y.shape, [2] + outSizes, label)
                                // Cubic weights and a float32 roi's span are float32, as onnxruntime and
                                // the reference compute them; the naive version stays in Double.
                                let float32Parts = mode == .cubic || transform == .tfCropAndResize
                                assertClose(y.doubles, naive, tolerance: dtype == .float64 && !float32Parts ? 1e-12 : 1e-5, "\(dtype) \(label)")
                            }
                            checked += 1
                            // Integers (every third configuration, to keep the sweep quick): rounded
                            // half to even and saturated (extrapolation -9 → 0). A tie
                            // the naive Double arithmetic puts a hair off .5 may round either way.
                            if checked % 3 != 0 { continue }
                            let shifted = data.map { $0 * 4 + 20 }
                            let naiveShifted = NaiveResize(a: a).run(shifted, shape, scales: [1] + axisScales, outSizes: [2] + outSizes,
                                                                     rois: rois)
                            let q = try resize(a, tensor(shifted, shape, .uint8), roi: roi, scales: scales, sizes: sizes)
                            for (actual, v) in zip(q.doubles, naiveShifted) {
                                let expected = min(max(v.rounded(.toNearestOrEven), 0), 255)
                                let tie = abs(abs(v - v.rounded(.towardZero)) - 0.5) < (mode == .cubic || transform == .tfCropAndResize ? 1e-4 : 1e-9)
                                XCTAssertLessThanOrEqual(abs(actual - expected), tie ? 1 : 0, "uint8 \(label): \(actual) for \(v)")
                            }
                        }
                    }
                }
            }
        }
        XCTAssertGreaterThan(checked, 300)
    }

    /// ONNX's `test_resize_downsample_scales_linear_align_corners`: the output width 4 · 0.6 = 2.4
    /// (not the integer 2) divides the input span, as the reference computes it.
    func testAlignCornersUsesTheFractionalOutputWidthAsTheBackendTests() throws {
        let x = tensor([1, 2, 3, 4, 5, 6, 7, 8], [1, 1, 2, 4])
        let y = try resize(ResizeAttributes(mode: .linear, coordinateTransformation: .alignCorners), x, scales: [1, 1, 0.6, 0.6])
        XCTAssertEqual(y.shape, [1, 1, 1, 2])
        assertClose(y.doubles, [1, 1 + 3 / 1.4], tolerance: 1e-6)
    }

    func testKeepAspectRatioPolicy() throws {
        let x = tensor((0..<12).map(Double.init), [1, 3, 4])
        var a = ResizeAttributes(mode: .nearest, axes: [1, 2])
        a.keepAspectRatioPolicy = "not_larger"
        // Scales 6/3 = 2 and 4/4 = 1: not_larger takes 1 for both axes.
        XCTAssertEqual(try resize(a, x, sizes: [6, 4]).shape, [1, 3, 4])
        a.keepAspectRatioPolicy = "not_smaller"
        let y = try resize(a, x, sizes: [6, 5])
        XCTAssertEqual(y.shape, [1, 6, 8])
        let naive = NaiveResize(a: a).run(x.doubles, [1, 3, 4], scales: [1, 2, 2], outSizes: [1, 6, 8], rois: [(0, 1), (0, 1), (0, 1)])
        XCTAssertEqual(y.doubles, naive)
        a.keepAspectRatioPolicy = "sideways"
        XCTAssertThrowsError(try resize(a, x, sizes: [6, 5]))
    }

    func testCropAndResizeExtrapolates() throws {
        let x = tensor([1, 2, 3, 4], [2, 2])
        let a = ResizeAttributes(mode: .linear, coordinateTransformation: .tfCropAndResize, extrapolationValue: 7)
        // The roi [-1, 0] to [0.5, 1] reaches outside rows: those get the extrapolation value.
        let y = try resize(a, x, roi: Tensor(shape: [4], floats: [-1, 0, 0.5, 1]), sizes: [3, 2])
        XCTAssertEqual(y.floats, [7, 7, 7, 7, 2, 3])
        XCTAssertThrowsError(try resize(a, x, sizes: [3, 2]), "tf_crop_and_resize without roi")
    }

    func testIdentityAndEmptyResizes() throws {
        let x = tensor(seededValues(6, seed: 3), [2, 3], .int64)
        XCTAssertEqual(try resize(ResizeAttributes(mode: .cubic), x, scales: [1, 1]), x)
        XCTAssertEqual(try resize(ResizeAttributes(mode: .linear), x, sizes: [0, 3]).shape, [0, 3])
        XCTAssertEqual(try resize(ResizeAttributes(mode: .linear), x, scales: [0.4, 1]).shape, [0, 3])
    }

    func testHostileResizesThrow() {
        let x = tensor([1, 2, 3, 4], [2, 2])
        let op = Op.tensor(.resize(ResizeAttributes(mode: .linear)))
        assertEvaluationThrows(op, [x, nil, nil, ints([1 << 40, 1 << 30])], "absurd sizes")
        assertEvaluationThrows(op, [x, nil, Tensor(shape: [2], floats: [1e30, 1]), nil], "absurd scale")
        assertEvaluationThrows(op, [x, nil, Tensor(shape: [2], floats: [-1, 1]), nil], "negative scale")
        assertEvaluationThrows(op, [x, nil, Tensor(shape: [2], floats: [.nan, 1]), nil], "NaN scale")
        assertEvaluationThrows(op, [x, nil, nil, ints([-2, 2])], "negative size")
        assertEvaluationThrows(op, [x, nil, nil, ints([2])], "too few sizes")
        assertEvaluationThrows(op, [x, nil, nil, nil], "neither scales nor sizes")
        assertEvaluationThrows(op, [tensor([], [0, 2]), nil, nil, ints([3, 2])], "empty axis resized up")
        assertEvaluationThrows(.tensor(.resize(ResizeAttributes(mode: .linear, coordinateTransformation: .tfCropAndResize))),
                               [x, Tensor(shape: [4], floats: [0, 0, .infinity, 1]), nil, ints([3, 3])], "infinite roi")
    }
}
