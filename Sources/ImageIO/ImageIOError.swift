#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Everything that can go wrong loading, decoding, resizing or preprocessing images.
/// Decoding errors carry the file path (or `<memory>` for in-memory bytes) and describe
/// themselves in one line, e.g. `chelsea.jpg: truncated JPEG data`.
public enum ImageIOError: Error, Equatable, Sendable, CustomStringConvertible {
    /// A system call failed: `operation` is what we tried ("open", "read" …).
    case io(path: String, operation: String, errno: Int32)
    case emptyFile(path: String)
    /// Neither the JPEG nor the PNG signature.
    case unknownFormat(path: String)
    /// The data ends before the image does.
    case truncated(path: String, format: ImageFormat)
    /// The decoder rejected the data; `detail` is its message (e.g. "IDAT: CRC error").
    case corrupt(path: String, format: ImageFormat, detail: String)
    /// A valid image we deliberately do not handle, e.g. "16-bit PNG is not supported".
    case unsupported(path: String, detail: String)
    /// Width × height exceeds ``DecodeLimits/maxPixels``.
    case tooManyPixels(path: String, width: Int, height: Int, limit: Int)
    /// The file exceeds ``DecodeLimits/maxFileBytes``.
    case fileTooLarge(path: String, bytes: Int, limit: Int)
    /// An ``Image`` whose pixel buffer does not hold width × height × channels bytes.
    case invalidPixelBuffer(width: Int, height: Int, mode: ColorMode, byteCount: Int)
    /// A resize target with a non-positive side.
    case invalidTargetSize(height: Int, width: Int)
    /// Images of different sizes cannot form one NHWC batch.
    case batchSizeMismatch(index: Int, height: Int, width: Int, expectedHeight: Int, expectedWidth: Int)
    /// Images of different colour modes cannot form one NHWC batch.
    case batchModeMismatch(index: Int, mode: ColorMode, expectedMode: ColorMode)
    /// A `preprocess_input` mode that Keras does not define for images of this colour mode
    /// (caffe and torch index channels 0 to 2, so Keras fails on one channel).
    case unsupportedPreprocessing(mode: PreprocessMode, colorMode: ColorMode)
    /// An output buffer of the wrong length.
    case outputSizeMismatch(expected: Int, actual: Int)
    /// A rescale factor string that is not a finite non-zero number or fraction.
    case invalidRescale(text: String, reason: String)

    public var description: String {
        switch self {
        case let .io(path, operation, code):
            return "\(path): cannot \(operation): \(Self.errnoText(code))"
        case let .emptyFile(path):
            return "\(path): empty file"
        case let .unknownFormat(path):
            return "\(path): not a JPEG or PNG image"
        case let .truncated(path, format):
            return "\(path): truncated \(format) data"
        case let .corrupt(path, format, detail):
            return "\(path): corrupt \(format) data (\(detail))"
        case let .unsupported(path, detail):
            return "\(path): \(detail)"
        case let .tooManyPixels(path, width, height, limit):
            return "\(path): image of \(width)x\(height) pixels exceeds the limit of \(limit) pixels"
        case let .fileTooLarge(path, bytes, limit):
            return "\(path): file of \(bytes) bytes exceeds the limit of \(limit) bytes"
        case let .invalidPixelBuffer(width, height, mode, byteCount):
            let (area, overflow1) = width.multipliedReportingOverflow(by: height)
            let (needed, overflow2) = area.multipliedReportingOverflow(by: mode.channels)
            guard width >= 0, height >= 0, !overflow1, !overflow2 else {
                return "invalid image size \(width)x\(height) (\(byteCount) bytes of \(mode) pixels)"
            }
            return "a \(width)x\(height) \(mode) image needs \(needed) bytes, got \(byteCount)"
        case let .invalidTargetSize(height, width):
            return "invalid target size \(height)x\(width) (height x width must both be positive)"
        case let .batchSizeMismatch(index, height, width, expectedHeight, expectedWidth):
            return "image \(index) is \(height)x\(width), but the batch is \(expectedHeight)x\(expectedWidth) (height x width); resize first"
        case let .batchModeMismatch(index, mode, expectedMode):
            return "image \(index) is \(mode), but the batch is \(expectedMode); load every image in one color mode"
        case let .unsupportedPreprocessing(mode, colorMode):
            return "\(mode.rawValue) preprocessing is not defined for \(colorMode) images (\(colorMode.channels) channel\(colorMode.channels == 1 ? "" : "s"); Keras's preprocess_input needs 3 or more); use tf, none or a rescale"
        case let .outputSizeMismatch(expected, actual):
            return "output buffer holds \(actual) floats, \(expected) needed"
        case let .invalidRescale(text, reason):
            return "invalid rescale factor '\(text)': \(reason)"
        }
    }

    private static func errnoText(_ code: Int32) -> String {
        guard let text = strerror(code) else { return "errno \(code)" }
        return String(cString: text)
    }
}
