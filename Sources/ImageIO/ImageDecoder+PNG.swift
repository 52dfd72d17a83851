import CPNG

extension ImageDecoder {
    /// Decodes a PNG with libpng; see ``ImageDecoder`` for the conversions to RGB.
    /// - Throws: ``ImageIOError/truncated(path:format:)`` if the data ends inside the image,
    ///   ``ImageIOError/corrupt(path:format:detail:)`` for CRC, zlib and structural errors
    ///   (libpng's message), ``ImageIOError/unsupported(path:detail:)`` for 16-bit files,
    ///   ``ImageIOError/tooManyPixels(path:width:height:limit:)``.
    public static func decodePNG(_ bytes: UnsafeRawBufferPointer, path: String = "<memory>",
                                 limits: DecodeLimits = DecodeLimits()) throws -> RGBImage {
        guard let base = bytes.baseAddress, !bytes.isEmpty else {
            throw ImageIOError.emptyFile(path: path)
        }
        var header = cpng_header()
        var message = [CChar](repeating: 0, count: 256)
        let maxPixels = UInt64(max(limits.maxPixels, 0))
        let headerStatus = cpng_decode(base, bytes.count, &header, nil, 0, maxPixels, &message, message.count)
        try check(headerStatus, message: message, path: path)

        let width = Int(header.width)
        let height = Int(header.height)
        let pixels = try checkPixelCount(width: width, height: height, path: path, limits: limits)
        let bitDepth = Int(header.bit_depth)
        guard bitDepth <= 8 else {
            throw ImageIOError.unsupported(path: path, detail: "16-bit PNG is not supported")
        }
        let channels = Int(header.channels)
        let colorType = Int32(header.color_type)
        var samples = [UInt8](repeating: 0, count: pixels * channels)
        let status = samples.withUnsafeMutableBufferPointer { buffer in
            cpng_decode(base, bytes.count, &header, buffer.baseAddress, buffer.count, maxPixels, &message, message.count)
        }
        try check(status, message: message, path: path)

        let rgb: [UInt8]
        switch (colorType, channels) {
        case (PNG_COLOR_TYPE_GRAY, 1):
            rgb = _ColorConversion.greyToRGB(_ColorConversion.scaleToEightBits(samples, bitDepth: bitDepth))
        case (PNG_COLOR_TYPE_GRAY_ALPHA, 2):
            rgb = _ColorConversion.greyAlphaToRGB(samples)
        case (PNG_COLOR_TYPE_RGB, 3):
            rgb = samples
        case (PNG_COLOR_TYPE_RGB_ALPHA, 4):
            rgb = _ColorConversion.rgbaToRGB(samples)
        case (PNG_COLOR_TYPE_PALETTE, 1):
            let palette = withUnsafeBytes(of: header.palette) { Array($0.prefix(Int(header.palette_count) * 3)) }
            rgb = _ColorConversion.paletteToRGB(samples, palette: palette)
        default:
            throw ImageIOError.unsupported(path: path, detail: "PNG colour type \(colorType) with \(channels) channels is not supported")
        }
        return Image(uncheckedWidth: width, height: height, mode: .rgb, pixels: rgb)
    }

    private static func check(_ status: Int32, message: [CChar], path: String) throws {
        let text = String(decoding: message.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
        switch status {
        case Int32(CPNG_OK):
            return
        case Int32(CPNG_TRUNCATED):
            throw ImageIOError.truncated(path: path, format: .png)
        case Int32(CPNG_BAD_REQUEST):
            throw ImageIOError.unsupported(path: path, detail: "PNG: \(text)")
        default:
            throw ImageIOError.corrupt(path: path, format: .png, detail: text.isEmpty ? "decoder error" : text)
        }
    }
}
