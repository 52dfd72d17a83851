// libFuzzer target for the image decoders (Sources/ImageIO over libjpeg-turbo and libpng): the
// header checks and pixel limits before allocation, decoding, colour conversion, and the
// Pillow-exact resize wtool applies next. Built by scripts/fuzz.sh.
import Foundation
import ImageIO

@_cdecl("LLVMFuzzerTestOneInput")
public func imageDecoderFuzzTarget(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = UnsafeRawBufferPointer(start: data, count: size)
    // A lower pixel limit than wtool's: the fuzzer looks for crashes, not for big images.
    guard let image = try? ImageDecoder.decode(bytes, path: "fuzz", mode: .rgb, limits: DecodeLimits(maxPixels: 1 << 22)) else { return 0 }
    _ = try? image.resized(height: 7, width: 5, method: .bilinear)
    return 0
}
