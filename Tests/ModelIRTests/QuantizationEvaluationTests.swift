import Foundation
import ModelIR
import XCTest

final class QuantizationEvaluationTests: XCTestCase {
    private func quantize(_ x: Tensor, _ scale: Tensor, _ zeroPoint: Tensor?, axis: Int = 1, outputType: DType? = nil,
                          blockSize: Int? = nil) throws -> Tensor {
        let a = QuantizeAttributes(axis: axis, outputType: outputType, blockSize: blockSize)
        return try evaluate(.quantization(.quantizeLinear(a)), [x, scale, zeroPoint])[0]
    }

    private func dequantize(_ x: Tensor, _ scale: Tensor, _ zeroPoint: Tensor?, axis: Int = 1, blockSize: Int? = nil) throws -> Tensor {
        try evaluate(.quantization(.dequantizeLinear(QuantizeAttributes(axis: axis, blockSize: blockSize))), [x, scale, zeroPoint])[0]
    }

    func testQuantizeRoundsHalfToEvenAndSaturates() throws {
        let x = tensor([0, 1, 2.5, -2.5, 3, -3, 1000, -1000, 4.5, 5.5], [10])
        let scale = tensor([0.5], [])   // x / 0.5: 0, 2, 5, -5, 6, -6, 2000, -2000, 9, 11
        XCTAssertEqual(try quantize(x, scale, nil).integers, [0, 2, 5, 0, 6, 0, 255, 0, 9, 11])   // uint8 without a zero point
        XCTAssertEqual(try quantize(x, scale, tensor([1], [], .int8)).integers, [1, 3, 6, -4, 7, -5, 127, -128, 10, 12])
        let halves = tensor([0.5, 1.5, 2.5, -0.5, -1.5], [5])
        XCTAssertEqual(try quantize(halves, tensor([1], []), tensor([0], [], .int8)).integers, [0, 2, 2, 0, -2])
        XCTAssertEqual(try quantize(x, scale, tensor([-30000], [], .int16)).integers, [-30000, -29998, -29995, -30005, -29994, -30006, -28000, -32000, -29991, -29989])
        XCTAssertEqual(try quantize(x, scale, tensor([60000], [], .uint16)).integers, [60000, 60002, 60005, 59995, 60006, 59994, 62000, 58000, 60009, 60011])
        let q32 = try quantize(tensor([1e10, -1e10, 7], [3]), tensor([1], []), nil, outputType: .int32)
        XCTAssertEqual(q32.dtype, .int32)
        XCTAssertEqual(q32.integers, [Int64(Int32.max), Int64(Int32.min), 7])
        XCTAssertEqual(try quantize(tensor([.nan], [1]), tensor([1], []), tensor([3], [], .uint8)).integers, [3])
    }

    func testQuantizeDividesInFloat32AsNumPy() throws {
        // 0.35f / 0.1f is 3.4999999 in Double but rounds to 3.5 in float32, which rounds to even 4:
        // NumPy (and onnxruntime) divide in float32, so the answer is 4, not 3.
        let x = tensor([Double(Float(0.35)), 0.75], [2])
        let scale = tensor([Double(Float(0.1))], [])
        XCTAssertEqual(try quantize(x, scale, tensor([0], [], .int8)).integers, [4, 8])
        // float16 input and scale divide in float16.
        let h = try quantize(tensor([3, 5], [2], .float16), tensor([2], [], .float16), tensor([0], [], .int8))
        XCTAssertEqual(h.integers, [2, 2])
    }

    func testPerAxisQuantizationAndDequantization() throws {
        let x = tensor([1, 2, 3, 4, 5, 6, -1, -2, -3, -4, -5, -6], [2, 3, 2])
        let scales = tensor([1, 0.5, 2], [3])
        let zeros = tensor([0, 10, -10], [3], .int8)
        let q = try quantize(x, scales, zeros, axis: 1)
        let expected: [Int64] = [1, 2, 16, 18, -8, -7, -1, -2, 4, 2, -12, -13]
        XCTAssertEqual(q.integers, expected)
        let d = try dequantize(q, scales, zeros, axis: -2)
        XCTAssertEqual(d.dtype, .float32)
        XCTAssertEqual(d.floats, [1, 2, 3, 4, 4, 6, -1, -2, -3, -4, -4, -6])
        // Per-axis along the last axis.
        let last = try quantize(x, tensor([1, 2], [2]), nil, axis: -1)
        XCTAssertEqual(last.integers, [1, 1, 3, 2, 5, 3, 0, 0, 0, 0, 0, 0])
        XCTAssertThrowsError(try quantize(x, tensor([1, 2], [2]), nil, axis: 1), "2 scales for an axis of 3")
        XCTAssertThrowsError(try quantize(x, tensor([1, 1, 1], [3]), nil, axis: 3), "axis out of range")
        XCTAssertThrowsError(try quantize(x, tensor([1, 1, 1, 1, 1, 1], [3, 2]), nil, axis: 1), "a 2-D scale without a block size")
        XCTAssertThrowsError(try quantize(x, tensor([1], []), tensor([0], [], .uint8), outputType: .int8), "zero point type differs")
    }

    /// Blocked quantization (ONNX 21): the scale and zero point have the input's shape but
    /// ceil(size / block) along the axis, each covering `block` consecutive indices; the last
    /// block may be short. Against a naive loop over every element, and ONNX's example.
    func testBlockedQuantizationAndDequantization() throws {
        // ONNX's test_quantizelinear_blocked_asymmetric.
        let x = tensor([6, 12, 50, 5, 1, 8, 4, 5, 0, 20, 10, 4], [3, 4])
        let scale = tensor([1.5, 2.5, 3, 4.9, 5.1, 6.9], [3, 2])
        let zero = ints([0, 1, 1, 0, 2, 3], [3, 2], .uint8)
        XCTAssertEqual(try quantize(x, scale, zero, blockSize: 2).integers, [4, 8, 21, 3, 1, 4, 1, 1, 2, 6, 4, 4])
        XCTAssertEqual(try dequantize(ints([4, 8, 21, 3], [1, 4], .uint8), tensor([1.5, 2.5], [1, 2]), ints([0, 1], [1, 2], .uint8),
                                      blockSize: 2).floats, [6, 12, 50, 5])

        // A [2, 5, 3] input in blocks of 2 along axis 1 (3 blocks, the last of one index).
        let shape = [2, 5, 3], block = 2, blocks = 3
        let values = (0..<30).map { Double($0 % 7) * 1.75 - 5 }
        let scales = (0..<(2 * blocks * 3)).map { 0.25 + Double($0 % 5) * 0.5 }
        let zeros = (0..<(2 * blocks * 3)).map { $0 % 4 - 2 }
        let q = try quantize(tensor(values, shape), tensor(scales, [2, blocks, 3]), ints(zeros, [2, blocks, 3], .int8), blockSize: block)
        let d = try dequantize(q, tensor(scales, [2, blocks, 3]), ints(zeros, [2, blocks, 3], .int8), blockSize: block)
        var expectedQ: [Int64] = [], expectedD: [Float] = []
        for o in 0..<2 {
            for c in 0..<5 {
                for i in 0..<3 {
                    let j = (o * blocks + c / block) * 3 + i
                    let s = Float(scales[j])
                    let r = (Float(values[(o * 5 + c) * 3 + i]) / s).rounded(.toNearestOrEven) + Float(zeros[j])
                    let v = Int64(min(max(r, -128), 127))
                    expectedQ.append(v)
                    expectedD.append(Float(v - Int64(zeros[j])) * s)
                }
            }
        }
        XCTAssertEqual(q.integers, expectedQ)
        XCTAssertEqual(d.floats, expectedD)
        // A one-element scale is per tensor whatever the block size.
        XCTAssertEqual(try quantize(x, tensor([2], []), nil, blockSize: 3).integers, [3, 6, 25, 2, 0, 4, 2, 2, 0, 10, 5, 2])
        XCTAssertThrowsError(try quantize(x, tensor([1, 1, 1], [3, 1]), nil, blockSize: 2), "4 columns need 2 blocks of 2")
        XCTAssertThrowsError(try quantize(x, tensor([1, 1], [2]), nil, blockSize: 2), "a blocked scale has the input's rank")
        XCTAssertThrowsError(try quantize(x, scale, ints([0, 0, 0], [3, 1], .uint8), blockSize: 2), "zero point of another shape")
        XCTAssertThrowsError(try quantize(x, scale, nil, blockSize: 0), "block size 0")
    }

    func testDequantizeInt32AndTypes() throws {
        // int32 subtracts exactly before the one rounding to float32.
        let big = ints([16_777_217, -5], nil, .int32)
        let d = try dequantize(big, tensor([1], []), ints([1, 1], nil, .int32).reshaped([2]), axis: 0)
        XCTAssertEqual(d.floats, [16_777_216, -6])
        let u = try dequantize(tensor([0, 128, 255], [3], .uint8), tensor([0.5], [], .float64), tensor([128], [], .uint8))
        XCTAssertEqual(u.dtype, .float64)
        XCTAssertEqual(u.doubles, [-64, 0, 63.5])
        let h = try dequantize(tensor([3], [1], .int8), tensor([0.1], [], .float16), nil)
        XCTAssertEqual(h.dtype, .float16)
        // float16(0.1) · 3 = 0.2999267578125 lies halfway between two float16s: one rounding, to even.
        XCTAssertEqual(h.floats, [0.2998046875])
        XCTAssertThrowsError(try dequantize(tensor([1], [1], .float32), tensor([1], []), nil), "float input")
        XCTAssertThrowsError(try dequantize(tensor([1], [1], .int8), tensor([1], []), tensor([0], [], .uint8)), "zero point type differs")
    }

    func testDynamicQuantizeLinearMatchesTheONNXExamples() throws {
        func dynamic(_ values: [Double], _ shape: [Int]) throws -> [Tensor] {
            try evaluate(.quantization(.dynamicQuantizeLinear), [tensor(values, shape)], outputs: 3)
        }
        // The ONNX operator documentation's three examples.
        var r = try dynamic([0, 2, -3, -2.5, 1.34, 0.5], [6])
        XCTAssertEqual(r[0].integers, [153, 255, 0, 26, 221, 179])
        XCTAssertEqual(r[1].floats, [Float(5) / 255])
        XCTAssertEqual(r[2].integers, [153])
        r = try dynamic([-1, -2.1, -1.3, -2.5, -3.34, -4], [6])
        XCTAssertEqual(r[0].integers, [191, 121, 172, 96, 42, 0])
        XCTAssertEqual(r[1].floats, [Float(4) / 255])
        XCTAssertEqual(r[2].integers, [255])
        r = try dynamic([1, 2.1, 1.3, 2.5, 3.34, 4, 1.5, 2.6, 3.9, 4, 3, 2.345], [3, 4])
        XCTAssertEqual(r[0].integers, [64, 134, 83, 159, 213, 255, 96, 166, 249, 255, 191, 149])
        XCTAssertEqual(r[1].floats, [Float(4) / 255])
        XCTAssertEqual(r[2].integers, [0])
        XCTAssertEqual(r[0].shape, [3, 4])
        // All zeros: scale 1/255, zero point 0.
        r = try dynamic([0, 0], [2])
        XCTAssertEqual(r[1].floats, [Float(1) / 255])
        XCTAssertEqual(r[0].integers, [0, 0])
        XCTAssertThrowsError(try evaluate(.quantization(.dynamicQuantizeLinear), [tensor([1], [1], .float64)], outputs: 3))
    }
}
