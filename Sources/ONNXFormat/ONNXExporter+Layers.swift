import ModelIR
import ONNXProto

/// Dense, pooling, normalization, shape and elementwise ops → ONNX.
extension ONNXExporter {
    /// `dense` on `[N, K]` → `Gemm(x, B = kernel IO, C = bias)`; on higher ranks (dense over the last
    /// axis, which is channels-last) → `MatMul` + `Add` in the IR's axis order.
    func dense(_ node: Node, _ a: DenseAttributes) throws {
        let x = try value(node.inputs[0], as: .ir, node: node.name)
        let kernel = try weightInitializer(node.weights[0], node: node)
        let bias = a.useBias ? try weightInitializer(node.weights[1], node: node) : nil
        let target = try activationTarget(node, a.activation, layout: .ir)
        if rank(node.inputs[0]) == 2 {
            append(makeNode("Gemm", name: node.name, inputs: [x, kernel] + (bias.map { [$0] } ?? []), outputs: [target.convOutput]))
        } else if let bias {
            let product = temporary("\(node.outputs[0])__matmul")
            append(makeNode("MatMul", name: node.name, inputs: [x, kernel], outputs: [product]))
            append(makeNode("Add", name: "\(node.name)/bias", inputs: [product, bias], outputs: [target.convOutput]))
        } else {
            append(makeNode("MatMul", name: node.name, inputs: [x, kernel], outputs: [target.convOutput]))
        }
        try finishActivation(node, a.activation, target, layout: .ir)
    }

    func pool(_ node: Node) throws {
        let x = try value(node.inputs[0], as: .nchw, node: node.name)
        switch node.op {
        case .maxPool2D(let a), .averagePool2D(let a):
            let isMax: Bool
            if case .maxPool2D = node.op { isMax = true } else { isMax = false }
            var attrs = [attribute("kernel_shape", ints: a.poolSize), attribute("strides", ints: a.strides)]
            attrs += padAttributes(a.padding, inputShape: shapes[node.inputs[0]] ?? [], kernel: a.poolSize, strides: a.strides,
                                   dilations: [1, 1])
            if !isMax { attrs.append(attribute("count_include_pad", int: a.countIncludePad ? 1 : 0)) }
            append(makeNode(isMax ? "MaxPool" : "AveragePool", name: node.name, inputs: [x],
                            outputs: [output(node.outputs[0], layout: .nchw)], attributes: attrs))
        case .globalAveragePool2D(let keep), .globalMaxPool2D(let keep):
            let op: String
            if case .globalMaxPool2D = node.op { op = "GlobalMaxPool" } else { op = "GlobalAveragePool" }
            if keep {
                append(makeNode(op, name: node.name, inputs: [x], outputs: [output(node.outputs[0], layout: .nchw)]))
            } else {
                // [N, C, 1, 1] → [N, C]: a Squeeze, which the importer folds back into keepDims false.
                let pooled = temporary("\(node.outputs[0])__pooled")
                append(makeNode(op, name: node.name, inputs: [x], outputs: [pooled]))
                let axes = int64Initializer("\(node.name)/squeeze_axes", [2, 3])
                append(makeNode("Squeeze", name: "\(node.name)/squeeze", inputs: [pooled, axes],
                                outputs: [output(node.outputs[0], layout: .ir)]))
            }
        default:
            break
        }
    }

    /// BatchNormalization over the channel axis: NCHW for images, `[N, C]` as it is.
    func batchNormalization(_ node: Node, _ a: BatchNormAttributes) throws {
        let r = rank(node.inputs[0])
        guard r == 4 || r == 2 else {
            throw ONNXError.cannotExport(node: node.name, detail: "batch normalization of a rank-\(r) tensor (only images and [N, C])")
        }
        let layout: Layout = r == 4 ? .nchw : .ir
        let x = try value(node.inputs[0], as: layout, node: node.name)
        let roles = node.op.weightRoles
        func named(_ role: String) -> String? { roles.firstIndex(of: role).map { node.weights[$0] } }
        guard let meanName = named("moving_mean"), let varName = named("moving_variance") else {
            throw ONNXError.cannotExport(node: node.name, detail: "missing moving statistics")
        }
        let c = graph.weights[meanName]?.info.shape.first ?? 0
        let scale = try named("gamma").map { try weightInitializer($0, node: node) }
            ?? initializer("\(node.name)/gamma", dims: [c]) { TensorData(floats: [Float](repeating: 1, count: c)) }
        let bias = try named("beta").map { try weightInitializer($0, node: node) }
            ?? initializer("\(node.name)/beta", dims: [c]) { TensorData(floats: [Float](repeating: 0, count: c)) }
        let mean = try weightInitializer(meanName, node: node)
        let variance = try weightInitializer(varName, node: node)
        append(makeNode("BatchNormalization", name: node.name, inputs: [x, scale, bias, mean, variance],
                        outputs: [output(node.outputs[0], layout: layout)], attributes: [attribute("epsilon", float: a.epsilon)]))
    }

    func shapeOp(_ node: Node) throws {
        switch node.op {
        case let .zeroPadding2D(top, bottom, left, right):
            let x = try value(node.inputs[0], as: .nchw, node: node.name)
            let pads = int64Initializer("\(node.name)/pads", [0, 0, top, left, 0, 0, bottom, right])
            append(makeNode("Pad", name: node.name, inputs: [x, pads], outputs: [output(node.outputs[0], layout: .nchw)],
                            attributes: [attribute("mode", string: "constant")]))
        case .flatten:
            // Keras flattens NHWC in H, W, C order: back to the IR's order first.
            let x = try value(node.inputs[0], as: .ir, node: node.name)
            append(makeNode("Flatten", name: node.name, inputs: [x], outputs: [output(node.outputs[0], layout: .ir)],
                            attributes: [attribute("axis", int: 1)]))
        case .reshape(let target):
            let x = try value(node.inputs[0], as: .ir, node: node.name)
            let shape = int64Initializer("\(node.name)/shape", [0] + target)
            append(makeNode("Reshape", name: node.name, inputs: [x, shape], outputs: [output(node.outputs[0], layout: .ir)]))
        case .dropout(let rate):
            let layout = nativeLayout(node.inputs[0])
            let x = try value(node.inputs[0], as: layout, node: node.name)
            let ratio = scalarInitializer("\(node.name)/ratio", rate)
            append(makeNode("Dropout", name: node.name, inputs: [x, ratio], outputs: [output(node.outputs[0], layout: layout)]))
        default:
            break
        }
    }

    /// `add`/`multiply` (n-ary → a chain of binary ops) and `concatenate`, in the first input's layout.
    func elementwise(_ node: Node) throws {
        let first = node.inputs[0]
        let layout = rank(first) == 4 ? nativeLayout(first) : .ir
        let xs = try node.inputs.map { try value($0, as: layout, node: node.name) }
        switch node.op {
        case .concatenate(let axis):
            let r = rank(first)
            let ax = axis < 0 ? axis + r : axis
            append(makeNode("Concat", name: node.name, inputs: xs, outputs: [output(node.outputs[0], layout: layout)],
                            attributes: [attribute("axis", int: layout == .nchw ? _ValueState.nhwcToNCHWAxis[ax] : ax)]))
        default:
            let op: String
            if case .add = node.op { op = "Add" } else { op = "Mul" }
            var accumulated = xs[0]
            for (i, x) in xs.dropFirst().enumerated() {
                let last = i == xs.count - 2
                let out = last ? output(node.outputs[0], layout: layout) : temporary("\(node.outputs[0])__partial\(i)")
                append(makeNode(op, name: last ? node.name : "\(node.name)/\(i)", inputs: [accumulated, x], outputs: [out]))
                accumulated = out
            }
        }
    }
}
