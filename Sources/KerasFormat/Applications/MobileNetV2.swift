import Foundation

/// MobileNetV2 as in `keras/src/applications/mobilenet_v2.py`: `Conv1` (3×3/2 `same`, no bias) +
/// `bn_Conv1` + `Conv1_relu` (ReLU(6.)), 17 inverted residual blocks — `block_{i}_expand`,
/// `_expand_BN`, `_expand_relu` (block 0 has none and is named `expanded_conv_`), a strided block
/// pads with `block_{i}_pad` = `correct_pad` (which depends on whether the size is even) before a
/// `valid` depthwise convolution, `_depthwise`, `_depthwise_BN`, `_depthwise_relu`, `_project`,
/// `_project_BN`, and `_add` when the shapes allow — then `Conv_1` (1280 filters, more for α > 1),
/// `Conv_1_bn`, `out_relu`. Filters are `_make_divisible(filters · α, 8)`. The top is an unnamed
/// `GlobalAveragePooling2D` and `predictions`. The model is named `mobilenetv2_{α:.2f}_{rows}`.
enum MobileNetV2 {
    /// (filters, stride, expansion) of blocks 0–16.
    static let blocks: [(Int, Int, Int)] = [
        (16, 1, 1), (24, 2, 6), (24, 1, 6), (32, 2, 6), (32, 1, 6), (32, 1, 6), (64, 2, 6), (64, 1, 6), (64, 1, 6), (64, 1, 6),
        (96, 1, 6), (96, 1, 6), (96, 1, 6), (160, 2, 6), (160, 1, 6), (160, 1, 6), (320, 1, 6),
    ]

    /// Keras's `_make_divisible(v, divisor)`.
    static func makeDivisible(_ v: Double, _ divisor: Int = 8) -> Int {
        var new = max(divisor, Int(v + Double(divisor) / 2) / divisor * divisor)
        if Double(new) < 0.9 * v { new += divisor }
        return new
    }

    static func config(spec: ApplicationSpec) -> JSONValue {
        let alpha = spec.alpha
        var b = FunctionalConfigBuilder(name: "mobilenetv2_\(String(format: "%.2f", alpha))_\(spec.inputShape[0])", inputShape: spec.inputShape)
        var size = (spec.inputShape[0], spec.inputShape[1])
        var x = b.conv2D(b.inputName, filters: makeDivisible(32 * alpha), kernel: [3, 3], strides: [2, 2], padding: "same",
                         useBias: false, name: "Conv1")
        size = ImageSize.same(size, stride: 2)
        x = b.batchNormalization(x, name: "bn_Conv1")
        x = b.relu(x, maxValue: 6, name: "Conv1_relu")
        var channels = makeDivisible(32 * alpha)
        for (id, (filters, stride, expansion)) in blocks.enumerated() {
            let input = x
            let pointwise = makeDivisible(Double(Int(Double(filters) * alpha)))
            var prefix = "block_\(id)_"
            if id > 0 {
                x = b.conv2D(x, filters: expansion * channels, kernel: [1, 1], padding: "same", useBias: false, name: "\(prefix)expand")
                x = b.batchNormalization(x, name: "\(prefix)expand_BN")
                x = b.relu(x, maxValue: 6, name: "\(prefix)expand_relu")
            } else {
                prefix = "expanded_conv_"
            }
            if stride == 2 {
                let pads = ImageSize.correctPad(size, kernel: 3)
                x = b.zeroPadding2D(x, top: pads.top, bottom: pads.bottom, left: pads.left, right: pads.right, name: "\(prefix)pad")
                size = ImageSize.valid(ImageSize.padded(size, pads), kernel: 3, stride: 2)
            }
            x = b.depthwiseConv2D(x, kernel: [3, 3], strides: [stride, stride], padding: stride == 1 ? "same" : "valid", useBias: false,
                                  name: "\(prefix)depthwise")
            x = b.batchNormalization(x, name: "\(prefix)depthwise_BN")
            x = b.relu(x, maxValue: 6, name: "\(prefix)depthwise_relu")
            x = b.conv2D(x, filters: pointwise, kernel: [1, 1], padding: "same", useBias: false, name: "\(prefix)project")
            x = b.batchNormalization(x, name: "\(prefix)project_BN")
            if channels == pointwise, stride == 1 { x = b.addLayer([input, x], name: "\(prefix)add") }
            channels = pointwise
        }
        x = b.conv2D(x, filters: alpha > 1 ? makeDivisible(1280 * alpha) : 1280, kernel: [1, 1], useBias: false, name: "Conv_1")
        x = b.batchNormalization(x, name: "Conv_1_bn")
        x = b.relu(x, maxValue: 6, name: "out_relu")
        if spec.includeTop {
            x = b.globalAveragePooling2D(x, name: nil)
            x = b.dense(x, units: spec.classes, activation: "softmax", name: "predictions")
        } else if spec.pooling == "avg" {
            x = b.globalAveragePooling2D(x, name: nil)
        } else if spec.pooling == "max" {
            x = b.globalMaxPooling2D(x, name: nil)
        }
        return b.config(output: x)
    }
}

/// Spatial sizes through keras.applications' convolutions, for the layers whose config depends on
/// them (`imagenet_utils.correct_pad`).
enum ImageSize {
    typealias Size = (Int, Int)

    /// `same` padding: ⌈n / stride⌉.
    static func same(_ s: Size, stride: Int) -> Size { ((s.0 + stride - 1) / stride, (s.1 + stride - 1) / stride) }

    /// `valid` padding: ⌊(n − k) / stride⌋ + 1.
    static func valid(_ s: Size, kernel: Int, stride: Int) -> Size { ((s.0 - kernel) / stride + 1, (s.1 - kernel) / stride + 1) }

    static func padded(_ s: Size, _ p: (top: Int, bottom: Int, left: Int, right: Int)) -> Size {
        (s.0 + p.top + p.bottom, s.1 + p.left + p.right)
    }

    /// `imagenet_utils.correct_pad(inputs, kernel_size)`: k // 2 on each side, one less before on
    /// an even axis.
    static func correctPad(_ s: Size, kernel: Int) -> (top: Int, bottom: Int, left: Int, right: Int) {
        let c = kernel / 2
        return (c - (1 - s.0 % 2), c, c - (1 - s.1 % 2), c)
    }
}
