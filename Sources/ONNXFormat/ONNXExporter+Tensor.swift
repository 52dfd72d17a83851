import ModelIR
import ONNXProto

/// IR `tensor` → ONNX's data-movement, shape and type ops. Parameters known in the IR become
/// int64 (or float) initializers in the input form opsets 13+ use; those the IR reads at run time
/// stay the operands they were. Keras's RepeatVector is Unsqueeze + Tile.
extension ONNXExporter {
    func exportTensor(_ node: Node, _ op: TensorOp) throws {
        if case .concat(let axis) = op, let r = rank(node.inputs[0]), r >= 3, node.inputs.contains(where: isChannelsFirstOnly),
           node.inputs.allSatisfy({ names[$0]?[.channelsFirst] != nil }), let a = Shape.normalizedAxis(axis, rank: r) {
            // Channels first when every operand has that form (one at least having only it).
            let cfAxis = Self.toChannelsFirst(rank: r).firstIndex(of: a) ?? a
            append("Concat", name: node.name, inputs: try node.inputs.map { try ref($0, .channelsFirst) },
                   outputs: [produce(node.outputs[0], .channelsFirst)], attributes: [attribute("axis", int: cfAxis)])
            return
        }
        let x = try ref(input(node, 0))
        let out = node.outputs.first.map { produce($0, .native) } ?? ""
        func emit(_ type: String, _ inputs: [String], _ attributes: [Onnx_AttributeProto] = []) {
            append(type, name: node.name, inputs: inputs, outputs: [out], attributes: attributes)
        }
        /// A list parameter: an int64 initializer when known, else operand `i` as it is.
        func list(_ values: [Int]?, _ i: Int, _ role: String) throws -> String {
            if let values { return int64Initializer("\(node.name)/\(role)", values) }
            return try ref(input(node, i))
        }
        switch op {
        case .reshape(let a):
            if a.allowZero { try require(node, opset: 14, for: "Reshape with allowzero") }
            emit("Reshape", [x, try list(a.shape, 1, "shape")], a.allowZero ? [attribute("allowzero", int: 1)] : [])
        case .flatten(let axis): emit("Flatten", [x], [attribute("axis", int: axis)])
        case .transpose(let perm): emit("Transpose", [x], perm.map { [attribute("perm", ints: $0)] } ?? [])
        case .squeeze(let axes):
            emit("Squeeze", [x] + (axes == nil && input(node, 1).isEmpty ? [] : [try list(axes, 1, "axes")]))
        case .unsqueeze(let axes): emit("Unsqueeze", [x, try list(axes, 1, "axes")])
        case .concat(let axis): emit("Concat", try node.inputs.map { try ref($0) }, [attribute("axis", int: axis)])
        case .split(let a):
            var attributes = [attribute("axis", int: a.axis)]
            var inputs = [x]
            if a.sizes != nil || !input(node, 1).isEmpty {
                inputs.append(try list(a.sizes, 1, "split"))
            } else if opset >= 18 {
                attributes.append(attribute("num_outputs", int: node.outputs.count))
            } else if let s = shape(node.inputs[0]), let axis = Shape.normalizedAxis(a.axis, rank: s.count), s[axis] >= 0,
                      s[axis] % max(node.outputs.count, 1) != 0 {
                // Before opset 18 a split without sizes must divide evenly; otherwise give the sizes.
                inputs.append(int64Initializer("\(node.name)/split", TensorOp.equalSplit(s[axis], parts: node.outputs.count)))
            }
            let outs = node.outputs.map { $0.isEmpty ? "" : produce($0, .native) }
            append("Split", name: node.name, inputs: inputs, outputs: outs, attributes: attributes)
        case .slice(let a):
            emit("Slice", [x, try list(a.starts, 1, "starts"), try list(a.ends, 2, "ends"),
                           a.axes == nil && input(node, 3).isEmpty ? "" : try list(a.axes, 3, "axes"),
                           a.steps == nil && input(node, 4).isEmpty ? "" : try list(a.steps, 4, "steps")])
        case .gather(let axis): emit("Gather", [x, try ref(node.inputs[1])], [attribute("axis", int: axis)])
        case .gatherElements(let axis): emit("GatherElements", [x, try ref(node.inputs[1])], [attribute("axis", int: axis)])
        case .scatterND(let reduction):
            try requireScatter(node, reduction)
            emit("ScatterND", [x, try ref(node.inputs[1]), try ref(node.inputs[2])],
                 reduction == .none ? [] : [attribute("reduction", string: reduction.rawValue)])
        case let .scatterElements(axis, reduction):
            try requireScatter(node, reduction)
            emit("ScatterElements", [x, try ref(node.inputs[1]), try ref(node.inputs[2])],
                 [attribute("axis", int: axis)] + (reduction == .none ? [] : [attribute("reduction", string: reduction.rawValue)]))
        case .expand(let shape): emit("Expand", [x, try list(shape, 1, "shape")])
        case .tile(let repeats): emit("Tile", [x, try list(repeats, 1, "repeats")])
        case .pad(let a):
            if a.mode == .wrap { try require(node, opset: 19, for: "wrap padding") }
            var value = try ref(input(node, 2))
            if let v = a.value, v != 0 || a.mode != .constant { value = a.mode == .constant ? scalarInitializer("\(node.name)/value", v, dtype: dtype(node.inputs[0])) : "" }
            var axes = ""
            if a.axes != nil || !input(node, 3).isEmpty {
                try require(node, opset: 18, for: "Pad with axes")
                axes = try list(a.axes, 3, "axes")
            }
            emit("Pad", [x, try list(a.pads, 1, "pads"), value, axes], [attribute("mode", string: a.mode.rawValue)])
        case .resize(let a): try exportResize(node, a, x: x, out: out)
        case .depthToSpace(let a):
            emit("DepthToSpace", [x], [attribute("blocksize", int: a.blockSize), attribute("mode", string: a.columnRowDepth ? "CRD" : "DCR")])
        case .spaceToDepth(let a):
            // The mode attribute exists from opset 28; DCR, the default, is written without it.
            var attributes = [attribute("blocksize", int: a.blockSize)]
            if a.columnRowDepth {
                try require(node, opset: 28, for: "SpaceToDepth mode CRD")
                attributes.append(attribute("mode", string: "CRD"))
            }
            emit("SpaceToDepth", [x], attributes)
        case let .shape(start, end):
            if start != 0 || end != nil { try require(node, opset: 15, for: "Shape with start/end") }
            var attributes: [Onnx_AttributeProto] = []
            if start != 0 { attributes.append(attribute("start", int: start)) }
            if let end { attributes.append(attribute("end", int: end)) }
            emit("Shape", [x], attributes)
        case .size: emit("Size", [x])
        case .cast(let to): emit("Cast", [x], [attribute("to", int: Int(_DataType.code(to)))])
        case .castLike:
            try require(node, opset: 15, for: "CastLike")
            emit("CastLike", [x, try ref(node.inputs[1])])
        case .constantOfShape(let value): emit("ConstantOfShape", [x], [attribute("value", tensor: value.tensor.reshaped([1]))])
        case .range: emit("Range", try node.inputs.map { try ref($0) })
        case .identity: emit("Identity", [x])
        case let .dropout(rate, seed):
            var ratio = try ref(input(node, 1))
            if ratio.isEmpty, rate != 0.5 { ratio = scalarInitializer("\(node.name)/ratio", Double(rate), dtype: .float32) }
            var outs = [out]
            if node.outputs.count > 1 { outs.append(produce(node.outputs[1], .native)) }
            let training = try ref(input(node, 2))
            append("Dropout", name: node.name, inputs: training.isEmpty ? [x, ratio] : [x, ratio, training], outputs: outs,
                   attributes: seed.map { [attribute("seed", int: $0)] } ?? [])
        case .repeatVector(let n):
            let expanded = temporary("\(node.outputs[0])__unsqueezed")
            append("Unsqueeze", name: "\(node.name)/unsqueeze", inputs: [x, int64Initializer("\(node.name)/axes", [1])], outputs: [expanded])
            append("Tile", name: node.name, inputs: [expanded, int64Initializer("\(node.name)/repeats", [1, n, 1])], outputs: [out])
        }
    }

    private func exportResize(_ node: Node, _ a: ResizeAttributes, x: String, out: String) throws {
        var attributes = [attribute("mode", string: a.mode.rawValue),
                          attribute("coordinate_transformation_mode", string: a.coordinateTransformation.rawValue)]
        if a.coordinateTransformation == .halfPixelSymmetric { try require(node, opset: 19, for: "half_pixel_symmetric resizing") }
        if a.mode == .nearest { attributes.append(attribute("nearest_mode", string: a.nearestMode.rawValue)) }
        if a.mode == .cubic {
            attributes.append(attribute("cubic_coeff_a", float: a.cubicCoefficient))
            if a.excludeOutside { attributes.append(attribute("exclude_outside", int: 1)) }
        }
        if a.coordinateTransformation == .tfCropAndResize { attributes.append(attribute("extrapolation_value", float: a.extrapolationValue)) }
        if a.antialias || a.axes != nil || a.keepAspectRatioPolicy != "stretch" {
            try require(node, opset: 18, for: "Resize with antialias, axes or keep_aspect_ratio_policy")
            if a.antialias { attributes.append(attribute("antialias", int: 1)) }
            if let axes = a.axes { attributes.append(attribute("axes", ints: axes)) }
            if a.keepAspectRatioPolicy != "stretch" { attributes.append(attribute("keep_aspect_ratio_policy", string: a.keepAspectRatioPolicy)) }
        }
        let roi = try ref(input(node, 1))
        var scales = try ref(input(node, 2)), sizes = try ref(input(node, 3))
        if let s = a.scales { scales = initializer("\(node.name)/scales", Tensor(shape: [s.count], floats: s)) }
        if let s = a.sizes {
            sizes = int64Initializer("\(node.name)/sizes", s)
            scales = ""
        }
        append("Resize", name: node.name, inputs: [x, roi, scales, sizes], outputs: [out], attributes: attributes)
    }

    func exportQuantization(_ node: Node, _ op: QuantizationOp) throws {
        let x = try ref(node.inputs[0])
        switch op {
        case .quantizeLinear(let a), .dequantizeLinear(let a):
            let quantize: Bool
            if case .quantizeLinear = op { quantize = true } else { quantize = false }
            var zeroPoint = try ref(input(node, 2))
            var attributes: [Onnx_AttributeProto] = []
            if a.axis != 1 { attributes.append(attribute("axis", int: a.axis)) }
            if let block = a.blockSize {
                try require(node, opset: 21, for: "blocked quantization (block_size)")
                attributes.append(attribute("block_size", int: block))
            }
            if quantize, zeroPoint.isEmpty, let t = a.outputType, t != .uint8 {
                if opset >= 21 {
                    attributes.append(attribute("output_dtype", int: Int(_DataType.code(t))))
                } else {
                    // Before opset 21 the zero point's type says the output type.
                    let scaleShape = shape(node.inputs[1]) ?? []
                    zeroPoint = initializer("\(node.name)/zero_point", Tensor(zeros: t, shape: scaleShape))
                }
            }
            append(quantize ? "QuantizeLinear" : "DequantizeLinear", name: node.name, inputs: [x, try ref(node.inputs[1]), zeroPoint],
                   outputs: [produce(node.outputs[0], .native)], attributes: attributes)
        case .dynamicQuantizeLinear:
            append("DynamicQuantizeLinear", name: node.name, inputs: [x], outputs: node.outputs.map { $0.isEmpty ? "" : produce($0, .native) })
        case .matMulInteger, .qLinearMatMul, .convInteger, .qLinearConv:
            var attributes: [Onnx_AttributeProto] = []
            if case .convInteger(let a) = op { attributes = try quantizedConvAttributes(node, a) }
            if case .qLinearConv(let a) = op { attributes = try quantizedConvAttributes(node, a) }
            let inputs = try node.inputs.map { $0.isEmpty ? "" : try ref($0) }
            append(op.displayName, name: node.name, inputs: inputs, outputs: [produce(node.outputs[0], .native)], attributes: attributes)
        case .qLinearGlobalAveragePool, .qLinearSoftmax:
            var attributes: [Onnx_AttributeProto] = []
            if case .qLinearGlobalAveragePool(let a) = op, a.channelsLast { attributes.append(attribute("channels_last", int: 1)) }
            if case .qLinearSoftmax(let a) = op { attributes = [attribute("axis", int: a.axis), attribute("opset", int: a.opset)] }
            use(domain: "com.microsoft", version: 1)
            let inputs = try node.inputs.map { $0.isEmpty ? "" : try ref($0) }
            append(op.displayName, name: node.name, inputs: inputs, outputs: [produce(node.outputs[0], .native)], attributes: attributes,
                   domain: "com.microsoft")
        }
    }

    /// ConvInteger's and QLinearConv's attributes: Conv's, for the channels-first OIHW form the
    /// importer makes (the only one ONNX has).
    private func quantizedConvAttributes(_ node: Node, _ a: ConvAttributes) throws -> [Onnx_AttributeProto] {
        guard a.layout == .channelsFirst, a.kernelLayout == .spatialLast, a.activation == .linear else {
            throw fail(node, "a quantized convolution is written channels first with an OIHW kernel and no activation")
        }
        return windowAttributes(a.kernelSize, a.strides, a.dilations, a.padding) + [attribute("group", int: a.groups)]
    }

    /// A scatter's reduction exists from opset 16 (add, mul) or 18 (max, min).
    func requireScatter(_ node: Node, _ reduction: ScatterReduction) throws {
        switch reduction {
        case .none: break
        case .add, .mul: try require(node, opset: 16, for: "a scatter with reduction '\(reduction.rawValue)'")
        case .max, .min: try require(node, opset: 18, for: "a scatter with reduction '\(reduction.rawValue)'")
        }
    }
}
