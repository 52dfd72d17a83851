// libFuzzer target for the Keras model-config parser (Sources/KerasFormat): the JSON parse
// (swift-protobuf's parser, JSONDecoder where it refuses; depth and size limits) and the Keras config → IR translation (Sequential, Functional, nested
// models, every layer in KerasLayerTable), then shape inference. The HDF5 side is libhdf5's and
// runs in the isolated child; this is the part written in Swift. Built by scripts/fuzz.sh.
import Foundation
import KerasFormat
import ModelIR

@_cdecl("LLVMFuzzerTestOneInput")
public func kerasConfigFuzzTarget(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let json = Data(bytes: data, count: size)
    guard let graph = try? KerasReader.graph(configJSON: json) else { return 0 }
    _ = graph.parameterCount
    _ = try? graph.inferShapes()
    return 0
}
