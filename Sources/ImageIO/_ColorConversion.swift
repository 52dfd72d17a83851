/// Pillow's `Image.convert` to `"L"`, `"RGB"` and `"RGBA"` (libImaging/Convert.c, and the
/// transparency handling of `Image.convert` in Image.py), byte for byte, from every mode a JPEG
/// or PNG opens in. Verified against Pillow 13 (Tests/ImageIOTests/Fixtures/make_mode_fixtures.py
/// generates the expectations).
enum _ColorConversion {
    /// `keras.utils.load_img`'s conversion step for `mode`. Keras converts only when the source
    /// mode differs, but Pillow's conversion of a mode to itself is the identity, so the result
    /// is the same.
    /// - Throws: ``ImageIOError/corrupt(path:format:detail:)`` for a palette PNG whose tRNS
    ///   Pillow cannot apply, when converting it to RGBA.
    static func convert(_ source: _PillowSource, to mode: ColorMode, path: String) throws -> Image {
        let samples: [UInt8]
        switch mode {
        case .grayscale: samples = grey(source)
        case .rgb: samples = rgb(source)
        case .rgba: samples = try rgba(source, path: path)
        }
        return Image(uncheckedWidth: source.width, height: source.height, mode: mode, pixels: samples)
    }

    // MARK: To L

    /// Convert.c's `L24`: ITU-R 601-2 luma in 16-bit fixed point, rounded.
    @inline(__always)
    static func luma(_ red: UInt8, _ green: UInt8, _ blue: UInt8) -> UInt8 {
        UInt8(truncatingIfNeeded: (Int(red) * 19595 + Int(green) * 38470 + Int(blue) * 7471 + 0x8000) >> 16)
    }

    private static func grey(_ source: _PillowSource) -> [UInt8] {
        let input = source.samples
        switch source.mode {
        case .grey:
            return input
        case .greyAlpha:  // la2l: the alpha is dropped
            return stride(from: 0, to: input.count, by: 2).map { input[$0] }
        case let .palette(colours, _):  // p2l: L24 of the palette entry
            let table = (0..<256).map { luma(colours[3 * $0], colours[3 * $0 + 1], colours[3 * $0 + 2]) }
            return input.map { table[Int($0)] }
        case .rgb:
            return stride(from: 0, to: input.count, by: 3).map { luma(input[$0], input[$0 + 1], input[$0 + 2]) }
        case .rgba:  // rgba2l ignores the alpha
            return stride(from: 0, to: input.count, by: 4).map { luma(input[$0], input[$0 + 1], input[$0 + 2]) }
        case .invertedCMYK:
            // Convert.c has no CMYK → L; Image.convert goes through the base mode, RGB.
            let colour = invertedCMYKToRGB(input)
            return stride(from: 0, to: colour.count, by: 3).map { luma(colour[$0], colour[$0 + 1], colour[$0 + 2]) }
        }
    }

    // MARK: To RGB

    private static func rgb(_ source: _PillowSource) -> [UInt8] {
        let input = source.samples
        switch source.mode {
        case .grey:  // l2rgb: R = G = B = L
            return expand(input, from: 1, to: 3) { input, i, out, o in
                out[o] = input[i]; out[o + 1] = input[i]; out[o + 2] = input[i]
            }
        case .greyAlpha:  // la2rgb: the alpha is dropped, not composited
            return expand(input, from: 2, to: 3) { input, i, out, o in
                out[o] = input[i]; out[o + 1] = input[i]; out[o + 2] = input[i]
            }
        case let .palette(colours, _):  // p2rgb; indices past PLTE give black (zero padding)
            return expand(input, from: 1, to: 3) { input, i, out, o in
                let entry = Int(input[i]) * 3
                out[o] = colours[entry]; out[o + 1] = colours[entry + 1]; out[o + 2] = colours[entry + 2]
            }
        case .rgb:
            return input
        case .rgba:  // rgba2rgb: the alpha is dropped, not composited
            return expand(input, from: 4, to: 3) { input, i, out, o in
                out[o] = input[i]; out[o + 1] = input[i + 1]; out[o + 2] = input[i + 2]
            }
        case .invertedCMYK:
            return invertedCMYKToRGB(input)
        }
    }

    // MARK: To RGBA

    private static func rgba(_ source: _PillowSource, path: String) throws -> [UInt8] {
        let input = source.samples
        switch source.mode {
        case let .grey(transparent):
            // l2rgba, then (with tRNS) `convert_transparent`: alpha 0 where the grey equals the
            // tRNS value's low byte, which is all Convert.c's packed comparison looks at.
            return expand(input, from: 1, to: 4) { input, i, out, o in
                let value = input[i]
                out[o] = value; out[o + 1] = value; out[o + 2] = value
                out[o + 3] = value == transparent ? 0 : 255
            }
        case .greyAlpha:  // la2rgba
            return expand(input, from: 2, to: 4) { input, i, out, o in
                out[o] = input[i]; out[o + 1] = input[i]; out[o + 2] = input[i]; out[o + 3] = input[i + 1]
            }
        case let .palette(colours, alphas):
            let alpha: [UInt8]
            switch alphas {
            case let .table(table):
                alpha = table
            case let .outOfRange(entries):
                throw ImageIOError.corrupt(path: path, format: .png,
                                           detail: "tRNS: \(entries) palette alphas for 256 entries; Pillow cannot convert it to RGBA")
            }
            return expand(input, from: 1, to: 4) { input, i, out, o in
                let index = Int(input[i])
                let entry = index * 3
                out[o] = colours[entry]; out[o + 1] = colours[entry + 1]; out[o + 2] = colours[entry + 2]
                out[o + 3] = alpha[index]
            }
        case let .rgb(transparent):  // rgb2rgba, then convert_transparent as for grey
            return expand(input, from: 3, to: 4) { input, i, out, o in
                let red = input[i], green = input[i + 1], blue = input[i + 2]
                out[o] = red; out[o + 1] = green; out[o + 2] = blue
                if let transparent, red == transparent.red, green == transparent.green, blue == transparent.blue {
                    out[o + 3] = 0
                } else {
                    out[o + 3] = 255
                }
            }
        case .rgba:
            return input
        case .invertedCMYK:  // cmyk2rgba: opaque
            let colour = invertedCMYKToRGB(input)
            return expand(colour, from: 3, to: 4) { input, i, out, o in
                out[o] = input[i]; out[o + 1] = input[i + 1]; out[o + 2] = input[i + 2]; out[o + 3] = 255
            }
        }
    }

    // MARK: Helpers

    /// Maps every pixel of `from` bytes to one of `to` bytes; `body(input, i, output, o)` writes
    /// the pixel at input offset `i` to output offset `o`.
    @inline(__always)
    private static func expand(_ input: [UInt8], from: Int, to: Int,
                               _ body: (UnsafeBufferPointer<UInt8>, Int, UnsafeMutableBufferPointer<UInt8>, Int) -> Void) -> [UInt8] {
        let count = input.count / from
        return [UInt8](unsafeUninitializedCapacity: count * to) { output, initialized in
            input.withUnsafeBufferPointer { input in
                for pixel in 0..<count {
                    body(input, pixel * from, output, pixel * to)
                }
            }
            initialized = count * to
        }
    }

    /// Sub-8-bit grey to 8 bits the way Pillow's `1`, `L;2` and `L;4` unpackers do:
    /// v × 255 / (2^depth − 1), i.e. ×255, ×85, ×17.
    static func scaleToEightBits(_ samples: [UInt8], bitDepth: Int) -> [UInt8] {
        let factor: UInt8
        switch bitDepth {
        case 1: factor = 255
        case 2: factor = 85
        case 4: factor = 17
        default: return samples
        }
        let mask = UInt8((1 << bitDepth) - 1)
        return samples.map { ($0 & mask) &* factor }
    }

    /// Pillow's `CMYK;I` unpacking (each byte inverted) followed by `cmyk2rgb`:
    /// with nk = 255 − K, each of R, G, B = nk − MULDIV255(C, nk), where
    /// MULDIV255(a, b) = ((a·b + 128) >> 8 + a·b + 128) >> 8.
    static func invertedCMYKToRGB(_ samples: [UInt8]) -> [UInt8] {
        let count = samples.count / 4
        var rgb = [UInt8](repeating: 0, count: count * 3)
        for index in 0..<count {
            let k = Int(255 - samples[4 * index + 3])
            let nk = 255 - k
            for channel in 0..<3 {
                let c = Int(255 - samples[4 * index + channel])
                let t = c * nk + 128
                let value = nk - (((t >> 8) + t) >> 8)
                rgb[3 * index + channel] = UInt8(clamping: value)
            }
        }
        return rgb
    }
}
