import CJPEG

extension ImageDecoder {
    /// Decodes a JPEG with libjpeg-turbo and converts it to `mode`; see ``ImageDecoder`` for how.
    /// - Throws: ``ImageIOError/truncated(path:format:)`` if the data ends inside the image
    ///   (Pillow's "image file is truncated"; like Pillow this includes a missing EOI marker,
    ///   because libjpeg reads ahead to it),
    ///   ``ImageIOError/corrupt(path:format:detail:)`` with libjpeg's message,
    ///   ``ImageIOError/unsupported(path:detail:)`` for 2-component or 12-bit files,
    ///   ``ImageIOError/tooManyPixels(path:width:height:limit:)``.
    public static func decodeJPEG(_ bytes: UnsafeRawBufferPointer, path: String = "<memory>", mode: ColorMode = .rgb,
                                  limits: DecodeLimits = DecodeLimits()) throws -> Image {
        try _ColorConversion.convert(try decodeJPEGSource(bytes, path: path, limits: limits), to: mode, path: path)
    }

    /// The JPEG as Pillow's JpegImagePlugin opens it: "L", "RGB" or "CMYK".
    static func decodeJPEGSource(_ bytes: UnsafeRawBufferPointer, path: String, limits: DecodeLimits) throws -> _PillowSource {
        guard let base = bytes.baseAddress, !bytes.isEmpty else {
            throw ImageIOError.emptyFile(path: path)
        }
        var header = cjpeg_header()
        var message = [CChar](repeating: 0, count: 256)
        let maxPixels = UInt64(max(limits.maxPixels, 0))
        let headerStatus = cjpeg_decode(base, bytes.count, &header, nil, 0, maxPixels, &message, message.count)
        try check(headerStatus, message: message, path: path)

        let width = Int(header.width)
        let height = Int(header.height)
        let pixels = try checkPixelCount(width: width, height: height, path: path, limits: limits)
        let components = Int(header.components)
        guard components == 1 || components == 3 || components == 4 else {
            throw ImageIOError.unsupported(path: path, detail: "JPEG with \(components) components is not supported")
        }
        var samples = [UInt8](repeating: 0, count: pixels * components)
        let status = samples.withUnsafeMutableBufferPointer { buffer in
            cjpeg_decode(base, bytes.count, &header, buffer.baseAddress, buffer.count, maxPixels, &message, message.count)
        }
        try check(status, message: message, path: path)

        switch components {
        case 1:
            return _PillowSource(width: width, height: height, samples: samples, mode: .grey(transparent: nil))
        case 3:
            return _PillowSource(width: width, height: height, samples: samples, mode: .rgb(transparent: nil))
        default:
            // Pillow decodes every 4-component JPEG as "CMYK;I" (Adobe's inverted CMYK).
            return _PillowSource(width: width, height: height, samples: samples, mode: .invertedCMYK)
        }
    }

    private static func check(_ status: Int32, message: [CChar], path: String) throws {
        let text = String(decoding: message.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
        switch status {
        case Int32(CJPEG_OK):
            return
        case Int32(CJPEG_TRUNCATED):
            throw ImageIOError.truncated(path: path, format: .jpeg)
        case Int32(CJPEG_BAD_REQUEST):
            throw ImageIOError.unsupported(path: path, detail: "JPEG: \(text)")
        default:
            // libjpeg's fatal errors for a well-formed but unsupported file are still "corrupt"
            // from our point of view, except the precision one, which deserves a clear message.
            if text.contains("Unsupported JPEG data precision") {
                throw ImageIOError.unsupported(path: path, detail: "JPEG: \(text)")
            }
            throw ImageIOError.corrupt(path: path, format: .jpeg, detail: text.isEmpty ? "decoder error" : text)
        }
    }
}
