// libFuzzer target for the ONNX reader (Sources/ONNXFormat): protobuf decoding, the strict proto
// checks and the import into the IR, on libFuzzer's exact-size heap buffer so AddressSanitizer
// reports any read outside it. Built and run by scripts/fuzz.sh with -sanitize=fuzzer,address.
//
// External data is refused (no base directory): the fuzzer must not read files named by its input.
import Foundation
import ModelIR
import ONNXFormat

@_cdecl("LLVMFuzzerTestOneInput")
public func onnxReaderFuzzTarget(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = UnsafeRawBufferPointer(start: data, count: size)
    guard let graph = try? ONNXReader.read(bytes: bytes, baseDirectory: nil, name: "fuzz") else { return 0 }
    // What `summary` and `run` do next: count parameters, infer shapes, read every weight.
    var sink = UInt8(truncatingIfNeeded: graph.parameterCount.total)
    _ = try? graph.inferShapes()
    for weight in graph.weights.values {
        for byte in weight.data.bytes { sink ^= byte }
    }
    if sink == 0xA5 && graph.name == "\u{1}" { FileHandle.standardError.write(Data([0x20])) }
    return 0
}
