import Foundation
import NPY
import XCTest
import _TestSupport

final class ConvertSummaryCheckTests: CLITestCase {
    func testConvertThenSummaryAndCheck() throws {
        let r = try wtool("convert", TestSupport.sample("mini_classifier/mini_classifier.keras3.h5"), "m.swm")
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertEqual(try wtool("check", "m.swm").status, 0)
        let summary = try wtool("summary", "m.swm", "--json")
        XCTAssertEqual(summary.status, 0, summary.stderr)
        let json = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(summary.stdout.utf8)) as? [String: Any])
        XCTAssertEqual(json["total_params"] as? Int, 34809)
        XCTAssertEqual(json["non_trainable_params"] as? Int, 1976)
        let table = try wtool("summary", "m.swm")
        XCTAssertTrue(table.stdout.contains("│ mini_vgg (Functional)"), table.stdout)
        XCTAssertTrue(table.stdout.contains(" Total params: 34,809 (135.97 KB)"), table.stdout)
    }

    func testSummaryTableMatchesKerasLayout() throws {
        // Keras 3's own text for the same model, captured by scripts/reference.py.
        let keras = try String(contentsOfFile: TestSupport.sample("mini/mini.summary.keras3.txt"), encoding: .utf8)
        let ours = try wtool("summary", TestSupport.sample("mini/mini.keras3.h5")).stdout
        for line in ours.split(separator: "\n") where line.contains("(Conv2D)") || line.contains("params:") {
            let name = line.split(separator: "│").first.map { $0.trimmingCharacters(in: .whitespaces) } ?? String(line)
            XCTAssertTrue(keras.contains(name.components(separatedBy: "  ").first ?? name), "Keras has no '\(name)'")
        }
        XCTAssertTrue(keras.contains("Total params: 1,976"))
        XCTAssertTrue(ours.contains("Total params: 1,976 (7.72 KB)"))
    }

    func testWeightsOnlyNeedsArchitectureAndCut() throws {
        let r = try wtool("summary", TestSupport.sample("mini/mini.weights.h5"))
        assertCleanFailure(r, mentions: "--arch")
        let cut = try wtool("summary", TestSupport.sample("mini/mini.keras"), "--until", "block1_pool", "--json")
        XCTAssertEqual(cut.status, 0, cut.stderr)
        XCTAssertTrue(cut.stdout.contains("\"total_params\" : 808"), cut.stdout)
        assertCleanFailure(try wtool("summary", TestSupport.sample("mini/mini.keras"), "--until", "nope"), mentions: "nope")
    }

    func testRefusesToOverwriteWithoutForce() throws {
        XCTAssertEqual(try wtool("convert", TestSupport.sample("mini/mini.keras3.h5"), "m.swm").status, 0)
        let before = try Data(contentsOf: URL(fileURLWithPath: path("m.swm")))
        assertCleanFailure(try wtool("convert", TestSupport.sample("mini/mini.keras"), "m.swm"), mentions: "already exists")
        XCTAssertEqual(try Data(contentsOf: URL(fileURLWithPath: path("m.swm"))), before)
        XCTAssertEqual(try wtool("convert", TestSupport.sample("mini/mini.keras"), "m.swm", "--force").status, 0)
        XCTAssertEqual(directoryListing(), ["m.swm"])
    }

    func testBadInputsFailCleanlyAndWriteNothing() throws {
        let source = try Data(contentsOf: URL(fileURLWithPath: TestSupport.sample("mini/mini.keras3.h5")))
        try source.prefix(source.count / 3).write(to: URL(fileURLWithPath: path("truncated.h5")))
        try Data("this is not a model".utf8).write(to: URL(fileURLWithPath: path("text.h5")))
        try Data().write(to: URL(fileURLWithPath: path("empty.h5")))
        let cases: [(String, String)] = [
            ("truncated.h5", "truncated.h5"),
            ("text.h5", "not a .swm, Keras"),
            ("empty.h5", "empty"),
            ("missing.h5", "no such file"),
        ]
        for (input, mention) in cases {
            assertCleanFailure(try wtool("convert", input, "out.swm"), mentions: mention)
            assertCleanFailure(try wtool("summary", input), mentions: mention)
        }
        XCTAssertFalse(directoryListing().contains { $0.hasPrefix("out.swm") }, "\(directoryListing())")
    }

    /// A layer wtool cannot compute (samples' unsupported model: a Lambda) is carried: convert and
    /// summary work, `run` refuses in one line naming the layer, from the file and from the .swm.
    func testCarriedLambdaConvertsButRunNamesIt() throws {
        let source = TestSupport.sample("mini/unsupported.keras3.h5")
        XCTAssertEqual(try wtool("convert", source, "u.swm").status, 0)
        let summary = try wtool("summary", "u.swm")
        XCTAssertEqual(summary.status, 0)
        XCTAssertTrue(summary.stdout.contains("custom (Lambda)"), summary.stdout)
        XCTAssertTrue(summary.stdout.contains("Carried, not computed"), summary.stdout)
        XCTAssertTrue(summary.stdout.contains("   custom (Lambda): a Lambda layer"), summary.stdout)
        let json = try wtool("summary", "u.swm", "--json")
        let object = try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [String: Any]
        let carried = object?["cannot_run"] as? [[String: String]]
        XCTAssertEqual(carried?.map { $0["name"] }, ["custom"])
        XCTAssertEqual(carried?.first?["type"], "Lambda")
        let plain = try wtool("summary", TestSupport.sample("mini/mini.keras3.h5"), "--json")
        XCTAssertEqual((try JSONSerialization.jsonObject(with: Data(plain.stdout.utf8)) as? [String: Any])?["cannot_run"] as? [String], [])
        XCTAssertFalse(try wtool("summary", TestSupport.sample("mini/mini.keras3.h5")).stdout.contains("Carried"))
        try NPYArray(shape: [1, 8, 8, 3], floats: Array(repeating: 0.5, count: 192)).write(to: URL(fileURLWithPath: path("x.npy")))
        for model in [source, "u.swm"] {
            assertCleanFailure(try wtool("run", model, "--input", "input_layer=x.npy", "--out", "y.npy"), mentions: "'custom': a Lambda layer")
        }
        XCTAssertFalse(directoryListing().contains("y.npy"), "\(directoryListing())")
    }

    /// libhdf5 is opened (dlopen) only by what parses or writes HDF5: with it unloadable, a .swm
    /// still converts, summarises, checks and runs, and an .h5 gets one line saying why.
    func testOnlyHDF5WorkLoadsLibHDF5() throws {
        XCTAssertEqual(try wtool("convert", TestSupport.sample("mini/mini.keras3.h5"), "m.swm").status, 0)
        try NPYArray(shape: [1, 32, 32, 3], floats: Array(repeating: 0.5, count: 3072)).write(to: URL(fileURLWithPath: path("x.npy")))
        extraEnvironment["WTOOL_LIBHDF5"] = "/nonexistent/libhdf5.so"
        for arguments in [["summary", "m.swm"], ["check", "m.swm"], ["convert", "m.swm", "m.onnx"], ["run", "m.swm", "x.npy", "--out", "y.npy"]] {
            let result = try wtool(arguments)
            XCTAssertEqual(result.status, 0, "\(arguments): \(result.stderr)")
        }
        assertCleanFailure(try wtool("summary", TestSupport.sample("mini/mini.keras3.h5")), mentions: "cannot load $WTOOL_LIBHDF5")
        assertCleanFailure(try wtool("convert", "m.swm", "m.h5"), mentions: "libhdf5")
        XCTAssertFalse(directoryListing().contains { $0.hasPrefix("m.h5") }, "\(directoryListing())")
    }

    /// Input errors name the file they are about: the model for a missing input, the tensor file
    /// for a name the model lacks.
    func testRunNamesTheFileOfAnInputError() throws {
        XCTAssertEqual(try wtool("convert", TestSupport.sample("mini/mini.keras3.h5"), "m.swm").status, 0)
        try NPYArray(shape: [1, 32, 32, 3], floats: Array(repeating: 0.5, count: 3072)).write(to: URL(fileURLWithPath: path("x.npy")))
        assertCleanFailure(try wtool("run", "m.swm", "--out", "y.npy"), mentions: "m.swm: input 'input_layer' float32 (None, 32, 32, 3) was not given")
        assertCleanFailure(try wtool("run", "m.swm", "--input", "foo=x.npy", "--out", "y.npy"),
                           mentions: "x.npy: the model has no input named 'foo' (its inputs: input_layer)")
        XCTAssertFalse(directoryListing().contains("y.npy"))
        // A bare --input FILE.npy feeds the one input, as a positional FILE.npy does; a bare
        // argument that is no tensor file is a usage error (ArgumentParser's, with the usage line).
        XCTAssertEqual(try wtool("run", "m.swm", "--input", "x.npy", "--out", "a.npy").status, 0)
        XCTAssertEqual(try wtool("run", "m.swm", "x.npy", "--out", "b.npy").status, 0)
        XCTAssertEqual(try Data(contentsOf: URL(fileURLWithPath: path("a.npy"))), try Data(contentsOf: URL(fileURLWithPath: path("b.npy"))))
        let refused = try wtool("run", "m.swm", "--input", "x.txt", "--out", "c.npy")
        XCTAssertNotEqual(refused.status, 0)
        XCTAssertTrue(refused.stderr.contains("--input takes NAME=FILE.npy, or FILE.npy/FILE.npz (got 'x.txt')"), refused.stderr)
    }

    func testCheckCatchesDamage() throws {
        XCTAssertEqual(try wtool("convert", TestSupport.sample("mini/mini.keras3.h5"), "m.swm").status, 0)
        var bytes = try Data(contentsOf: URL(fileURLWithPath: path("m.swm")))
        bytes[bytes.count - 5] ^= 0x40
        try bytes.write(to: URL(fileURLWithPath: path("flipped.swm")))
        assertCleanFailure(try wtool("check", "flipped.swm"), mentions: "checksum")
        var header = try Data(contentsOf: URL(fileURLWithPath: path("m.swm")))
        header[20] ^= 0xFF
        try header.write(to: URL(fileURLWithPath: path("header.swm")))
        assertCleanFailure(try wtool("check", "header.swm"), mentions: "corrupt .swm header")
        assertCleanFailure(try wtool("summary", "header.swm"), mentions: "header.swm")
        assertCleanFailure(try wtool("check", TestSupport.sample("mini/mini.keras3.h5")), mentions: "not a .swm file")
    }

    func testHalfPrecisionConversion() throws {
        XCTAssertEqual(try wtool("convert", TestSupport.sample("mini/mini.keras3.h5"), "h.swm", "--dtype", "f16").status, 0)
        XCTAssertEqual(try wtool("check", "h.swm").status, 0)
        let size16 = try FileManager.default.attributesOfItem(atPath: path("h.swm"))[.size] as? Int ?? 0
        XCTAssertEqual(try wtool("convert", TestSupport.sample("mini/mini.keras3.h5"), "f.swm").status, 0)
        let size32 = try FileManager.default.attributesOfItem(atPath: path("f.swm"))[.size] as? Int ?? 0
        XCTAssertLessThan(size16, size32)
        let bad = try wtool("convert", TestSupport.sample("mini/mini.keras3.h5"), "x.swm", "--dtype", "f8")
        XCTAssertNotEqual(bad.status, 0)
    }
}
