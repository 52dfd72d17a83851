/// DenseNet121 as in `keras/src/applications/densenet.py`: an unnamed `ZeroPadding2D` (3), `conv1_conv`
/// (7×7/2, no bias), `conv1_bn`, `conv1_relu`, an unnamed `ZeroPadding2D` (1), `pool1` (3×3/2 max),
/// then dense blocks `conv{2..5}` of `conv_block`s (`{name}_block{i}_0_bn`, `_0_relu`, `_1_conv`
/// (128 1×1), `_1_bn`, `_1_relu`, `_2_conv` (32 3×3 `same`), `_concat`) separated by transition
/// blocks `pool{2..4}` (`_bn`, `_relu`, `_conv` halving the channels, `_pool` 2×2 average), then
/// `bn`, `relu`. Every BatchNormalization has epsilon 1.001e-5, no convolution a bias. Top:
/// `avg_pool` + `predictions`; pooling layers `avg_pool` / `max_pool`.
enum DenseNet {
    static let epsilon = 1.001e-5

    static func config(spec: ApplicationSpec, blocks: [Int], name: String) -> JSONValue {
        var b = FunctionalConfigBuilder(name: name, inputShape: spec.inputShape)
        var x = b.zeroPadding2D(b.inputName, top: 3, bottom: 3, left: 3, right: 3, name: nil)
        x = b.conv2D(x, filters: 64, kernel: [7, 7], strides: [2, 2], useBias: false, name: "conv1_conv")
        x = b.batchNormalization(x, epsilon: epsilon, name: "conv1_bn")
        x = b.activation(x, "relu", name: "conv1_relu")
        x = b.zeroPadding2D(x, top: 1, bottom: 1, left: 1, right: 1, name: nil)
        x = b.maxPooling2D(x, pool: [3, 3], strides: [2, 2], name: "pool1")
        var channels = 64
        for (stage, count) in blocks.enumerated() {
            for i in 1...count {
                let block = "conv\(stage + 2)_block\(i)"
                var y = b.batchNormalization(x, epsilon: epsilon, name: "\(block)_0_bn")
                y = b.activation(y, "relu", name: "\(block)_0_relu")
                y = b.conv2D(y, filters: 128, kernel: [1, 1], useBias: false, name: "\(block)_1_conv")
                y = b.batchNormalization(y, epsilon: epsilon, name: "\(block)_1_bn")
                y = b.activation(y, "relu", name: "\(block)_1_relu")
                y = b.conv2D(y, filters: 32, kernel: [3, 3], padding: "same", useBias: false, name: "\(block)_2_conv")
                x = b.concatenate([x, y], name: "\(block)_concat")
                channels += 32
            }
            guard stage < blocks.count - 1 else { break }
            let pool = "pool\(stage + 2)"
            x = b.batchNormalization(x, epsilon: epsilon, name: "\(pool)_bn")
            x = b.activation(x, "relu", name: "\(pool)_relu")
            channels = Int(Double(channels) * 0.5)
            x = b.conv2D(x, filters: channels, kernel: [1, 1], useBias: false, name: "\(pool)_conv")
            x = b.averagePooling2D(x, pool: [2, 2], strides: [2, 2], name: "\(pool)_pool")
        }
        x = b.batchNormalization(x, epsilon: epsilon, name: "bn")
        x = b.activation(x, "relu", name: "relu")
        x = b.classifierHead(x, spec: spec, poolingNames: (avg: "avg_pool", max: "max_pool"))
        return b.config(output: x)
    }
}
