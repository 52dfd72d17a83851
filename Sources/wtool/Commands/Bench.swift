import ArgumentParser
import Foundation
import WTool

struct Bench: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Time loading a model in-process (median of repeated runs after a warm-up).",
        discussion: """
            --io measures a .swm file's open (map + header validation), graph decoding, and reading every \
            tensor byte through the zero-copy views. scripts/bench_io.py runs it next to h5py and safetensors.

            Example:
              wtool bench vgg16.swm --io --runs 1000 --json
            """
    )

    @Argument(help: "The model file (.swm for --io).")
    var input: String

    @Flag(name: .long, help: "Measure file opening and tensor access.")
    var io = false

    @Option(name: .long, help: "Repetitions (the median is reported).")
    var runs: Int = 200

    @Flag(name: .long, help: "Print JSON.")
    var json = false

    func validate() throws {
        guard runs > 0 else { throw ValidationError("--runs must be positive") }
        guard io else { throw ValidationError("pass --io (inference timing comes with the runtime)") }
    }

    func run() throws {
        try reportingErrors(path: input) {
            guard try ModelFormat.detect(path: input) == .swm else {
                throw WToolError.unknownFormat(path: input, detail: "--io measures .swm files; convert first")
            }
            let t = try Benchmarks.openTimings(path: input, runs: runs)
            if json {
                let object: [String: Any] = [
                    "open_us": t.openSeconds * 1e6, "graph_us": t.graphSeconds * 1e6, "touch_ms": t.touchSeconds * 1e3,
                    "tensor_bytes": t.tensorBytes, "tensors": t.tensorCount,
                ]
                let data = try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])
                print(String(decoding: data, as: UTF8.self))
            } else {
                print(String(format: "open %.1f µs, open+graph %.1f µs, touch all %d tensors (%.1f MB) %.2f ms",
                             t.openSeconds * 1e6, t.graphSeconds * 1e6, t.tensorCount, Double(t.tensorBytes) / 1e6, t.touchSeconds * 1e3))
            }
        }
    }
}
