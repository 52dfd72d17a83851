/// Shape and data movement. Where ONNX takes a parameter as an operand, the attribute holds it
/// when known at import (nil: read from the operand at run time).
public enum TensorOp: Sendable, Equatable {
    /// `[data, shape?]`: ONNX Reshape semantics (0 copies the input dimension unless `allowZero`,
    /// -1 is inferred). Keras Reshape(target) is `[0] + target`.
    case reshape(ReshapeAttributes)
    /// `[x]`: `[prod(dims[..<axis]), prod(dims[axis...])]`. Keras Flatten is axis 1.
    case flatten(axis: Int)
    /// `[x]`: permutes axes (nil: reverses them). Keras Permute is `[0] + dims`.
    case transpose(perm: [Int]?)
    /// `[x, axes?]`: removes size-1 axes (nil with no operand: all of them).
    case squeeze(axes: [Int]?)
    /// `[x, axes?]`: inserts size-1 axes at output positions.
    case unsqueeze(axes: [Int]?)
    /// `[x, …]`: joins along an axis. Keras Concatenate, ONNX Concat.
    case concat(axis: Int)
    /// `[x, split?]` → several outputs. ONNX Split.
    case split(SplitAttributes)
    /// `[data, starts?, ends?, axes?, steps?]`. ONNX Slice; Keras Cropping as a slice.
    case slice(SliceAttributes)
    /// `[data, indices]`. ONNX Gather.
    case gather(axis: Int)
    /// `[data, indices]`. ONNX GatherElements.
    case gatherElements(axis: Int)
    /// `[data, indices, updates]`: `data` with the slices `indices` points at (its last axis
    /// indexes the leading axes of `data`) replaced by, or combined with, `updates`. ONNX ScatterND.
    case scatterND(reduction: ScatterReduction)
    /// `[data, indices, updates]`: `data` with `out[i… with i[axis] = indices[i…]] = updates[i…]`
    /// (or combined). ONNX ScatterElements (and Scatter before opset 11).
    case scatterElements(axis: Int, reduction: ScatterReduction)
    /// `[x, shape?]`: broadcasts to a shape. ONNX Expand.
    case expand(shape: [Int]?)
    /// `[x, repeats?]`. ONNX Tile; Keras RepeatVector as a tile of an unsqueezed axis.
    case tile(repeats: [Int]?)
    /// `[data, pads?, constant_value?, axes?]`. ONNX Pad; Keras ZeroPadding1D/2D/3D (and
    /// Cropping as negative pads).
    case pad(PadAttributes)
    /// `[x, roi?, scales?, sizes?]`. ONNX Resize/Upsample; Keras UpSampling1D/2D/3D.
    case resize(ResizeAttributes)
    /// `[x]`: rearranges channel blocks into spatial blocks. ONNX DepthToSpace.
    case depthToSpace(DepthToSpaceAttributes)
    /// `[x]`: rearranges spatial blocks into channel blocks, DepthToSpace's inverse in the same
    /// mode. ONNX SpaceToDepth (its `mode` since opset 28).
    case spaceToDepth(SpaceToDepthAttributes)
    /// `[x]` → int64 dimensions `[start, end)`. ONNX Shape.
    case shape(start: Int, end: Int?)
    /// `[x]` → int64 scalar element count. ONNX Size.
    case size
    /// `[x]` → `to`. ONNX Cast.
    case cast(to: DType)
    /// `[x, like]` → the type of `like`. ONNX CastLike.
    case castLike
    /// `[shape]` → a tensor filled with `value` (ONNX's default: float32 0).
    case constantOfShape(value: ScalarValue)
    /// `[start, limit, delta]` → a 1-D sequence. ONNX Range.
    case range
    /// `[x]`. ONNX Identity.
    case identity
    /// `[x, ratio?, training_mode?]`: identity at inference. Keras Dropout, SpatialDropout,
    /// GaussianNoise, GaussianDropout, AlphaDropout; ONNX Dropout. `seed` is ONNX's seed of the
    /// training-mode random draw, kept for writers.
    case dropout(rate: Float, seed: Int? = nil)
    /// `[x]`: `x` repeated `n` times on a new axis 1. Keras RepeatVector.
    case repeatVector(n: Int)

    public var kind: String {
        switch self {
        case .reshape: "reshape"
        case .flatten: "flatten"
        case .transpose: "transpose"
        case .squeeze: "squeeze"
        case .unsqueeze: "unsqueeze"
        case .concat: "concat"
        case .split: "split"
        case .slice: "slice"
        case .gather: "gather"
        case .gatherElements: "gather_elements"
        case .scatterND: "scatter_nd"
        case .scatterElements: "scatter_elements"
        case .expand: "expand"
        case .tile: "tile"
        case .pad: "pad"
        case .resize: "resize"
        case .depthToSpace: "depth_to_space"
        case .spaceToDepth: "space_to_depth"
        case .shape: "shape"
        case .size: "size"
        case .cast: "cast"
        case .castLike: "cast_like"
        case .constantOfShape: "constant_of_shape"
        case .range: "range"
        case .identity: "identity"
        case .dropout: "dropout"
        case .repeatVector: "repeat_vector"
        }
    }

    public var inputRoles: [String] {
        switch self {
        case .reshape: ["data", "shape?"]
        case .flatten, .transpose, .depthToSpace, .spaceToDepth, .shape, .size, .cast, .identity, .repeatVector: ["x"]
        case .squeeze, .unsqueeze: ["x", "axes?"]
        case .concat: ["x..."]
        case .split: ["x", "split?"]
        case .slice: ["data", "starts?", "ends?", "axes?", "steps?"]
        case .gather, .gatherElements: ["data", "indices"]
        case .scatterND, .scatterElements: ["data", "indices", "updates"]
        case .expand: ["x", "shape?"]
        case .tile: ["x", "repeats?"]
        case .pad: ["data", "pads?", "constant_value?", "axes?"]
        case .resize: ["x", "roi?", "scales?", "sizes?"]
        case .castLike: ["x", "like"]
        case .constantOfShape: ["shape"]
        case .range: ["start", "limit", "delta"]
        case .dropout: ["x", "ratio?", "training_mode?"]
        }
    }

    public var displayName: String {
        switch self {
        case .reshape: "Reshape"
        case .flatten: "Flatten"
        case .transpose: "Transpose"
        case .squeeze: "Squeeze"
        case .unsqueeze: "Unsqueeze"
        case .concat: "Concatenate"
        case .split: "Split"
        case .slice: "Slice"
        case .gather: "Gather"
        case .gatherElements: "GatherElements"
        case .scatterND: "ScatterND"
        case .scatterElements: "ScatterElements"
        case .expand: "Expand"
        case .tile: "Tile"
        case .pad(let a): a.displayName
        case .resize: "Resize"
        case .depthToSpace: "DepthToSpace"
        case .spaceToDepth: "SpaceToDepth"
        case .shape: "Shape"
        case .size: "Size"
        case .cast: "Cast"
        case .castLike: "CastLike"
        case .constantOfShape: "ConstantOfShape"
        case .range: "Range"
        case .identity: "Identity"
        case .dropout: "Dropout"
        case .repeatVector: "RepeatVector"
        }
    }
}

public struct ReshapeAttributes: Sendable, Equatable, Codable {
    /// The target shape when known at import.
    public var shape: [Int]?
    /// A 0 in the shape is a real 0, not "copy the input's dimension".
    public var allowZero: Bool

    public init(shape: [Int]?, allowZero: Bool = false) {
        self.shape = shape
        self.allowZero = allowZero
    }
}

public struct SplitAttributes: Sendable, Equatable, Codable {
    public var axis: Int
    /// Sizes along the axis when known; nil: equal parts, one per output (the last smaller when
    /// the size does not divide), or the `split` operand.
    public var sizes: [Int]?

    public init(axis: Int = 0, sizes: [Int]? = nil) {
        self.axis = axis
        self.sizes = sizes
    }
}

public struct SliceAttributes: Sendable, Equatable, Codable {
    public var starts: [Int]?
    public var ends: [Int]?
    /// Nil: `0..<starts.count`.
    public var axes: [Int]?
    /// Nil: all 1.
    public var steps: [Int]?

    public init(starts: [Int]?, ends: [Int]?, axes: [Int]? = nil, steps: [Int]? = nil) {
        self.starts = starts
        self.ends = ends
        self.axes = axes
        self.steps = steps
    }
}

public enum PadMode: String, Sendable, Equatable, Codable {
    case constant, reflect, edge, wrap
}

public struct PadAttributes: Sendable, Equatable, Codable {
    public var mode: PadMode
    /// ONNX order: begins of every (listed) axis, then ends. Negative pads crop.
    public var pads: [Int]?
    /// The axes `pads` refers to (nil: all, in order).
    public var axes: [Int]?
    /// The fill for `constant` mode when known (nil: the operand, or 0).
    public var value: Double?

    public init(mode: PadMode = .constant, pads: [Int]?, axes: [Int]? = nil, value: Double? = 0) {
        self.mode = mode
        self.pads = pads
        self.axes = axes
        self.value = value
    }

    /// Keras's class for a constant-zero pad or crop of the spatial axes of a channels-last tensor.
    var displayName: String {
        guard mode == .constant, (value ?? 0) == 0, let pads else { return "Pad" }
        let rank = pads.count / 2
        let spatial = rank - 2
        if pads.allSatisfy({ $0 >= 0 }) { return spatial > 0 ? "ZeroPadding\(spatial)D" : "Pad" }
        if pads.allSatisfy({ $0 <= 0 }) { return spatial > 0 ? "Cropping\(spatial)D" : "Pad" }
        return "Pad"
    }
}

public enum ResizeMode: String, Sendable, Equatable, Codable {
    case nearest, linear, cubic
}

/// How an output coordinate maps back to the input (ONNX `coordinate_transformation_mode`).
public enum CoordinateTransformation: String, Sendable, Equatable, Codable {
    case halfPixel = "half_pixel"
    case halfPixelSymmetric = "half_pixel_symmetric"
    case pytorchHalfPixel = "pytorch_half_pixel"
    case alignCorners = "align_corners"
    case asymmetric
    case tfHalfPixelForNN = "tf_half_pixel_for_nn"
    case tfCropAndResize = "tf_crop_and_resize"
}

/// How a fractional coordinate picks a pixel in nearest mode (ONNX `nearest_mode`).
public enum NearestMode: String, Sendable, Equatable, Codable {
    case roundPreferFloor = "round_prefer_floor"
    case roundPreferCeil = "round_prefer_ceil"
    case floor, ceil
}

public struct ResizeAttributes: Sendable, Equatable, Codable {
    public var mode: ResizeMode
    public var coordinateTransformation: CoordinateTransformation
    public var nearestMode: NearestMode
    public var cubicCoefficient: Float
    public var excludeOutside: Bool
    public var extrapolationValue: Float
    /// Per axis of `axes` (or of every axis), when known at import.
    public var scales: [Float]?
    public var sizes: [Int]?
    public var axes: [Int]?
    /// ONNX `keep_aspect_ratio_policy`: stretch, not_larger, not_smaller.
    public var keepAspectRatioPolicy: String
    public var antialias: Bool

    public init(mode: ResizeMode = .nearest, coordinateTransformation: CoordinateTransformation = .halfPixel,
                nearestMode: NearestMode = .roundPreferFloor, cubicCoefficient: Float = -0.75, excludeOutside: Bool = false,
                extrapolationValue: Float = 0, scales: [Float]? = nil, sizes: [Int]? = nil, axes: [Int]? = nil,
                keepAspectRatioPolicy: String = "stretch", antialias: Bool = false) {
        self.mode = mode
        self.coordinateTransformation = coordinateTransformation
        self.nearestMode = nearestMode
        self.cubicCoefficient = cubicCoefficient
        self.excludeOutside = excludeOutside
        self.extrapolationValue = extrapolationValue
        self.scales = scales
        self.sizes = sizes
        self.axes = axes
        self.keepAspectRatioPolicy = keepAspectRatioPolicy
        self.antialias = antialias
    }
}

public struct DepthToSpaceAttributes: Sendable, Equatable, Codable {
    public var blockSize: Int
    /// ONNX `DCR` (depth-column-row, default) or `CRD`.
    public var columnRowDepth: Bool

    public init(blockSize: Int, columnRowDepth: Bool = false) {
        self.blockSize = blockSize
        self.columnRowDepth = columnRowDepth
    }
}

public struct SpaceToDepthAttributes: Sendable, Equatable, Codable {
    public var blockSize: Int
    /// ONNX `DCR` (depth-column-row, default: output channel `(i·b + j)·C + c` for block offset
    /// `(i, j)`) or `CRD` (column-row-depth: `c·b² + i·b + j`).
    public var columnRowDepth: Bool

    public init(blockSize: Int, columnRowDepth: Bool = false) {
        self.blockSize = blockSize
        self.columnRowDepth = columnRowDepth
    }

    private enum CodingKeys: String, CodingKey { case blockSize, columnRowDepth }

    /// Graphs written before the mode existed hold only `blockSize` (DCR).
    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        blockSize = try c.decode(Int.self, forKey: .blockSize)
        columnRowDepth = try c.decodeIfPresent(Bool.self, forKey: .columnRowDepth) ?? false
    }
}

/// One element of any dtype, kept exactly as its bytes (a fill value, a constant's attribute).
public struct ScalarValue: Sendable, Equatable, Codable {
    public var dtype: DType
    /// Little-endian bytes of the element (`dtype.byteSize` of them).
    public var bytes: [UInt8]

    public init(dtype: DType, bytes: [UInt8]) {
        self.dtype = dtype
        self.bytes = bytes
    }

    public init(_ tensor: Tensor) {
        self.dtype = tensor.dtype
        self.bytes = Array(tensor.data.bytes.prefix(tensor.dtype.byteSize))
    }

    public static let zeroFloat = ScalarValue(dtype: .float32, bytes: [0, 0, 0, 0])

    public var tensor: Tensor { Tensor(dtype: dtype, shape: [], data: TensorData(copying: bytes)) }
}

/// How a scatter combines an update with the value it lands on (ONNX's `reduction`): `none`
/// replaces it (the last of several updates to one place wins, as onnxruntime runs them in order).
public enum ScatterReduction: String, Sendable, Codable, CaseIterable {
    case none, add, mul, max, min
}
