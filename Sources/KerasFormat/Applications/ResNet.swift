/// ResNet50 as in `keras/src/applications/resnet.py` (`ResNet`, `stack_residual_blocks_v1`,
/// `residual_block_v1`): a 7×7/2 stem (`conv1_pad`, `conv1_conv`, `conv1_bn`, `conv1_relu`,
/// `pool1_pad`, `pool1_pool`), then stacks `conv2`…`conv5` of bottleneck blocks
/// `conv{s}_block{b}_{0..3}_{conv,bn}`, `_add`, `_out`; the first block of each stack has the 1×1
/// projection shortcut (`_0_conv`, `_0_bn`). Every BatchNormalization has epsilon 1.001e-5 and every
/// convolution a bias. Top: `avg_pool` + `predictions`; pooling layers `avg_pool` / `max_pool`.
enum ResNet {
    static let epsilon = 1.001e-5

    static func config(spec: ApplicationSpec, blocks: [Int], name: String) -> JSONValue {
        var b = FunctionalConfigBuilder(name: name, inputShape: spec.inputShape)
        var x = b.zeroPadding2D(b.inputName, top: 3, bottom: 3, left: 3, right: 3, name: "conv1_pad")
        x = b.conv2D(x, filters: 64, kernel: [7, 7], strides: [2, 2], name: "conv1_conv")
        x = b.batchNormalization(x, epsilon: epsilon, name: "conv1_bn")
        x = b.activation(x, "relu", name: "conv1_relu")
        x = b.zeroPadding2D(x, top: 1, bottom: 1, left: 1, right: 1, name: "pool1_pad")
        x = b.maxPooling2D(x, pool: [3, 3], strides: [2, 2], name: "pool1_pool")
        for (stage, count) in blocks.enumerated() {
            let filters = 64 << stage
            let stack = "conv\(stage + 2)"
            for block in 1...count {
                x = residualBlock(&b, x, filters: filters, stride: block == 1 && stage > 0 ? 2 : 1, convShortcut: block == 1,
                                  name: "\(stack)_block\(block)")
            }
        }
        x = b.classifierHead(x, spec: spec, poolingNames: (avg: "avg_pool", max: "max_pool"))
        return b.config(output: x)
    }

    /// `residual_block_v1`: `Add` takes `[shortcut, x]` in that order, which decides the layer order.
    private static func residualBlock(_ b: inout FunctionalConfigBuilder, _ input: String, filters: Int, stride: Int,
                                      convShortcut: Bool, name: String) -> String {
        var shortcut = input
        if convShortcut {
            shortcut = b.conv2D(input, filters: 4 * filters, kernel: [1, 1], strides: [stride, stride], name: "\(name)_0_conv")
            shortcut = b.batchNormalization(shortcut, epsilon: epsilon, name: "\(name)_0_bn")
        }
        var x = b.conv2D(input, filters: filters, kernel: [1, 1], strides: [stride, stride], name: "\(name)_1_conv")
        x = b.batchNormalization(x, epsilon: epsilon, name: "\(name)_1_bn")
        x = b.activation(x, "relu", name: "\(name)_1_relu")
        x = b.conv2D(x, filters: filters, kernel: [3, 3], padding: "same", name: "\(name)_2_conv")
        x = b.batchNormalization(x, epsilon: epsilon, name: "\(name)_2_bn")
        x = b.activation(x, "relu", name: "\(name)_2_relu")
        x = b.conv2D(x, filters: 4 * filters, kernel: [1, 1], name: "\(name)_3_conv")
        x = b.batchNormalization(x, epsilon: epsilon, name: "\(name)_3_bn")
        x = b.addLayer([shortcut, x], name: "\(name)_add")
        return b.activation(x, "relu", name: "\(name)_out")
    }
}
