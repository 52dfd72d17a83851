/// An 8-bit RGB image: `pixels` holds `height` rows of `width` pixels, each pixel three bytes
/// R, G, B (interleaved, row-major, no padding) — the layout of a PIL `"RGB"` image and of
/// Keras `img_to_array` (HWC) before the cast to float.
public struct RGBImage: Equatable, Sendable {
    public let width: Int
    public let height: Int
    /// `width × height × 3` bytes, R G B interleaved, top row first.
    public private(set) var pixels: [UInt8]

    /// Wraps an interleaved RGB buffer.
    /// - Throws: ``ImageIOError/invalidPixelBuffer(width:height:byteCount:)`` if the sides are
    ///   negative or `pixels.count != width * height * 3`.
    public init(width: Int, height: Int, pixels: [UInt8]) throws {
        guard width >= 0, height >= 0,
              case let (area, overflow1) = width.multipliedReportingOverflow(by: height), !overflow1,
              case let (bytes, overflow2) = area.multipliedReportingOverflow(by: 3), !overflow2,
              bytes == pixels.count
        else {
            throw ImageIOError.invalidPixelBuffer(width: width, height: height, byteCount: pixels.count)
        }
        self.width = width
        self.height = height
        self.pixels = pixels
    }

    /// For callers that already validated the size.
    init(uncheckedWidth width: Int, height: Int, pixels: [UInt8]) {
        self.width = width
        self.height = height
        self.pixels = pixels
    }
}
