import ArgumentParser
import WTool

/// Options that turn image files into a model input, as Keras's load_img + preprocess_input do.
struct ImageOptions: ParsableArguments {
    @Option(name: .long, help: "Preprocessing: caffe (VGG, ResNet), tf (MobileNet, Inception, Xception), torch or none. Default: what the model's architecture uses, else none.")
    var preprocess: String?

    @Option(name: .long, help: "Multiply pixels by F after preprocessing, like ImageDataGenerator(rescale=F); accepts 1/255.")
    var rescale: String?

    @Option(name: .long, help: "Resize images to H,W (default: the model's input size).")
    var size: String?

    @Option(name: .long, help: "Resize sampling: nearest (Keras's default) or bilinear.")
    var resize: String = "nearest"

    func validate() throws {
        if let preprocess, PreprocessMode(rawValue: preprocess) == nil {
            throw ValidationError("--preprocess must be caffe, tf, torch or none")
        }
        if let rescale, (try? Preprocessing.parseRescale(rescale)) == nil {
            throw ValidationError("--rescale must be a number or a fraction such as 1/255")
        }
        if let size, parsedSize(size) == nil {
            throw ValidationError("--size must be H,W with each side 1 to 16384, e.g. 150,150")
        }
        if ResizeMethod(rawValue: resize) == nil { throw ValidationError("--resize must be nearest or bilinear") }
    }

    private func parsedSize(_ text: String) -> (height: Int, width: Int)? {
        let parts = text.split(separator: ",").compactMap { Int($0.trimmingCharacters(in: .whitespaces)) }
        guard parts.count == 2, parts.allSatisfy({ $0 > 0 && $0 <= 16384 }) else { return nil }
        return (parts[0], parts[1])
    }

    /// The request these options make; what they leave unset comes from the model.
    var request: ImageInputRequest {
        ImageInputRequest(size: size.flatMap(parsedSize), resize: ResizeMethod(rawValue: resize) ?? .nearest,
                          preprocess: preprocess, rescale: rescale)
    }
}
