import ArgumentParser
import Foundation
import WTool

struct VerifyCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "verify",
        abstract: "Check a model's outputs against reference outputs (e.g. Keras's) on real images.",
        discussion: """
            For every image in --images that has <stem>.npy in --expected, runs the model and prints the \
            maximum absolute error, the relative error max|Δ| / max|reference| over the whole output, and \
            the cosine similarity. Exits 1 when any image is above --tolerance. With --per-layer, compares \
            the intermediate outputs in <expected>/<stem>/<layer>.npy as well, and names the first layer \
            that diverges.

            Examples:
              wtool verify vgg16.swm --images photos --expected keras_outputs
              wtool verify vgg16.h5 --images photos --expected keras_outputs --per-layer --tolerance 1e-5
            """
    )

    @Argument(help: "The model file.")
    var model: String

    @Option(name: .long, help: "Folder of JPEG/PNG images.")
    var images: String

    @Option(name: .long, help: "Folder of reference outputs, <image stem>.npy.")
    var expected: String

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
    }

    func run() throws {
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
