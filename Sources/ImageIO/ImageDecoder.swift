/// Bounds applied before any pixel memory is allocated, so hostile files cannot exhaust memory.
public struct DecodeLimits: Sendable, Equatable {
    /// Largest width × height accepted (default 2^28, e.g. 16384 × 16384).
    public var maxPixels: Int
    /// Largest file ``ImageLoader`` reads (default 1 GiB).
    public var maxFileBytes: Int

    public init(maxPixels: Int = 1 << 28, maxFileBytes: Int = 1 << 30) {
        self.maxPixels = maxPixels
        self.maxFileBytes = maxFileBytes
    }
}

/// Decodes JPEG and PNG bytes into ``Image``s exactly as `keras.utils.load_img(path,
/// color_mode=...)` gets them from Pillow: `Image.open`, then `convert` to `"L"`, `"RGB"` or
/// `"RGBA"` when the file opens in another mode.
///
/// Opening, as Pillow's plugins do:
/// - JPEG via libjpeg-turbo with libjpeg's defaults (islow IDCT, fancy upsampling): `"L"`,
///   `"RGB"`, or for 4 components Adobe-inverted `"CMYK"` (YCCK is converted to CMYK first).
/// - PNG via libpng with no gamma or colour management (Pillow applies none): 1-bit grey is
///   `"1"`; 2-, 4- and 8-bit grey are `"L"` (scaled ×85, ×17, ×1); grey+alpha `"LA"` (16-bit:
///   `"RGBA"` with R = G = B); palettes `"P"` (PLTE padded with black to 256 entries); colour
///   `"RGB"`/`"RGBA"`; 16-bit samples keep their high byte. Interlaced files work. A tRNS chunk
///   before the image data is kept as Pillow keeps it; one after the image data (which the PNG
///   specification forbids) is ignored, where Pillow would apply it in RGBA.
///   16-bit greyscale is refused: Pillow opens it as `"I;16"`, which `load_img` keeps in
///   grayscale mode (values up to 65535, which an 8-bit ``Image`` cannot hold) and clips to 255
///   for rgb and rgba (a washed-out picture).
///
/// Converting, as `Image.convert` does (Convert.c's formulas, bit for bit):
/// - to grayscale: RGB, RGBA (alpha ignored), palette entries and CMYK-as-RGB give
///   `(R·19595 + G·38470 + B·7471 + 0x8000) >> 16`; LA drops the alpha; "1" gives 0 or 255.
/// - to RGB: grey is replicated; alpha is dropped, not composited; palette indices map through
///   the palette; CMYK uses Pillow's `cmyk2rgb`.
/// - to RGBA: as RGB plus an alpha: the source's own, a palette's tRNS alphas, alpha 0 for the
///   pixels equal to a grey or RGB tRNS colour (compared on the low byte of each tRNS value, as
///   Pillow does), else 255.
///
/// Neither EXIF orientation nor ICC profiles are applied: `load_img` applies neither.
///
/// Decoding is pure: it takes bytes and a name for messages. File reading is ``ImageLoader``'s.
public enum ImageDecoder {
    /// Detects the format from the signature, decodes and converts to `mode`.
    /// - Parameters:
    ///   - bytes: the whole file.
    ///   - path: the name used in errors.
    ///   - mode: the `color_mode` of `load_img`: grayscale, rgb (the default) or rgba.
    ///   - limits: pixel cap checked before allocating.
    /// - Throws: ``ImageIOError`` (empty input, unknown format, truncated or corrupt data,
    ///   unsupported variants, too many pixels).
    public static func decode(_ bytes: UnsafeRawBufferPointer, path: String = "<memory>", mode: ColorMode = .rgb,
                              limits: DecodeLimits = DecodeLimits()) throws -> Image {
        guard !bytes.isEmpty else { throw ImageIOError.emptyFile(path: path) }
        switch ImageFormat.detect(bytes) {
        case .jpeg?: return try decodeJPEG(bytes, path: path, mode: mode, limits: limits)
        case .png?: return try decodePNG(bytes, path: path, mode: mode, limits: limits)
        case nil: throw ImageIOError.unknownFormat(path: path)
        }
    }

    /// Decodes `[UInt8]` file contents; see ``decode(_:path:mode:limits:)-(UnsafeRawBufferPointer,_,_,_)``.
    public static func decode(_ bytes: [UInt8], path: String = "<memory>", mode: ColorMode = .rgb,
                              limits: DecodeLimits = DecodeLimits()) throws -> Image {
        try bytes.withUnsafeBytes { try decode($0, path: path, mode: mode, limits: limits) }
    }

    /// Checks width × height against the cap without overflowing.
    static func checkPixelCount(width: Int, height: Int, path: String, limits: DecodeLimits) throws -> Int {
        let (pixels, overflow) = width.multipliedReportingOverflow(by: height)
        guard !overflow, pixels <= limits.maxPixels else {
            throw ImageIOError.tooManyPixels(path: path, width: width, height: height, limit: limits.maxPixels)
        }
        return pixels
    }
}
