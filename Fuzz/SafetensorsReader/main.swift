// libFuzzer target for the safetensors reader (SafetensorsFormat): untrusted bytes from any writer.
// Built and run by scripts/fuzz.sh with -sanitize=fuzzer,address.
//
// `SafetensorsHeader.parse` runs on libFuzzer's own heap buffer, sized exactly, so AddressSanitizer
// reports any read outside the file. Each input is tried as given, and once more with its 8-byte
// length rewritten to end at the last '}' of the first 1 MB (so mutations of the JSON reach the
// rules behind the length check). When the header is accepted, every byte range it hands out is
// read in full and checked against the format's rules; then the file is opened as wtool opens it
// (mapped, weights with their permutations undone, the embedded graph decoded and validated).
import FileSupport
import Foundation
import ModelIR
import SafetensorsFormat

@_cdecl("LLVMFuzzerTestOneInput")
public func safetensorsReaderFuzzTarget(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = UnsafeRawBufferPointer(start: data, count: size)
    exercise(bytes)
    if bytes.count >= 10, let close = bytes.prefix(1 << 20).dropFirst(8).lastIndex(of: UInt8(ascii: "}")) {
        let fixed = UnsafeMutableRawBufferPointer.allocate(byteCount: bytes.count, alignment: 1)
        defer { fixed.deallocate() }
        fixed.copyMemory(from: bytes)
        fixed.storeBytes(of: UInt64(close - 7).littleEndian, toByteOffset: 0, as: UInt64.self)
        exercise(UnsafeRawBufferPointer(fixed))
    }
    return 0
}

/// A failed invariant is a bug in the reader's validation: crash so libFuzzer saves the input.
func require(_ condition: Bool, _ message: @autoclosure () -> String) {
    if !condition {
        FileHandle.standardError.write(Data("safetensors reader invariant violated: \(message())\n".utf8))
        abort()
    }
}

func exercise(_ bytes: UnsafeRawBufferPointer) {
    guard let header = try? SafetensorsHeader.parse(bytes) else { return }
    require(header.headerSize <= SafetensorsHeader.maxHeaderSize && header.dataStart <= bytes.count, "header size \(header.headerSize)")
    var sink: UInt32 = 0
    var end = 0
    var names = Set<String>()
    for entry in header.tensors {
        let range = entry.fileOffset..<(entry.fileOffset + entry.byteLength)
        require(range.lowerBound >= header.dataStart && range.upperBound <= bytes.count, "tensor '\(entry.name)' \(range)")
        sink ^= touch(UnsafeRawBufferPointer(rebasing: bytes[range]))
        require(entry.dataOffsets.lowerBound == end, "tensor '\(entry.name)' is not contiguous")
        end = entry.dataOffsets.upperBound
        let elements = Shape.elementCount(entry.shape)
        let bits = elements.map { $0.multipliedReportingOverflow(by: entry.dtype.bitSize) }
        require(bits.map { !$0.overflow && $0.partialValue % 8 == 0 && $0.partialValue / 8 == entry.byteLength } ?? false,
                "tensor '\(entry.name)' length")
        require(!entry.name.isEmpty && names.insert(entry.name).inserted, "name '\(entry.name)'")
    }
    require(header.dataStart + end == bytes.count, "buffer not covered")
    blackHole(sink)
    openAsWToolDoes(bytes)
}

/// The path `wtool summary`/`check`/`convert` take on a .safetensors.
func openAsWToolDoes(_ bytes: UnsafeRawBufferPointer) {
    let path = scratchFile
    guard let out = fopen(path, "wb") else { return }
    if let base = bytes.baseAddress { _ = fwrite(base, 1, bytes.count, out) }
    fclose(out)
    guard let file = try? SafetensorsFile(path: path) else { return }
    _ = file.misalignedTensors
    if let weights = try? file.weights() {
        for (_, weight) in weights {
            require(weight.info.elementCount.map { $0 * weight.info.dtype.byteSize } == weight.data.count, "weight '\(weight.info.name)' bytes")
            blackHole(touch(weight.data.bytes))
        }
    }
    guard let graph = try? file.graph() else { return }
    blackHole(UInt32(truncatingIfNeeded: graph.parameterCount.total))
    _ = try? graph.inferShapes()
}

let scratchFile: String = {
    let directory = ProcessInfo.processInfo.environment["TMPDIR"] ?? "/tmp"
    return "\(directory)/wtool-fuzz-safetensors-\(getpid()).safetensors"
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
