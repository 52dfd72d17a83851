/// How ``Image/resized(height:width:method:)`` samples, named as in
/// `keras.utils.load_img(..., interpolation=...)`.
public enum ResizeMethod: String, Sendable, CaseIterable {
    /// Pillow's `Image.NEAREST` (Keras's default): each output pixel copies the source pixel
    /// under its centre.
    case nearest
    /// Pillow's `Image.BILINEAR`: a triangle filter whose support widens with the downscale
    /// factor (so shrinking antialiases), applied in two separable fixed-point passes, in the
    /// order Pillow 13 picks. RGBA is filtered premultiplied, as Pillow does.
    case bilinear
}

extension Image {
    /// Resizes to `height × width` exactly as Pillow's `Image.resize((width, height), filter)`
    /// does for an image of this mode, which is what `keras.utils.load_img(path,
    /// target_size=(height, width), interpolation=...)` calls after converting. An image already
    /// of that size is returned unchanged (Keras does not call `resize` then).
    ///
    /// For bilinear RGBA, Pillow converts to `"RGBa"` (colour premultiplied by alpha with
    /// `MULDIV255`), resizes the four channels alike, and converts back (each colour
    /// `min(255, 255·c / alpha)`, truncated, unless alpha is 0 or 255); so does this.
    /// - Throws: ``ImageIOError/invalidTargetSize(height:width:)`` unless both sides are positive,
    ///   ``ImageIOError/invalidPixelBuffer(width:height:mode:byteCount:)`` for an empty source.
    public func resized(height outHeight: Int, width outWidth: Int, method: ResizeMethod) throws -> Image {
        guard outHeight > 0, outWidth > 0,
              case let (area, overflow) = outHeight.multipliedReportingOverflow(by: outWidth), !overflow,
              area <= Int.max / 4
        else {
            throw ImageIOError.invalidTargetSize(height: outHeight, width: outWidth)
        }
        if outHeight == height, outWidth == width { return self }
        guard width > 0, height > 0 else {
            throw ImageIOError.invalidPixelBuffer(width: width, height: height, mode: mode, byteCount: pixels.count)
        }
        switch method {
        case .nearest:
            return _PillowResample.nearest(self, outWidth: outWidth, outHeight: outHeight)
        case .bilinear where mode == .rgba:
            let premultiplied = Image(uncheckedWidth: width, height: height, mode: mode,
                                      pixels: _PillowResample.premultiplied(pixels))
            let resized = _PillowResample.bilinear(premultiplied, outWidth: outWidth, outHeight: outHeight)
            return Image(uncheckedWidth: outWidth, height: outHeight, mode: mode,
                         pixels: _PillowResample.unpremultiplied(resized.pixels))
        case .bilinear:
            return _PillowResample.bilinear(self, outWidth: outWidth, outHeight: outHeight)
        }
    }
}
