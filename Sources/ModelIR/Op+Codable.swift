/// The `.swm` graph JSON of an op: `{"kind": "<tag>", "attributes": {…}}` (schemas/swm.md §4).
/// Format 1.0's tags (`conv2d`, `max_pool2d`, `add`, …) are still read.
extension Op: Codable {
    private enum Keys: String, CodingKey {
        case kind, attributes
        // Format 1.0 kept some attributes beside the kind.
        case rate, keepDims, top, bottom, left, right, targetShape, axis, activation
    }

    private struct Axis: Codable { var axis: Int }
    private struct Equation: Codable { var equation: String }
    private struct Scatter: Codable {
        var axis: Int?
        var reduction: ScatterReduction
    }
    private struct OptionalAxes: Codable { var axes: [Int]? }
    private struct Perm: Codable { var perm: [Int]? }
    private struct Shape_: Codable { var shape: [Int]? }
    private struct Repeats: Codable { var repeats: [Int]? }
    private struct ShapeRange: Codable { var start: Int; var end: Int? }
    private struct CastTo: Codable { var to: DType }
    private struct FillValue: Codable { var value: ScalarValue }
    private struct Rate: Codable { var rate: Float; var seed: Int? }
    private struct Count: Codable { var n: Int }
    private struct ScaleValue: Codable { var scale: Double }

    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: Keys.self)
        let kind = try c.decode(String.self, forKey: .kind)
        func a<T: Decodable>(_ type: T.Type) throws -> T { try c.decode(T.self, forKey: .attributes) }
        if let legacy = try Self.legacy(kind, c) { self = legacy; return }
        switch kind {
        case "conv": self = .conv(.conv(try a(ConvAttributes.self)))
        case "depthwise_conv": self = .conv(.depthwise(try a(DepthwiseConvAttributes.self)))
        case "separable_conv": self = .conv(.separable(try a(SeparableConvAttributes.self)))
        case "conv_transpose": self = .conv(.transposed(try a(ConvTransposeAttributes.self)))
        case "max_pool": self = .pool(.max(try a(PoolAttributes.self)))
        case "average_pool": self = .pool(.average(try a(PoolAttributes.self)))
        case "lp_pool": self = .pool(.lp(try a(PoolAttributes.self)))
        case "global_max_pool": self = .pool(.globalMax(try a(GlobalPoolAttributes.self)))
        case "global_average_pool": self = .pool(.globalAverage(try a(GlobalPoolAttributes.self)))
        case "global_lp_pool": self = .pool(.globalLp(try a(GlobalPoolAttributes.self)))
        case "dense": self = .linear(.dense(try a(DenseAttributes.self)))
        case "matmul": self = .linear(.matMul)
        case "einsum": self = .linear(.einsum(equation: try a(Equation.self).equation))
        case "gemm": self = .linear(.gemm(try a(GemmAttributes.self)))
        case "batch_normalization": self = .normalization(.batch(try a(BatchNormAttributes.self)))
        case "instance_normalization": self = .normalization(.instance(try a(InstanceNormAttributes.self)))
        case "layer_normalization": self = .normalization(.layer(try a(LayerNormAttributes.self)))
        case "group_normalization": self = .normalization(.group(try a(GroupNormAttributes.self)))
        case "lp_normalization": self = .normalization(.lp(try a(LpNormAttributes.self)))
        case "local_response_normalization": self = .normalization(.localResponse(try a(LRNAttributes.self)))
        case "standardize": self = .normalization(.standardize(try a(StandardizeAttributes.self)))
        case "rescale": self = .normalization(.rescale(try a(RescaleAttributes.self)))
        case "activation": self = .activation(try a(Activation.self))
        case "where": self = .elementwise(.select)
        case "clip": self = .elementwise(.clip(try a(ClipAttributes.self)))
        case "prelu": self = .elementwise(.prelu)
        case "scalar": self = .elementwise(.scalar(try a(ScalarOperation.self)))
        case "scaled_add": self = .elementwise(.scaledAdd(scale: try a(ScaleValue.self).scale))
        case "scale": self = .elementwise(.scale)
        case "argmax": self = .reduction(.argMax(try a(ArgReduceAttributes.self)))
        case "argmin": self = .reduction(.argMin(try a(ArgReduceAttributes.self)))
        case "reshape": self = .tensor(.reshape(try a(ReshapeAttributes.self)))
        case "flatten": self = .tensor(.flatten(axis: try a(Axis.self).axis))
        case "transpose": self = .tensor(.transpose(perm: try a(Perm.self).perm))
        case "squeeze": self = .tensor(.squeeze(axes: try a(OptionalAxes.self).axes))
        case "unsqueeze": self = .tensor(.unsqueeze(axes: try a(OptionalAxes.self).axes))
        case "concat": self = .tensor(.concat(axis: try a(Axis.self).axis))
        case "split": self = .tensor(.split(try a(SplitAttributes.self)))
        case "slice": self = .tensor(.slice(try a(SliceAttributes.self)))
        case "gather": self = .tensor(.gather(axis: try a(Axis.self).axis))
        case "gather_elements": self = .tensor(.gatherElements(axis: try a(Axis.self).axis))
        case "scatter_nd": self = .tensor(.scatterND(reduction: try a(Scatter.self).reduction))
        case "scatter_elements": let s = try a(Scatter.self); self = .tensor(.scatterElements(axis: s.axis ?? 0, reduction: s.reduction))
        case "expand": self = .tensor(.expand(shape: try a(Shape_.self).shape))
        case "tile": self = .tensor(.tile(repeats: try a(Repeats.self).repeats))
        case "pad": self = .tensor(.pad(try a(PadAttributes.self)))
        case "resize": self = .tensor(.resize(try a(ResizeAttributes.self)))
        case "depth_to_space": self = .tensor(.depthToSpace(try a(DepthToSpaceAttributes.self)))
        case "space_to_depth": self = .tensor(.spaceToDepth(try a(SpaceToDepthAttributes.self)))
        case "shape": let r = try a(ShapeRange.self); self = .tensor(.shape(start: r.start, end: r.end))
        case "size": self = .tensor(.size)
        case "cast": self = .tensor(.cast(to: try a(CastTo.self).to))
        case "cast_like": self = .tensor(.castLike)
        case "constant_of_shape": self = .tensor(.constantOfShape(value: try a(FillValue.self).value))
        case "range": self = .tensor(.range)
        case "identity": self = .tensor(.identity)
        case "dropout": let r = try a(Rate.self); self = .tensor(.dropout(rate: r.rate, seed: r.seed))
        case "repeat_vector": self = .tensor(.repeatVector(n: try a(Count.self).n))
        case "quantize_linear": self = .quantization(.quantizeLinear(try a(QuantizeAttributes.self)))
        case "dequantize_linear": self = .quantization(.dequantizeLinear(try a(QuantizeAttributes.self)))
        case "dynamic_quantize_linear": self = .quantization(.dynamicQuantizeLinear)
        case "matmul_integer": self = .quantization(.matMulInteger)
        case "conv_integer": self = .quantization(.convInteger(try a(ConvAttributes.self)))
        case "qlinear_conv": self = .quantization(.qLinearConv(try a(ConvAttributes.self)))
        case "qlinear_matmul": self = .quantization(.qLinearMatMul)
        case "qlinear_global_average_pool": self = .quantization(.qLinearGlobalAveragePool(try a(QLinearPoolAttributes.self)))
        case "qlinear_softmax": self = .quantization(.qLinearSoftmax(try a(QLinearSoftmaxAttributes.self)))
        case "custom": self = .custom(try a(CustomOp.self))
        default:
            if let f = UnaryFunction(rawValue: kind) { self = .elementwise(.unary(f)); return }
            if let f = BinaryFunction(rawValue: kind) { self = .elementwise(.binary(f)); return }
            if let f = VariadicFunction(rawValue: kind) { self = .elementwise(.variadic(f)); return }
            if kind.hasPrefix("reduce_") {
                self = .reduction(.reduce(try a(ReduceAttributes.self)))
                return
            }
            throw DecodingError.dataCorruptedError(forKey: .kind, in: c, debugDescription: "unknown op kind '\(kind)'")
        }
    }

    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: Keys.self)
        try c.encode(kind, forKey: .kind)
        func a<T: Encodable>(_ value: T) throws { try c.encode(value, forKey: .attributes) }
        switch self {
        case .conv(.conv(let x)): try a(x)
        case .conv(.depthwise(let x)): try a(x)
        case .conv(.separable(let x)): try a(x)
        case .conv(.transposed(let x)): try a(x)
        case .pool(.max(let x)), .pool(.average(let x)), .pool(.lp(let x)): try a(x)
        case .pool(.globalMax(let x)), .pool(.globalAverage(let x)), .pool(.globalLp(let x)): try a(x)
        case .linear(.dense(let x)): try a(x)
        case .linear(.matMul): break
        case .linear(.einsum(let equation)): try a(Equation(equation: equation))
        case .linear(.gemm(let x)): try a(x)
        case .normalization(.batch(let x)): try a(x)
        case .normalization(.instance(let x)): try a(x)
        case .normalization(.layer(let x)): try a(x)
        case .normalization(.group(let x)): try a(x)
        case .normalization(.lp(let x)): try a(x)
        case .normalization(.localResponse(let x)): try a(x)
        case .normalization(.standardize(let x)): try a(x)
        case .normalization(.rescale(let x)): try a(x)
        case .activation(let x): try a(x)
        case .elementwise(.clip(let x)): try a(x)
        case .elementwise(.scalar(let x)): try a(x)
        case .elementwise(.scaledAdd(let scale)): try a(ScaleValue(scale: scale))
        case .elementwise(.unary), .elementwise(.binary), .elementwise(.variadic), .elementwise(.select), .elementwise(.prelu),
             .elementwise(.scale): break
        case .reduction(.reduce(let x)): try a(x)
        case .reduction(.argMax(let x)), .reduction(.argMin(let x)): try a(x)
        case .tensor(let t):
            switch t {
            case .reshape(let x): try a(x)
            case .flatten(let axis), .concat(let axis), .gather(let axis), .gatherElements(let axis): try a(Axis(axis: axis))
            case .scatterND(let reduction): try a(Scatter(axis: nil, reduction: reduction))
            case let .scatterElements(axis, reduction): try a(Scatter(axis: axis, reduction: reduction))
            case .transpose(let perm): try a(Perm(perm: perm))
            case .squeeze(let axes), .unsqueeze(let axes): try a(OptionalAxes(axes: axes))
            case .split(let x): try a(x)
            case .slice(let x): try a(x)
            case .expand(let shape): try a(Shape_(shape: shape))
            case .tile(let repeats): try a(Repeats(repeats: repeats))
            case .pad(let x): try a(x)
            case .resize(let x): try a(x)
            case .depthToSpace(let x): try a(x)
            case .spaceToDepth(let x): try a(x)
            case let .shape(start, end): try a(ShapeRange(start: start, end: end))
            case .cast(let to): try a(CastTo(to: to))
            case .constantOfShape(let value): try a(FillValue(value: value))
            case let .dropout(rate, seed): try a(Rate(rate: rate, seed: seed))
            case .repeatVector(let n): try a(Count(n: n))
            case .size, .castLike, .range, .identity: break
            }
        case .quantization(.quantizeLinear(let x)), .quantization(.dequantizeLinear(let x)): try a(x)
        case .quantization(.dynamicQuantizeLinear), .quantization(.matMulInteger), .quantization(.qLinearMatMul): break
        case .quantization(.convInteger(let x)), .quantization(.qLinearConv(let x)): try a(x)
        case .quantization(.qLinearGlobalAveragePool(let x)): try a(x)
        case .quantization(.qLinearSoftmax(let x)): try a(x)
        case .custom(let x): try a(x)
        }
    }

    // MARK: - Format 1.0

    private struct LegacyConv2D: Decodable {
        var filters: Int, kernelSize: [Int], strides: [Int], dilations: [Int], padding: Padding, groups: Int
        var activation: Activation
    }
    private struct LegacyDepthwise: Decodable {
        var depthMultiplier: Int, kernelSize: [Int], strides: [Int], dilations: [Int], padding: Padding, activation: Activation
    }
    private struct LegacySeparable: Decodable {
        var filters: Int, depthMultiplier: Int, kernelSize: [Int], strides: [Int], dilations: [Int], padding: Padding
        var activation: Activation
    }
    private struct LegacyPool: Decodable { var poolSize: [Int], strides: [Int], padding: Padding, countIncludePad: Bool }

    /// The op a format-1.0 tag names, or nil for a current tag.
    private static func legacy(_ kind: String, _ c: KeyedDecodingContainer<Keys>) throws -> Op? {
        func a<T: Decodable>(_ type: T.Type) throws -> T { try c.decode(T.self, forKey: .attributes) }
        switch kind {
        case "conv2d":
            let x = try a(LegacyConv2D.self)
            return .conv(.conv(ConvAttributes(filters: x.filters, kernelSize: x.kernelSize, strides: x.strides, dilations: x.dilations,
                                              padding: x.padding, groups: x.groups, activation: x.activation)))
        case "depthwise_conv2d":
            let x = try a(LegacyDepthwise.self)
            return .conv(.depthwise(DepthwiseConvAttributes(depthMultiplier: x.depthMultiplier, kernelSize: x.kernelSize,
                                                            strides: x.strides, dilations: x.dilations, padding: x.padding,
                                                            activation: x.activation)))
        case "separable_conv2d":
            let x = try a(LegacySeparable.self)
            return .conv(.separable(SeparableConvAttributes(filters: x.filters, depthMultiplier: x.depthMultiplier,
                                                            kernelSize: x.kernelSize, strides: x.strides, dilations: x.dilations,
                                                            padding: x.padding, activation: x.activation)))
        case "max_pool2d", "average_pool2d":
            let x = try a(LegacyPool.self)
            let p = PoolAttributes(poolSize: x.poolSize, strides: x.strides, padding: x.padding, countIncludePad: x.countIncludePad)
            return kind == "max_pool2d" ? .pool(.max(p)) : .pool(.average(p))
        case "global_average_pool2d", "global_max_pool2d":
            let p = GlobalPoolAttributes(keepDims: try c.decode(Bool.self, forKey: .keepDims))
            return kind == "global_max_pool2d" ? .pool(.globalMax(p)) : .pool(.globalAverage(p))
        case "zero_padding2d":
            let (t, b) = (try c.decode(Int.self, forKey: .top), try c.decode(Int.self, forKey: .bottom))
            let (l, r) = (try c.decode(Int.self, forKey: .left), try c.decode(Int.self, forKey: .right))
            return .tensor(.pad(PadAttributes(pads: [0, t, l, 0, 0, b, r, 0])))
        case "flatten" where !c.contains(.attributes):
            return .tensor(.flatten(axis: 1))
        case "reshape" where c.contains(.targetShape):
            return .tensor(.reshape(ReshapeAttributes(shape: [0] + (try c.decode([Int].self, forKey: .targetShape)))))
        case "dropout" where c.contains(.rate):
            return .tensor(.dropout(rate: try c.decode(Float.self, forKey: .rate)))
        case "activation" where c.contains(.activation):
            return .activation(try c.decode(Activation.self, forKey: .activation))
        case "add" where !c.contains(.attributes):
            return .elementwise(.variadic(.add))
        case "multiply":
            return .elementwise(.variadic(.mul))
        case "concatenate":
            return .tensor(.concat(axis: try c.decode(Int.self, forKey: .axis)))
        default:
            return nil
        }
    }

    /// Format 1.0's BatchNormalization carried `center` and `scale`; the node decoder places its
    /// weights with them.
    struct LegacyBatchNormFlags: Decodable { var center: Bool, scale: Bool }
}
