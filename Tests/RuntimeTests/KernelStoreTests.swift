import Foundation
import ModelIR
import XCTest
import _TestSupport
@testable import Runtime

/// `ExecutorOptions.kernelStore`, seen from the runtime, which knows no file: a Winograd kernel
/// whose weights have a stable source is offered to the store on the first load and taken from
/// it on the next, with bit-identical results; the key separates transforms; a source that is
/// gone and weights built in memory are never offered. (The disk store is FileSupport's; the
/// wiring of both is tested in WToolTests.)
final class KernelStoreTests: XCTestCase {
    let cin = 20, cout = 24
    let input = Tensor(shape: [2, 9, 11, 20], floats: TestSupport.randomFloats(2 * 9 * 11 * 20, seed: 99))

    /// Floats in memory of their own (what a store hands out must stay put while its owner lives).
    final class Buffer {
        let floats: UnsafeMutableBufferPointer<Float>
        init(_ values: some Collection<Float>) {
            floats = .allocate(capacity: values.count)
            _ = floats.initialize(from: values)
        }
        deinit { floats.deallocate() }
    }

    /// Keeps entries in memory, copies in, views out.
    final class MemoryStore: KernelStore, @unchecked Sendable {
        private let lock = NSLock()
        private var entries: [String: Buffer] = [:]
        var keys: [String] { lock.withLock { entries.keys.sorted() } }

        func load(key: String, count: Int) -> (floats: UnsafeBufferPointer<Float>, owner: AnyObject)? {
            guard let entry = lock.withLock({ entries[key] }), entry.floats.count == count else { return nil }
            return (UnsafeBufferPointer(entry.floats), entry)
        }

        func store(key: String, floats: UnsafeBufferPointer<Float>) {
            lock.withLock { entries[key] = Buffer(floats) }
        }
    }

    /// A file mapped the way `FileBackedStorage` promises (read-only, private, never written, so
    /// the runtime may drop its pages), with an identity a test chooses.
    final class FakeFile: FileBackedStorage {
        let bytes: UnsafeRawBufferPointer
        let identity: String?
        init(_ floats: [Float], identity: String?) throws {
            let path = FileManager.default.temporaryDirectory.appendingPathComponent("wtool-store-\(UUID().uuidString)").path
            try floats.withUnsafeBytes { try Data($0).write(to: URL(fileURLWithPath: path)) }
            defer { unlink(path) }
            let fd = open(path, O_RDONLY)
            defer { close(fd) }
            let count = floats.count * MemoryLayout<Float>.stride
            let address = mmap(nil, count, PROT_READ, MAP_PRIVATE, fd, 0)
            guard fd >= 0, let address, address != MAP_FAILED else { throw CocoaError(.fileReadUnknown) }
            self.bytes = UnsafeRawBufferPointer(start: address, count: count)
            self.identity = identity
        }

        deinit { munmap(UnsafeMutableRawPointer(mutating: bytes.baseAddress), bytes.count) }

        func sourceIdentity(of pointer: UnsafeRawPointer) -> String? {
            guard let base = bytes.baseAddress, pointer >= base, pointer < base + bytes.count else { return nil }
            return identity.map { "\($0)@\(pointer - base)" }
        }
    }

    func graph(kernel data: TensorData) -> Graph {
        let kernel = Weight(info: TensorInfo(name: "k", shape: [3, 3, cin, cout]), data: data)
        return Graph(name: "store", inputs: [TensorInfo(name: "x", shape: [-1, -1, -1, cin], layout: .nhwc)], outputs: ["conv"],
                     nodes: [Node(name: "conv", op: .conv(.conv(ConvAttributes(filters: cout, kernelSize: [3, 3], padding: .same))), inputs: ["x", "k"])],
                     weights: ["k": kernel])
    }

    func fileBacked(identity: String?, seed: UInt64) throws -> (Graph, FakeFile) {
        let file = try FakeFile(TestSupport.randomFloats(9 * cin * cout, seed: seed, scale: 0.5), identity: identity)
        return (graph(kernel: TensorData(view: file.bytes, owner: file)), file)
    }

    func options(_ convolution: ConvolutionAlgorithm = .winograd4x4, store: MemoryStore?) -> ExecutorOptions {
        ExecutorOptions(convolution: convolution, kernelStore: store)
    }

    func cacheUse(_ executor: Executor) throws -> _WinogradConv2DKernel.CacheUse {
        try XCTUnwrap(executor.program.steps.first?.kernel as? _WinogradConv2DKernel).cacheUse
    }

    func testStoredThenTakenWithIdenticalResults() throws {
        let store = MemoryStore()
        let (graph, file) = try fileBacked(identity: "dev:ino:size:mtime", seed: 1)
        let uncached = try Executor(graph: graph, options: options(store: nil)).run(input: input)
        let first = try Executor(graph: graph, options: options(store: store))
        XCTAssertEqual(try cacheUse(first), .stored)
        XCTAssertEqual(store.keys.count, 1)
        XCTAssertTrue(store.keys[0].contains("dev:ino:size:mtime@0"), store.keys[0])
        XCTAssertEqual(try first.run(input: input).floats, uncached.floats)
        let second = try Executor(graph: graph, options: options(store: store))
        XCTAssertEqual(try cacheUse(second), .hit)
        XCTAssertEqual(try second.run(input: input).floats, uncached.floats, "the stored transform is the same floats")
        // F(2×2) is another entry, not a hit on F(4×4)'s.
        let other = try Executor(graph: graph, options: options(.winograd2x2, store: store))
        XCTAssertEqual(try cacheUse(other), .stored)
        XCTAssertEqual(store.keys.count, 2)
        XCTAssertEqual(try other.run(input: input).floats,
                       try Executor(graph: graph, options: options(.winograd2x2, store: nil)).run(input: input).floats)
        withExtendedLifetime(file) {}
    }

    func testWeightsWithoutAStableSourceAreNeverOffered() throws {
        let store = MemoryStore()
        let (graph, file) = try fileBacked(identity: nil, seed: 3)   // e.g. an unlinked temporary file
        XCTAssertEqual(try cacheUse(Executor(graph: graph, options: options(store: store))), .none)
        let inMemory = self.graph(kernel: TensorData(floats: TestSupport.randomFloats(9 * cin * cout, seed: 3)))
        XCTAssertEqual(try cacheUse(Executor(graph: inMemory, options: options(store: store))), .none)
        XCTAssertEqual(store.keys, [])
        withExtendedLifetime(file) {}
    }

    func testOptionsCompareTheirStoreByIdentity() {
        let store = MemoryStore()
        XCTAssertEqual(options(store: store), options(store: store))
        XCTAssertNotEqual(options(store: store), options(store: MemoryStore()))
        XCTAssertNotEqual(options(store: store), options(store: nil))
        XCTAssertEqual(options(store: nil), options(store: nil))
    }
}
