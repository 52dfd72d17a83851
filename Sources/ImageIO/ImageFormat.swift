/// The image container formats ImageIO decodes, detected from content, never from the name.
public enum ImageFormat: String, Sendable, CustomStringConvertible {
    case jpeg = "JPEG"
    case png = "PNG"

    public var description: String { rawValue }

    /// Identifies the format from the first bytes: JPEG's SOI marker followed by another
    /// marker (`FF D8 FF`), or the 8-byte PNG signature. Returns `nil` otherwise.
    public static func detect(_ bytes: UnsafeRawBufferPointer) -> ImageFormat? {
        if bytes.count >= 3, bytes[0] == 0xFF, bytes[1] == 0xD8, bytes[2] == 0xFF {
            return .jpeg
        }
        let signature: [UInt8] = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]
        if bytes.count >= signature.count, bytes.prefix(signature.count).elementsEqual(signature) {
            return .png
        }
        return nil
    }
}
