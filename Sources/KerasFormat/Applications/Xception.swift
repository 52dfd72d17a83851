/// Xception as in `keras/src/applications/xception.py`: `block1_conv{1,2}` (+ `_bn`, `_act`), then
/// blocks 2–4 and 13 with a strided 1×1 projection shortcut (unnamed `Conv2D(use_bias=False)` +
/// `BatchNormalization`, so `conv2d`, `conv2d_1`, … in creation order) around two
/// `SeparableConv2D(use_bias=False)` + BN pairs and a 3×3/2 `same` max pool, eight middle-flow
/// blocks 5–12 of three ReLU → separable conv → BN with an identity shortcut, and block 14.
/// The residual additions are the unnamed `add`, `add_1`, …. Top: `avg_pool` + `predictions`;
/// pooling layers unnamed.
enum Xception {
    static func config(spec: ApplicationSpec) -> JSONValue {
        var b = FunctionalConfigBuilder(name: "xception", inputShape: spec.inputShape)
        func sepConvBN(_ x: String, _ filters: Int, _ name: String) -> String {
            let y = b.separableConv2D(x, filters: filters, kernel: [3, 3], padding: "same", useBias: false, name: name)
            return b.batchNormalization(y, name: "\(name)_bn")
        }
        func projection(_ x: String, _ filters: Int) -> String {
            let r = b.conv2D(x, filters: filters, kernel: [1, 1], strides: [2, 2], padding: "same", useBias: false, name: nil)
            return b.batchNormalization(r, name: nil)
        }

        var x = b.conv2D(b.inputName, filters: 32, kernel: [3, 3], strides: [2, 2], useBias: false, name: "block1_conv1")
        x = b.batchNormalization(x, name: "block1_conv1_bn")
        x = b.activation(x, "relu", name: "block1_conv1_act")
        x = b.conv2D(x, filters: 64, kernel: [3, 3], useBias: false, name: "block1_conv2")
        x = b.batchNormalization(x, name: "block1_conv2_bn")
        x = b.activation(x, "relu", name: "block1_conv2_act")

        // Entry flow: block 2 has no ReLU before its first separable conv.
        for (block, filters) in [(2, 128), (3, 256), (4, 728)] {
            let residual = projection(x, filters)
            if block > 2 { x = b.activation(x, "relu", name: "block\(block)_sepconv1_act") }
            x = sepConvBN(x, filters, "block\(block)_sepconv1")
            x = b.activation(x, "relu", name: "block\(block)_sepconv2_act")
            x = sepConvBN(x, filters, "block\(block)_sepconv2")
            x = b.maxPooling2D(x, pool: [3, 3], strides: [2, 2], padding: "same", name: "block\(block)_pool")
            x = b.addLayer([x, residual], name: nil)
        }

        // Middle flow.
        for block in 5...12 {
            let residual = x
            for i in 1...3 {
                x = b.activation(x, "relu", name: "block\(block)_sepconv\(i)_act")
                x = sepConvBN(x, 728, "block\(block)_sepconv\(i)")
            }
            x = b.addLayer([x, residual], name: nil)
        }

        // Exit flow.
        let residual = projection(x, 1024)
        x = b.activation(x, "relu", name: "block13_sepconv1_act")
        x = sepConvBN(x, 728, "block13_sepconv1")
        x = b.activation(x, "relu", name: "block13_sepconv2_act")
        x = sepConvBN(x, 1024, "block13_sepconv2")
        x = b.maxPooling2D(x, pool: [3, 3], strides: [2, 2], padding: "same", name: "block13_pool")
        x = b.addLayer([x, residual], name: nil)
        x = sepConvBN(x, 1536, "block14_sepconv1")
        x = b.activation(x, "relu", name: "block14_sepconv1_act")
        x = sepConvBN(x, 2048, "block14_sepconv2")
        x = b.activation(x, "relu", name: "block14_sepconv2_act")

        x = b.classifierHead(x, spec: spec, poolingNames: (avg: nil, max: nil))
        return b.config(output: x)
    }
}
