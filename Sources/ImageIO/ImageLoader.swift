import FileSupport
import Foundation

/// The file-level façade: `keras.utils.load_img(path, color_mode=..., target_size=(h, w),
/// interpolation=...)` plus `img_to_array` and `preprocess_input`, in Swift. Reading the file is
/// the only I/O; decoding and resizing work on bytes (``ImageDecoder``,
/// ``Image/resized(height:width:method:)``).
public enum ImageLoader {
    /// Loads an image as Keras's `load_img(path, color_mode=mode, target_size=size,
    /// interpolation=resize)` does: decode, convert to `mode` (Pillow's `convert`), then resize
    /// in that mode to `size` if given and different.
    /// - Parameters:
    ///   - url: a file URL; the format is detected from the content, not the extension.
    ///   - size: target `(height, width)`, or `nil` to keep the decoded size.
    ///   - resize: the sampling used when resizing (Keras's default is nearest).
    ///   - mode: grayscale (1 channel), rgb (3, Keras's default) or rgba (4).
    ///   - limits: caps on file size and pixel count.
    /// - Throws: ``ImageIOError`` naming the file.
    public static func load(url: URL, size: (height: Int, width: Int)? = nil, resize: ResizeMethod = .nearest,
                            mode: ColorMode = .rgb, limits: DecodeLimits = DecodeLimits()) throws -> Image {
        let path = url.path
        let bytes = try readFile(path: path, limit: limits.maxFileBytes)
        let image = try ImageDecoder.decode(bytes, path: path, mode: mode, limits: limits)
        guard let size else { return image }
        return try image.resized(height: size.height, width: size.width, method: resize)
    }

    /// Preprocesses equally sized images of one mode into a float32 NHWC batch; see ``Preprocessing``.
    public static func preprocess(images: [Image], mode: PreprocessMode, rescale: Float? = nil) throws -> [Float] {
        try Preprocessing(mode: mode, rescale: rescale).batch(images)
    }

    /// Reads a whole regular file, refusing files over `limit` bytes and empty ones.
    static func readFile(path: String, limit: Int) throws -> [UInt8] {
        let bytes: [UInt8]
        do {
            bytes = try RegularFile(path: path).readAll(limit: limit)
        } catch let error as FileError {
            switch error {
            case let .system(_, operation, code): throw ImageIOError.io(path: path, operation: operation.rawValue, errno: code)
            case .notRegularFile: throw ImageIOError.io(path: path, operation: "read", errno: EISDIR)
            case let .tooLarge(_, size, limit): throw ImageIOError.fileTooLarge(path: path, bytes: size, limit: limit)
            case .exists: throw ImageIOError.io(path: path, operation: "open", errno: EEXIST)
            }
        }
        guard !bytes.isEmpty else { throw ImageIOError.emptyFile(path: path) }
        return bytes
    }
}
