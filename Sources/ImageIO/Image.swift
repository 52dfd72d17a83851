/// An 8-bit image in one of the ``ColorMode``s: `pixels` holds `height` rows of `width` pixels,
/// each pixel ``channels`` bytes (L; R G B; or R G B A), interleaved, row-major, no padding —
/// the layout of a PIL image of that mode and of Keras `img_to_array` (HWC) before the cast to
/// float.
public struct Image: Equatable, Sendable {
    public let width: Int
    public let height: Int
    public let mode: ColorMode
    /// `width × height × channels` bytes, top row first.
    public private(set) var pixels: [UInt8]

    /// Samples per pixel: 1, 3 or 4 (``ColorMode/channels``).
    public var channels: Int { mode.channels }

    /// Wraps an interleaved buffer.
    /// - Parameters:
    ///   - mode: what each pixel's bytes are; RGB unless said otherwise.
    /// - Throws: ``ImageIOError/invalidPixelBuffer(width:height:mode:byteCount:)`` if the
    ///   sides are negative or `pixels.count != width * height * mode.channels`.
    public init(width: Int, height: Int, mode: ColorMode = .rgb, pixels: [UInt8]) throws {
        guard width >= 0, height >= 0,
              case let (area, overflow1) = width.multipliedReportingOverflow(by: height), !overflow1,
              case let (bytes, overflow2) = area.multipliedReportingOverflow(by: mode.channels), !overflow2,
              bytes == pixels.count
        else {
            throw ImageIOError.invalidPixelBuffer(width: width, height: height, mode: mode, byteCount: pixels.count)
        }
        self.width = width
        self.height = height
        self.mode = mode
        self.pixels = pixels
    }

    /// For callers that already validated the size.
    init(uncheckedWidth width: Int, height: Int, mode: ColorMode, pixels: [UInt8]) {
        self.width = width
        self.height = height
        self.mode = mode
        self.pixels = pixels
    }
}

/// The name of ``Image`` from when every image was RGB; an `RGBImage` made with
/// `init(width:height:pixels:)` is still an RGB one.
public typealias RGBImage = Image
