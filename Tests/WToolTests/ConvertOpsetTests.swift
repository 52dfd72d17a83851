import Foundation
import WTool
import XCTest
import _TestSupport

/// The opset `convert … OUT.onnx` writes: the one asked for; without one, an ONNX source's own (so
/// ops carried as read keep their definition) and 17 for other sources.
final class ConvertOpsetTests: XCTestCase {
    var directory: URL!

    override func setUp() { directory = TestSupport.temporaryDirectory() }
    override func tearDown() { try? FileManager.default.removeItem(at: directory) }

    func path(_ name: String) -> String { directory.appendingPathComponent(name).path }

    func testDefaultIsTheSourcesOwnOpset() throws {
        let onnx = TestSupport.sample("mini/mini.onnx")   // opset 15
        XCTAssertEqual(try ModelConverter().convert(onnx, to: path("a.onnx")).opset, 15)
        // Through .swm too: the source's opset travels in the graph's metadata.
        try ModelConverter().convert(onnx, to: path("a.swm"))
        XCTAssertEqual(try ModelConverter().convert(path("a.swm"), to: path("b.onnx")).opset, 15)
        var asked = ModelConverter()
        asked.opset = 17
        XCTAssertEqual(try asked.convert(onnx, to: path("c.onnx")).opset, 17)
        let keras = TestSupport.sample("mini/mini.keras3.h5")
        XCTAssertEqual(try ModelConverter().convert(keras, to: path("d.onnx")).opset, ModelConverter.defaultOpset)
    }
}
