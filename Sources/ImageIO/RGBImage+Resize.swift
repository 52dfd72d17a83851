/// How ``RGBImage/resized(height:width:method:)`` samples, named as in
/// `keras.utils.load_img(..., interpolation=...)`.
public enum ResizeMethod: String, Sendable, CaseIterable {
    /// Pillow's `Image.NEAREST` (Keras's default): each output pixel copies the source pixel
    /// under its centre.
    case nearest
    /// Pillow's `Image.BILINEAR`: a triangle filter whose support widens with the downscale
    /// factor (so shrinking antialiases), applied in two separable fixed-point passes, in the
    /// order Pillow 13 picks.
    case bilinear
}

extension RGBImage {
    /// Resizes to `height × width` exactly as Pillow's `Image.resize((width, height), filter)`
    /// does for an `"RGB"` image, which is what `keras.utils.load_img(path,
    /// target_size=(height, width), interpolation=...)` calls. An image already of that size is
    /// returned unchanged (Keras does not call `resize` then).
    /// - Throws: ``ImageIOError/invalidTargetSize(height:width:)`` unless both sides are positive,
    ///   ``ImageIOError/invalidPixelBuffer(width:height:byteCount:)`` for an empty source.
    public func resized(height outHeight: Int, width outWidth: Int, method: ResizeMethod) throws -> RGBImage {
        guard outHeight > 0, outWidth > 0,
              case let (area, overflow) = outHeight.multipliedReportingOverflow(by: outWidth), !overflow,
              area <= Int.max / 3
        else {
            throw ImageIOError.invalidTargetSize(height: outHeight, width: outWidth)
        }
        if outHeight == height, outWidth == width { return self }
        guard width > 0, height > 0 else {
            throw ImageIOError.invalidPixelBuffer(width: width, height: height, byteCount: pixels.count)
        }
        switch method {
        case .nearest:
            return _PillowResample.nearest(self, outWidth: outWidth, outHeight: outHeight)
        case .bilinear:
            return _PillowResample.bilinear(self, outWidth: outWidth, outHeight: outHeight)
        }
    }
}
