import Foundation
import ImageIO
import NPY
import Runtime
import Verify

/// `wtool verify`: runs images through a model and compares with reference `.npy` outputs
/// (Keras's), image by image and, when the references include them, layer by layer.
public struct Verification {
    /// One intermediate layer compared with its reference.
    public struct LayerResult: Sendable {
        /// The layer's name.
        public var layer: String
        /// max|Δ|, relative error and cosine against the reference.
        public var metrics: ParityMetrics
    }

    /// One image: the model's output compared with the reference, and its layers when available.
    public struct ImageResult: Sendable {
        /// The image's file name.
        public var image: String
        /// The output's metrics against the reference.
        public var metrics: ParityMetrics
        /// Intermediate layers in graph order (with `perLayer`).
        public var layers: [LayerResult]
    }

    /// The model being verified.
    public let session: InferenceSession
    /// How images become its input.
    public let input: ImageInputOptions

    /// A verification of `session` with images prepared by `input`.
    public init(session: InferenceSession, input: ImageInputOptions) {
        self.session = session
        self.input = input
    }

    /// Image files in `directory` that have a reference `<stem>.npy` in `expected`, sorted by name.
    public static func pairs(images directory: String, expected: String) throws -> [(image: URL, reference: URL)] {
        let names = try FileManager.default.contentsOfDirectory(atPath: directory).sorted()
        let extensions: Set<String> = ["jpg", "jpeg", "png"]
        var out: [(URL, URL)] = []
        for name in names where extensions.contains((name as NSString).pathExtension.lowercased()) {
            let stem = (name as NSString).deletingPathExtension
            let reference = URL(fileURLWithPath: expected).appendingPathComponent(stem + ".npy")
            if FileManager.default.fileExists(atPath: reference.path) {
                out.append((URL(fileURLWithPath: directory).appendingPathComponent(name), reference))
            }
        }
        return out
    }

    /// Verifies one image against `reference` (shape (1, …) or (…)); with `perLayer`, also every
    /// `<reference stem>/<layer>.npy` found beside it.
    public func verify(image: URL, reference: URL, perLayer: Bool) throws -> ImageResult {
        let batch = try session.loadBatch([image], options: input)
        let expected = try NPYFile.read(contentsOf: reference)
        var layerFiles: [(String, URL)] = []
        if perLayer {
            let folder = reference.deletingPathExtension()
            let names = (try? FileManager.default.contentsOfDirectory(atPath: folder.path)) ?? []
            let order = Dictionary(uniqueKeysWithValues: session.graph.nodes.enumerated().map { ($1.localName, $0) })
            layerFiles = names.filter { $0.hasSuffix(".npy") }
                .map { (String($0.dropLast(4)), folder.appendingPathComponent($0)) }
                .filter { order[$0.0] != nil }
                .sorted { order[$0.0]! < order[$1.0]! }
        }
        let output: Tensor
        var layerValues: [String: Tensor] = [:]
        if layerFiles.isEmpty {
            output = try session.run(batch)
        } else {
            let outputLayer = session.graph.nodes.first { $0.outputs.contains(session.graph.outputs[0]) }?.name ?? session.graph.outputs[0]
            layerValues = try session.run(batch, layers: layerFiles.map(\.0) + [outputLayer])
            guard let out = layerValues[outputLayer] else { throw WToolError.usage("the model output was not computed") }
            output = out
        }
        let metrics = try Self.compare(output, expected, label: reference.lastPathComponent)
        var layers: [LayerResult] = []
        for (layer, file) in layerFiles {
            guard let actual = layerValues[layer] else { continue }
            layers.append(LayerResult(layer: layer, metrics: try Self.compare(actual, try NPYFile.read(contentsOf: file), label: file.path)))
        }
        return ImageResult(image: image.lastPathComponent, metrics: metrics, layers: layers)
    }

    /// Element-wise comparison; shapes must agree up to a leading batch axis of 1.
    public static func compare(_ actual: Tensor, _ expected: NPYArray, label: String) throws -> ParityMetrics {
        let reference = try expected.floats()
        let a = actual.shape.first == 1 ? Array(actual.shape.dropFirst()) : actual.shape
        let e = expected.shape.first == 1 ? Array(expected.shape.dropFirst()) : expected.shape
        guard a == e, reference.count == actual.data.count else {
            throw WToolError.invalid(path: label, detail: "reference has shape \(expected.shape), the model produced \(actual.shape)")
        }
        return ParityMetrics(actual: actual.data, expected: reference)
    }
}
