import Foundation
import ModelIR

/// Fixtures shared by the test targets.
public enum TestSupport {
    /// The repository root (the folder holding Package.swift), found from this file's path.
    public static let repoRoot: URL = {
        var url = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        while url.path != "/" {
            if FileManager.default.fileExists(atPath: url.appendingPathComponent("Package.swift").path) { return url }
            url.deleteLastPathComponent()
        }
        return URL(fileURLWithPath: FileManager.default.currentDirectoryPath)
    }()

    public static var samples: URL { repoRoot.appendingPathComponent("samples") }

    public static func sample(_ path: String) -> String { samples.appendingPathComponent(path).path }

    /// A fresh temporary directory, removed by the caller (or left in /tmp).
    public static func temporaryDirectory() -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("wtool-tests-\(UUID().uuidString)")
        try? FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }

    /// Deterministic pseudo-random floats (SplitMix64), so fixtures never depend on the platform RNG.
    public static func randomFloats(_ count: Int, seed: UInt64, scale: Float = 1) -> [Float] {
        var state = seed
        return (0..<count).map { _ in
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            z ^= z >> 31
            return (Float(z >> 40) / Float(1 << 24) * 2 - 1) * scale
        }
    }

    /// A small VGG-style graph: conv(same, relu) → max pool → conv(valid) → flatten → dense(softmax),
    /// with seeded weights.
    public static func smallGraph(seed: UInt64 = 1) -> Graph {
        func weight(_ name: String, _ shape: [Int], _ layout: Layout, _ s: UInt64) -> (String, Weight) {
            let count = shape.reduce(1, *)
            return (name, Weight(info: TensorInfo(name: name, shape: shape, layout: layout),
                                 data: TensorData(floats: randomFloats(count, seed: seed &+ s, scale: 0.5)), trainable: true,
                                 source: "test/\(name)"))
        }
        let nodes = [
            Node(name: "conv1", op: .conv(.conv(ConvAttributes(filters: 4, kernelSize: [3, 3], padding: .same, activation: .relu))),
                 inputs: ["input", "conv1/kernel", "conv1/bias"]),
            Node(name: "pool1", op: .pool(.max(PoolAttributes(poolSize: [2, 2], strides: [2, 2]))), inputs: ["conv1"]),
            Node(name: "conv2", op: .conv(.conv(ConvAttributes(filters: 6, kernelSize: [3, 3], strides: [1, 1], padding: .valid))),
                 inputs: ["pool1", "conv2/kernel"]),
            Node(name: "flatten", op: .tensor(.flatten(axis: 1)), inputs: ["conv2"]),
            Node(name: "dense", op: .linear(.dense(DenseAttributes(units: 3, activation: .softmax(axis: -1)))),
                 inputs: ["flatten", "dense/kernel", "dense/bias"]),
        ]
        let weights = Dictionary(uniqueKeysWithValues: [
            weight("conv1/kernel", [3, 3, 3, 4], .hwio, 1), weight("conv1/bias", [4], .channel, 2),
            weight("conv2/kernel", [3, 3, 4, 6], .hwio, 3),
            weight("dense/kernel", [24, 3], .io, 4), weight("dense/bias", [3], .channel, 5),
        ])
        return Graph(name: "small", inputs: [TensorInfo(name: "input", shape: [-1, 8, 8, 3], layout: .nhwc)],
                     outputs: ["dense"], nodes: nodes, weights: weights,
                     metadata: Metadata(sourceFormat: "test", producer: "wtool-tests", extra: ["k": "v"]))
    }
}
