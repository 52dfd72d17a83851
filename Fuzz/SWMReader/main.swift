// libFuzzer target for the .swm reader, the trust boundary (schemas/swm.md §5, DESIGN.md §1).
// Built and run by scripts/fuzz.sh with -sanitize=fuzzer,address.
//
// Each input is read twice: as given (the checksums must refuse almost everything), and with its
// three CRC-32s recomputed, so the mutations reach the structural rules and the graph JSON behind
// them. `SWMHeader.parse` runs on libFuzzer's own heap buffer, sized exactly, so AddressSanitizer
// reports any read outside the file; when it accepts, every byte range it hands out is read in full
// and checked against the rules, and then the whole file is opened the way wtool opens it.
import FileSupport
import Foundation
import ModelIR
import SWMFormat

@_cdecl("LLVMFuzzerTestOneInput")
public func swmReaderFuzzTarget(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = UnsafeRawBufferPointer(start: data, count: size)
    exercise(bytes)
    if bytes.count >= 64 {
        // An exact-size heap copy, so AddressSanitizer guards its end as it does libFuzzer's.
        let fixed = UnsafeMutableRawBufferPointer.allocate(byteCount: bytes.count, alignment: 1)
        defer { fixed.deallocate() }
        fixed.copyMemory(from: bytes)
        fixChecksums(fixed)
        exercise(UnsafeRawBufferPointer(fixed))
    }
    return 0
}

/// A failed invariant is a bug in the reader's validation: crash so libFuzzer saves the input.
func require(_ condition: Bool, _ message: @autoclosure () -> String) {
    if !condition {
        FileHandle.standardError.write(Data("SWM reader invariant violated: \(message())\n".utf8))
        abort()
    }
}

func exercise(_ bytes: UnsafeRawBufferPointer) {
    guard let header = try? SWMHeader.parse(bytes) else { return }
    // What the reader will hand out must lie inside the file, aligned and disjoint.
    require(header.dataOffset % 4096 == 0 && header.dataOffset <= bytes.count, "data offset \(header.dataOffset)")
    require(header.dataOffset + header.dataSize == bytes.count, "data section end")
    require(header.graphRange.lowerBound >= 64 && header.graphRange.upperBound <= header.dataOffset
            && header.graphRange.count >= 6, "graph range \(header.graphRange)")
    // Read every byte of every range the reader hands out, as SWMFile's views and
    // `verifyChecksums` do (in a release build these slices are not bounds-checked). The reads are
    // Swift code, instrumented — zlib's crc32 is not — so a range past the end of the buffer is an
    // AddressSanitizer heap-buffer-overflow report.
    var sink = touch(UnsafeRawBufferPointer(rebasing: bytes[header.graphRange]))
    for entry in header.tensors {
        sink ^= touch(UnsafeRawBufferPointer(rebasing: bytes[entry.fileOffset..<(entry.fileOffset + entry.byteLength)]))
    }
    // Then the rules themselves, so a gap that stays inside the buffer is caught too.
    var names = Set<String>()
    var ranges: [Range<Int>] = []
    for entry in header.tensors {
        let range = entry.fileOffset..<(entry.fileOffset + entry.byteLength)
        require(range.lowerBound >= header.dataOffset && range.upperBound <= bytes.count, "tensor '\(entry.name)' \(range)")
        require((range.lowerBound - header.dataOffset) % 64 == 0, "tensor '\(entry.name)' alignment")
        let bytesForShape = Shape.elementCount(entry.shape).map { $0.multipliedReportingOverflow(by: entry.dtype.byteSize) }
        require(bytesForShape.map { !$0.overflow && $0.partialValue == entry.byteLength } ?? false, "tensor '\(entry.name)' length")
        require(names.insert(entry.name).inserted, "duplicate '\(entry.name)'")
        if !range.isEmpty { ranges.append(range) }
    }
    ranges.sort { $0.lowerBound < $1.lowerBound }
    for (a, b) in zip(ranges, ranges.dropFirst()) { require(a.upperBound <= b.lowerBound, "overlap \(a) \(b)") }
    blackHole(sink)
    openAsWToolDoes(bytes)
}

/// The path `wtool summary`/`check`/`run` take: map the file, decode and validate the graph, verify
/// checksums, take every view, count parameters, infer shapes.
func openAsWToolDoes(_ bytes: UnsafeRawBufferPointer) {
    let path = scratchFile
    guard let out = fopen(path, "wb") else { return }
    if let base = bytes.baseAddress { _ = fwrite(base, 1, bytes.count, out) }
    fclose(out)
    guard let file = try? SWMFile(path: path) else { return }
    _ = file.verifyChecksums()
    guard let graph = try? file.graph() else { return }
    for name in graph.weights.keys { blackHole(UInt32(file.tensorData(named: name)?.count ?? 0)) }
    blackHole(UInt32(truncatingIfNeeded: graph.parameterCount.total))
    _ = try? graph.inferShapes()
    _ = try? graph.inferShapes(inputShapes: Dictionary(uniqueKeysWithValues: graph.inputs.map { ($0.name, [1, 224, 224, 3]) }))
}

let scratchFile: String = {
    let directory = ProcessInfo.processInfo.environment["TMPDIR"] ?? "/tmp"
    return "\(directory)/wtool-fuzz-swm-\(getpid()).swm"
}()

/// Reads every byte (instrumented by AddressSanitizer).
@inline(never) func touch(_ bytes: UnsafeRawBufferPointer) -> UInt32 {
    var sum: UInt32 = 0
    for byte in bytes { sum = sum &* 31 &+ UInt32(byte) }
    return sum
}

@inline(never) func blackHole(_ value: UInt32) {
    if value == 0x5EED_F00D { FileHandle.standardError.write(Data([0x20])) }
}

/// Recomputes `fixed_crc32`, `header_crc32` and the graph CRC in place, wherever the header's own
/// sizes put them inside the buffer (at least 64 bytes).
func fixChecksums(_ copy: UnsafeMutableRawBufferPointer) {
    func u32(_ at: Int) -> UInt64 { UInt64(UInt32(littleEndian: copy.loadUnaligned(fromByteOffset: at, as: UInt32.self))) }
    func store(_ value: UInt32, at: Int) { copy.storeBytes(of: value.littleEndian, toByteOffset: at, as: UInt32.self) }
    let readable = UnsafeRawBufferPointer(copy)
    // In UInt64 from 32-bit fields: cannot overflow.
    let graphStart = 64 + 48 * u32(40) + 8 * u32(44) + u32(48)
    let graphSize = u32(52)
    let size = UInt64(copy.count)
    if graphSize >= 4, graphStart + graphSize <= size {
        let start = Int(graphStart)
        store(swmCRC32(UnsafeRawBufferPointer(rebasing: readable[(start + 4)..<(start + Int(graphSize))])), at: start)
    }
    if graphStart <= size {
        store(swmCRC32(UnsafeRawBufferPointer(rebasing: readable[64..<Int(graphStart)])), at: 56)
    }
    store(swmCRC32(UnsafeRawBufferPointer(rebasing: readable[0..<60])), at: 60)
}
