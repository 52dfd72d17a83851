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

/// Decodes JPEG and PNG bytes into ``RGBImage``s exactly as Pillow's
/// `Image.open(path).convert("RGB")` does (which is what `keras.utils.load_img` returns):
///
/// - JPEG via libjpeg-turbo with libjpeg's defaults (islow IDCT, fancy upsampling), like Pillow;
///   greyscale is replicated to R = G = B; CMYK/YCCK files are treated as Adobe-inverted CMYK and
///   converted with Pillow's `cmyk2rgb` formula.
/// - PNG via libpng with no gamma or colour management (Pillow applies none): grey and sub-8-bit
///   grey are scaled to 0…255 and replicated, alpha is dropped (not composited), palette indices
///   map through PLTE (indices past its end give black, as in Pillow), interlaced files work.
///   16-bit PNGs are refused (Pillow's conversion of its `I;16` mode is not what a user wants).
///
/// Neither EXIF orientation nor ICC profiles are applied: `load_img` applies neither.
///
/// Decoding is pure: it takes bytes and a name for messages. File reading is ``ImageLoader``'s.
public enum ImageDecoder {
    /// Detects the format from the signature and decodes.
    /// - Parameters:
    ///   - bytes: the whole file.
    ///   - path: the name used in errors.
    ///   - limits: pixel cap checked before allocating.
    /// - Throws: ``ImageIOError`` (empty input, unknown format, truncated or corrupt data,
    ///   unsupported variants, too many pixels).
    public static func decode(_ bytes: UnsafeRawBufferPointer, path: String = "<memory>",
                              limits: DecodeLimits = DecodeLimits()) throws -> RGBImage {
        guard !bytes.isEmpty else { throw ImageIOError.emptyFile(path: path) }
        switch ImageFormat.detect(bytes) {
        case .jpeg?: return try decodeJPEG(bytes, path: path, limits: limits)
        case .png?: return try decodePNG(bytes, path: path, limits: limits)
        case nil: throw ImageIOError.unknownFormat(path: path)
        }
    }

    /// Decodes `[UInt8]` file contents; see ``decode(_:path:limits:)-(UnsafeRawBufferPointer,_,_)``.
    public static func decode(_ bytes: [UInt8], path: String = "<memory>",
                              limits: DecodeLimits = DecodeLimits()) throws -> RGBImage {
        try bytes.withUnsafeBytes { try decode($0, path: path, limits: limits) }
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
