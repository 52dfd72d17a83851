/// ResNet50V2 as in `keras/src/applications/resnet.py` (`ResNet(preact=True, use_bias=True)`,
/// `stack_residual_blocks_v2`, `residual_block_v2`): `conv1_pad`, `conv1_conv` (7×7/2 with bias),
/// `pool1_pad`, `pool1_pool`, then stacks `conv2`…`conv5` of pre-activation bottleneck blocks
/// `conv{s}_block{b}_preact_bn`, `_preact_relu`, `_1_conv` (no bias), `_1_bn`, `_1_relu`, `_2_pad`,
/// `_2_conv` (3×3, the stride, no bias), `_2_bn`, `_2_relu`, `_3_conv` (bias), `_out`; the first block
/// of a stack projects its shortcut (`_0_conv`), the last block of conv2–conv4 is strided and its
/// shortcut an unnamed 1×1 `MaxPooling2D`. Then `post_bn`, `post_relu`. BatchNormalization epsilon
/// 1.001e-5. Top: `avg_pool` + `predictions`; pooling layers `avg_pool` / `max_pool`.
enum ResNetV2 {
    static let epsilon = 1.001e-5

    static func config(spec: ApplicationSpec, blocks: [Int], name: String) -> JSONValue {
        var b = FunctionalConfigBuilder(name: name, inputShape: spec.inputShape)
        var x = b.zeroPadding2D(b.inputName, top: 3, bottom: 3, left: 3, right: 3, name: "conv1_pad")
        x = b.conv2D(x, filters: 64, kernel: [7, 7], strides: [2, 2], name: "conv1_conv")
        x = b.zeroPadding2D(x, top: 1, bottom: 1, left: 1, right: 1, name: "pool1_pad")
        x = b.maxPooling2D(x, pool: [3, 3], strides: [2, 2], name: "pool1_pool")
        for (stage, count) in blocks.enumerated() {
            let filters = 64 << stage
            let stack = "conv\(stage + 2)"
            let lastStride = stage == blocks.count - 1 ? 1 : 2
            x = block(&b, x, filters: filters, stride: 1, convShortcut: true, name: "\(stack)_block1")
            if count > 2 {
                for i in 2..<count { x = block(&b, x, filters: filters, stride: 1, convShortcut: false, name: "\(stack)_block\(i)") }
            }
            x = block(&b, x, filters: filters, stride: lastStride, convShortcut: false, name: "\(stack)_block\(count)")
        }
        x = b.batchNormalization(x, epsilon: epsilon, name: "post_bn")
        x = b.activation(x, "relu", name: "post_relu")
        x = b.classifierHead(x, spec: spec, poolingNames: (avg: "avg_pool", max: "max_pool"))
        return b.config(output: x)
    }

    /// `residual_block_v2`: `Add` takes `[shortcut, x]`.
    private static func block(_ b: inout FunctionalConfigBuilder, _ input: String, filters: Int, stride: Int, convShortcut: Bool,
                              name: String) -> String {
        var preact = b.batchNormalization(input, epsilon: epsilon, name: "\(name)_preact_bn")
        preact = b.activation(preact, "relu", name: "\(name)_preact_relu")
        let shortcut: String
        if convShortcut {
            shortcut = b.conv2D(preact, filters: 4 * filters, kernel: [1, 1], strides: [stride, stride], name: "\(name)_0_conv")
        } else {
            shortcut = stride > 1 ? b.maxPooling2D(input, pool: [1, 1], strides: [stride, stride], name: nil) : input
        }
        var x = b.conv2D(preact, filters: filters, kernel: [1, 1], useBias: false, name: "\(name)_1_conv")
        x = b.batchNormalization(x, epsilon: epsilon, name: "\(name)_1_bn")
        x = b.activation(x, "relu", name: "\(name)_1_relu")
        x = b.zeroPadding2D(x, top: 1, bottom: 1, left: 1, right: 1, name: "\(name)_2_pad")
        x = b.conv2D(x, filters: filters, kernel: [3, 3], strides: [stride, stride], useBias: false, name: "\(name)_2_conv")
        x = b.batchNormalization(x, epsilon: epsilon, name: "\(name)_2_bn")
        x = b.activation(x, "relu", name: "\(name)_2_relu")
        x = b.conv2D(x, filters: 4 * filters, kernel: [1, 1], name: "\(name)_3_conv")
        return b.addLayer([shortcut, x], name: "\(name)_out")
    }
}
