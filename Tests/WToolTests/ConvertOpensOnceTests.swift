import FileSupport
import Foundation
import WTool
import XCTest
import _TestSupport

/// `convert` opens and validates each file once (it used to check a Keras file's magic bytes five
/// times, open it twice with libhdf5, validate the graph four times and re-open its own output).
/// FileSupport's `Diagnostics` counts every open through it; the format modules note libhdf5's
/// opens, format detections and graph validations.
final class ConvertOpensOnceTests: XCTestCase {
    var directory: URL!

    override func setUp() { directory = TestSupport.temporaryDirectory() }
    override func tearDown() { try? FileManager.default.removeItem(at: directory) }

    func path(_ name: String) -> String { directory.appendingPathComponent(name).path }

    /// Converts in this process and returns what it counted.
    func counted(_ input: String, _ output: String, options: LoadOptions = LoadOptions()) throws -> Diagnostics.Counts {
        try Diagnostics.recording { try ModelConverter(options: options).convert(input, to: output) }
    }

    func assertOnce(_ counts: Diagnostics.Counts, input: String, output: String, hdf5: Bool,
                    file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertEqual(counts.count("open", input), 1, "opens of the input", file: file, line: line)
        XCTAssertEqual(counts.total("detect"), 1, "format detections", file: file, line: line)
        XCTAssertEqual(counts.count("hdf5-open", input), hdf5 ? 1 : 0, "libhdf5 opens", file: file, line: line)
        XCTAssertEqual(counts.total("validate"), 1, "graph validations", file: file, line: line)
        XCTAssertEqual(counts.count("open", output), 0, "the output is never read back", file: file, line: line)
    }

    func testKerasHDF5ToEveryFormat() throws {
        let input = TestSupport.sample("mini_classifier/mini_classifier.keras3.h5")
        for output in ["m.swm", "m.onnx", "m.h5"].map(path) {
            assertOnce(try counted(input, output), input: input, output: output, hdf5: true)
        }
    }

    func testEveryReaderToSWM() throws {
        let swm = path("source.swm")
        try ModelConverter().convert(TestSupport.sample("mini/mini.keras3.h5"), to: swm)
        for (input, hdf5) in [(swm, false), (TestSupport.sample("mini/mini.onnx"), false), (TestSupport.sample("mini/mini.tfkeras.h5"), true)] {
            let output = path("out-\((input as NSString).lastPathComponent).swm")
            assertOnce(try counted(input, output), input: input, output: output, hdf5: hdf5)
        }
        let zip = TestSupport.sample("mini/mini.keras")
        let counts = try counted(zip, path("zip.swm"))
        XCTAssertEqual(counts.count("open", zip), 1)
        XCTAssertEqual(counts.count("zip-open", zip), 1, "ZIPFoundation's own open of the archive")
        XCTAssertEqual(counts.total("detect"), 1)
        XCTAssertEqual(counts.total("validate"), 1)
    }

    func testACutGraphIsValidatedOnceMore() throws {
        let input = TestSupport.sample("mini_classifier/mini_classifier.keras3.h5")
        let layer = try XCTUnwrap(try ModelSummary(contentsOf: input).rows.dropFirst().first?.name)
        let counts = try counted(input, path("cut.swm"), options: LoadOptions(until: layer))
        XCTAssertEqual(counts.count("open", input), 1)
        XCTAssertEqual(counts.total("validate"), 2, "the reader's graph, then the cut one before it is written")
    }

    /// With the HDF5 parser isolated, this process reads only the magic bytes of the input and
    /// validates the child's output once (the trust boundary); the child's half is the in-process
    /// conversion above.
    func testIsolatedConversionValidatesTheChildsOutputOnce() throws {
        let input = TestSupport.sample("mini_classifier/mini_classifier.keras3.h5")
        let output = path("isolated.swm")
        let importer = IsolatedImporter(executable: CLITestCase.binary)
        let counts = try counted(input, output, options: LoadOptions(isolation: importer))
        XCTAssertEqual(counts.count("open", input), 1)
        XCTAssertEqual(counts.total("detect"), 1)
        XCTAssertEqual(counts.count("hdf5-open", input), 0, "libhdf5 runs in the child only")
        XCTAssertEqual(counts.count("open", output), 1, "opened once, to validate what the child wrote")
        XCTAssertEqual(counts.total("validate"), 1)
        XCTAssertNoThrow(try ModelCheck.check(path: output))
    }
}
