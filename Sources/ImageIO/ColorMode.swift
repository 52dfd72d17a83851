/// The pixel layouts ImageIO produces, named as `keras.utils.load_img(path, color_mode=...)`
/// names them; each is a Pillow mode.
public enum ColorMode: String, Sendable, CaseIterable, CustomStringConvertible {
    /// Pillow `"L"`: one 8-bit grey sample per pixel.
    case grayscale
    /// Pillow `"RGB"`: R, G, B.
    case rgb
    /// Pillow `"RGBA"`: R, G, B and a straight (not premultiplied) alpha.
    case rgba

    /// Samples per pixel: 1, 3 or 4.
    public var channels: Int {
        switch self {
        case .grayscale: 1
        case .rgb: 3
        case .rgba: 4
        }
    }

    /// The Pillow mode: `"L"`, `"RGB"` or `"RGBA"`.
    public var pillowMode: String {
        switch self {
        case .grayscale: "L"
        case .rgb: "RGB"
        case .rgba: "RGBA"
        }
    }

    /// The mode whose images have `channels` samples per pixel (a model input's last axis), or
    /// `nil` unless it is 1, 3 or 4.
    public init?(channels: Int) {
        switch channels {
        case 1: self = .grayscale
        case 3: self = .rgb
        case 4: self = .rgba
        default: return nil
        }
    }

    public var description: String { rawValue }
}
