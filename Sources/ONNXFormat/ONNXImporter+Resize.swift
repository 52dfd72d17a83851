import ModelIR
import ONNXProto

/// ONNX Resize (opset 10, 11–13, 18–19) and Upsample (7, 9) → IR `resize`. Scales and sizes known
/// at import become attributes; `roi` is kept only for `tf_crop_and_resize`, the one mode that
/// reads it.
extension ONNXImporter {
    func importResize(_ ctx: _NodeContext) throws -> Node {
        let a = ctx.attributes
        if ctx.op == "Upsample" || ctx.opset < 11 {
            // Upsample and Resize-10: [X, scales] (Upsample-7: a `scales` attribute), output size
            // floor(input · scale), asymmetric coordinates.
            if ctx.op == "Upsample", ctx.opset < 7 { throw _Carry("Upsample before opset 7 is not interpreted") }
            try ctx.arity(1...2)
            try a.allow(["mode", "scales"])
            let mode = try a.choice("mode", ["nearest", "linear", "bilinear"], default: "nearest")
            var attributes = ResizeAttributes(mode: mode == "nearest" ? .nearest : .linear, coordinateTransformation: .asymmetric,
                                              nearestMode: .floor)
            var operand = ctx.input(1)
            if let scales = try a.floats("scales") {
                attributes.scales = scales
            } else if let v = ctx.value(1) {
                attributes.scales = v.floats
                operand = ""
            } else if operand.isEmpty {
                throw ctx.error("needs scales")
            }
            return ctx.node(.tensor(.resize(attributes)), [ctx.input(0), "", operand])
        }
        try ctx.arity(1...4)
        try a.allow(["mode", "coordinate_transformation_mode", "nearest_mode", "cubic_coeff_a", "exclude_outside", "extrapolation_value",
                     "antialias", "axes", "keep_aspect_ratio_policy"])
        let mode = try a.choice("mode", ["nearest", "linear", "cubic"], default: "nearest")
        let transformation = try a.choice("coordinate_transformation_mode",
                                          ["half_pixel", "half_pixel_symmetric", "pytorch_half_pixel", "align_corners", "asymmetric",
                                           "tf_half_pixel_for_nn", "tf_crop_and_resize"], default: "half_pixel")
        let nearest = try a.choice("nearest_mode", ["round_prefer_floor", "round_prefer_ceil", "floor", "ceil"], default: "round_prefer_floor")
        let policy = try a.choice("keep_aspect_ratio_policy", ["stretch", "not_larger", "not_smaller"], default: "stretch")
        var attributes = ResizeAttributes(
            mode: ResizeMode(rawValue: mode) ?? .nearest,
            coordinateTransformation: CoordinateTransformation(rawValue: transformation) ?? .halfPixel,
            nearestMode: NearestMode(rawValue: nearest) ?? .roundPreferFloor,
            cubicCoefficient: try a.float("cubic_coeff_a", default: -0.75),
            excludeOutside: try a.bool("exclude_outside", default: false),
            extrapolationValue: try a.float("extrapolation_value", default: 0),
            axes: try a.ints("axes"), keepAspectRatioPolicy: policy, antialias: try a.bool("antialias", default: false))
        // An empty scales or sizes tensor means "not given" (Resize-11 needs a placeholder).
        var scales = ctx.input(2), sizes = ctx.input(3)
        if let v = ctx.value(2) {
            if v.elementCount ?? 0 > 0 {
                guard v.dtype.isFloatingPoint else { throw ctx.error("scales must be floating point, not \(v.dtype)") }
                attributes.scales = v.floats
            }
            scales = ""
        }
        if let v = ctx.value(3) {
            if v.elementCount ?? 0 > 0 {
                guard v.dtype.isInteger else { throw ctx.error("sizes must be integers, not \(v.dtype)") }
                attributes.sizes = v.integers.map { Int(clamping: $0) }
            }
            sizes = ""
        }
        if attributes.scales == nil, attributes.sizes == nil, scales.isEmpty, sizes.isEmpty { throw ctx.error("needs scales or sizes") }
        let roi = attributes.coordinateTransformation == .tfCropAndResize ? ctx.input(1) : ""
        return ctx.node(.tensor(.resize(attributes)), [ctx.input(0), roi, scales, sizes])
    }
}
