import Foundation

/// MobileNet (v1) as in `keras/src/applications/mobilenet.py`: `conv1` (3×3/2 `same`, no bias) +
/// `conv1_bn` + `conv1_relu` (ReLU(6.)), then 13 depthwise-separable blocks `conv_dw_{i}`,
/// `conv_dw_{i}_bn`, `conv_dw_{i}_relu`, `conv_pw_{i}`, `conv_pw_{i}_bn`, `conv_pw_{i}_relu`; a strided
/// block first pads with `conv_pad_{i}` = ZeroPadding2D(((0, 1), (0, 1))) and runs its depthwise
/// convolution `valid`. Filters are `int(filters * alpha)`. The top is
/// `GlobalAveragePooling2D(keepdims=True)` (unnamed), `dropout` (rate 0.001), `conv_preds` (1×1
/// Conv2D with bias), `reshape_2` and `predictions` (softmax). The model is named
/// `mobilenet_{alpha:.2f}_{rows}`.
enum MobileNet {
    /// (pointwise filters, stride) of blocks 1–13.
    static let blocks: [(Int, Int)] = [
        (64, 1), (128, 2), (128, 1), (256, 2), (256, 1), (512, 2),
        (512, 1), (512, 1), (512, 1), (512, 1), (512, 1), (1024, 2), (1024, 1),
    ]

    static func modelName(alpha: Double, rows: Int) -> String {
        "mobilenet_\(String(format: "%.2f", alpha))_\(rows)"
    }

    static func config(spec: ApplicationSpec) -> JSONValue {
        let alpha = spec.alpha
        func width(_ filters: Int) -> Int { Int(Double(filters) * alpha) }
        var b = FunctionalConfigBuilder(name: modelName(alpha: alpha, rows: spec.inputShape[0]), inputShape: spec.inputShape)
        var x = b.conv2D(b.inputName, filters: width(32), kernel: [3, 3], strides: [2, 2], padding: "same", useBias: false, name: "conv1")
        x = b.batchNormalization(x, name: "conv1_bn")
        x = b.relu(x, maxValue: 6, name: "conv1_relu")
        for (index, (filters, stride)) in blocks.enumerated() {
            let id = index + 1
            if stride != 1 { x = b.zeroPadding2D(x, top: 0, bottom: 1, left: 0, right: 1, name: "conv_pad_\(id)") }
            x = b.depthwiseConv2D(x, kernel: [3, 3], strides: [stride, stride], padding: stride == 1 ? "same" : "valid",
                                  useBias: false, name: "conv_dw_\(id)")
            x = b.batchNormalization(x, name: "conv_dw_\(id)_bn")
            x = b.relu(x, maxValue: 6, name: "conv_dw_\(id)_relu")
            x = b.conv2D(x, filters: width(filters), kernel: [1, 1], padding: "same", useBias: false, name: "conv_pw_\(id)")
            x = b.batchNormalization(x, name: "conv_pw_\(id)_bn")
            x = b.relu(x, maxValue: 6, name: "conv_pw_\(id)_relu")
        }
        if spec.includeTop {
            x = b.globalAveragePooling2D(x, keepDims: true, name: nil)
            x = b.dropout(x, rate: 0.001, name: "dropout")
            x = b.conv2D(x, filters: spec.classes, kernel: [1, 1], padding: "same", name: "conv_preds")
            x = b.reshape(x, targetShape: [spec.classes], name: "reshape_2")
            x = b.activation(x, "softmax", name: "predictions")
        } else if spec.pooling == "avg" {
            x = b.globalAveragePooling2D(x, name: nil)
        } else if spec.pooling == "max" {
            x = b.globalMaxPooling2D(x, name: nil)
        }
        return b.config(output: x)
    }
}
