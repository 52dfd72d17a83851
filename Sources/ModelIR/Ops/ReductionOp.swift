/// Reductions over axes.
public enum ReductionOp: Sendable, Equatable {
    /// `[data, axes?]`: ONNX Reduce{Sum,Mean,Max,Min,Prod,L1,L2,LogSum,LogSumExp,SumSquare}.
    case reduce(ReduceAttributes)
    /// `[data]`: index of the largest element along an axis (int64). ONNX ArgMax.
    case argMax(ArgReduceAttributes)
    /// `[data]`: index of the smallest element (int64). ONNX ArgMin.
    case argMin(ArgReduceAttributes)

    public var kind: String {
        switch self {
        case .reduce(let a): "reduce_" + a.function.rawValue
        case .argMax: "argmax"
        case .argMin: "argmin"
        }
    }

    public var inputRoles: [String] {
        switch self {
        case .reduce: ["data", "axes?"]
        case .argMax, .argMin: ["data"]
        }
    }

    public var displayName: String {
        switch self {
        case .reduce(let a): a.function.displayName
        case .argMax: "ArgMax"
        case .argMin: "ArgMin"
        }
    }
}

public enum ReduceFunction: String, Sendable, Equatable, Codable, CaseIterable {
    case sum, mean, max, min, prod, l1, l2, logSum = "log_sum", logSumExp = "log_sum_exp", sumSquare = "sum_square"

    public var displayName: String {
        switch self {
        case .sum: "ReduceSum"
        case .mean: "ReduceMean"
        case .max: "ReduceMax"
        case .min: "ReduceMin"
        case .prod: "ReduceProd"
        case .l1: "ReduceL1"
        case .l2: "ReduceL2"
        case .logSum: "ReduceLogSum"
        case .logSumExp: "ReduceLogSumExp"
        case .sumSquare: "ReduceSumSquare"
        }
    }
}

public struct ReduceAttributes: Sendable, Equatable, Codable {
    public var function: ReduceFunction
    /// Axes known at import; nil reads the `axes` operand, and with no operand means every axis
    /// (or none, with `noopWithEmptyAxes`).
    public var axes: [Int]?
    public var keepDims: Bool
    public var noopWithEmptyAxes: Bool

    public init(function: ReduceFunction, axes: [Int]? = nil, keepDims: Bool = true, noopWithEmptyAxes: Bool = false) {
        self.function = function
        self.axes = axes
        self.keepDims = keepDims
        self.noopWithEmptyAxes = noopWithEmptyAxes
    }
}

public struct ArgReduceAttributes: Sendable, Equatable, Codable {
    public var axis: Int
    public var keepDims: Bool
    public var selectLastIndex: Bool

    public init(axis: Int = 0, keepDims: Bool = true, selectLastIndex: Bool = false) {
        self.axis = axis
        self.keepDims = keepDims
        self.selectLastIndex = selectLastIndex
    }
}
