import ArgumentParser
import Foundation
import WTool

struct Bench: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench",
        abstract: "Time a model in-process: inference per batch, or with --io, file opening.",
        discussion: """
            Inference: loads the model (load_ms), runs two warm-up batches of random images at the model's \
            input size, then reports the median of --runs batches (ms_per_batch, ms_per_image). \
            scripts/bench_runtime.py runs it next to onnxruntime and Keras.

            --io measures a .swm file's open (map + header validation), graph decoding, and reading every \
            tensor byte through the zero-copy views. scripts/bench_io.py runs it next to h5py and safetensors.

            Examples:
              wtool bench vgg16.swm --batch 20 --runs 10 --json
              wtool bench vgg16.swm --per-layer --conv im2col
              wtool bench vgg16.swm --io --runs 1000 --json
            """
    )

    @Argument(help: "The model file (.swm for --io).")
    var input: String

    @Flag(name: .long, help: "Measure file opening and tensor access.")
    var io = false

    @Option(name: .long, help: "Repetitions (the median is reported); default 10, or 1000 with --io.")
    var runs: Int?

    @Option(name: .long, help: "Images per batch.")
    var batch: Int = 1

    @Option(name: .long, help: "Image size H,W (default: the model's input size).")
    var size: String?

    @OptionGroup var architecture: ArchitectureOptions
    @OptionGroup var isolation: IsolationOptions
    @OptionGroup var runtime: RuntimeOptions

    @Flag(name: .long, help: "Also time each layer (median over --runs batches) and list them.")
    var perLayer = false

    @Flag(name: .long, help: "Print JSON.")
    var json = false

    func validate() throws {
        if let runs, runs <= 0 { throw ValidationError("--runs must be positive") }
        guard batch > 0 else { throw ValidationError("--batch must be positive") }
        if let size, parsedSize(size) == nil { throw ValidationError("--size must be H,W") }
    }

    private func parsedSize(_ text: String) -> (Int, Int)? {
        let parts = text.split(separator: ",").compactMap { Int($0) }
        return parts.count == 2 && parts.allSatisfy { $0 > 0 } ? (parts[0], parts[1]) : nil
    }

    private func emit(_ object: [String: Any]) throws {
        let data = try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])
        print(String(decoding: data, as: UTF8.self))
    }

    func run() throws {
        guard io else { return try runInference() }
        let runs = self.runs ?? 1000
        try reportingErrors(path: input) {
            let t = try Benchmarks.openTimings(path: input, runs: runs)
            if json {
                try emit(["open_us": t.openSeconds * 1e6, "graph_us": t.graphSeconds * 1e6, "touch_ms": t.touchSeconds * 1e3,
                          "tensor_bytes": t.tensorBytes, "tensors": t.tensorCount])
            } else {
                print(String(format: "open %.1f µs, open+graph %.1f µs, touch all %d tensors (%.1f MB) %.2f ms",
                             t.openSeconds * 1e6, t.graphSeconds * 1e6, t.tensorCount, Double(t.tensorBytes) / 1e6, t.touchSeconds * 1e3))
            }
        }
    }

    private func runInference() throws {
        let options = try architecture.loadOptions(until: nil, isolation: isolation.importer)
        try reportingErrors(path: input) {
            let t = try Benchmarks.inference(path: input, options: options, executor: runtime.executorOptions, batch: batch, runs: runs ?? 10, size: size.flatMap(parsedSize), perLayer: perLayer)
            let layers = t.layers ?? []
            if json {
                var object: [String: Any] = ["load_ms": t.loadSeconds * 1e3, "ms_per_batch": t.batchSeconds * 1e3,
                                             "ms_per_image": t.secondsPerImage * 1e3, "batch": t.batch, "input_shape": t.inputShape,
                                             "conv": runtime.conv.rawValue]
                if perLayer {
                    object["layers"] = layers.map { ["layer": $0.layer, "op": $0.op, "ms": $0.seconds * 1e3] }
                }
                try emit(object)
            } else {
                print(String(format: "input %@: load %.1f ms, %.2f ms per batch of %d, %.2f ms per image",
                             "\(t.inputShape)", t.loadSeconds * 1e3, t.batchSeconds * 1e3, t.batch, t.secondsPerImage * 1e3))
                let total = layers.reduce(0) { $0 + $1.seconds }
                for l in layers {
                    print(String(format: "  %-28@ %-22@ %9.3f ms %5.1f%%", l.layer as NSString, l.op as NSString,
                                 l.seconds * 1e3, total > 0 ? 100 * l.seconds / total : 0))
                }
            }
        }
    }
}
