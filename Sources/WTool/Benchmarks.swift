import Foundation
import ModelIR
import Runtime
import SWMFormat

/// In-process timings behind `wtool bench`. Times are medians over repeated runs after a warm-up,
/// from a monotonic clock; page-cache state is the caller's business (run once to warm it).
public enum Benchmarks {
    /// Median of `runs` timings of `body`, in seconds.
    public static func median(runs: Int, warmup: Int = 1, _ body: () throws -> Void) rethrows -> Double {
        for _ in 0..<warmup { try body() }
        var samples: [Double] = []
        for _ in 0..<max(1, runs) {
            let start = DispatchTime.now().uptimeNanoseconds
            try body()
            samples.append(Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9)
        }
        samples.sort()
        return samples[samples.count / 2]
    }

    /// What opening a `.swm` costs (medians, seconds).
    public struct OpenTimings: Sendable {
        /// `SWMFile(path:)`: map + validate the header.
        public var openSeconds: Double
        /// Reading every byte of every tensor through the zero-copy views.
        public var touchSeconds: Double
        /// Open plus decoding and validating the graph.
        public var graphSeconds: Double
        /// Bytes of tensor data in the file.
        public var tensorBytes: Int
        /// Number of tensors in the file.
        public var tensorCount: Int
    }

    /// Measures opening a `.swm` and touching all of its tensor bytes.
    /// - Throws: ``WToolError`` naming the file: not a `.swm`, or one that does not open.
    public static func openTimings(path: String, runs: Int) throws -> OpenTimings {
        guard try ModelFormat.detect(path: path) == .swm else {
            throw WToolError.unknownFormat(path: path, detail: "--io measures .swm files; convert first")
        }
        do {
            return try measureOpen(path: path, runs: runs)
        } catch {
            throw WToolError.wrap(error, path: path)
        }
    }

    private static func measureOpen(path: String, runs: Int) throws -> OpenTimings {
        let file = try SWMFile(path: path)
        let open = try median(runs: runs) { _ = try SWMFile(path: path) }
        let graph = try median(runs: min(runs, 200)) { _ = try SWMFile(path: path).graph() }
        var checksum: UInt64 = 0
        let touch = median(runs: min(runs, 20)) {
            for entry in file.tensors {
                guard let data = file.tensorData(named: entry.name) else { continue }
                checksum &+= touchBytes(data.bytes)
            }
        }
        if checksum == 42 { print("") } // keeps the reads from being optimised away
        return OpenTimings(openSeconds: open, touchSeconds: touch, graphSeconds: graph,
                           tensorBytes: file.tensors.reduce(0) { $0 + $1.byteLength }, tensorCount: file.tensors.count)
    }

    static func touchBytes(_ bytes: UnsafeRawBufferPointer) -> UInt64 {
        var sum: UInt64 = 0
        let words = bytes.count / 8
        for i in 0..<words { sum &+= bytes.loadUnaligned(fromByteOffset: i * 8, as: UInt64.self) }
        for i in (words * 8)..<bytes.count { sum &+= UInt64(bytes[i]) }
        return sum
    }
}

extension Benchmarks {
    /// What running a model costs (seconds).
    public struct InferenceTimings: Sendable {
        /// Reading the model and preparing the executor (kernels repacked), once.
        public var loadSeconds: Double
        /// Median time of one batch.
        public var batchSeconds: Double
        /// Images per batch.
        public var batch: Int
        /// The NHWC input shape timed, batch first.
        public var inputShape: [Int]
        /// Per-layer medians, when asked for.
        public var layers: [LayerTiming]?
        /// Median batch time divided by the batch size.
        public var secondsPerImage: Double { batchSeconds / Double(batch) }
    }

    /// Times `runs` batches of `batch` random images (after two warm-up batches).
    /// With `perLayer`, also profiles each layer over `runs` more batches.
    public static func inference(path: String, options: LoadOptions, executor: ExecutorOptions = ExecutorOptions(), batch: Int,
                                 runs: Int, size: (Int, Int)?, perLayer: Bool = false) throws -> InferenceTimings {
        let start = DispatchTime.now().uptimeNanoseconds
        let graph = try ModelLoader.load(path: path, options: options).graph
        let session = try InferenceSession(graph: graph, options: executor)
        let loadSeconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
        let image = try session.imageInput
        var shape = image.info.shape
        shape[0] = batch
        if let size {
            if image.channelsFirst { shape[2] = size.0; shape[3] = size.1 } else { shape[1] = size.0; shape[2] = size.1 }
        }
        guard shape.allSatisfy({ $0 > 0 }) else { throw WToolError.usage("the model accepts any image size; pass --size H,W") }
        var state: UInt32 = 12345
        let count = shape.reduce(1, *)
        let data = (0..<count).map { _ -> Float in
            state = state &* 1_664_525 &+ 1_013_904_223
            return Float(state >> 8) / Float(1 << 24) * 255 - 128
        }
        let input = Tensor(shape: shape, floats: data)
        let seconds = try median(runs: runs, warmup: 2) { _ = try session.run(input) }
        var layers: [LayerTiming]? = nil
        if perLayer, let name = session.graph.inputs.first?.name {
            layers = try session.executor.profile(inputs: [name: input], runs: runs).map {
                LayerTiming(layer: $0.node, op: $0.op, seconds: $0.seconds)
            }
        }
        return InferenceTimings(loadSeconds: loadSeconds, batchSeconds: seconds, batch: batch, inputShape: shape, layers: layers)
    }

    /// One layer's share of a batch (fused BatchNormalization and activations count with their layer).
    public struct LayerTiming: Sendable {
        public var layer: String
        public var op: String
        /// Median seconds per batch.
        public var seconds: Double
    }
}
