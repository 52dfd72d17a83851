import Foundation
import Runtime
import Verify

/// `wtool verify`: runs the images of a folder through a model and compares each output (and,
/// when the references include them, each layer) with reference `.npy` files. The comparison and
/// its tolerance policy are the Verify module's (``Verification``, ``ParityMetrics``); this wires
/// in the model.
public struct ModelVerification {
    /// The model file (any format wtool reads).
    public var model: String
    /// How the model is read.
    public var options: LoadOptions
    /// How the runtime runs it.
    public var runtime: ExecutorOptions
    /// How images become its input.
    public var images: ImageInputRequest

    /// A verification of `model`, images prepared as the model says.
    public init(model: String, options: LoadOptions = LoadOptions(), runtime: ExecutorOptions = ExecutorOptions(),
                images: ImageInputRequest = ImageInputRequest()) {
        self.model = model
        self.options = options
        self.runtime = runtime
        self.images = images
    }

    /// Verifies every image in `imageFolder` that has `<stem>.npy` in `expectedFolder`.
    /// - Parameters:
    ///   - perLayer: also compare `<expected>/<stem>/<layer>.npy`.
    ///   - prepared: called once the model is ready, with the image options it will use.
    ///   - result: called with each image's result as it is computed.
    /// - Returns: every image's result, in file-name order.
    /// - Throws: ``WToolError``: no image with a reference, the model's errors, a reference that
    ///   cannot be read or does not fit.
    @discardableResult
    public func run(images imageFolder: String, expected expectedFolder: String, perLayer: Bool,
                    prepared: (ImageInputOptions) -> Void = { _ in },
                    result: (Verification.ImageResult) -> Void = { _ in }) throws -> [Verification.ImageResult] {
        do {
            let pairs = try Verification.pairs(images: imageFolder, expected: expectedFolder)
            guard !pairs.isEmpty else {
                throw WToolError.usage("\(imageFolder): no image has a matching <stem>.npy in \(expectedFolder)")
            }
            let (session, input) = try InferenceSession.prepare(model: model, options: options, runtime: runtime, images: images)
            prepared(input)
            let verification = Verification(model: _SessionParityModel(session: session, input: input))
            var results: [Verification.ImageResult] = []
            for (image, reference) in pairs {
                let r = try verification.verify(image: image, reference: reference, perLayer: perLayer)
                results.append(r)
                result(r)
            }
            return results
        } catch {
            throw WToolError.wrap(error, path: model)
        }
    }
}

/// An inference session seen by the verifier: one image in, outputs out.
struct _SessionParityModel: ParityModel {
    let session: InferenceSession
    let input: ImageInputOptions

    var graph: Graph { session.graph }
    func input(for image: URL) throws -> Tensor { try session.loadBatch([image], options: input) }
    func run(_ input: Tensor) throws -> Tensor { try session.run(input) }
    func run(_ input: Tensor, layers: [String]) throws -> [String: Tensor] { try session.run(input, layers: layers) }
}

extension ModelVerification {
    /// One output compared with its reference tensor.
    public struct OutputResult: Sendable {
        /// The graph output's name.
        public var output: String
        public var shape: [Int]
        public var metrics: ParityMetrics
    }

    /// Runs the model on tensors and compares every output with the reference of its name
    /// (`wtool verify MODEL --input NAME=FILE.npy … --reference REF.npz`): references from any
    /// framework (onnxruntime, Keras, PyTorch), in the source's layout. A `.npy` reference is the
    /// single output's.
    /// - Returns: a result per output, in graph order.
    /// - Throws: ``WToolError``: a missing reference or output, shapes that differ, the model's errors.
    @discardableResult
    public func run(tensors arguments: [TensorArgument], reference: String,
                    result: (OutputResult) -> Void = { _ in }) throws -> [OutputResult] {
        let (graph, session) = try InferenceSession.prepare(model: model, options: options, runtime: runtime)
        let references = try TensorFiles.read(reference)
        var expected: [String: Tensor] = [:]
        if references.count == 1, references[0].name.isEmpty {
            guard graph.outputs.count == 1 else {
                throw WToolError.usage("\(reference): one array for \(graph.outputs.count) outputs; give a .npz keyed by output name")
            }
            expected[graph.outputs[0]] = references[0].tensor
        } else {
            for (name, tensor) in references {
                guard graph.outputs.contains(name) else {
                    throw WToolError.usage("\(reference): '\(name)' is not an output of the model (its outputs: \(graph.outputs.joined(separator: ", ")))")
                }
                expected[name] = tensor
            }
        }
        let inputs = try ModelRun.inputs(arguments, for: graph)
        let outputs: [String: Tensor]
        do {
            outputs = try session.run(inputs: inputs)
        } catch WToolError.usage(let detail) {  // an input missing or unknown: about this model
            throw WToolError.usage("\(model): \(detail)")
        } catch {
            throw WToolError.wrap(error, path: model)
        }
        var results: [OutputResult] = []
        for name in graph.outputs {
            guard let want = expected[name] else {
                throw WToolError.usage("\(reference): no reference for output '\(name)'")
            }
            guard let got = outputs[name] else { throw WToolError.invalid(path: model, detail: "output '\(name)' was not computed") }
            let metrics: ParityMetrics
            do {
                metrics = try Verification.compare(got, want, label: "\(reference)[\(name)]")
            } catch {
                throw WToolError.wrap(error, path: reference)
            }
            let r = OutputResult(output: name, shape: got.shape, metrics: metrics)
            results.append(r)
            result(r)
        }
        return results
    }
}
