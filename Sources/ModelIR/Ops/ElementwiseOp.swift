/// Element-wise operations with NumPy broadcasting.
public enum ElementwiseOp: Sendable, Equatable {
    /// `[x]`: a math function of one operand (ONNX Neg, Abs, Sqrt, Exp, Log, …).
    case unary(UnaryFunction)
    /// `[a, b]`: ONNX Sub, Div, Pow, Mod, comparisons, logic; Keras Subtract.
    case binary(BinaryFunction)
    /// `[x, …]`: two or more operands folded left to right. Keras Add, Multiply, Maximum,
    /// Minimum, Average; ONNX Add, Mul, Max, Min, Sum, Mean.
    case variadic(VariadicFunction)
    /// `[condition, x, y]`: `condition ? x : y` (ONNX Where).
    case select
    /// `[x, min?, max?]`: clamps; `min`/`max` attributes when known at import (ONNX Clip).
    case clip(ClipAttributes)
    /// `[x, slope]`: `x < 0 ? slope · x : x`, slope broadcast (Keras PReLU's `alpha`, ONNX PRelu).
    case prelu
    /// `[x]`: `f(x, c)`, or `f(c, x)`, for a number `c` that is part of the op rather than an
    /// operand: Keras 3's operation nodes (`x + 3.0` is saved as `Add` with args `[x, 3.0]`) and
    /// tf_keras's `TFOpLambda` (`tf.math.multiply` with `y: 0.5`). Neither Keras counts `c` as a
    /// weight, and a constant operand would be one (parameter counts, writers); hence an attribute.
    case scalar(ScalarOperation)
    /// `[x, residual]`: `x + residual · scale` (keras.applications' `CustomScaleLayer`, the
    /// residual scaling of InceptionResNetV2, which tf_keras builds as a `Lambda` of the same
    /// expression). No single op of ONNX or Keras computes it; as two nodes it would be two layers.
    case scaledAdd(scale: Double)
    /// `[x, gamma]`: `x · γ`, γ a layer weight broadcast from the end (keras.applications ConvNeXt's
    /// `LayerScale`). A variadic `mul` computes the same, but its operands are all data: γ would be
    /// no layer weight for Keras binding and writing.
    case scale

    public var kind: String {
        switch self {
        case .unary(let f): f.rawValue
        case .binary(let f): f.rawValue
        case .variadic(let f): f.rawValue
        case .select: "where"
        case .clip: "clip"
        case .prelu: "prelu"
        case .scalar: "scalar"
        case .scaledAdd: "scaled_add"
        case .scale: "scale"
        }
    }

    public var inputRoles: [String] {
        switch self {
        case .unary: ["x"]
        case .binary: ["a", "b"]
        case .variadic: ["x..."]
        case .select: ["condition", "x", "y"]
        case .clip: ["x", "min?", "max?"]
        case .prelu: ["x", "alpha"]
        case .scalar: ["x"]
        case .scaledAdd: ["x", "residual"]
        case .scale: ["x", "gamma"]
        }
    }

    public var displayName: String {
        switch self {
        case .unary(let f): f.displayName
        case .binary(let f): f.displayName
        case .variadic(let f): f.displayName
        case .select: "Where"
        case .clip: "Clip"
        case .prelu: "PReLU"
        case .scalar(let s): s.function.displayName
        case .scaledAdd: "ScaledAdd"
        case .scale: "Scale"
        }
    }
}

public enum UnaryFunction: String, Sendable, Equatable, Codable, CaseIterable {
    case neg, abs, sqrt, exp, log, reciprocal, erf, floor, ceil, round, sign
    case sin, cos, tan, asin, acos, atan, sinh, cosh, asinh, acosh, atanh
    case not = "logical_not"
    case bitwiseNot = "bitwise_not"
    case isNaN = "isnan"
    case isInf = "isinf"
    case isPosInf = "isposinf"
    case isNegInf = "isneginf"

    public var displayName: String {
        switch self {
        case .neg: "Neg"
        case .abs: "Abs"
        case .sqrt: "Sqrt"
        case .exp: "Exp"
        case .log: "Log"
        case .reciprocal: "Reciprocal"
        case .erf: "Erf"
        case .floor: "Floor"
        case .ceil: "Ceil"
        case .round: "Round"
        case .sign: "Sign"
        case .sin: "Sin"
        case .cos: "Cos"
        case .tan: "Tan"
        case .asin: "Asin"
        case .acos: "Acos"
        case .atan: "Atan"
        case .sinh: "Sinh"
        case .cosh: "Cosh"
        case .asinh: "Asinh"
        case .acosh: "Acosh"
        case .atanh: "Atanh"
        case .not: "Not"
        case .bitwiseNot: "BitwiseNot"
        case .isNaN: "IsNaN"
        case .isInf, .isPosInf, .isNegInf: "IsInf"
        }
    }

    /// Functions whose result is bool whatever the operand type.
    public var returnsBool: Bool { [.isNaN, .isInf, .isPosInf, .isNegInf, .not].contains(self) }
}

public enum BinaryFunction: String, Sendable, Equatable, Codable, CaseIterable {
    case sub, div, pow
    /// Integer remainder with the divisor's sign (Python's `%`, ONNX Mod fmod=0).
    case mod
    /// C `fmod`: the dividend's sign (ONNX Mod fmod=1).
    case fmod
    case equal, less, lessOrEqual = "less_or_equal", greater, greaterOrEqual = "greater_or_equal"
    case and = "logical_and", or = "logical_or", xor = "logical_xor"
    case bitwiseAnd = "bitwise_and", bitwiseOr = "bitwise_or", bitwiseXor = "bitwise_xor"
    case shiftLeft = "shift_left", shiftRight = "shift_right"

    public var displayName: String {
        switch self {
        case .sub: "Subtract"
        case .div: "Div"
        case .pow: "Pow"
        case .mod, .fmod: "Mod"
        case .equal: "Equal"
        case .less: "Less"
        case .lessOrEqual: "LessOrEqual"
        case .greater: "Greater"
        case .greaterOrEqual: "GreaterOrEqual"
        case .and: "And"
        case .or: "Or"
        case .xor: "Xor"
        case .bitwiseAnd: "BitwiseAnd"
        case .bitwiseOr: "BitwiseOr"
        case .bitwiseXor: "BitwiseXor"
        case .shiftLeft, .shiftRight: "BitShift"
        }
    }

    /// Comparisons and logic return bool.
    public var returnsBool: Bool {
        [.equal, .less, .lessOrEqual, .greater, .greaterOrEqual, .and, .or, .xor].contains(self)
    }
}

public enum VariadicFunction: String, Sendable, Equatable, Codable, CaseIterable {
    case add, mul, max, min, mean

    public var displayName: String {
        switch self {
        case .add: "Add"
        case .mul: "Multiply"
        case .max: "Maximum"
        case .min: "Minimum"
        case .mean: "Average"
        }
    }
}

public struct ClipAttributes: Sendable, Equatable, Codable {
    /// Bounds known at import; nil reads the operand (absent operand: no bound).
    public var min: Double?
    public var max: Double?

    public init(min: Double? = nil, max: Double? = nil) {
        self.min = min
        self.max = max
    }
}

/// A binary function of a value and a number (`ElementwiseOp.scalar`).
public struct ScalarOperation: Sendable, Equatable, Codable {
    public var function: ScalarArithmetic
    /// The number, as the source wrote it; converted to the operand's type when applied (as
    /// TensorFlow converts a Python number: `x * (1.0 / 6.0)` multiplies by float32(1/6)).
    public var value: Double
    /// `f(c, x)` rather than `f(x, c)` (`2.0 - x`).
    public var constantFirst: Bool

    public init(function: ScalarArithmetic, value: Double, constantFirst: Bool = false) {
        self.function = function
        self.value = value
        self.constantFirst = constantFirst
    }
}

public enum ScalarArithmetic: String, Sendable, Equatable, Codable, CaseIterable {
    case add, sub, mul, div, pow, max, min

    /// Keras 3's operation class for the function (`keras.src.ops.numpy`).
    public var displayName: String {
        switch self {
        case .add: "Add"
        case .sub: "Subtract"
        case .mul: "Multiply"
        case .div: "TrueDivide"
        case .pow: "Power"
        case .max: "Maximum"
        case .min: "Minimum"
        }
    }
}
