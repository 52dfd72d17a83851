import Foundation
import ModelIR
import XCTest

/// ConvInteger, MatMulInteger, QLinearConv, QLinearMatMul: ONNX's examples, naive loops over
/// sweeps of small shapes (zero points per tensor, per row, per column, per output channel), and
/// onnxruntime's requantization (float32 scale, rounding half to even, saturation).
final class QuantizedProductTests: XCTestCase {
    private func conv(_ kernel: [Int], strides: [Int]? = nil, dilations: [Int]? = nil, pads: [Int]? = nil, groups: Int = 1,
                      filters: Int) -> ConvAttributes {
        let n = kernel.count
        let padding: Padding = pads.map { .explicit(begin: Array($0[..<n]), end: Array($0[n...])) } ?? .valid
        return ConvAttributes(filters: filters, kernelSize: kernel, strides: strides, dilations: dilations, padding: padding,
                              groups: groups, layout: .channelsFirst, kernelLayout: .spatialLast)
    }

    func testONNXExamples() throws {
        // MatMulInteger's example (onnx/backend/test/case/node/matmulinteger.py).
        let a = ints([11, 7, 3, 10, 6, 2, 9, 5, 1, 8, 4, 0], [4, 3], .uint8)
        let b = ints([1, 4, 2, 5, 3, 6], [3, 2], .uint8)
        let y = try evaluate(.quantization(.matMulInteger), [a, b, ints([12], [], .uint8), ints([0], [], .uint8)])[0]
        XCTAssertEqual(y.dtype, .int32)
        XCTAssertEqual(y.shape, [4, 2])
        XCTAssertEqual(y.integers, [-38, -83, -44, -98, -50, -113, -56, -128])
        // ConvInteger's examples, without and with padding.
        let x = ints(Array(2...10), [1, 1, 3, 3], .uint8)
        let w = ints([1, 1, 1, 1], [1, 1, 2, 2], .uint8)
        let c = try evaluate(.quantization(.convInteger(conv([2, 2], filters: 1))), [x, w, ints([1], [], .uint8)])[0]
        XCTAssertEqual(c.shape, [1, 1, 2, 2])
        XCTAssertEqual(c.integers, [12, 16, 24, 28])
        let padded = try evaluate(.quantization(.convInteger(conv([2, 2], pads: [1, 1, 1, 1], filters: 1))), [x, w, ints([1], [], .uint8)])[0]
        XCTAssertEqual(padded.integers, [1, 3, 5, 3, 5, 12, 16, 9, 11, 24, 28, 15, 7, 15, 17, 9])
        // QLinearMatMul's example (onnxruntime gives the same).
        let qa = ints([208, 236, 0, 238, 3, 214, 255, 29], [2, 4], .uint8)
        let qb = ints([152, 51, 244, 60, 26, 255, 0, 127, 246, 127, 254, 247], [4, 3], .uint8)
        let q = try evaluate(.quantization(.qLinearMatMul), [qa, tensor([0.0066], []), ints([113], [], .uint8),
                                                             qb, tensor([0.00705], []), ints([114], [], .uint8),
                                                             tensor([0.0107], []), ints([118], [], .uint8)])[0]
        XCTAssertEqual(q.dtype, .uint8)
        XCTAssertEqual(q.integers, [168, 115, 255, 1, 66, 151])
    }

    func testMatMulIntegerAgainstNaiveLoopsWithZeroPointsPerRowAndColumn() throws {
        for (seed, (m, k, n, batch)) in [(2, 3, 4, 1), (1, 5, 1, 3), (4, 1, 3, 2), (3, 7, 5, 2)].enumerated() {
            for signed in [false, true] {
                let type: DType = signed ? .int8 : .uint8
                let range = signed ? 127 : 255
                let shift = signed ? 0.0 : 128.0
                let av = seededValues(batch * m * k, seed: UInt64(seed), range: 127).map { min(Double(range), $0 + shift) }
                let bv = seededValues(k * n, seed: UInt64(seed + 10), range: 127).map { min(Double(range), $0 + shift) }
                let az = seededValues(m, seed: UInt64(seed + 20), range: 20).map { $0 + shift }
                let bz = seededValues(n, seed: UInt64(seed + 30), range: 20).map { $0 + shift }
                let y = try evaluate(.quantization(.matMulInteger), [tensor(av, [batch, m, k], type), tensor(bv, [k, n], type),
                                                                     tensor(az, [m], type), tensor(bz, [n], type)])[0]
                XCTAssertEqual(y.shape, [batch, m, n])
                var expected: [Int64] = []
                for p in 0..<batch {
                    for i in 0..<m {
                        for j in 0..<n {
                            var sum: Int64 = 0
                            for r in 0..<k { sum += Int64(av[(p * m + i) * k + r] - az[i]) * Int64(bv[r * n + j] - bz[j]) }
                            expected.append(sum)
                        }
                    }
                }
                XCTAssertEqual(y.integers, expected, "m \(m) k \(k) n \(n) batch \(batch) \(type)")
            }
        }
    }

    func testConvIntegerAgainstNaiveLoopsOverASweep() throws {
        var rng = SweepRandom(seed: 7)
        for trial in 0..<24 {
            let groups = [1, 1, 2, 3][trial % 4]
            let cPerGroup = rng.int(1...3), fPerGroup = rng.int(1...3)
            let channels = cPerGroup * groups, filters = fPerGroup * groups
            let kh = rng.int(1...3), kw = rng.int(1...3)
            let sh = rng.int(1...2), sw = rng.int(1...2), dh = rng.int(1...2), dw = rng.int(1...2)
            let pads = [rng.int(0...1), rng.int(0...2), rng.int(0...1), rng.int(0...2)]
            let h = (kh - 1) * dh + 1 + rng.int(0...3), w = (kw - 1) * dw + 1 + rng.int(0...3)
            let x = (0..<(2 * channels * h * w)).map { _ in Int64(rng.int(0...255)) }
            let kernel = (0..<(filters * cPerGroup * kh * kw)).map { _ in Int64(rng.int(-128...127)) }
            let xz = Int64(rng.int(0...255))
            let wz = (0..<filters).map { _ in Int64(rng.int(-5...5)) }
            let a = conv([kh, kw], strides: [sh, sw], dilations: [dh, dw], pads: pads, groups: groups, filters: filters)
            let y = try evaluate(.quantization(.convInteger(a)), [
                Tensor(shape: [2, channels, h, w], integers: x, dtype: .uint8),
                Tensor(shape: [filters, cPerGroup, kh, kw], integers: kernel, dtype: .int8),
                Tensor(shape: [], integers: [xz], dtype: .uint8),
                Tensor(shape: [filters], integers: wz, dtype: .int8),
            ])[0]
            let oh = (h + pads[0] + pads[2] - (kh - 1) * dh - 1) / sh + 1, ow = (w + pads[1] + pads[3] - (kw - 1) * dw - 1) / sw + 1
            XCTAssertEqual(y.shape, [2, filters, oh, ow])
            var expected: [Int64] = []
            for n in 0..<2 {
                for f in 0..<filters {
                    let g = f / fPerGroup
                    for oy in 0..<oh {
                        for ox in 0..<ow {
                            var sum: Int64 = 0
                            for c in 0..<cPerGroup {
                                for ky in 0..<kh {
                                    for kx in 0..<kw {
                                        let iy = oy * sh - pads[0] + ky * dh, ix = ox * sw - pads[1] + kx * dw
                                        guard iy >= 0, iy < h, ix >= 0, ix < w else { continue }
                                        let xv = x[((n * channels + g * cPerGroup + c) * h + iy) * w + ix] - xz
                                        sum += xv * (kernel[((f * cPerGroup + c) * kh + ky) * kw + kx] - wz[f])
                                    }
                                }
                            }
                            expected.append(sum)
                        }
                    }
                }
            }
            XCTAssertEqual(y.integers, expected, "trial \(trial)")
        }
    }

    func testQLinearConvRequantizesAsOnnxruntime() throws {
        // A 1×1 convolution with weight 1 passes the sum straight to requantization: with scale
        // x_scale·w_scale/y_scale = 0.5 the sums 1, 3, 5, -1, -3 land on ties (0.5, 1.5, 2.5, …),
        // which round to even; the bias adds before scaling; large sums saturate.
        let a = conv([1, 1], filters: 2)
        let x = ints([1, 3, 5, 255, 0, 7], [1, 1, 1, 6], .uint8)
        let w = ints([1, 2], [2, 1, 1, 1], .int8)
        let y = try evaluate(.quantization(.qLinearConv(a)), [
            x, tensor([0.25], []), ints([0], [], .uint8),
            w, tensor([2, 1], [2]), ints([0, 0], [2], .int8),
            tensor([1], []), ints([10], [], .int8), ints([0, -4], [2], .int32),
        ])[0]
        XCTAssertEqual(y.dtype, .int8)
        // Channel 0: sums 1, 3, 5, 255, 0, 7 at scale 0.5 → 0.5→0, 1.5→2, 2.5→2, 127.5→128→117 cap, 0, 3.5→4; +10.
        // Channel 1: (2x − 4) at scale 0.25 → -0.5→-0, 0.5→0, 1.5→2, 126.5→126 → +10 = 136 → 127, -1→-1, 2.5→2.
        XCTAssertEqual(y.integers, [10, 12, 12, 127, 10, 14, 10, 10, 12, 127, 9, 12])
        XCTAssertThrowsError(try evaluate(.quantization(.qLinearConv(a)), [
            x, tensor([0.25], []), ints([0], [], .uint8), w, tensor([2, 1, 1], [3]), ints([0, 0], [2], .int8),
            tensor([1], []), ints([10], [], .int8),
        ]), "three kernel scales for two filters")
    }

    func testQLinearGlobalAveragePoolInEitherLayout() throws {
        var rng = SweepRandom(seed: 11)
        let (n, c, h, w) = (2, 3, 4, 5)
        let x = (0..<(n * c * h * w)).map { _ in Int64(rng.int(0...255)) }
        var nhwc = [Int64](repeating: 0, count: x.count)
        for i in 0..<n { for j in 0..<c { for p in 0..<(h * w) { nhwc[(i * h * w + p) * c + j] = x[(i * c + j) * h * w + p] } } }
        let params = [tensor([0.05], []), ints([100], [], .uint8), tensor([0.02], []), ints([3], [], .uint8)]
        let first = try evaluate(.quantization(.qLinearGlobalAveragePool(QLinearPoolAttributes())),
                                 [Tensor(shape: [n, c, h, w], integers: x, dtype: .uint8)] + params)[0]
        let last = try evaluate(.quantization(.qLinearGlobalAveragePool(QLinearPoolAttributes(channelsLast: true))),
                                [Tensor(shape: [n, h, w, c], integers: nhwc, dtype: .uint8)] + params)[0]
        XCTAssertEqual(first.shape, [n, c, 1, 1])
        XCTAssertEqual(last.shape, [n, 1, 1, c])
        XCTAssertEqual(first.integers, last.integers)
        // (mean − 100) · 0.05 / 0.02 + 3, rounded half to even, clamped to 0…255.
        for i in 0..<n {
            for j in 0..<c {
                let sum = x[((i * c + j) * h * w)..<((i * c + j + 1) * h * w)].reduce(0, +) - 100 * Int64(h * w)
                let scale = Float(0.05) / (Float(0.02) * Float(h * w))
                let expected = min(255, max(0, Int64((Float(sum) * scale).rounded(.toNearestOrEven)) + 3))
                XCTAssertEqual(first.integers[i * c + j], expected)
            }
        }
    }

    func testQLinearSoftmaxApproximatesSoftmaxAndAgreesAcrossSignedness() throws {
        let row: [Int] = [10, 200, 180, 250, 0, 255, 128, 64]
        let scale = 0.05
        let y = try evaluate(.quantization(.qLinearSoftmax(QLinearSoftmaxAttributes(axis: -1, opset: 13))),
                             [ints(row, [1, 8], .uint8), tensor([scale], []), ints([0], [], .uint8), tensor([1.0 / 256], []),
                              ints([0], [], .uint8)])[0]
        let exps = row.map { exp(Double($0 - 255) * scale) }
        let total = exps.reduce(0, +)
        for (q, e) in zip(y.integers, exps) { XCTAssertEqual(Double(q), 256 * e / total, accuracy: 1) }
        // The same values as int8 (v − 128) give the same probabilities, offset by the zero point.
        let s = try evaluate(.quantization(.qLinearSoftmax(QLinearSoftmaxAttributes(axis: -1, opset: 13))),
                             [ints(row.map { $0 - 128 }, [1, 8], .int8), tensor([scale], []), ints([0], [], .int8),
                              tensor([1.0 / 256], []), ints([-128], [], .int8)])[0]
        XCTAssertEqual(s.integers.map { $0 + 128 }, y.integers.map { min($0, 255) })
        // Opset 11's flattening: an axis of 1 over [1, 2, 4] is one row of 8.
        let flat = try evaluate(.quantization(.qLinearSoftmax(QLinearSoftmaxAttributes(axis: 1, opset: 11))),
                                [ints(row, [1, 2, 4], .uint8), tensor([scale], []), ints([0], [], .uint8), tensor([1.0 / 256], []),
                                 ints([0], [], .uint8)])[0]
        XCTAssertEqual(flat.integers, y.integers)
    }
}
