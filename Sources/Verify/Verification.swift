import Foundation
import ModelIR
import NPY
import Runtime

/// What a verification runs: a model that turns one image into its input and runs it, whole or
/// up to named layers. The WTool library's inference session is one; a test can supply another.
public protocol ParityModel {
    /// The graph being verified (its node order orders the per-layer report).
    var graph: Graph { get }
    /// The model's input for one image (decoded, resized, preprocessed: a batch of one).
    func input(for image: URL) throws -> Tensor
    /// The model's output for `input`.
    func run(_ input: Tensor) throws -> Tensor
    /// The outputs of the named layers for `input`, keyed by layer name.
    func run(_ input: Tensor, layers: [String]) throws -> [String: Tensor]
}

/// Runs images through a model and compares with reference `.npy` outputs (Keras's), image by
/// image and, when the references include them, layer by layer (`wtool verify`).
///
/// References live beside each other: `<expected>/<image stem>.npy` for the output and
/// `<expected>/<image stem>/<layer>.npy` for intermediate layers. The metrics and their
/// tolerance policy are ``ParityMetrics``'s.
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
    public let model: any ParityModel

    /// A verification of `model`.
    public init(model: any ParityModel) {
        self.model = model
    }

    /// Verifies one image against `reference` (shape (1, …) or (…)); with `perLayer`, also every
    /// `<reference stem>/<layer>.npy` found beside it.
    /// - Throws: the model's errors, NPY's for an unreadable reference, ``VerifyError`` for a
    ///   shape that does not match.
    public func verify(image: URL, reference: URL, perLayer: Bool) throws -> ImageResult {
        let batch = try model.input(for: image)
        let expected = try NPYFile.read(contentsOf: reference)
        var layerFiles: [(String, URL)] = []
        if perLayer {
            let folder = reference.deletingPathExtension()
            let names = (try? FileManager.default.contentsOfDirectory(atPath: folder.path)) ?? []
            let order = Dictionary(uniqueKeysWithValues: model.graph.nodes.enumerated().map { ($1.localName, $0) })
            layerFiles = names.filter { $0.hasSuffix(".npy") }
                .map { (String($0.dropLast(4)), folder.appendingPathComponent($0)) }
                .compactMap { name, url in order[name].map { (name, url, $0) } }
                .sorted { $0.2 < $1.2 }
                .map { ($0.0, $0.1) }
        }
        let output: Tensor
        var layerValues: [String: Tensor] = [:]
        if layerFiles.isEmpty {
            output = try model.run(batch)
        } else {
            let graph = model.graph
            let outputLayer = graph.nodes.first { $0.outputs.contains(graph.outputs[0]) }?.name ?? graph.outputs[0]
            layerValues = try model.run(batch, layers: layerFiles.map(\.0) + [outputLayer])
            guard let out = layerValues[outputLayer] else { throw VerifyError.outputNotComputed }
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
    /// - Throws: ``VerifyError/shapeMismatch(label:expected:actual:)``.
    public static func compare(_ actual: Tensor, _ expected: NPYArray, label: String) throws -> ParityMetrics {
        let reference = try expected.floats()
        let a = actual.shape.first == 1 ? Array(actual.shape.dropFirst()) : actual.shape
        let e = expected.shape.first == 1 ? Array(expected.shape.dropFirst()) : expected.shape
        guard a == e, reference.count == actual.elementCount else {
            throw VerifyError.shapeMismatch(label: label, expected: expected.shape, actual: actual.shape)
        }
        return ParityMetrics(actual: actual.floats, expected: reference)
    }
}

extension Verification {
    /// Compares an output with a reference tensor of exactly its shape (any numeric dtype, in
    /// float): the tensor form of verification, for references from any framework.
    /// - Throws: ``VerifyError/shapeMismatch(label:expected:actual:)``.
    public static func compare(_ actual: Tensor, _ expected: Tensor, label: String) throws -> ParityMetrics {
        guard actual.shape == expected.shape, actual.elementCount == expected.elementCount else {
            throw VerifyError.shapeMismatch(label: label, expected: expected.shape, actual: actual.shape)
        }
        return ParityMetrics(actual: actual.floats, expected: expected.floats)
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
}
