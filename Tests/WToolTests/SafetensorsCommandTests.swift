import Foundation
import ModelIR
import SafetensorsFormat
import XCTest
import _TestSupport

/// `.safetensors` through the CLI: convert to and from it, `check`, `summary`, `diff`, `verify`;
/// weights-only files bound to `--arch` by name, and every binding mismatch named.
final class SafetensorsCommandTests: CLITestCase {
    let mini = TestSupport.sample("mini/mini.keras3.h5")

    func testKerasToSafetensorsAndBack() throws {
        XCTAssertEqual(try wtool("convert", mini, "mini.safetensors").status, 0)
        let check = try wtool("check", "mini.safetensors")
        XCTAssertEqual(check.status, 0, check.stderr)
        XCTAssertTrue(check.stdout.contains("OK (6 tensors") && check.stdout.contains("safetensors + wtool graph 1"), check.stdout)
        let summary = try wtool("summary", "mini.safetensors", "--json")
        XCTAssertTrue(summary.stdout.contains("\"total_params\" : 1976"), summary.stdout)
        // Every weight bit for bit, and the same graph.
        let diff = try wtool("diff", mini, "mini.safetensors")
        XCTAssertEqual(diff.status, 0, diff.stdout + diff.stderr)
        XCTAssertTrue(diff.stdout.contains("graph: same") && diff.stdout.contains("6 compared, 0 differ"), diff.stdout)
        // Named by Keras weight path, HWIO as Keras stores them.
        let file = try SafetensorsFile(path: path("mini.safetensors"))
        XCTAssertEqual(file.tensors.first { $0.name == "block1_conv1/kernel" }?.shape, [3, 3, 3, 8])
        // Back to .swm through the embedded graph, and straight from the file.
        XCTAssertEqual(try wtool("convert", "mini.safetensors", "mini.swm").status, 0)
        XCTAssertEqual(try wtool("diff", mini, "mini.swm").status, 0)
        let verify = try wtool("verify", "mini.safetensors", "--images", TestSupport.sample("photos"),
                               "--expected", TestSupport.sample("mini/expected"), "--preprocess", "caffe")
        XCTAssertEqual(verify.status, 0, verify.stdout + verify.stderr)
    }

    func testPyTorchLayoutRoundTrip() throws {
        XCTAssertEqual(try wtool("convert", mini, "pt.safetensors", "--pytorch-layout").status, 0)
        let file = try SafetensorsFile(path: path("pt.safetensors"))
        XCTAssertEqual(file.tensors.first { $0.name == "block1_conv1/kernel" }?.shape, [8, 3, 3, 3])
        XCTAssertEqual(file.metadata?["wtool.layout"], "pytorch")
        let diff = try wtool("diff", mini, "pt.safetensors")
        XCTAssertEqual(diff.status, 0, diff.stdout + diff.stderr)
        // Usage errors (ArgumentParser's validate(): the message, then the usage).
        for (arguments, message) in [(["x.swm", "--pytorch-layout"], "--pytorch-layout goes with a .safetensors output"),
                                     (["x.safetensors", "--dtype", "f16"], "--dtype goes with a .swm output")] {
            let r = try wtool(["convert", mini] + arguments)
            XCTAssertNotEqual(r.status, 0)
            XCTAssertTrue(r.stderr.contains(message), r.stderr)
        }
    }

    func testFormatIsDetectedByContent() throws {
        XCTAssertEqual(try wtool("convert", mini, "mini.safetensors").status, 0)
        try FileManager.default.copyItem(atPath: path("mini.safetensors"), toPath: path("weights.bin"))
        XCTAssertEqual(try wtool("summary", "weights.bin").status, 0)
        // Damaged files: one clean line each, whatever their name.
        let bytes = try Data(contentsOf: URL(fileURLWithPath: path("mini.safetensors")))
        try bytes.prefix(bytes.count - 1).write(to: URL(fileURLWithPath: path("short.bin")))
        assertCleanFailure(try wtool("summary", "short.bin"), mentions: "run past the")
        try Data("{\"not\": \"safetensors\"}".utf8).write(to: URL(fileURLWithPath: path("text.safetensors")))
        assertCleanFailure(try wtool("summary", "text.safetensors"), mentions: "header length")
        var big = bytes
        big[0] = 0xFF; big[3] = 0x7F
        try big.write(to: URL(fileURLWithPath: path("big.safetensors")))
        assertCleanFailure(try wtool("check", "big.safetensors"), mentions: "cap")
    }

    // MARK: Weights-only files and --arch

    /// MobileNet α 0.25 with its top, weights named by Keras path with the shapes Keras gives
    /// (Tests/KerasFormatTests/Fixtures/applications/mobilenet_025_top.json), seeded values.
    func mobileNetTensors() throws -> [SafetensorsWriter.Entry] {
        let url = TestSupport.repoRoot.appendingPathComponent("Tests/KerasFormatTests/Fixtures/applications/mobilenet_025_top.json")
        let fixture = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(contentsOf: url)) as? [String: Any])
        let layers = try XCTUnwrap((fixture["keras3"] as? [String: Any])?["layers"] as? [[Any]])
        var entries: [SafetensorsWriter.Entry] = []
        for (i, layer) in layers.enumerated() {
            guard let name = layer[0] as? String, let cls = layer[1] as? String, let shapes = layer[4] as? [[Int]], !shapes.isEmpty else { continue }
            let roles: [String] = switch cls {
            case "BatchNormalization": ["gamma", "beta", "moving_mean", "moving_variance"]
            case "DepthwiseConv2D": ["depthwise_kernel", "bias"]
            default: ["kernel", "bias"]
            }
            for (role, shape) in zip(roles, shapes) {
                let values = TestSupport.randomFloats(shape.reduce(1, *), seed: UInt64(i), scale: 0.1).map { role == "moving_variance" ? abs($0) + 1 : $0 }
                entries.append(.init(name: "\(name)/\(role)", dtype: .float32, shape: shape, data: TensorData(floats: values)))
            }
        }
        return entries
    }

    let arch = ["--arch", "mobilenet", "--alpha", "0.25", "--include-top", "--input-shape", "32,32,3"]

    func testWeightsOnlyFileBindsToTheArchitectureByName() throws {
        let entries = try mobileNetTensors()
        try SafetensorsWriter.write(entries, metadata: ["format": "pt"], to: path("w.safetensors"))
        assertCleanFailure(try wtool("summary", "w.safetensors"), mentions: "pass --arch NAME")
        let summary = try wtool(["summary", "w.safetensors", "--json"] + arch)
        XCTAssertEqual(summary.status, 0, summary.stderr)
        XCTAssertTrue(summary.stdout.contains("\"total_params\" : 475544"), summary.stdout)  // keras.applications' count
        XCTAssertTrue(summary.stdout.contains("\"non_trainable_params\" : 5472"), summary.stdout)
        XCTAssertEqual(try wtool(["convert", "w.safetensors", "w.swm"] + arch).status, 0)
        XCTAssertEqual(try wtool("check", "w.swm").status, 0)
        let check = try wtool("check", "w.safetensors")
        XCTAssertTrue(check.stdout.contains("safetensors, weights only"), check.stdout)
        // The .swm's tensors are the file's, bit for bit, under the same names.
        let diff = try wtool(["diff", "w.safetensors", "w.swm"] + arch)
        XCTAssertEqual(diff.status, 0, diff.stdout + diff.stderr)
        // Keras 3 names a DepthwiseConv2D's kernel `layer/kernel` (variable.path): accepted too.
        let keras3 = entries.map { entry in
            var e = entry
            if e.name.hasSuffix("/depthwise_kernel") { e.name = String(e.name.dropLast("depthwise_kernel".count)) + "kernel" }
            return e
        }
        try SafetensorsWriter.write(keras3, metadata: nil, to: path("keras3.safetensors"))
        XCTAssertEqual(try wtool(["diff", "w.safetensors", "keras3.safetensors"] + arch).status, 0)
        try SafetensorsWriter.write(entries + [keras3.first { $0.name == "conv_dw_1/kernel" }!], metadata: nil, to: path("both.safetensors"))
        assertCleanFailure(try wtool(["summary", "both.safetensors"] + arch),
                           mentions: "the file has both 'conv_dw_1/kernel' (Keras 3's name) and 'conv_dw_1/depthwise_kernel'")
    }

    /// A stored (uncompressed) member of a zip archive: `.keras` files store theirs.
    func storedZipMember(_ archive: String, _ name: String) throws -> Data {
        let bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: archive)))
        func le(_ at: Int, _ n: Int) -> Int { (0..<n).reduce(0) { $0 | Int(bytes[at + $1]) << (8 * $1) } }
        var at = 0
        while at + 30 <= bytes.count, le(at, 4) == 0x0403_4B50 {
            let size = le(at + 18, 4), nameLength = le(at + 26, 2), extra = le(at + 28, 2)
            let start = at + 30 + nameLength + extra
            if String(decoding: bytes[(at + 30)..<(at + 30 + nameLength)], as: UTF8.self) == name {
                XCTAssertEqual(le(at + 8, 2), 0, "\(name) is stored, not deflated")
                return Data(bytes[start..<(start + size)])
            }
            at = start + size
        }
        throw CocoaError(.fileReadCorruptFile)
    }

    func testWeightsOnlyFileBindsToAConfigByName() throws {
        // The mini model's Keras config, and its tensors under their names without wtool's metadata.
        try storedZipMember(TestSupport.sample("mini/mini.keras"), "config.json").write(to: URL(fileURLWithPath: path("config.json")))
        XCTAssertEqual(try wtool("convert", mini, "mini.safetensors").status, 0)
        let file = try SafetensorsFile(path: path("mini.safetensors"))
        try SafetensorsWriter.write(file.tensors.map { .init(name: $0.name, dtype: .float32, shape: $0.shape, data: file.tensorData(named: $0.name)!) },
                                    metadata: nil, to: path("weights.safetensors"))
        let diff = try wtool("diff", mini, "weights.safetensors", "--config", "config.json")
        XCTAssertEqual(diff.status, 0, diff.stdout + diff.stderr)
        let verify = try wtool("verify", "weights.safetensors", "--config", "config.json", "--images", TestSupport.sample("photos"),
                               "--expected", TestSupport.sample("mini/expected"), "--preprocess", "caffe")
        XCTAssertEqual(verify.status, 0, verify.stdout + verify.stderr)
    }

    func testEveryBindingMismatchNamesTheTensor() throws {
        let entries = try mobileNetTensors()
        func attempt(_ name: String, _ edit: (inout [SafetensorsWriter.Entry]) -> Void, mentions: String, line: UInt = #line) throws {
            var edited = entries
            edit(&edited)
            try SafetensorsWriter.write(edited, metadata: nil, to: path(name))
            assertCleanFailure(try wtool(["summary", name] + arch), mentions: mentions, line: line)
        }
        try attempt("renamed.safetensors", { $0[0].name = "conv1/kernel:0" },
                    mentions: "the model's weight 'conv1/kernel' is missing: the file has no tensor of that name; the file has tensors the model lacks, e.g. 'conv1/kernel:0'")
        try attempt("missing.safetensors", { $0.removeAll { $0.name.hasPrefix("conv_pw_13_bn/") } },
                    mentions: "the model's weight 'conv_pw_13_bn/beta' is missing: the file has no tensor of that name (and 3 more: 'conv_pw_13_bn/gamma'")
        try attempt("extra.safetensors", { $0.append(.init(name: "head/kernel", dtype: .float32, shape: [1], data: TensorData(floats: [0]))) },
                    mentions: "the file's tensor 'head/kernel' is no weight of the model")
        try attempt("oihw.safetensors", { entries in
            let i = entries.firstIndex { $0.name == "conv_pw_1/kernel" }!
            entries[i].shape = [16, 8, 1, 1]
        }, mentions: "tensor 'conv_pw_1/kernel' has shape [16, 8, 1, 1], the model expects [1, 1, 8, 16] (that is the OIHW layout PyTorch")
        try attempt("int.safetensors", { entries in
            let i = entries.firstIndex { $0.name == "conv1_bn/gamma" }!
            entries[i].dtype = .int32
        }, mentions: "tensor 'conv1_bn/gamma' holds i32 values, not floating point")
    }
}
