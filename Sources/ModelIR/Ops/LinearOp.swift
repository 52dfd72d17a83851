/// Matrix products.
public enum LinearOp: Sendable, Equatable {
    /// `[input, kernel, bias?]`: `input[…, in] · kernel[in, units] + bias` over the last axis.
    /// Keras Dense (IO kernel).
    case dense(DenseAttributes)
    /// `[a, b]`: NumPy `matmul` (batched, broadcasting; 1-D operands promoted). ONNX MatMul.
    case matMul
    /// `[a, b, c?]`: `alpha · a' · b' + beta · c` with optional transposes, 2-D. ONNX Gemm.
    case gemm(GemmAttributes)
    /// `[x…]`: NumPy `einsum` over the operands (`ab,bc->ac`; `...` broadcasts). ONNX Einsum.
    case einsum(equation: String)

    public var kind: String {
        switch self {
        case .dense: "dense"
        case .matMul: "matmul"
        case .gemm: "gemm"
        case .einsum: "einsum"
        }
    }

    public var inputRoles: [String] {
        switch self {
        case .dense: ["input", "kernel", "bias?"]
        case .matMul: ["a", "b"]
        case .gemm: ["a", "b", "c?"]
        case .einsum: ["x..."]
        }
    }

    public var displayName: String {
        switch self {
        case .dense: "Dense"
        case .matMul: "MatMul"
        case .gemm: "Gemm"
        case .einsum: "Einsum"
        }
    }
}

public struct DenseAttributes: Sendable, Equatable, Codable {
    public var units: Int
    public var activation: Activation

    public init(units: Int, activation: Activation = .linear) {
        self.units = units
        self.activation = activation
    }
}

public struct GemmAttributes: Sendable, Equatable, Codable {
    public var alpha: Float
    public var beta: Float
    public var transA: Bool
    public var transB: Bool

    public init(alpha: Float = 1, beta: Float = 1, transA: Bool = false, transB: Bool = false) {
        self.alpha = alpha
        self.beta = beta
        self.transA = transA
        self.transB = transB
    }
}
