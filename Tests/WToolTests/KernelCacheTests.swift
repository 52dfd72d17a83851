import FileSupport
import Foundation
import ModelIR
import WTool
import XCTest
import _TestSupport
@testable import Runtime

/// `ExecutorOptions.kernelCache`, the library's wiring of FileSupport's disk store and mapped
/// files into the runtime: a Winograd kernel read from a mapped file is stored on the first load
/// and mapped on the next, with bit-identical results; a changed, replaced or unlinked file and a
/// damaged entry are misses, never wrong weights. (The store's own rules, pruning included, are
/// tested in FileSupportTests; the runtime's side with an in-memory store in RuntimeTests.)
final class KernelCacheTests: XCTestCase {
    var directory: URL!
    var cacheDirectory: URL { directory.appendingPathComponent("kernels") }
    let cin = 20, cout = 24

    override func setUpWithError() throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("wtool-kcache-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws {
        try? FileManager.default.removeItem(at: directory)
    }

    /// Writes a `[3, 3, cin, cout]` kernel to `name` and returns a one-convolution graph whose
    /// kernel is a view of that file, mapped.
    func mappedGraph(_ name: String, seed: UInt64) throws -> (graph: Graph, file: MappedFile) {
        let path = directory.appendingPathComponent(name).path
        let floats = TestSupport.randomFloats(9 * cin * cout, seed: seed, scale: 0.5)
        try floats.withUnsafeBytes { try Data($0).write(to: URL(fileURLWithPath: path)) }
        let file = try MappedFile(path: path)
        let kernel = Weight(info: TensorInfo(name: "k", shape: [3, 3, cin, cout]), data: TensorData(view: file.bytes, owner: file))
        let graph = Graph(name: "cache", inputs: [TensorInfo(name: "x", shape: [-1, -1, -1, cin], layout: .nhwc)], outputs: ["conv"],
                          nodes: [Node(name: "conv", op: .conv(.conv(ConvAttributes(filters: cout, kernelSize: [3, 3], padding: .same))), inputs: ["x", "k"])],
                          weights: ["k": kernel])
        return (graph, file)
    }

    func options(_ convolution: ConvolutionAlgorithm = .winograd4x4, cache: Bool = true) -> ExecutorOptions {
        ExecutorOptions(convolution: convolution, kernelCache: cache ? cacheDirectory : nil)
    }

    func cacheUse(_ executor: Executor) throws -> _WinogradConv2DKernel.CacheUse {
        let kernel = try XCTUnwrap(executor.program.steps.first?.kernel as? _WinogradConv2DKernel)
        return kernel.cacheUse
    }

    let input = Tensor(shape: [2, 9, 11, 20], floats: TestSupport.randomFloats(2 * 9 * 11 * 20, seed: 99))

    func entries() -> [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: cacheDirectory.path)) ?? []).filter { $0.hasSuffix(".wk") }.sorted()
    }

    func testStoredThenMappedWithIdenticalResults() throws {
        let (graph, _) = try mappedGraph("model.bin", seed: 1)
        let uncached = try Executor(graph: graph, options: options(cache: false)).run(input: input)

        let first = try Executor(graph: graph, options: options())
        XCTAssertEqual(try cacheUse(first), .stored)
        XCTAssertEqual(entries().count, 1)
        XCTAssertEqual(try first.run(input: input).floats, uncached.floats)

        let second = try Executor(graph: graph, options: options())
        XCTAssertEqual(try cacheUse(second), .hit)
        XCTAssertEqual(try second.run(input: input).floats, uncached.floats, "the mapped transform is the same bytes")

        // F(2×2) is a different entry, not a hit on F(4×4)'s.
        let other = try Executor(graph: graph, options: options(.winograd2x2))
        XCTAssertEqual(try cacheUse(other), .stored)
        XCTAssertEqual(entries().count, 2)
        XCTAssertEqual(try other.run(input: input).floats, try Executor(graph: graph, options: options(.winograd2x2, cache: false)).run(input: input).floats)
    }

    func testReplacedFileMisses() throws {
        let (graph, _) = try mappedGraph("model.bin", seed: 1)
        XCTAssertEqual(try cacheUse(Executor(graph: graph, options: options())), .stored)
        // Replaced by a file with other weights (new inode, same name): the first mapping is now
        // stale and the new one keys a different entry.
        try FileManager.default.removeItem(at: directory.appendingPathComponent("model.bin"))
        let (replaced, _) = try mappedGraph("model.bin", seed: 2)
        XCTAssertEqual(try cacheUse(Executor(graph: graph, options: options())), .none, "the old mapping's file is gone")
        let executor = try Executor(graph: replaced, options: options())
        XCTAssertEqual(try cacheUse(executor), .stored)
        XCTAssertEqual(try executor.run(input: input).floats, try Executor(graph: replaced, options: options(cache: false)).run(input: input).floats)
    }

    func testUnlinkedAndInMemoryKernelsAreNotCached() throws {
        let (graph, _) = try mappedGraph("temporary.bin", seed: 3)
        try FileManager.default.removeItem(at: directory.appendingPathComponent("temporary.bin"))
        XCTAssertEqual(try cacheUse(Executor(graph: graph, options: options())), .none)
        var inMemory = graph
        inMemory.weights["k"] = Weight(info: graph.weights["k"]!.info,
                                       data: TensorData(floats: TestSupport.randomFloats(9 * cin * cout, seed: 3)))
        XCTAssertEqual(try cacheUse(Executor(graph: inMemory, options: options())), .none)
        XCTAssertEqual(entries(), [])
    }

    func testDamagedEntriesAreMissesAndGetReplaced() throws {
        let (graph, _) = try mappedGraph("model.bin", seed: 4)
        let expected = try Executor(graph: graph, options: options(cache: false)).run(input: input).floats
        XCTAssertEqual(try cacheUse(Executor(graph: graph, options: options())), .stored)
        let entry = cacheDirectory.appendingPathComponent(try XCTUnwrap(entries().first))
        let good = try Data(contentsOf: entry)
        var wrongKey = good
        wrongKey[30] ^= 0x20   // a byte of the key
        for damaged in [good.prefix(good.count - 4), wrongKey, Data(repeating: 0, count: good.count), Data()] {
            try damaged.write(to: entry)
            let executor = try Executor(graph: graph, options: options())
            XCTAssertEqual(try cacheUse(executor), .stored, "\(damaged.count) bytes")
            XCTAssertEqual(try executor.run(input: input).floats, expected)
            XCTAssertEqual(try Data(contentsOf: entry), good, "the entry was rewritten")
        }
    }
}
