/// InceptionV3 as in `keras/src/applications/inception_v3.py`. Every convolution is
/// `conv2d_bn`: `Conv2D(use_bias=False)` → `BatchNormalization(scale=False)` → `Activation("relu")`,
/// all unnamed, so their names are Keras's automatic ones (`conv2d_17`, `batch_normalization_17`,
/// `activation_17`) and depend on the order the layers are created in, which this file follows
/// line by line. The blocks are the concatenations `mixed0` … `mixed10` (plus `mixed9_0`,
/// `mixed9_1` and two unnamed ones inside mixed9/mixed10). Top: `avg_pool` + `predictions`;
/// pooling layers unnamed.
enum InceptionV3 {
    static func config(spec: ApplicationSpec) -> JSONValue {
        var b = FunctionalConfigBuilder(name: "inception_v3", inputShape: spec.inputShape)
        func convBN(_ x: String, _ filters: Int, _ rows: Int, _ cols: Int, padding: String = "same", strides: Int = 1) -> String {
            var y = b.conv2D(x, filters: filters, kernel: [rows, cols], strides: [strides, strides], padding: padding, useBias: false, name: nil)
            y = b.batchNormalization(y, scale: false, name: nil)
            return b.activation(y, "relu", name: nil)
        }
        func maxPool(_ x: String) -> String { b.maxPooling2D(x, pool: [3, 3], strides: [2, 2], name: nil) }
        func averagePool(_ x: String) -> String { b.averagePooling2D(x, pool: [3, 3], strides: [1, 1], padding: "same", name: nil) }

        var x = convBN(b.inputName, 32, 3, 3, padding: "valid", strides: 2)
        x = convBN(x, 32, 3, 3, padding: "valid")
        x = convBN(x, 64, 3, 3)
        x = maxPool(x)
        x = convBN(x, 80, 1, 1, padding: "valid")
        x = convBN(x, 192, 3, 3, padding: "valid")
        x = maxPool(x)

        // mixed0, mixed1, mixed2: 35×35 (at 299) blocks; the pool branch has 32, then 64 filters.
        for (i, poolFilters) in [32, 64, 64].enumerated() {
            let branch1x1 = convBN(x, 64, 1, 1)
            var branch5x5 = convBN(x, 48, 1, 1)
            branch5x5 = convBN(branch5x5, 64, 5, 5)
            var branch3x3dbl = convBN(x, 64, 1, 1)
            branch3x3dbl = convBN(branch3x3dbl, 96, 3, 3)
            branch3x3dbl = convBN(branch3x3dbl, 96, 3, 3)
            var branchPool = averagePool(x)
            branchPool = convBN(branchPool, poolFilters, 1, 1)
            x = b.concatenate([branch1x1, branch5x5, branch3x3dbl, branchPool], name: "mixed\(i)")
        }

        // mixed3: reduction to 17×17.
        do {
            let branch3x3 = convBN(x, 384, 3, 3, padding: "valid", strides: 2)
            var branch3x3dbl = convBN(x, 64, 1, 1)
            branch3x3dbl = convBN(branch3x3dbl, 96, 3, 3)
            branch3x3dbl = convBN(branch3x3dbl, 96, 3, 3, padding: "valid", strides: 2)
            let branchPool = maxPool(x)
            x = b.concatenate([branch3x3, branch3x3dbl, branchPool], name: "mixed3")
        }

        // mixed4 … mixed7: factorised 7×7 blocks with 128, 160, 160, 192 inner filters.
        for (i, inner) in [128, 160, 160, 192].enumerated() {
            let branch1x1 = convBN(x, 192, 1, 1)
            var branch7x7 = convBN(x, inner, 1, 1)
            branch7x7 = convBN(branch7x7, inner, 1, 7)
            branch7x7 = convBN(branch7x7, 192, 7, 1)
            var branch7x7dbl = convBN(x, inner, 1, 1)
            branch7x7dbl = convBN(branch7x7dbl, inner, 7, 1)
            branch7x7dbl = convBN(branch7x7dbl, inner, 1, 7)
            branch7x7dbl = convBN(branch7x7dbl, inner, 7, 1)
            branch7x7dbl = convBN(branch7x7dbl, 192, 1, 7)
            var branchPool = averagePool(x)
            branchPool = convBN(branchPool, 192, 1, 1)
            x = b.concatenate([branch1x1, branch7x7, branch7x7dbl, branchPool], name: "mixed\(4 + i)")
        }

        // mixed8: reduction to 8×8.
        do {
            var branch3x3 = convBN(x, 192, 1, 1)
            branch3x3 = convBN(branch3x3, 320, 3, 3, padding: "valid", strides: 2)
            var branch7x7x3 = convBN(x, 192, 1, 1)
            branch7x7x3 = convBN(branch7x7x3, 192, 1, 7)
            branch7x7x3 = convBN(branch7x7x3, 192, 7, 1)
            branch7x7x3 = convBN(branch7x7x3, 192, 3, 3, padding: "valid", strides: 2)
            let branchPool = maxPool(x)
            x = b.concatenate([branch3x3, branch7x7x3, branchPool], name: "mixed8")
        }

        // mixed9, mixed10: expanded-filter-bank blocks.
        for i in 0..<2 {
            let branch1x1 = convBN(x, 320, 1, 1)
            var branch3x3 = convBN(x, 384, 1, 1)
            let branch3x3a = convBN(branch3x3, 384, 1, 3)
            let branch3x3b = convBN(branch3x3, 384, 3, 1)
            branch3x3 = b.concatenate([branch3x3a, branch3x3b], name: "mixed9_\(i)")
            var branch3x3dbl = convBN(x, 448, 1, 1)
            branch3x3dbl = convBN(branch3x3dbl, 384, 3, 3)
            let branch3x3dblA = convBN(branch3x3dbl, 384, 1, 3)
            let branch3x3dblB = convBN(branch3x3dbl, 384, 3, 1)
            branch3x3dbl = b.concatenate([branch3x3dblA, branch3x3dblB], name: nil)
            var branchPool = averagePool(x)
            branchPool = convBN(branchPool, 192, 1, 1)
            x = b.concatenate([branch1x1, branch3x3, branch3x3dbl, branchPool], name: "mixed\(9 + i)")
        }

        x = b.classifierHead(x, spec: spec, poolingNames: (avg: nil, max: nil))
        return b.config(output: x)
    }
}
