import ModelIR
import ONNXProto

/// IR `linear` → Gemm / MatMul (Keras Dense: Gemm on `[N, K]`, MatMul + Add on higher ranks);
/// IR `normalization` → BatchNormalization, InstanceNormalization, LayerNormalization,
/// GroupNormalization, LpNormalization, LRN, and Keras's Normalization and Rescaling as arithmetic.
extension ONNXExporter {
    func exportLinear(_ node: Node, _ op: LinearOp) throws {
        switch op {
        case .dense(let a):
            let x = try ref(node.inputs[0])
            let kernel = try ref(node.inputs[1])
            let bias = try ref(input(node, 2))
            let target = try activationTarget(node, a.activation, form: .native)
            if rank(node.inputs[0]) == 2 {
                append("Gemm", name: node.name, inputs: [x, kernel, bias], outputs: [target])
            } else if !bias.isEmpty {
                let product = temporary("\(node.outputs[0])__matmul")
                append("MatMul", name: node.name, inputs: [x, kernel], outputs: [product])
                append("Add", name: "\(node.name)/bias", inputs: [product, bias], outputs: [target])
            } else {
                append("MatMul", name: node.name, inputs: [x, kernel], outputs: [target])
            }
            try finishActivation(node, a.activation, from: target, form: .native)
        case .einsum(let equation):
            append("Einsum", name: node.name, inputs: try node.inputs.map { try ref($0) }, outputs: [produce(node.outputs[0], .native)],
                   attributes: [attribute("equation", string: equation)])
        case .matMul:
            append("MatMul", name: node.name, inputs: [try ref(node.inputs[0]), try ref(node.inputs[1])],
                   outputs: [produce(node.outputs[0], .native)])
        case .gemm(let g):
            var attributes: [Onnx_AttributeProto] = []
            if g.alpha != 1 { attributes.append(attribute("alpha", float: g.alpha)) }
            if g.beta != 1 { attributes.append(attribute("beta", float: g.beta)) }
            if g.transA { attributes.append(attribute("transA", int: 1)) }
            if g.transB { attributes.append(attribute("transB", int: 1)) }
            append("Gemm", name: node.name, inputs: try node.inputs.map { try ref($0) }, outputs: [produce(node.outputs[0], .native)],
                   attributes: attributes)
        }
    }

    func exportNormalization(_ node: Node, _ op: NormalizationOp) throws {
        let v = node.inputs[0]
        guard let r = rank(v) else { throw fail(node, "the input's rank is unknown") }
        let dtype = self.dtype(v)
        /// ONNX wants the channel axis at 1: a channels-last value is used channels first.
        func channelForm(axis: Int) throws -> Form {
            let a = axis < 0 ? axis + r : axis
            if a == 1 || r < 3 && a == r - 1 { return .native }
            guard a == r - 1 else { throw fail(node, "normalizing over axis \(axis) of a rank-\(r) tensor has no ONNX counterpart here") }
            return .channelsFirst
        }
        func filled(_ i: Int, _ value: Double, shape: [Int], role: String) throws -> String {
            let given = input(node, i)
            if !given.isEmpty { return try ref(given) }
            return initializer("\(node.name)/\(role)", Tensor(shape: shape, doubles: [Double](repeating: value, count: Shape.elementCount(shape) ?? 0),
                                                            dtype: dtype))
        }
        switch op {
        case .batch(let a):
            let form = try channelForm(axis: a.axis)
            guard let c = shape(node.inputs[3])?.first, c >= 0 else { throw fail(node, "the statistics' size is unknown") }
            append("BatchNormalization", name: node.name,
                   inputs: [try ref(v, form), try filled(1, 1, shape: [c], role: "gamma"), try filled(2, 0, shape: [c], role: "beta"),
                            try ref(node.inputs[3]), try ref(node.inputs[4])],
                   outputs: [produce(node.outputs[0], form)], attributes: [attribute("epsilon", float: a.epsilon)])
        case .instance(let a):
            let form: Form = a.layout == .channelsLast && r >= 3 ? .channelsFirst : .native
            append("InstanceNormalization", name: node.name, inputs: [try ref(v, form), try ref(node.inputs[1]), try ref(node.inputs[2])],
                   outputs: [produce(node.outputs[0], form)], attributes: [attribute("epsilon", float: a.epsilon)])
        case .layer(let a):
            let axes = a.axes.map { $0 < 0 ? $0 + r : $0 }.sorted()
            guard let first = axes.first, axes == Array(first..<r) else {
                throw fail(node, "layer normalization over axes \(a.axes) (not the last ones) has no ONNX counterpart here")
            }
            guard let s = shape(v), s[first...].allSatisfy({ $0 >= 0 }) || !input(node, 1).isEmpty else {
                throw fail(node, "the normalized axes' sizes are unknown")
            }
            let normalized = Array(shape(v)?[first...] ?? [])
            let axis = a.axes.allSatisfy { $0 >= 0 } ? first : first - r
            let attributes = [attribute("axis", int: axis), attribute("epsilon", float: a.epsilon)]
            if a.rmsScaling {
                try require(node, opset: 23, for: "RMS layer normalization")
                append("RMSNormalization", name: node.name, inputs: [try ref(v), try filled(1, 1, shape: normalized, role: "gamma")],
                       outputs: [produce(node.outputs[0], .native)], attributes: attributes)
            } else {
                try require(node, opset: 17, for: "LayerNormalization")
                append("LayerNormalization", name: node.name,
                       inputs: [try ref(v), try filled(1, 1, shape: normalized, role: "gamma"), try ref(input(node, 2))],
                       outputs: [produce(node.outputs[0], .native)], attributes: attributes)
            }
        case .group(let a):
            try require(node, opset: 21, for: "GroupNormalization with per-channel scale")
            let form = try channelForm(axis: a.axis)
            guard let s = shape(v), s[a.axis < 0 ? a.axis + r : a.axis] >= 0 else { throw fail(node, "the channel count is unknown") }
            let c = s[a.axis < 0 ? a.axis + r : a.axis]
            append("GroupNormalization", name: node.name,
                   inputs: [try ref(v, form), try filled(1, 1, shape: [c], role: "gamma"), try filled(2, 0, shape: [c], role: "beta")],
                   outputs: [produce(node.outputs[0], form)],
                   attributes: [attribute("num_groups", int: a.groups), attribute("epsilon", float: a.epsilon)])
        case .lp(let a):
            append("LpNormalization", name: node.name, inputs: [try ref(v)], outputs: [produce(node.outputs[0], .native)],
                   attributes: [attribute("axis", int: a.axis), attribute("p", int: a.p)])
        case .localResponse(let a):
            let form: Form = a.layout == .channelsLast ? .channelsFirst : .native
            append("LRN", name: node.name, inputs: [try ref(v, form)], outputs: [produce(node.outputs[0], form)],
                   attributes: [attribute("size", int: a.size), attribute("alpha", float: a.alpha), attribute("beta", float: a.beta),
                                attribute("bias", float: a.bias)])
        case .standardize(let a):
            // Keras Normalization: (x − mean) / max(√variance, ε), or x · max(√variance, ε) + mean.
            let x = try ref(v)
            /// A weight operand, or the config's statistics laid over the kept axes as Keras lays them.
            func statistic(_ i: Int, _ values: [Double]?, _ role: String) throws -> String {
                if i < node.inputs.count, !node.inputs[i].isEmpty { return try ref(node.inputs[i]) }
                guard let values, let dims = a.statisticsShape else { throw fail(node, "Normalization without its \(role)") }
                let keep = a.axes.map { $0 < 0 ? $0 + r : $0 }.sorted()
                var placed = [Int](repeating: 1, count: r)
                for i in stride(from: 1, through: min(dims.count, keep.count), by: 1) { placed[keep[keep.count - i]] = dims[dims.count - i] }
                while placed.first == 1, placed.count > dims.count { placed.removeFirst() }
                return initializer("\(node.name)/\(role)", Tensor(shape: placed, doubles: values, dtype: dtype))
            }
            let mean = try statistic(1, a.mean, "mean"), variance = try statistic(2, a.variance, "variance")
            let root = temporary("\(node.outputs[0])__std"), std = temporary("\(node.outputs[0])__std_clamped")
            append("Sqrt", name: "\(node.name)/sqrt", inputs: [variance], outputs: [root])
            append("Max", name: "\(node.name)/clamp", inputs: [root, scalarInitializer("\(node.name)/epsilon", 1e-7, dtype: dtype)], outputs: [std])
            let mid = temporary("\(node.outputs[0])__centered")
            if a.invert {
                append("Mul", name: "\(node.name)/scale", inputs: [x, std], outputs: [mid])
                append("Add", name: node.name, inputs: [mid, mean], outputs: [produce(node.outputs[0], .native)])
            } else {
                append("Sub", name: "\(node.name)/center", inputs: [x, mean], outputs: [mid])
                append("Div", name: node.name, inputs: [mid, std], outputs: [produce(node.outputs[0], .native)])
            }
        case .rescale(let a):
            let scale = initializer("\(node.name)/scale", Tensor(shape: a.scale.count == 1 ? [] : [a.scale.count],
                                                               doubles: a.scale.map(Double.init), dtype: dtype))
            let offset = initializer("\(node.name)/offset", Tensor(shape: a.offset.count == 1 ? [] : [a.offset.count],
                                                                 doubles: a.offset.map(Double.init), dtype: dtype))
            let scaled = temporary("\(node.outputs[0])__scaled")
            append("Mul", name: "\(node.name)/scale", inputs: [try ref(v), scale], outputs: [scaled])
            append("Add", name: node.name, inputs: [scaled, offset], outputs: [produce(node.outputs[0], .native)])
        }
    }
}
