import CZlibShim
import Synchronization

/// CRC-32s of several byte ranges, computed by any number of threads together: each range is cut
/// into pieces, every thread that calls `work()` takes the next piece until none is left, and a
/// range's checksum is combined from its pieces' (zlib's `crc32_combine`). The writer's
/// background task starts on the pieces while the writing thread writes, and the writing thread
/// joins in once its writes are done, so neither waits for the other.
final class ParallelCRC32: @unchecked Sendable {
    private struct Piece {
        var range: Int
        var bytes: UnsafeRawBufferPointer
    }

    private let pieces: [Piece]
    private let rangeCount: Int
    private let results: UnsafeMutableBufferPointer<UInt32>
    private let next = Atomic<Int>(0)

    /// - Parameter pieceSize: bytes per piece; small enough that two threads share the last
    ///   range's work, large enough that taking a piece costs nothing next to checksumming it.
    init(ranges: [UnsafeRawBufferPointer], pieceSize: Int = 1 << 20) {
        precondition(pieceSize > 0)
        var pieces: [Piece] = []
        for (i, bytes) in ranges.enumerated() {
            var offset = 0
            repeat {
                let end = min(bytes.count, offset + pieceSize)
                pieces.append(Piece(range: i, bytes: UnsafeRawBufferPointer(rebasing: bytes[offset..<end])))
                offset = end
            } while offset < bytes.count
        }
        self.pieces = pieces
        self.rangeCount = ranges.count
        results = .allocate(capacity: pieces.count)
        results.initialize(repeating: 0)
    }

    deinit { results.deallocate() }

    /// Checksums pieces until every piece has been taken (by this thread or another).
    func work() {
        while true {
            let i = next.wrappingAdd(1, ordering: .relaxed).oldValue
            guard i < pieces.count else { return }
            results[i] = swmCRC32(pieces[i].bytes)
        }
    }

    /// Leaves the pieces not yet taken untaken: every `work()` call returns once the piece it is
    /// on is done. For a caller that gives up (a failed write) and must not leave a thread
    /// reading bytes it is about to release.
    func cancel() {
        next.store(pieces.count, ordering: .relaxed)
    }

    /// The ranges' checksums, in the order given. Only after every `work()` call has returned
    /// (the caller's synchronization, e.g. a `DispatchGroup`, orders the pieces' results).
    func checksums() -> [UInt32] {
        var crcs = [UInt32](repeating: 0, count: rangeCount)
        // The pieces are in range order: a range's first piece starts its checksum, the rest extend it.
        for (i, piece) in pieces.enumerated() {
            let r = piece.range
            crcs[r] = i > 0 && pieces[i - 1].range == r
                ? UInt32(truncatingIfNeeded: crc32_combine(UInt(crcs[r]), UInt(results[i]), off_t(piece.bytes.count)))
                : results[i]
        }
        return crcs
    }
}
