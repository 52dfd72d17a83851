import ArgumentParser
import Foundation
import WTool

struct VerifyCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "verify",
        abstract: "Check a model's outputs against reference outputs (Keras's, onnxruntime's, …) on images or tensors.",
        discussion: """
            For every image in --images that has <stem>.npy in --expected, runs the model and prints the \
            maximum absolute error, the relative error max|Δ| / max|reference| over the whole output, and \
            the cosine similarity. Exits 1 when any image is above --tolerance. With --per-layer, compares \
            the intermediate outputs in <expected>/<stem>/<layer>.npy as well, and names the first layer \
            that diverges.

            With tensors instead of images: --input NAME=FILE.npy feeds each graph input (as for `run`) and \
            --reference REF.npz holds the expected outputs keyed by output name (a .npy for a single-output model), \
            in the source model's layout; every output is compared.

            Examples:
              wtool verify vgg16.swm --images photos --expected keras_outputs
              wtool verify vgg16.h5 --images photos --expected keras_outputs --per-layer --tolerance 1e-5
              wtool verify model.onnx --input x=x.npy --input mask=mask.npy --reference onnxruntime_outputs.npz
            """
    )

    @Argument(help: "The model file.")
    var model: String

    @Option(name: .long, help: "Folder of JPEG/PNG images.")
    var images: String?

    @Option(name: .long, help: "Folder of reference outputs, <image stem>.npy.")
    var expected: String?

    @Option(name: .long, parsing: .singleValue, help: "A tensor for a graph input: NAME=FILE.npy (repeatable; or a .npz named by input).")
    var input: [String] = []

    @Option(name: .long, help: "Reference outputs for --input: a .npz keyed by output name, or a .npy for one output.")
    var reference: String?

    @Option(name: .long, help: "Largest accepted relative error max|Δ|/max|reference|.")
    var tolerance: Double = 1e-4

    @Flag(name: .long, help: "Also compare intermediate layers found in <expected>/<stem>/<layer>.npy.")
    var perLayer = false

    @Flag(name: .long, help: "Print JSON.")
    var json = false

    @OptionGroup var image: ImageOptions
    @OptionGroup var architecture: ArchitectureOptions
    @OptionGroup var isolation: IsolationOptions
    @OptionGroup var runtime: RuntimeOptions

    func validate() throws {
        guard tolerance >= 0 else { throw ValidationError("--tolerance must be non-negative") }
        let imageMode = images != nil || expected != nil
        let tensorMode = !input.isEmpty || reference != nil
        guard imageMode != tensorMode else {
            throw ValidationError("give --images and --expected, or --input and --reference")
        }
        if imageMode, images == nil || expected == nil { throw ValidationError("--images and --expected go together") }
        if tensorMode, input.isEmpty || reference == nil { throw ValidationError("--input and --reference go together") }
        if tensorMode, perLayer { throw ValidationError("--per-layer compares image runs with Keras's per-layer outputs") }
    }

    func run() throws {
        if let reference { return try runTensors(reference: reference) }
        guard let images, let expected else { return }
        let job = ModelVerification(model: model, options: try architecture.loadOptions(until: nil, isolation: isolation.importer),
                                    runtime: runtime.executorOptions, images: image.request)
        var failed = false
        try reportingErrors(path: model) {
            let results = try job.run(images: images, expected: expected, perLayer: perLayer, prepared: { input in
                if !json {
                    print("preprocessing: \(input.preprocessing.label); tolerance \(tolerance) on max|Δ|/max|reference|")
                }
            }, result: { if !json { printResult($0) } })
            failed = results.contains { !$0.metrics.passes(tolerance: tolerance) }
            let worst = results.map(\.metrics.relativeError).max() ?? 0
            if json {
                let object: [String: Any] = [
                    "model": model, "tolerance": tolerance, "worst_relative_error": worst,
                    "images": results.map { r -> [String: Any] in
                        ["image": r.image, "max_abs": r.metrics.maxAbsoluteError, "relative": r.metrics.relativeError,
                         "cosine": r.metrics.cosineSimilarity, "pass": r.metrics.passes(tolerance: tolerance),
                         "layers": r.layers.map { ["layer": $0.layer, "relative": $0.metrics.relativeError, "max_abs": $0.metrics.maxAbsoluteError] }]
                    },
                ]
                let data = try JSONSerialization.data(withJSONObject: object, options: [.prettyPrinted, .sortedKeys])
                print(String(decoding: data, as: UTF8.self))
            } else {
                let passed = results.filter { $0.metrics.passes(tolerance: tolerance) }.count
                print(String(format: "verify: %d passed, %d failed (worst relative error %.3g)", passed, results.count - passed, worst))
            }
        }
        if failed { throw ExitCode(1) }
    }

    private func runTensors(reference: String) throws {
        let job = ModelVerification(model: model, options: try architecture.loadOptions(until: nil, isolation: isolation.importer),
                                    runtime: runtime.executorOptions, images: image.request)
        var failed = false
        try reportingErrors(path: model) {
            let arguments = input.map(TensorArgument.init(parsing:))
            let results = try job.run(tensors: arguments, reference: reference, result: { r in
                guard !json else { return }
                let verdict = r.metrics.passes(tolerance: tolerance) ? "ok  " : "FAIL"
                print(String(format: "%@ %-28@ %@  max|Δ| %.3e  rel %.3e  cosine %.9f", verdict, r.output, "\(r.shape)" as NSString,
                             r.metrics.maxAbsoluteError, r.metrics.relativeError, r.metrics.cosineSimilarity))
            })
            failed = results.contains { !$0.metrics.passes(tolerance: tolerance) }
            let worst = results.map(\.metrics.relativeError).max() ?? 0
            if json {
                let object: [String: Any] = [
                    "model": model, "tolerance": tolerance, "worst_relative_error": worst,
                    "outputs": results.map { r -> [String: Any] in
                        ["output": r.output, "shape": r.shape, "max_abs": r.metrics.maxAbsoluteError, "relative": r.metrics.relativeError,
                         "cosine": r.metrics.cosineSimilarity, "pass": r.metrics.passes(tolerance: tolerance)]
                    },
                ]
                let data = try JSONSerialization.data(withJSONObject: object, options: [.prettyPrinted, .sortedKeys])
                print(String(decoding: data, as: UTF8.self))
            } else {
                let passed = results.filter { $0.metrics.passes(tolerance: tolerance) }.count
                print(String(format: "verify: %d outputs passed, %d failed (worst relative error %.3g)", passed, results.count - passed, worst))
            }
        }
        if failed { throw ExitCode(1) }
    }

    private func printResult(_ r: Verification.ImageResult) {
        let verdict = r.metrics.passes(tolerance: tolerance) ? "ok  " : "FAIL"
        print(String(format: "%@ %-28@ max|Δ| %.3e  rel %.3e  cosine %.9f", verdict, r.image, r.metrics.maxAbsoluteError,
                     r.metrics.relativeError, r.metrics.cosineSimilarity))
        var reported = false
        for layer in r.layers {
            let bad = !layer.metrics.passes(tolerance: tolerance)
            let mark = bad && !reported ? "  <- first layer above tolerance" : ""
            if bad { reported = true }
            print(String(format: "       %-26@ max|Δ| %.3e  rel %.3e%@", layer.layer, layer.metrics.maxAbsoluteError,
                         layer.metrics.relativeError, mark))
        }
    }
}
