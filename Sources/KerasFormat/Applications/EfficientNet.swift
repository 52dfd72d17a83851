import Foundation

/// EfficientNetB0 as in `keras/src/applications/efficientnet.py`: the model preprocesses its own
/// input — an unnamed `Rescaling(1/255)` and an unnamed `Normalization` (adapted: its mean,
/// variance and count are weights), plus, for `weights="imagenet"`, an unnamed `Rescaling` by
/// 1/√stddev that corrects Keras's published statistics — then `stem_conv_pad` (`correct_pad`),
/// `stem_conv` (3×3/2 `valid`, no bias), `stem_bn`, `stem_activation` (swish), 16 MBConv blocks
/// `block{stage}{a,b,…}_` (`expand_conv`/`_bn`/`_activation` unless the expansion is 1,
/// `dwconv_pad` when strided, `dwconv`, `bn`, `activation`, the squeeze-and-excitation branch
/// `se_squeeze`, `se_reshape`, `se_reduce` (swish), `se_expand` (sigmoid), `se_excite` (multiply),
/// `project_conv`, `project_bn`, and `drop` (a Dropout) + `add` on identity blocks), `top_conv`,
/// `top_bn`, `top_activation`. Top: `avg_pool`, `top_dropout` (0.2), `predictions`.
enum EfficientNet {
    /// (kernel, repeats, filters in, filters out, expansion, stride) of the seven stages of B0.
    static let stages: [(Int, Int, Int, Int, Int, Int)] = [
        (3, 1, 32, 16, 1, 1), (3, 2, 16, 24, 6, 2), (5, 2, 24, 40, 6, 2), (3, 3, 40, 80, 6, 2),
        (5, 3, 80, 112, 6, 1), (5, 4, 112, 192, 6, 2), (3, 1, 192, 320, 6, 1),
    ]
    static let imagenetStddev: [Double] = [0.229, 0.224, 0.225]

    static func config(spec: ApplicationSpec, name: String, dropout: Double = 0.2, dropConnect: Double = 0.2) -> JSONValue {
        var b = FunctionalConfigBuilder(name: name, inputShape: spec.inputShape)
        var size = (spec.inputShape[0], spec.inputShape[1])
        var x = b.rescaling(b.inputName, scale: .number(1.0 / 255.0), name: nil)
        x = b.normalization(x, name: nil)
        if spec.imagenet {
            x = b.rescaling(x, scale: .array(imagenetStddev.map { .number(1.0 / $0.squareRoot()) }), name: nil)
        }
        var pads = ImageSize.correctPad(size, kernel: 3)
        x = b.zeroPadding2D(x, top: pads.top, bottom: pads.bottom, left: pads.left, right: pads.right, name: "stem_conv_pad")
        size = ImageSize.valid(ImageSize.padded(size, pads), kernel: 3, stride: 2)
        x = b.conv2D(x, filters: 32, kernel: [3, 3], strides: [2, 2], useBias: false, name: "stem_conv")
        x = b.batchNormalization(x, name: "stem_bn")
        x = b.activation(x, "swish", name: "stem_activation")
        let total = Double(stages.reduce(0) { $0 + $1.1 })
        var index = 0
        for (stage, (kernel, repeats, filtersIn, filtersOut, expansion, firstStride)) in stages.enumerated() {
            for j in 0..<repeats {
                let prefix = "block\(stage + 1)\(Character(UnicodeScalar(97 + j)!))_"
                let stride = j == 0 ? firstStride : 1
                let inFilters = j == 0 ? filtersIn : filtersOut
                let input = x
                let filters = inFilters * expansion
                if expansion != 1 {
                    x = b.conv2D(x, filters: filters, kernel: [1, 1], padding: "same", useBias: false, name: "\(prefix)expand_conv")
                    x = b.batchNormalization(x, name: "\(prefix)expand_bn")
                    x = b.activation(x, "swish", name: "\(prefix)expand_activation")
                }
                if stride == 2 {
                    pads = ImageSize.correctPad(size, kernel: kernel)
                    x = b.zeroPadding2D(x, top: pads.top, bottom: pads.bottom, left: pads.left, right: pads.right, name: "\(prefix)dwconv_pad")
                    size = ImageSize.valid(ImageSize.padded(size, pads), kernel: kernel, stride: 2)
                }
                x = b.depthwiseConv2D(x, kernel: [kernel, kernel], strides: [stride, stride], padding: stride == 2 ? "valid" : "same",
                                      useBias: false, name: "\(prefix)dwconv")
                x = b.batchNormalization(x, name: "\(prefix)bn")
                x = b.activation(x, "swish", name: "\(prefix)activation")
                var se = b.globalAveragePooling2D(x, name: "\(prefix)se_squeeze")
                se = b.reshape(se, targetShape: [1, 1, filters], name: "\(prefix)se_reshape")
                se = b.conv2D(se, filters: max(1, Int(Double(inFilters) * 0.25)), kernel: [1, 1], padding: "same", activation: "swish",
                              name: "\(prefix)se_reduce")
                se = b.conv2D(se, filters: filters, kernel: [1, 1], padding: "same", activation: "sigmoid", name: "\(prefix)se_expand")
                x = b.multiply([x, se], name: "\(prefix)se_excite")
                x = b.conv2D(x, filters: filtersOut, kernel: [1, 1], padding: "same", useBias: false, name: "\(prefix)project_conv")
                x = b.batchNormalization(x, name: "\(prefix)project_bn")
                if stride == 1, inFilters == filtersOut {
                    let rate = dropConnect * Double(index) / total
                    if rate > 0 { x = b.dropout(x, rate: rate, name: "\(prefix)drop") }
                    x = b.addLayer([x, input], name: "\(prefix)add")
                }
                index += 1
            }
        }
        x = b.conv2D(x, filters: 1280, kernel: [1, 1], padding: "same", useBias: false, name: "top_conv")
        x = b.batchNormalization(x, name: "top_bn")
        x = b.activation(x, "swish", name: "top_activation")
        if spec.includeTop {
            x = b.globalAveragePooling2D(x, name: "avg_pool")
            if dropout > 0 { x = b.dropout(x, rate: dropout, name: "top_dropout") }
            x = b.dense(x, units: spec.classes, activation: "softmax", name: "predictions")
        } else if spec.pooling == "avg" {
            x = b.globalAveragePooling2D(x, name: "avg_pool")
        } else if spec.pooling == "max" {
            x = b.globalMaxPooling2D(x, name: "max_pool")
        }
        return b.config(output: x)
    }
}
