/// Spatial padding of a window operation (convolution, pooling), per spatial axis.
///
/// `same` is TensorFlow's SAME and ONNX's `SAME_UPPER`: output = ceil(input / stride), the odd
/// pixel of padding at the end; `sameLower` puts it at the beginning. Both stay symbolic so a
/// conv base runs at any input size; `resolve` gives explicit pads for a given input.
public enum Padding: Sendable, Equatable {
    case valid
    case same
    case sameLower
    /// Pads before and after each spatial axis, outermost axis first.
    case explicit(begin: [Int], end: [Int])

    /// Explicit pads for spatial `sizes`, with the window's kernel, strides and dilations.
    public func resolve(sizes: [Int], kernel: [Int], strides: [Int], dilations: [Int]) -> (begin: [Int], end: [Int]) {
        switch self {
        case .valid:
            return ([Int](repeating: 0, count: sizes.count), [Int](repeating: 0, count: sizes.count))
        case let .explicit(begin, end):
            return (begin, end)
        case .same, .sameLower:
            var begin: [Int] = [], end: [Int] = []
            for i in sizes.indices {
                let effective = (kernel[i] - 1) * dilations[i] + 1
                let out = (sizes[i] + strides[i] - 1) / strides[i]
                let total = max((out - 1) * strides[i] + effective - sizes[i], 0)
                let small = total / 2
                if self == .same { begin.append(small); end.append(total - small) } else { begin.append(total - small); end.append(small) }
            }
            return (begin, end)
        }
    }

    /// Whether no padding is ever added (valid, or explicit zeros).
    public var isZero: Bool {
        switch self {
        case .valid: true
        case let .explicit(begin, end): begin.allSatisfy { $0 == 0 } && end.allSatisfy { $0 == 0 }
        case .same, .sameLower: false
        }
    }

    /// Explicit zeros of a rank become `.valid`; everything else is kept.
    public var normalized: Padding { isZero ? .valid : self }
}

extension Padding: Codable {
    private enum Keys: String, CodingKey { case valid, same, sameLower, explicit }
    private enum ExplicitKeys: String, CodingKey { case begin, end, top, bottom, left, right }

    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: Keys.self)
        if c.contains(.same) { self = .same; return }
        if c.contains(.sameLower) { self = .sameLower; return }
        if c.contains(.valid) { self = .valid; return }
        let e = try c.nestedContainer(keyedBy: ExplicitKeys.self, forKey: .explicit)
        if e.contains(.begin) {
            self = Padding.explicit(begin: try e.decode([Int].self, forKey: .begin), end: try e.decode([Int].self, forKey: .end)).normalized
        } else {
            // Format 1.0 wrote 2-D padding as top/bottom/left/right.
            let top = try e.decode(Int.self, forKey: .top), bottom = try e.decode(Int.self, forKey: .bottom)
            let left = try e.decode(Int.self, forKey: .left), right = try e.decode(Int.self, forKey: .right)
            self = Padding.explicit(begin: [top, left], end: [bottom, right]).normalized
        }
    }

    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: Keys.self)
        switch self {
        case .valid: _ = c.nestedContainer(keyedBy: ExplicitKeys.self, forKey: .valid)
        case .same: _ = c.nestedContainer(keyedBy: ExplicitKeys.self, forKey: .same)
        case .sameLower: _ = c.nestedContainer(keyedBy: ExplicitKeys.self, forKey: .sameLower)
        case let .explicit(begin, end):
            var e = c.nestedContainer(keyedBy: ExplicitKeys.self, forKey: .explicit)
            try e.encode(begin, forKey: .begin)
            try e.encode(end, forKey: .end)
        }
    }
}
