import Foundation
import WTool
import XCTest
import _TestSupport

/// `wtool features --shard I/N` then `wtool features merge`: equal to one run byte for byte, and
/// every way shards can fail to be one run's refused, naming the shard.
final class FeaturesMergeTests: CLITestCase {
    /// A flow_from_directory folder from the sample photos (2 classes, 6 images), and the mini model.
    override func setUp() {
        super.setUp()
        let photos = TestSupport.sample("photos")
        for (cls, files) in [("cats", ["chelsea.jpg", "coffee.jpg", "rocket.jpg"]), ("dogs", ["camera.png", "astronaut.png", "hubble.png"])] {
            try? FileManager.default.createDirectory(atPath: path("data/\(cls)"), withIntermediateDirectories: true)
            for f in files { try? FileManager.default.copyItem(atPath: "\(photos)/\(f)", toPath: path("data/\(cls)/\(f)")) }
        }
        for dir in ["one", "shards", "merged", "other"] { try? FileManager.default.createDirectory(atPath: path(dir), withIntermediateDirectories: true) }
        XCTAssertEqual(try? wtool("convert", TestSupport.sample("mini/mini.keras3.h5"), "mini.swm").status, 0)
    }

    let settings = ["--size", "32,32", "--preprocess", "caffe", "--batch", "2", "--threads", "2", "--quiet"]

    func extract(_ out: String, _ labels: String, _ extra: [String] = [], model: String = "mini.swm") throws {
        let r = try wtool(["features", model, "data", "--out", out, "--labels", labels] + settings + extra)
        XCTAssertEqual(r.status, 0, r.stderr)
    }

    func data(_ name: String) throws -> Data { try Data(contentsOf: URL(fileURLWithPath: path(name))) }

    func testShardsAreWholeBatchesTilingTheDataset() {
        XCTAssertEqual((0..<3).map { FeatureExtraction.shardRange(itemCount: 8, batchSize: 3, index: $0, count: 3) }, [0..<3, 3..<6, 6..<8])
        XCTAssertEqual((0..<4).map { FeatureExtraction.shardRange(itemCount: 6, batchSize: 2, index: $0, count: 4) }, [0..<0, 0..<2, 2..<4, 4..<6])
        for items in [0, 1, 7, 16, 17, 100] {
            for batch in [1, 3, 16] {
                for count in 1...7 {
                    let ranges = (0..<count).map { FeatureExtraction.shardRange(itemCount: items, batchSize: batch, index: $0, count: count) }
                    XCTAssertEqual(ranges.first?.lowerBound, 0)
                    XCTAssertEqual(ranges.last?.upperBound, items)
                    for (a, b) in zip(ranges, ranges.dropFirst()) { XCTAssertEqual(a.upperBound, b.lowerBound) }
                    for r in ranges { XCTAssertTrue(r.lowerBound % batch == 0 && (r.upperBound % batch == 0 || r.upperBound == items)) }
                }
            }
        }
    }

    func testShardsInAnyOrderMergeToTheUnshardedRunByteForByte() throws {
        try extract("one/features.npy", "one/labels.npy")
        // 6 images in batches of 2: 3 batches over 4 shards, so one shard is empty.
        for i in 0..<4 { try extract("shards/features-\(i).npy", "shards/labels-\(i).npy", ["--shard", "\(i)/4"]) }
        let sizes = try (0..<4).map { try JSONSerialization.jsonObject(with: data("shards/features-\($0).json")) as? [String: Any] }
            .map { ($0?["filenames"] as? [String])?.count }
        XCTAssertEqual(sizes, [0, 2, 2, 2])
        let r = try wtool("features", "merge", "shards/features-2.npy", "shards/features-0.npy", "shards/features-3.npy", "shards/features-1.npy",
                          "--out", "merged/features.npy", "--labels", "merged/labels.npy")
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertTrue(r.stderr.contains("merged 4 shards (1 of them empty)"), r.stderr)
        XCTAssertEqual(try data("merged/features.npy"), try data("one/features.npy"))
        XCTAssertEqual(try data("merged/labels.npy"), try data("one/labels.npy"))
        XCTAssertEqual(try data("merged/features.json"), try data("one/features.json"), "the sidecar too")
        // Features only.
        XCTAssertEqual(try wtool("features", "merge", "shards/features-0.npy", "shards/features-1.npy", "shards/features-2.npy",
                                 "shards/features-3.npy", "--out", "other/f.npy").status, 0)
        XCTAssertEqual(try data("other/f.npy"), try data("one/features.npy"))
    }

    func testAShardMissingOrRepeatedIsNamed() throws {
        for i in 0..<3 { try extract("shards/f\(i).npy", "shards/l\(i).npy", ["--shard", "\(i)/3"]) }
        assertCleanFailure(try wtool("features", "merge", "shards/f0.npy", "shards/f2.npy", "--out", "m.npy"),
                           mentions: "m.npy: shard 1/3 (images 2..<4 of 6) is missing: no file given holds it")
        assertCleanFailure(try wtool("features", "merge", "shards/f0.npy", "shards/f1.npy", "shards/f1.npy", "shards/f2.npy", "--out", "m.npy"),
                           mentions: "shards/f1.npy is given twice")
        try FileManager.default.copyItem(atPath: path("shards/f1.npy"), toPath: path("other/f1.npy"))
        try FileManager.default.copyItem(atPath: path("shards/f1.json"), toPath: path("other/f1.json"))
        assertCleanFailure(try wtool("features", "merge", "shards/f0.npy", "shards/f1.npy", "other/f1.npy", "shards/f2.npy", "--out", "m.npy"),
                           mentions: "other/f1.npy: is shard 1/3, and so is shards/f1.npy: a shard is repeated")
        XCTAssertFalse(FileManager.default.fileExists(atPath: path("m.npy")))
        XCTAssertFalse(directoryListing().contains { $0.hasPrefix("m.") })
    }

    func testShardsOfAnotherRunAreRefused() throws {
        for i in 0..<3 { try extract("shards/f\(i).npy", "shards/l\(i).npy", ["--shard", "\(i)/3"]) }
        let merge = { (other: String) in try self.wtool("features", "merge", "shards/f0.npy", other, "shards/f2.npy", "--out", "m.npy") }
        try extract("other/bilinear.npy", "other/lb.npy", ["--shard", "1/3", "--resize", "bilinear"])
        assertCleanFailure(try merge("other/bilinear.npy"), mentions: "disagrees with shards/f0.npy on 'resize' (\"bilinear\" vs \"nearest\")")
        try extract("other/batch.npy", "other/lbatch.npy", ["--shard", "1/3", "--batch", "3"])
        assertCleanFailure(try merge("other/batch.npy"), mentions: "on 'runtime'")
        // The same weights in another file are another model file.
        XCTAssertEqual(try wtool("convert", TestSupport.sample("mini/mini.keras"), "other.swm").status, 0)
        try extract("other/model.npy", "other/lmodel.npy", ["--shard", "1/3"], model: "other.swm")
        assertCleanFailure(try merge("other/model.npy"), mentions: "on 'model_fingerprint'")
        try extract("other/count.npy", "other/lcount.npy", ["--shard", "1/4"])
        assertCleanFailure(try merge("other/count.npy"), mentions: "is shard 1/4, but shards/f0.npy is shard 0/3")
        // Another dataset: an image more.
        try FileManager.default.copyItem(atPath: path("data/cats/coffee.jpg"), toPath: path("data/cats/coffee2.jpg"))
        try extract("other/data.npy", "other/ldata.npy", ["--shard", "1/3"])
        assertCleanFailure(try merge("other/data.npy"), mentions: "on 'dataset'")
    }

    func testSidecarsAndArraysAreChecked() throws {
        for i in 0..<2 { try extract("shards/f\(i).npy", "shards/l\(i).npy", ["--shard", "\(i)/2"]) }
        let merge = { try self.wtool("features", "merge", "shards/f0.npy", "shards/f1.npy", "--out", "m.npy", "--labels", "l.npy") }
        // An output may not replace an input, nor an existing file without --force.
        assertCleanFailure(try wtool("features", "merge", "shards/f0.npy", "shards/f1.npy", "--out", "shards/f0.npy", "--force"),
                           mentions: "is one of the shards' files")
        assertCleanFailure(try wtool("features", "merge", "shards/f0.npy", "shards/f1.npy", "--out", "m.npy", "--labels", "shards/l1.npy", "--force"),
                           mentions: "is one of the shards' files")
        // A labels file of the wrong length.
        let labels = try data("shards/l1.npy")
        try FileManager.default.copyItem(atPath: path("shards/l0.npy"), toPath: path("shards/l1.bak"))
        try FileManager.default.removeItem(atPath: path("shards/l1.npy"))
        assertCleanFailure(try merge(), mentions: "shards/l1.npy: no such file")
        try data("shards/l1.bak").prefix(128).write(to: URL(fileURLWithPath: path("shards/l1.npy")))
        assertCleanFailure(try merge(), mentions: "shards/l1.npy")
        try labels.write(to: URL(fileURLWithPath: path("shards/l1.npy")))
        // A features array that does not fit its sidecar.
        let features = try data("shards/f1.npy")
        try features.dropLast(4).write(to: URL(fileURLWithPath: path("shards/f1.npy")))
        assertCleanFailure(try merge(), mentions: "shards/f1.npy")
        try features.write(to: URL(fileURLWithPath: path("shards/f1.npy")))
        // A sidecar missing, or from before shards were recorded.
        let sidecar = try data("shards/f1.json")
        try FileManager.default.removeItem(atPath: path("shards/f1.json"))
        assertCleanFailure(try merge(), mentions: "shards/f1.json: no such file; every shard needs the JSON sidecar")
        var old = try XCTUnwrap(JSONSerialization.jsonObject(with: sidecar) as? [String: Any])
        old["shard"] = nil
        try JSONSerialization.data(withJSONObject: old).write(to: URL(fileURLWithPath: path("shards/f1.json")))
        assertCleanFailure(try merge(), mentions: "records no shard position")
        try sidecar.write(to: URL(fileURLWithPath: path("shards/f1.json")))
        XCTAssertEqual(try merge().status, 0)
    }
}
