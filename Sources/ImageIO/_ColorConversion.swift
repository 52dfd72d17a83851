/// Pillow's conversions to `"RGB"` (libImaging/Convert.c, Unpack.c), byte for byte.
enum _ColorConversion {
    /// `L` → `RGB`: R = G = B = L.
    static func greyToRGB(_ grey: [UInt8]) -> [UInt8] {
        var rgb = [UInt8](repeating: 0, count: grey.count * 3)
        for (index, value) in grey.enumerated() {
            rgb[3 * index] = value
            rgb[3 * index + 1] = value
            rgb[3 * index + 2] = value
        }
        return rgb
    }

    /// `LA` → `RGB`: the alpha is dropped, not composited.
    static func greyAlphaToRGB(_ samples: [UInt8]) -> [UInt8] {
        let count = samples.count / 2
        var rgb = [UInt8](repeating: 0, count: count * 3)
        for index in 0..<count {
            let value = samples[2 * index]
            rgb[3 * index] = value
            rgb[3 * index + 1] = value
            rgb[3 * index + 2] = value
        }
        return rgb
    }

    /// `RGBA` → `RGB`: the alpha is dropped, not composited.
    static func rgbaToRGB(_ samples: [UInt8]) -> [UInt8] {
        let count = samples.count / 4
        var rgb = [UInt8](repeating: 0, count: count * 3)
        for index in 0..<count {
            rgb[3 * index] = samples[4 * index]
            rgb[3 * index + 1] = samples[4 * index + 1]
            rgb[3 * index + 2] = samples[4 * index + 2]
        }
        return rgb
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

    /// `P` → `RGB`: `palette` holds RGB triples; indices past its end map to black, because
    /// Pillow's palette is zero-filled to 256 entries.
    static func paletteToRGB(_ indices: [UInt8], palette: [UInt8]) -> [UInt8] {
        var table = [UInt8](repeating: 0, count: 256 * 3)
        table.replaceSubrange(0..<min(palette.count, table.count), with: palette.prefix(table.count))
        var rgb = [UInt8](repeating: 0, count: indices.count * 3)
        for (index, entry) in indices.enumerated() {
            let offset = Int(entry) * 3
            rgb[3 * index] = table[offset]
            rgb[3 * index + 1] = table[offset + 1]
            rgb[3 * index + 2] = table[offset + 2]
        }
        return rgb
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
