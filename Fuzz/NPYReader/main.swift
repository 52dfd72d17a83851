// libFuzzer target for the .npy reader (Sources/NPY): header parsing (the Python-dict literal, the
// shape's overflow checks) and the array view, on libFuzzer's exact-size buffer. What
// `run --input NAME=FILE.npy` and `verify --reference` read. Built by scripts/fuzz.sh.
import Foundation
import NPY

@_cdecl("LLVMFuzzerTestOneInput")
public func npyReaderFuzzTarget(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = UnsafeRawBufferPointer(start: data, count: size)
    _ = try? NPYHeader.parse(bytes, path: "fuzz")
    guard let array = try? NPYArray(npyBytes: bytes, path: "fuzz") else { return 0 }
    var sink = UInt8(truncatingIfNeeded: array.shape.reduce(0, &+))
    for byte in array.data.prefix(1 << 16) { sink ^= byte }
    if sink == 0xA5 && array.shape.count == 63 { FileHandle.standardError.write(Data([0x20])) }
    return 0
}
