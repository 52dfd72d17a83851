import Foundation
import ModelIR
import SWMFormat
import WTool
import XCTest
import _TestSupport

/// `wtool convert … .h5`, `wtool diff` and `wtool graph`, run as a user runs them.
final class ExportDiffGraphTests: CLITestCase {
    static let writerFixtures = TestSupport.repoRoot.appendingPathComponent("Tests/KerasFormatTests/Fixtures/writer")

    func json(_ text: String) throws -> [String: Any] {
        try XCTUnwrap(JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any], text)
    }

    // MARK: convert → .h5

    func testConvertToH5AndBackChangesNothing() throws {
        XCTAssertEqual(try wtool("convert", TestSupport.sample("mini_classifier/mini_classifier.keras3.h5"), "m.swm").status, 0)
        let written = try wtool("convert", "m.swm", "m.h5")
        XCTAssertEqual(written.status, 0, written.stderr)
        XCTAssertTrue(written.stderr.contains("wrote m.h5"), written.stderr)
        let diff = try wtool("diff", "m.swm", "m.h5")
        XCTAssertEqual(diff.status, 0, diff.stdout + diff.stderr)
        XCTAssertTrue(diff.stdout.contains("graph: same") && diff.stdout.contains("10 compared, 0 differ"), diff.stdout)
        XCTAssertEqual(try wtool("summary", "m.h5", "--json").stdout, try wtool("summary", "m.swm", "--json").stdout)
        // Keras 2 and 3 spellings and the weights-only layout, each read back (with the config for weights-only).
        for extra in [["--keras", "2"], ["--keras", "3"]] {
            XCTAssertEqual(try wtool(["convert", "m.swm", "k.h5", "--force"] + extra).status, 0)
            XCTAssertEqual(try wtool("diff", "m.swm", "k.h5").status, 0, "\(extra)")
        }
        XCTAssertEqual(try wtool("convert", "m.swm", "w.h5", "--weights-only").status, 0)
        assertCleanFailure(try wtool("summary", "w.h5"), mentions: "--arch")
        XCTAssertEqual(directoryListing(), ["k.h5", "m.h5", "m.swm", "w.h5"])
    }

    func testConvertToH5ValidatesItsOptions() throws {
        let source = TestSupport.sample("mini/mini.keras3.h5")
        for (arguments, message) in [
            (["convert", source, "o.h5", "--keras", "4"], "--keras must be both, 2 or 3"),
            (["convert", source, "o.swm", "--weights-only"], "go with a .h5 output"),
            (["convert", source, "o.h5", "--dtype", "f16"], "--dtype goes with a .swm output"),
            (["convert", source, "o.weights.h5", "--weights-only"], ".weights.h5"),
            (["convert", source, "o.txt"], "must end in"),
        ] {
            let r = try wtool(arguments)
            XCTAssertNotEqual(r.status, 0, "\(arguments)")
            XCTAssertTrue(r.stderr.contains(message), "\(arguments): \(r.stderr)")
        }
        XCTAssertEqual(directoryListing(), [])
    }

    func testConvertToH5FailsCleanlyAndLeavesNothing() throws {
        let nested = Self.writerFixtures.appendingPathComponent("nested.keras3/model.h5").path
        assertCleanFailure(try wtool("convert", nested, "n.h5"), mentions: "--keras 2 or --keras 3")
        XCTAssertEqual(directoryListing(), [])
        XCTAssertEqual(try wtool("convert", nested, "n.h5", "--keras", "3").status, 0)
        assertCleanFailure(try wtool("convert", nested, "n.h5", "--keras", "2"), mentions: "already exists")
        XCTAssertEqual(directoryListing(), ["n.h5"])
    }

    // MARK: diff

    /// The mini classifier as a .swm, and a copy in which only `tensor` changed at `index` by `delta`.
    func makeCopyWithOneChange(tensor: String, index: Int, delta: Float) throws {
        XCTAssertEqual(try wtool("convert", TestSupport.sample("mini_classifier/mini_classifier.keras3.h5"), "a.swm").status, 0)
        var graph = try SWMFile(path: path("a.swm")).graph()
        let weight = try XCTUnwrap(graph.weights[tensor])
        var values = weight.data.floatArray(as: .float32)
        values[index] += delta
        graph.weights[tensor]?.data = TensorData(floats: values)
        try SWMWriter().write(graph, to: path("b.swm"))
    }

    func testDiffReportsExactlyTheOneChangedTensor() throws {
        try makeCopyWithOneChange(tensor: "mini_vgg/block2_conv1/kernel", index: 77, delta: 0.5)
        let report = try wtool("diff", "a.swm", "b.swm", "--json")
        XCTAssertEqual(report.status, 1, report.stderr)
        let object = try json(report.stdout)
        XCTAssertEqual(object["differs"] as? Bool, true)
        XCTAssertEqual((object["graph"] as? [Any])?.count, 0)
        let tensors = try XCTUnwrap(object["tensors"] as? [[String: Any]])
        XCTAssertEqual(tensors.count, 10)
        let changed = tensors.filter { $0["status"] as? String != "same" }
        XCTAssertEqual(changed.map { $0["name"] as? String }, ["mini_vgg/block2_conv1/kernel"])
        XCTAssertEqual(changed.first?["differing_elements"] as? Int, 1)
        XCTAssertEqual(changed.first?["worst_index"] as? Int, 77)
        XCTAssertEqual(try XCTUnwrap(changed.first?["max_abs"] as? Double), 0.5, accuracy: 1e-6)

        let text = try wtool("diff", "a.swm", "b.swm")
        XCTAssertEqual(text.status, 1)
        XCTAssertEqual(text.stdout.components(separatedBy: "block2_conv1/kernel").count - 1, 1, text.stdout)
        XCTAssertTrue(text.stdout.contains("10 compared, 1 differ"), text.stdout)
        XCTAssertTrue(text.stdout.contains("(1 of 1152 elements, worst at 77)"), text.stdout)
        // Within a tolerance above the change, the models are the same.
        XCTAssertEqual(try wtool("diff", "a.swm", "b.swm", "--tolerance", "0.6").status, 0)
        XCTAssertEqual(try wtool("diff", "a.swm", "a.swm").status, 0)
    }

    func testDiffReportsGraphChangesAndStructuralTensorChanges() throws {
        let source = TestSupport.sample("mini/mini.keras3.h5")
        XCTAssertEqual(try wtool("convert", source, "full.swm").status, 0)
        XCTAssertEqual(try wtool("convert", source, "cut.swm", "--until", "block1_pool").status, 0)
        XCTAssertEqual(try wtool("convert", source, "half.swm", "--dtype", "f16").status, 0)
        let cut = try wtool("diff", "full.swm", "cut.swm", "--json")
        XCTAssertEqual(cut.status, 1)
        let object = try json(cut.stdout)
        let graph = try XCTUnwrap(object["graph"] as? [[String: Any]])
        XCTAssertEqual(Set(graph.filter { $0["change"] as? String == "removed" }.compactMap { $0["subject"] as? String }),
                       ["block2_conv1", "block2_pool"])
        XCTAssertTrue(graph.contains { $0["subject"] as? String == "outputs" })
        let removed = try XCTUnwrap(object["tensors"] as? [[String: Any]]).filter { $0["status"] as? String == "removed" }
        XCTAssertEqual(removed.compactMap { $0["name"] as? String }, ["block2_conv1/kernel", "block2_conv1/bias"])

        let half = try wtool("diff", "full.swm", "half.swm")
        XCTAssertEqual(half.status, 1)
        XCTAssertTrue(half.stdout.contains("dtype f32 → f16"), half.stdout)
        XCTAssertTrue(half.stdout.contains("graph: same"), half.stdout)
    }

    func testDiffOfAKerasFileAndItsONNXExportPairsTensorsByPosition() throws {
        let r = try wtool("diff", TestSupport.sample("mini/mini.keras3.h5"), TestSupport.sample("mini/mini.onnx"), "--json")
        XCTAssertEqual(r.status, 1, "node names differ")
        let tensors = try XCTUnwrap(try json(r.stdout)["tensors"] as? [[String: Any]])
        XCTAssertEqual(tensors.count, 6)
        XCTAssertTrue(tensors.allSatisfy { $0["status"] as? String == "same" && $0["other_name"] is String }, "\(tensors)")
    }

    func testDiffErrorsExitTwoWithOneLine() throws {
        XCTAssertEqual(try wtool("convert", TestSupport.sample("mini/mini.keras3.h5"), "m.swm").status, 0)
        let r = try wtool("diff", "m.swm", "missing.h5")
        XCTAssertEqual(r.status, 2)
        XCTAssertEqual(r.stderr, "error: missing.h5: no such file\n")
        XCTAssertEqual(r.stdout, "")
        XCTAssertNotEqual(try wtool("diff", "m.swm", "m.swm", "--tolerance", "-1").status, 0)
    }

    // MARK: graph

    /// A branching graph with a nested model, as a .swm: residual blocks (Add), a Concatenate, BN.
    func makeBranchingModel() throws -> String {
        func weight(_ name: String, _ shape: [Int], seed: UInt64) -> (String, Weight) {
            (name, Weight(info: TensorInfo(name: name, shape: shape, layout: shape.count == 4 ? .hwio : .channel),
                          data: TensorData(floats: TestSupport.randomFloats(shape.reduce(1, *), seed: seed, scale: 0.3))))
        }
        var nodes = [Node(name: "stem", op: .conv(.conv(ConvAttributes(filters: 8, kernelSize: [3, 3], padding: .same, activation: .relu))),
                          inputs: ["image", "stem/kernel", "stem/bias"])]
        var weights = [weight("stem/kernel", [3, 3, 3, 8], seed: 1), weight("stem/bias", [8], seed: 2)]
        var x = "stem"
        for block in 1...3 {
            let scope = ["block\(block)"]
            let conv = "block\(block)/conv", bn = "block\(block)/bn", add = "block\(block)/add"
            nodes.append(Node(name: conv, op: .conv(.conv(ConvAttributes(filters: 8, kernelSize: [3, 3], padding: .same))), inputs: [x, conv + "/kernel", conv + "/bias"], scope: scope))
            nodes.append(Node(name: bn, op: .normalization(.batch(BatchNormAttributes())), inputs: [conv] + ["gamma", "beta", "moving_mean", "moving_variance"].map { bn + "/" + $0 }, scope: scope))
            nodes.append(Node(name: add, op: .elementwise(.variadic(.add)), inputs: [x, bn], scope: scope))
            weights += [weight(conv + "/kernel", [3, 3, 8, 8], seed: UInt64(block * 10)), weight(conv + "/bias", [8], seed: UInt64(block * 10 + 1))]
            weights += ["gamma", "beta", "moving_mean", "moving_variance"].enumerated().map { i, role in
                (bn + "/" + role, Weight(info: TensorInfo(name: bn + "/" + role, shape: [8], layout: .channel),
                                         data: TensorData(floats: [Float](repeating: role == "moving_variance" ? 1 : 0.1 * Float(i), count: 8)),
                                         trainable: !role.hasPrefix("moving")))
            }
            x = add
        }
        nodes.append(Node(name: "pool", op: .pool(.max(PoolAttributes(poolSize: [2, 2], strides: [2, 2]))), inputs: [x]))
        nodes.append(Node(name: "concat", op: .tensor(.concat(axis: -1)), inputs: ["pool", "pool"]))
        nodes.append(Node(name: "gap", op: .pool(.globalAverage(GlobalPoolAttributes(keepDims: false))), inputs: ["concat"]))
        let submodels = (1...3).map { Submodel(scope: ["block\($0)"], className: "Functional", inputs: [], outputs: []) }
        let graph = Graph(name: "branchy", inputs: [TensorInfo(name: "image", shape: [-1, 16, 16, 3], layout: .nhwc)], outputs: ["gap"],
                          nodes: nodes, weights: Dictionary(uniqueKeysWithValues: weights), metadata: Metadata(submodels: submodels))
        try graph.validate()
        try SWMWriter().write(graph, to: path("branchy.swm"))
        return "branchy.swm"
    }

    func testGraphDOTParsesWithGraphviz() throws {
        let dot = try XCTUnwrap(Graphviz.dotExecutable(), "Graphviz's dot is not installed (scripts/setup.sh installs graphviz)")
        let model = try makeBranchingModel()
        let r = try wtool("graph", model)
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertTrue(r.stdout.hasPrefix("digraph \"branchy\" {"), r.stdout)
        XCTAssertEqual(r.stdout.components(separatedBy: "subgraph cluster_").count - 1, 3, "one cluster per nested model")
        // image→stem, 4 per residual block, add→pool, pool→concat twice, concat→gap, gap→output.
        XCTAssertEqual(r.stdout.components(separatedBy: " -> ").count - 1, 1 + 3 * 4 + 1 + 2 + 1 + 1)
        XCTAssertTrue(r.stdout.contains("label=\"block2 (Functional)\""), r.stdout)
        XCTAssertTrue(r.stdout.contains("stem\\nConv2D 8 3×3 same, relu\\n(None, 16, 16, 8)\\n224 params"), r.stdout)
        // dot itself must accept it: render to SVG from the DOT text.
        let process = Process()
        process.executableURL = dot
        process.arguments = ["-Tsvg", "-o", path("check.svg"), path("in.dot")]
        try r.stdout.write(toFile: path("in.dot"), atomically: true, encoding: .utf8)
        let errors = Pipe()
        process.standardError = errors
        try process.run()
        process.waitUntilExit()
        XCTAssertEqual(process.terminationStatus, 0, String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self))
        XCTAssertTrue(try String(contentsOfFile: path("check.svg"), encoding: .utf8).contains("block3/bn") == false, "labels are local names")
        XCTAssertTrue(try String(contentsOfFile: path("check.svg"), encoding: .utf8).contains(">concat<"))
    }

    func testGraphRendersSVGAndPNGAtomically() throws {
        _ = try XCTUnwrap(Graphviz.dotExecutable(), "Graphviz's dot is not installed (scripts/setup.sh installs graphviz)")
        let zoo = Self.writerFixtures.appendingPathComponent("zoo.keras3/model.h5").path
        XCTAssertEqual(try wtool("graph", zoo, "--out", "zoo.svg").status, 0)
        let svg = try String(contentsOfFile: path("zoo.svg"), encoding: .utf8)
        XCTAssertTrue(svg.contains("<svg") && svg.contains(">SeparableConv2D 16 3×3 same, swish<"), String(svg.prefix(400)))
        XCTAssertEqual(try wtool("graph", zoo, "--format", "png", "--out", "zoo.picture").status, 0)
        let png = try Data(contentsOf: URL(fileURLWithPath: path("zoo.picture")))
        XCTAssertEqual(Array(png.prefix(8)), [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A])
        assertCleanFailure(try wtool("graph", zoo, "--out", "zoo.svg"), mentions: "already exists")
        XCTAssertEqual(try wtool("graph", zoo, "--out", "zoo.svg", "--force").status, 0)
        XCTAssertEqual(directoryListing(), ["zoo.picture", "zoo.svg"])
    }

    func testGraphWithoutGraphvizSaysSoAndStillWritesDOT() throws {
        let model = try makeBranchingModel()
        // A PATH without Graphviz: the wtool binary is run by absolute path, so only `dot` goes missing.
        let process = Process()
        process.executableURL = Self.binary
        process.arguments = ["graph", model, "--format", "svg", "--out", "g.svg"]
        process.currentDirectoryURL = directory
        process.environment = ["PATH": directory.path]
        let errors = Pipe()
        process.standardError = errors
        try process.run()
        process.waitUntilExit()
        let stderr = String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        XCTAssertEqual(process.terminationStatus, 1)
        XCTAssertTrue(stderr.hasPrefix("error: ") && stderr.contains("Graphviz is not installed") && stderr.contains("--format dot"), stderr)
        XCTAssertEqual(stderr.split(separator: "\n").count, 1)
        XCTAssertFalse(FileManager.default.fileExists(atPath: path("g.svg")))
        XCTAssertEqual(try wtool("graph", model, "--out", "g.dot").status, 0)
        XCTAssertTrue(try String(contentsOfFile: path("g.dot"), encoding: .utf8).hasPrefix("digraph"))
    }
}
