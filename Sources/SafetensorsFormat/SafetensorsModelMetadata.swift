import Foundation
import ModelIR

/// The `__metadata__` keys wtool writes (schemas/safetensors-metadata.md), all strings as the
/// format requires:
///
/// | key | value |
/// |---|---|
/// | `wtool.version` | `1`: this embedding's version |
/// | `wtool.graph` | the graph as JSON, the same document a `.swm` stores (`GraphDocument`) |
/// | `wtool.tensors` | per tensor: its layout tag, trainability and, with `--pytorch-layout`, how it was permuted |
/// | `wtool.layout` | `source` (every tensor as the source stores it) or `pytorch` |
///
/// Files from other writers carry none of them: their tensors are read as they are, and a model
/// comes from `--arch`/`--config`.
public enum SafetensorsModelMetadata {
    public static let versionKey = "wtool.version"
    public static let graphKey = "wtool.graph"
    public static let tensorsKey = "wtool.tensors"
    public static let layoutKey = "wtool.layout"
    /// The embedding version this wtool writes and reads.
    public static let version = "1"

    /// What the graph document leaves to the tensor table and safetensors has no field for.
    struct TensorFacts: Codable, Equatable {
        /// `Layout.description`: `HWIO`, `OIHW`, `C`, `-`, …
        var layout: String
        var trainable: Bool
        /// Set when the tensor is stored permuted (`--pytorch-layout`).
        var pytorch: PyTorchLayout.Stored?
    }

    static func encode(_ facts: [String: TensorFacts]) throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return String(decoding: try encoder.encode(facts), as: UTF8.self)
    }

    static func decodeFacts(_ text: String) throws -> [String: TensorFacts] {
        do {
            return try JSONDecoder().decode([String: TensorFacts].self, from: Data(text.utf8))
        } catch {
            throw SafetensorsError.invalidGraph(detail: "\(tensorsKey) does not decode (\(GraphDocument.describe(error)))")
        }
    }

    static let layoutsByName: [String: Layout] = Dictionary(uniqueKeysWithValues:
        [Layout.unspecified, .nhwc, .hwio, .hwcm, .io, .channel, .nchw, .oihw].map { ($0.description, $0) })
}

/// `--pytorch-layout`: convolution kernels stored the way PyTorch's `Conv*d` modules hold
/// their `weight`, instead of Keras's spatial-first layout.
///
/// | kernel (Keras layout) | stored (PyTorch) | permutation |
/// |---|---|---|
/// | Conv `[kh, kw, in, out]` (HWIO) | `[out, in, kh, kw]` (OIHW) | `[3, 2, 0, 1]` |
/// | Conv transpose `[kh, kw, out, in]` | `[in, out, kh, kw]` (`ConvTranspose2d`) | `[3, 2, 0, 1]` |
/// | Depthwise `[kh, kw, C, M]` (HWCM) | `[C·M, 1, kh, kw]` (`Conv2d(groups=C)`) | `[2, 3, 0, 1]`, then `C, M` merged |
/// | Separable's pointwise `[1, 1, C·M, F]` | `[F, C·M, 1, 1]` | `[3, 2, 0, 1]` |
///
/// (1-D and 3-D kernels likewise: the two channel axes move to the front.) Kernels already
/// spatial-last (an ONNX model's OIHW) and every other tensor — Dense kernels stay `[in, out]`,
/// where PyTorch's `Linear` holds `[out, in]` — are stored as they are. The embedded graph keeps
/// the source's layouts, and `wtool.tensors` records each permutation, so wtool reads such a file
/// back into the same model: the permuted kernels are transposed back while reading, which costs
/// a copy of each (every other tensor stays a zero-copy view).
public enum PyTorchLayout {
    /// How a tensor was stored: `permutation` applied to the source's `shape`.
    struct Stored: Codable, Equatable {
        var permutation: [Int]
        /// The tensor's shape in the source layout (what the graph expects).
        var shape: [Int]

        /// The shape after the permutation; a depthwise kernel then has its first two axes
        /// (channels, multiplier) merged, with a 1 for PyTorch's input channels per group.
        func storedShape(depthwise: Bool) -> [Int] {
            let permuted = permutation.map { shape[$0] }
            return depthwise ? [permuted[0] * permuted[1], 1] + permuted.dropFirst(2) : permuted
        }

        var isValid: Bool {
            permutation.count == shape.count && Set(permutation) == Set(0..<shape.count) && shape.allSatisfy { $0 >= 0 }
        }
    }

    /// The stored form of weight `name` of `graph`, or nil when it is stored as it is (also when
    /// nodes use it in two different roles).
    static func storedForm(of name: String, in graph: Graph) -> (stored: Stored, depthwise: Bool)? {
        guard let weight = graph.weights[name] else { return nil }
        let rank = weight.info.shape.count
        guard rank >= 3 else { return nil }
        let spatial = Array(0..<(rank - 2))
        let channelsOutFirst = [rank - 1, rank - 2] + spatial
        let depthwiseFirst = [rank - 2, rank - 1] + spatial
        var form: (permutation: [Int], depthwise: Bool)?
        for node in graph.nodes {
            guard case .conv(let conv) = node.op else {
                if node.inputs.contains(name) { return nil }
                continue
            }
            for (role, operand) in zip(conv.inputRoles.map { $0.replacingOccurrences(of: "?", with: "") }, node.inputs) where operand == name {
                let use: (permutation: [Int], depthwise: Bool)?
                switch (conv, role) {
                case (.conv(let a), "kernel") where a.kernelLayout == .spatialFirst: use = (channelsOutFirst, false)
                case (.transposed(let a), "kernel") where a.kernelLayout == .spatialFirst: use = (channelsOutFirst, false)
                case (.depthwise, "depthwise_kernel"), (.separable, "depthwise_kernel"): use = (depthwiseFirst, true)
                case (.separable, "pointwise_kernel"): use = (channelsOutFirst, false)
                default: use = nil
                }
                guard let use, form == nil || (form?.permutation == use.permutation && form?.depthwise == use.depthwise) else { return nil }
                form = use
            }
        }
        return form.map { (Stored(permutation: $0.permutation, shape: weight.info.shape), $0.depthwise) }
    }

    /// `tensor` (in the source layout) as it is stored.
    static func store(_ tensor: Tensor, _ stored: Stored, depthwise: Bool) throws -> Tensor {
        try tensor.transposed(stored.permutation).reshaped(stored.storedShape(depthwise: depthwise))
    }

    /// A stored tensor back in the source layout, after checking that its shape is the one the
    /// permutation gives.
    static func restore(_ tensor: Tensor, _ stored: Stored, name: String) throws -> Tensor {
        guard stored.isValid else {
            throw SafetensorsError.invalidGraph(detail: "tensor '\(name)': permutation \(stored.permutation) does not fit shape \(stored.shape)")
        }
        guard tensor.shape == stored.storedShape(depthwise: false) || tensor.shape == stored.storedShape(depthwise: true) else {
            throw SafetensorsError.invalidGraph(detail:
                "tensor '\(name)' has shape \(tensor.shape), not \(stored.storedShape(depthwise: false)) (shape \(stored.shape) permuted by \(stored.permutation))")
        }
        let inverse = stored.permutation.indices.map { axis in stored.permutation.firstIndex(of: axis) ?? axis }
        return try tensor.reshaped(stored.storedShape(depthwise: false)).transposed(inverse)
    }
}
