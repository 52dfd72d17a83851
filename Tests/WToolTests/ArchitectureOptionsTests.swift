import Foundation
import KerasFormat
import WTool
import XCTest
import _TestSupport

/// `--arch` and its keras.applications arguments on the command line, through the isolated importer.
final class ArchitectureOptionsTests: CLITestCase {
    func testArchitectureArgumentsReachTheIsolatedImporter() {
        let spec = ApplicationSpec(architecture: .mobilenet, inputShape: [128, 128, 3], includeTop: true, classes: 10, alpha: 0.5)
        XCTAssertEqual(LoadOptions(architecture: spec).importArguments,
                       ["--arch", "mobilenet", "--input-shape", "128,128,3", "--include-top", "--classes", "10", "--alpha", "0.5"])
        let pooled = ApplicationSpec(architecture: .inceptionV3, inputShape: [139, 139, 3], pooling: "max")
        XCTAssertEqual(LoadOptions(architecture: pooled).importArguments,
                       ["--arch", "inception_v3", "--input-shape", "139,139,3", "--pooling", "max"])
    }

    func testArgumentsKerasRejectsFailCleanly() throws {
        let weights = TestSupport.sample("mini/mini.weights.h5")
        assertCleanFailure(try wtool("summary", weights, "--arch", "resnet50", "--alpha", "0.5"), mentions: "--alpha applies to mobilenet and mobilenet_v2 only")
        assertCleanFailure(try wtool("summary", weights, "--arch", "inception_v3", "--input-shape", "60,60,3"), mentions: "at least 75×75")
        assertCleanFailure(try wtool("summary", weights, "--arch", "xception", "--input-shape", "71,70,3"), mentions: "at least 71×71")
        // A real binding attempt: the mini model's weights do not fit MobileNet, and the error names the layer.
        assertCleanFailure(try wtool("summary", weights, "--arch", "mobilenet", "--input-shape", "32,32,3", "--alpha", "0.25"),
                           mentions: "weights of layer 'conv1'")
        let orphan = try wtool("summary", weights, "--alpha", "0.5")
        XCTAssertNotEqual(orphan.status, 0)
        XCTAssertTrue(orphan.stderr.contains("go with --arch"), orphan.stderr)
    }
}
