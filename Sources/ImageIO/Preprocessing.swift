/// The input normalisations of `keras.applications.imagenet_utils.preprocess_input`.
///
/// Keras defines them on the last axis of any array; for 3-channel RGB they are the ImageNet
/// normalisations below. On 4 channels (RGBA) caffe and torch do exactly what Keras computes,
/// which is meaningless but what a model trained through `preprocess_input` saw: caffe reverses
/// all four channels (A, B, G, R) and subtracts the means from the first three, torch divides all
/// four by 255 and normalises the first three. On 1 channel Keras fails (it indexes channels 1
/// and 2), so ``Preprocessing`` refuses caffe and torch for grayscale. tf and none work for any.
public enum PreprocessMode: String, Sendable, CaseIterable {
    /// VGG16/VGG19/ResNet50: RGB → BGR, then subtract the ImageNet mean
    /// [103.939, 116.779, 123.68] (in BGR order); no scaling.
    case caffe
    /// MobileNet/Inception/Xception: x / 127.5 − 1, to [−1, 1].
    case tf
    /// DenseNet: x / 255, then subtract [0.485, 0.456, 0.406] and divide by
    /// [0.229, 0.224, 0.225] per RGB channel.
    case torch
    /// Pixels as floats, 0…255.
    case none
}

/// Turns ``Image``s into the float32 NHWC batch a Keras model sees: what
/// `img_to_array` (cast to float32) + `preprocess_input(x, mode=...)` produce, then, if set, the
/// `rescale` of `ImageDataGenerator(rescale=...)` (applied after any preprocessing function, as
/// `ImageDataGenerator.standardize` does). The channel axis is the image's: 1 for grayscale, 3
/// for RGB, 4 for RGBA.
///
/// Every step is the same float32 operation, in the same order, as NumPy performs on Keras's
/// float32 array, so results are bit-identical: the constants are Python floats (doubles)
/// rounded to float32 (NumPy's weak-scalar rule), e.g. caffe computes `Float(b) − Float(103.939)`,
/// tf `Float(x) / 127.5 − 1`, torch `(Float(x) / 255 − Float(0.485)) / Float(0.229)`, and rescale
/// `x × Float(rescale)`.
public struct Preprocessing: Sendable, Equatable {
    public var mode: PreprocessMode
    /// Multiplier applied last; `nil` for none.
    public var rescale: Float?

    public init(mode: PreprocessMode = .none, rescale: Float? = nil) {
        self.mode = mode
        self.rescale = rescale
    }

    // Python float literals → float32, exactly as NumPy casts them (decimal → double → float).
    private static let caffeMeanBGR: [Float] = [Float(103.939 as Double), Float(116.779 as Double), Float(123.68 as Double)]
    private static let torchMean: [Float] = [Float(0.485 as Double), Float(0.456 as Double), Float(0.406 as Double)]
    private static let torchStd: [Float] = [Float(0.229 as Double), Float(0.224 as Double), Float(0.225 as Double)]

    /// Checks that Keras defines this mode for images of `colorMode`.
    /// - Throws: ``ImageIOError/unsupportedPreprocessing(mode:colorMode:)`` for caffe or torch
    ///   on grayscale (Keras's `preprocess_input` raises an IndexError there).
    public func validate(for colorMode: ColorMode) throws {
        if colorMode.channels < 3, mode == .caffe || mode == .torch {
            throw ImageIOError.unsupportedPreprocessing(mode: mode, colorMode: colorMode)
        }
    }

    /// Writes one image as float32 HWC (`height × width × channels`; caffe reverses the channel
    /// order, giving BGR for RGB) into `output`.
    /// - Throws: ``ImageIOError/unsupportedPreprocessing(mode:colorMode:)`` (see
    ///   ``validate(for:)``), ``ImageIOError/outputSizeMismatch(expected:actual:)`` unless
    ///   `output.count` is exactly `height × width × channels`.
    public func apply(to image: Image, into output: UnsafeMutableBufferPointer<Float>) throws {
        try validate(for: image.mode)
        let count = image.pixels.count
        guard output.count == count else {
            throw ImageIOError.outputSizeMismatch(expected: count, actual: output.count)
        }
        let channels = image.channels
        image.pixels.withUnsafeBufferPointer { pixels in
            switch mode {
            case .caffe:
                // x[..., ::-1], then x[..., c] -= mean[c] for c < 3.
                for pixel in stride(from: 0, to: count, by: channels) {
                    for channel in 0..<channels {
                        let value = Float(pixels[pixel + channels - 1 - channel])
                        output[pixel + channel] = channel < 3 ? value - Self.caffeMeanBGR[channel] : value
                    }
                }
            case .tf:
                for index in 0..<count {
                    output[index] = Float(pixels[index]) / 127.5 - 1
                }
            case .torch:
                // x /= 255, then (x[..., c] - mean[c]) / std[c] for c < 3.
                for pixel in stride(from: 0, to: count, by: channels) {
                    for channel in 0..<channels {
                        let value = Float(pixels[pixel + channel]) / 255
                        output[pixel + channel] = channel < 3 ? (value - Self.torchMean[channel]) / Self.torchStd[channel] : value
                    }
                }
            case .none:
                for index in 0..<count {
                    output[index] = Float(pixels[index])
                }
            }
        }
        if let rescale {
            for index in 0..<count {
                output[index] *= rescale
            }
        }
    }

    /// Preprocesses equally sized images of one colour mode into one NHWC batch
    /// (`images.count × height × width × channels`, image-major).
    /// - Throws: ``ImageIOError/batchSizeMismatch(index:height:width:expectedHeight:expectedWidth:)``
    ///   if the images differ in size, ``ImageIOError/batchModeMismatch(index:mode:expectedMode:)``
    ///   if they differ in mode, ``ImageIOError/unsupportedPreprocessing(mode:colorMode:)``.
    public func batch(_ images: [Image]) throws -> [Float] {
        guard let first = images.first else { return [] }
        for (index, image) in images.enumerated() {
            if image.width != first.width || image.height != first.height {
                throw ImageIOError.batchSizeMismatch(index: index, height: image.height, width: image.width,
                                                     expectedHeight: first.height, expectedWidth: first.width)
            }
            if image.mode != first.mode {
                throw ImageIOError.batchModeMismatch(index: index, mode: image.mode, expectedMode: first.mode)
            }
        }
        try validate(for: first.mode)
        let perImage = first.pixels.count
        let (total, overflow) = perImage.multipliedReportingOverflow(by: images.count)
        guard !overflow else {
            throw ImageIOError.outputSizeMismatch(expected: Int.max, actual: 0)
        }
        var result = [Float](repeating: 0, count: total)
        try result.withUnsafeMutableBufferPointer { buffer in
            for (index, image) in images.enumerated() {
                let slice = UnsafeMutableBufferPointer(rebasing: buffer[(index * perImage)..<((index + 1) * perImage)])
                try apply(to: image, into: slice)
            }
        }
        return result
    }

    /// Parses a rescale factor the way users write it for Keras: a decimal number
    /// (`0.00392156862745098`, `1e-3`, `.5`, `2.`) or a quotient of two (`1/255`, `1./255`,
    /// `1.0/255.0`), evaluated in double precision like Python's `1./255`, then rounded to
    /// float32 as NumPy does when multiplying a float32 array by it.
    /// - Throws: ``ImageIOError/invalidRescale(text:reason:)`` for anything else, for zero
    ///   (Keras treats `rescale=0` as "no rescaling"; omit it instead) and for values that are
    ///   not finite or vanish in float32.
    public static func parseRescale(_ text: String) throws -> Float {
        let trimmed = text.drop { $0 == " " }.reversed().drop { $0 == " " }.reversed()
        let parts = String(trimmed).split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count == 1 || parts.count == 2 else {
            throw ImageIOError.invalidRescale(text: text, reason: "expected a number or a fraction like 1/255")
        }
        var value = try number(parts[0], in: text)
        if parts.count == 2 {
            let denominator = try number(parts[1], in: text)
            guard denominator != 0 else { throw ImageIOError.invalidRescale(text: text, reason: "division by zero") }
            value /= denominator
        }
        guard value.isFinite else { throw ImageIOError.invalidRescale(text: text, reason: "not finite") }
        guard value != 0 else {
            throw ImageIOError.invalidRescale(text: text, reason: "zero (Keras treats rescale=0 as no rescaling; omit it)")
        }
        let single = Float(value)
        guard single.isFinite, single != 0 else {
            throw ImageIOError.invalidRescale(text: text, reason: "out of float32 range")
        }
        return single
    }

    private static func number(_ part: Substring, in text: String) throws -> Double {
        let allowed = Set("0123456789.eE+-")
        guard !part.isEmpty, part.allSatisfy({ allowed.contains($0) }), part.contains(where: \.isNumber) else {
            throw ImageIOError.invalidRescale(text: text, reason: "'\(part)' is not a decimal number")
        }
        // Python accepts "1." and ".5"; make sure the conversion does too.
        var spelled = String(part)
        if spelled.hasPrefix(".") { spelled = "0" + spelled }
        if spelled.hasPrefix("-.") || spelled.hasPrefix("+.") { spelled.insert("0", at: spelled.index(after: spelled.startIndex)) }
        spelled = spelled.replacingDotBeforeExponent()
        guard let value = Double(spelled) else {
            throw ImageIOError.invalidRescale(text: text, reason: "'\(part)' is not a decimal number")
        }
        return value
    }
}

private extension String {
    /// "1." → "1.0", "1.e3" → "1.0e3".
    func replacingDotBeforeExponent() -> String {
        var result = ""
        let characters = Array(self)
        for (index, character) in characters.enumerated() {
            result.append(character)
            if character == ".", index + 1 == characters.count || characters[index + 1] == "e" || characters[index + 1] == "E" {
                result.append("0")
            }
        }
        return result
    }
}
