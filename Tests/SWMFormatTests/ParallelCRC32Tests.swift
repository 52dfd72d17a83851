import Foundation
@testable import SWMFormat
import XCTest

/// The writer's shared checksum work: each range's CRC, combined from pieces taken by any number
/// of threads, equals zlib's CRC of the whole range.
final class ParallelCRC32Tests: XCTestCase {
    func testPiecesCombineToTheWholeRangesChecksum() {
        var generator = SystemRandomNumberGenerator()
        let pieceSize = 1000
        // Empty, shorter than a piece, exactly one, one byte over, several with a short tail.
        let sizes = [0, 1, 999, 1000, 1001, 3500, 10_000]
        let buffers = sizes.map { n in (0..<n).map { _ in UInt8.random(in: 0...255, using: &generator) } }
        let expected = buffers.map { b in b.withUnsafeBytes { swmCRC32($0) } }
        XCTAssertEqual(expected[0], 0)
        for workers in [1, 2, 4] {
            let pointers = buffers.map { b -> UnsafeMutableRawBufferPointer in
                let p = UnsafeMutableRawBufferPointer.allocate(byteCount: b.count, alignment: 1)
                p.copyMemory(from: UnsafeRawBufferPointer(start: b, count: b.count))
                return p
            }
            defer { pointers.forEach { $0.deallocate() } }
            let work = ParallelCRC32(ranges: pointers.map { UnsafeRawBufferPointer($0) }, pieceSize: pieceSize)
            DispatchQueue.concurrentPerform(iterations: workers) { _ in work.work() }
            XCTAssertEqual(work.checksums(), expected, "\(workers) workers")
        }
    }

    /// After `cancel()` no piece is taken any more (the writer's failure path: nothing may read
    /// the tensors' bytes once it has thrown).
    func testCancelLeavesTheRemainingPiecesUntaken() {
        let bytes = [UInt8](repeating: 7, count: 10_000)
        bytes.withUnsafeBytes { buffer in
            let work = ParallelCRC32(ranges: [buffer], pieceSize: 100)
            work.cancel()
            work.work()
            XCTAssertEqual(work.checksums(), [0], "no piece was checksummed")
            let fresh = ParallelCRC32(ranges: [buffer], pieceSize: 100)
            fresh.work()
            XCTAssertEqual(fresh.checksums(), [swmCRC32(buffer)])
            XCTAssertNotEqual(fresh.checksums(), [0])
        }
    }

    func testNoRanges() {
        let work = ParallelCRC32(ranges: [])
        work.work()
        XCTAssertEqual(work.checksums(), [])
    }
}
