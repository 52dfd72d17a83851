/// VGG16 and VGG19 as in `keras/src/applications/vgg16.py` and `vgg19.py`: blocks of 3×3 `same`
/// ReLU convolutions named `block{b}_conv{i}`, each block ending in a 2×2 max pool `block{b}_pool`;
/// the top is `flatten`, `fc1`, `fc2` (4096, ReLU) and `predictions` (softmax).
enum VGG {
    static func config(spec: ApplicationSpec, blocks: [Int], name: String) throws -> JSONValue {
        if spec.includeTop, spec.inputShape != [224, 224, 3] {
            throw KerasError.badArchitectureOptions("\(name) with the top needs --input-shape 224,224,3")
        }
        var b = FunctionalConfigBuilder(name: name, inputShape: spec.inputShape)
        var x = b.inputName
        let filters = [64, 128, 256, 512, 512]
        for (block, count) in blocks.enumerated() {
            for i in 1...count {
                x = b.add("Conv2D", "block\(block + 1)_conv\(i)", [
                    "filters": .number(Double(filters[block])), "kernel_size": FunctionalConfigBuilder.ints(3, 3),
                    "padding": .string("same"), "activation": .string("relu"),
                ], inputs: [x])
            }
            x = b.add("MaxPooling2D", "block\(block + 1)_pool", [
                "pool_size": FunctionalConfigBuilder.ints(2, 2), "strides": FunctionalConfigBuilder.ints(2, 2),
            ], inputs: [x])
        }
        if spec.includeTop {
            x = b.add("Flatten", "flatten", [:], inputs: [x])
            x = b.add("Dense", "fc1", ["units": .number(4096), "activation": .string("relu")], inputs: [x])
            x = b.add("Dense", "fc2", ["units": .number(4096), "activation": .string("relu")], inputs: [x])
            x = b.add("Dense", "predictions", ["units": .number(Double(spec.classes)), "activation": .string("softmax")], inputs: [x])
        } else if spec.pooling == "avg" {
            x = b.add("GlobalAveragePooling2D", "global_average_pooling2d", [:], inputs: [x])
        } else if spec.pooling == "max" {
            x = b.add("GlobalMaxPooling2D", "global_max_pooling2d", [:], inputs: [x])
        }
        return b.config(output: x)
    }
}
