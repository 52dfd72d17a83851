/// One operation of the graph with its typed attributes, grouped in families. Each family lives
/// in `Ops/<Family>.swift` (cases, attributes, operand roles, display names, JSON tags), its shape
/// and type rules in `Inference/<Family>.swift` and its reference semantics in
/// `Evaluation/<Family>.swift`.
///
/// Operands are the node's `inputs`, in the order `inputRoles` documents (ONNX's order where ONNX
/// has the op): data first, then parameters — a Conv2D reads `[input, kernel, bias]`. A parameter is
/// usually a constant (`Graph.weights`) but may be any value; an absent optional operand is "".
/// Where ONNX takes a shape-like parameter as an input (Reshape's shape, Slice's starts, Pad's
/// pads), the attribute holds it when it is known at import and is nil when the operand supplies
/// it at run time.
public enum Op: Sendable, Equatable {
    /// Convolutions: Keras Conv1D/2D/3D, DepthwiseConv, SeparableConv, ConvTranspose; ONNX Conv, ConvTranspose.
    case conv(ConvOp)
    /// Windowed and global pooling.
    case pool(PoolOp)
    /// Dense, MatMul, Gemm.
    case linear(LinearOp)
    /// Batch, instance, layer, group, Lp and local-response normalization, Keras Normalization and Rescaling.
    case normalization(NormalizationOp)
    /// A unary activation function (Keras `Activation`, `ReLU`, …; ONNX `Relu`, `Sigmoid`, …).
    case activation(Activation)
    /// Element-wise math with NumPy broadcasting.
    case elementwise(ElementwiseOp)
    /// Reductions over axes, ArgMax/ArgMin.
    case reduction(ReductionOp)
    /// Shape and data movement: reshape, transpose, concat, slice, pad, resize, cast, …
    case tensor(TensorOp)
    /// QuantizeLinear / DequantizeLinear and friends.
    case quantization(QuantizationOp)
    /// An operation wtool carries but does not interpret: an ONNX op of another domain or without
    /// a kernel (LSTM, NonMaxSuppression), a Keras layer it cannot run (Lambda, a custom class).
    /// Converting, summary, diff and graph work on it; running refuses it by name.
    case custom(CustomOp)

    /// The stable tag that names this op in the `.swm` graph JSON (`conv`, `add`, `reshape`, …).
    public var kind: String {
        switch self {
        case .conv(let o): o.kind
        case .pool(let o): o.kind
        case .linear(let o): o.kind
        case .normalization(let o): o.kind
        case .activation: "activation"
        case .elementwise(let o): o.kind
        case .reduction(let o): o.kind
        case .tensor(let o): o.kind
        case .quantization(let o): o.kind
        case .custom: "custom"
        }
    }

    /// Roles of the operands in `Node.inputs`, in order (for messages, binding and writers). A
    /// trailing `...` role repeats (variadic inputs); roles ending in `?` are optional.
    public var inputRoles: [String] {
        switch self {
        case .conv(let o): o.inputRoles
        case .pool: ["input"]
        case .linear(let o): o.inputRoles
        case .normalization(let o): o.inputRoles
        case .activation: ["input"]
        case .elementwise(let o): o.inputRoles
        case .reduction(let o): o.inputRoles
        case .tensor(let o): o.inputRoles
        case .quantization(let o): o.inputRoles
        case .custom(let c): c.inputRoles
        }
    }

    /// How many leading operands are activations rather than layer parameters: 1 for layers with
    /// weights (Conv, Dense, BatchNormalization, PReLU…), every operand for the rest. Keras
    /// writes the operands after them as the layer's weights, in role order.
    public var dataInputCount: Int {
        switch self {
        case .conv, .pool, .activation, .normalization, .linear(.dense), .elementwise(.prelu), .elementwise(.scale): 1
        case .custom(let c): c.dataInputCount
        default: Int.max
        }
    }

    /// A readable name: Keras's class name for the ops Keras has (`Conv2D`, `MaxPooling2D`,
    /// `Add`), ONNX's op type otherwise. `summary` prefers the node's `sourceType` when set.
    public var displayName: String {
        switch self {
        case .conv(let o): o.displayName
        case .pool(let o): o.displayName
        case .linear(let o): o.displayName
        case .normalization(let o): o.displayName
        case .activation(let a): a.displayName
        case .elementwise(let o): o.displayName
        case .reduction(let o): o.displayName
        case .tensor(let o): o.displayName
        case .quantization(let o): o.displayName
        case .custom(let c): c.type
        }
    }

    /// The fused activation of a layer that has one (Conv, Dense), else nil.
    public var fusedActivation: Activation? {
        switch self {
        case .conv(let o): o.activation
        case .linear(.dense(let a)): a.activation
        default: nil
        }
    }
}
