/// Pixels as Pillow holds them right after `Image.open`, before `load_img` calls `convert`: the
/// PIL mode, its 8-bit samples (interleaved, row-major) and the PNG transparency Pillow keeps in
/// `info["transparency"]`. ``_ColorConversion`` turns it into an ``Image`` of any ``ColorMode``.
struct _PillowSource {
    /// Which Pillow mode `samples` are in.
    enum Mode {
        /// `"L"`, one sample per pixel. Also Pillow's `"1"` and the 2- and 4-bit grey PNGs, whose
        /// samples are already scaled to 0…255 here (Pillow's `1`, `L;2`, `L;4` unpackers).
        /// `transparent` is the grey value that converts to alpha 0 in RGBA (tRNS).
        case grey(transparent: UInt8?)
        /// `"LA"`: grey, alpha.
        case greyAlpha
        /// `"P"`: one palette index per pixel; `colours` holds 256 RGB triples (zero past the
        /// PLTE chunk, as Pillow pads it), `alphas` what tRNS gives them.
        case palette(colours: [UInt8], alphas: PaletteAlphas)
        /// `"RGB"`; `transparent` is the colour that converts to alpha 0 in RGBA (tRNS).
        case rgb(transparent: (red: UInt8, green: UInt8, blue: UInt8)?)
        /// `"RGBA"`, straight alpha.
        case rgba
        /// A 4-component JPEG as libjpeg returns it: Pillow reads every one as `"CMYK;I"`
        /// (Adobe's inverted CMYK), so its `"CMYK"` pixel is 255 minus each of these bytes.
        case invertedCMYK
    }

    /// The alpha of each palette entry once Pillow has applied tRNS (`putpalettealpha` /
    /// `putpalettealphas`, called only when converting to RGBA).
    enum PaletteAlphas {
        /// 256 alphas.
        case table([UInt8])
        /// A tRNS that Pillow's `convert("RGBA")` rejects ("palette index out of range"): more
        /// than 256 alphas, or a single transparent entry past index 255.
        case outOfRange(entries: Int)
    }

    var width: Int
    var height: Int
    var samples: [UInt8]
    var mode: Mode
}
