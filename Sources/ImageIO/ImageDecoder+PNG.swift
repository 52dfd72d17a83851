import CPNG

extension ImageDecoder {
    /// Decodes a PNG with libpng and converts it to `mode`; see ``ImageDecoder`` for how.
    /// - Throws: ``ImageIOError/truncated(path:format:)`` if the data ends inside the image,
    ///   ``ImageIOError/corrupt(path:format:detail:)`` for CRC, zlib and structural errors
    ///   (libpng's message) and for a tRNS chunk Pillow rejects,
    ///   ``ImageIOError/unsupported(path:detail:)`` for 16-bit greyscale files,
    ///   ``ImageIOError/tooManyPixels(path:width:height:limit:)``.
    public static func decodePNG(_ bytes: UnsafeRawBufferPointer, path: String = "<memory>", mode: ColorMode = .rgb,
                                 limits: DecodeLimits = DecodeLimits()) throws -> Image {
        try _ColorConversion.convert(try decodePNGSource(bytes, path: path, limits: limits), to: mode, path: path)
    }

    /// The PNG as Pillow's PngImagePlugin opens it.
    static func decodePNGSource(_ bytes: UnsafeRawBufferPointer, path: String, limits: DecodeLimits) throws -> _PillowSource {
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
        let channels = Int(header.channels)
        let colorType = Int32(header.color_type)
        if colorType == PNG_COLOR_TYPE_GRAY, bitDepth == 16 {
            throw ImageIOError.unsupported(path: path, detail: sixteenBitGreyRefusal)
        }
        let transparency = header.trns_length < 0 ? nil
            : withUnsafeBytes(of: header.trns) { (Array($0.prefix(Int(header.trns_length))), Int(header.trns_length)) }
        var samples = [UInt8](repeating: 0, count: pixels * channels)
        let status = samples.withUnsafeMutableBufferPointer { buffer in
            cpng_decode(base, bytes.count, &header, buffer.baseAddress, buffer.count, maxPixels, &message, message.count)
        }
        try check(status, message: message, path: path)

        let mode: _PillowSource.Mode
        switch (colorType, channels) {
        case (PNG_COLOR_TYPE_GRAY, 1):
            samples = _ColorConversion.scaleToEightBits(samples, bitDepth: bitDepth)
            mode = .grey(transparent: try transparency.map { bytes, length in
                let value = try greyTransparency(bytes, length: length, path: path)
                // Pillow opens a 1-bit PNG in mode "1", whose tRNS value becomes 255 unless 0.
                return bitDepth == 1 ? (value == 0 ? 0 : 255) : UInt8(truncatingIfNeeded: value)
            })
        case (PNG_COLOR_TYPE_GRAY_ALPHA, 2):
            // Pillow opens 16-bit grey+alpha as "RGBA" with R = G = B (rawmode LA;16B), which
            // converts to L, RGB and RGBA exactly as "LA" does (L24 of a grey is that grey).
            mode = .greyAlpha
        case (PNG_COLOR_TYPE_RGB, 3):
            mode = .rgb(transparent: try transparency.map { try rgbTransparency($0, length: $1, path: path) })
        case (PNG_COLOR_TYPE_RGB_ALPHA, 4):
            mode = .rgba
        case (PNG_COLOR_TYPE_PALETTE, 1):
            var colours = [UInt8](repeating: 0, count: 256 * 3)
            withUnsafeBytes(of: header.palette) { palette in
                let count = min(Int(header.palette_count), 256) * 3
                colours.replaceSubrange(0..<count, with: palette.prefix(count))
            }
            mode = .palette(colours: colours, alphas: paletteAlphas(transparency))
        default:
            throw ImageIOError.unsupported(path: path, detail: "PNG colour type \(colorType) with \(channels) channels is not supported")
        }
        return _PillowSource(width: width, height: height, samples: samples, mode: mode)
    }

    /// Why 16-bit greyscale PNGs are refused (see ``ImageDecoder``).
    static let sixteenBitGreyRefusal =
        "16-bit greyscale PNG is not supported (Keras keeps its 0...65535 values in grayscale mode and clips them to 255 in rgb/rgba); convert it to 8 bits"

    /// PngImagePlugin's `chunk_tRNS` for grey: the first two bytes, big-endian.
    private static func greyTransparency(_ bytes: [UInt8], length: Int, path: String) throws -> Int {
        guard length >= 2 else { throw ImageIOError.corrupt(path: path, format: .png, detail: "tRNS: truncated chunk") }
        return Int(bytes[0]) << 8 | Int(bytes[1])
    }

    /// `chunk_tRNS` for RGB: three big-endian 16-bit values, of which `convert_transparent`
    /// compares only the low bytes (for 16-bit files too, whose pixels Pillow cut to the high byte).
    private static func rgbTransparency(_ bytes: [UInt8], length: Int, path: String) throws -> (red: UInt8, green: UInt8, blue: UInt8) {
        guard length >= 6 else { throw ImageIOError.corrupt(path: path, format: .png, detail: "tRNS: truncated chunk") }
        return (bytes[1], bytes[3], bytes[5])
    }

    /// `chunk_tRNS` for palettes, then what `convert("RGBA")` does with it. A chunk matching
    /// Python's `re.match(b"^\xff*\x00\xff*$")` — one zero among 0xFF bytes, where `$` also
    /// matches before a final newline byte — becomes `info["transparency"] = index` and only that
    /// entry gets alpha 0 (`putpalettealpha`); any other chunk gives entry i the alpha `bytes[i]`
    /// (`putpalettealphas`). Entries it does not reach stay opaque.
    static func paletteAlphas(_ transparency: (bytes: [UInt8], length: Int)?) -> _PillowSource.PaletteAlphas {
        var alphas = [UInt8](repeating: 255, count: 256)
        guard let (bytes, length) = transparency else { return .table(alphas) }
        // The shim keeps the first 256 bytes: a longer chunk is refused, even a simple one
        // (which Pillow would accept if its zero came early; no encoder writes one).
        guard length <= 256 else { return .outOfRange(entries: length) }
        let body = bytes.last == 0x0A ? bytes.dropLast() : bytes[...]
        if body.allSatisfy({ $0 == 0 || $0 == 0xFF }), body.count(where: { $0 == 0 }) == 1, let zero = body.firstIndex(of: 0) {
            alphas[zero] = 0
        } else {
            alphas.replaceSubrange(0..<length, with: bytes)
        }
        return .table(alphas)
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
