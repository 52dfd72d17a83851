extension Graph {
    /// Shapes of every value (graph inputs and node outputs), batch axis included.
    ///
    /// - Parameter inputShapes: overrides for the graph inputs' shapes (e.g. running a conv base at
    ///   another image size); missing entries use the declared shapes.
    /// - Throws: `ModelIRError` naming the first node whose input or weights do not fit.
    public func inferShapes(inputShapes: [String: [Int]] = [:]) throws -> [String: [Int]] {
        var shapes: [String: [Int]] = [:]
        for input in inputs {
            let shape = inputShapes[input.name] ?? input.shape
            if let bad = shape.first(where: { $0 < -1 || $0 > ShapeInference.maxExtent }) {
                throw ModelIRError.invalidShape(tensor: input.name,
                    detail: "shape \(shape) has dimension \(bad); dimensions are -1 (unknown) or 0…2^60")
            }
            shapes[input.name] = shape
        }
        for node in nodes {
            var inShapes: [[Int]] = []
            for name in node.inputs {
                guard let s = shapes[name] else { throw ModelIRError.danglingInput(node: node.name, input: name) }
                // Outputs may outgrow the bound (filters, units and padding add up); the node that
                // reads one refuses it, so each node's arithmetic below works on bounded sizes.
                if let bad = s.first(where: { $0 > ShapeInference.maxExtent }) {
                    throw ModelIRError.shapeMismatch(node: node.name, detail: "input '\(name)' has shape \(s); dimension \(bad) is over 2^60")
                }
                inShapes.append(s)
            }
            var weightShapes: [[Int]] = []
            for w in node.weights {
                guard let weight = weights[w] else { throw ModelIRError.missingWeight(node: node.name, weight: w) }
                weightShapes.append(weight.info.shape)
            }
            let out = try ShapeInference.outputShape(of: node, inputs: inShapes, weights: weightShapes)
            for name in node.outputs { shapes[name] = out }
        }
        return shapes
    }
}

/// Output shapes per op, with the weight-shape checks that make a binding strict.
public enum ShapeInference {
    /// The largest dimension, window size, stride, dilation, padding and effective window
    /// (`(kernel − 1) · dilation + 1`) shape inference accepts: 2⁶⁰. Far past any real model, and
    /// small enough that the sums below, and the runtime's window arithmetic on them, cannot
    /// overflow `Int`: a hostile file gets an error, never a trap.
    public static let maxExtent = 1 << 60

    /// `(kernel − 1) · dilation + 1`, or nil when it would exceed `maxExtent`.
    static func effectiveWindow(kernel: Int, dilation: Int) -> Int? {
        let (span, overflow) = (kernel - 1).multipliedReportingOverflow(by: dilation)
        guard !overflow, span < maxExtent else { return nil }
        return span + 1
    }

    /// Output size of one spatial axis of a window op.
    public static func windowOutput(_ size: Int, kernel: Int, stride: Int, dilation: Int, padBefore: Int, padAfter: Int) -> Int {
        guard size >= 0 else { return -1 }
        let effective = (kernel - 1) * dilation + 1
        let span = size + padBefore + padAfter - effective
        return span < 0 ? 0 : span / stride + 1
    }

    static func spatial(_ node: Node, _ input: [Int], kernel: [Int], strides: [Int], dilations: [Int],
                        padding: Padding2D) throws -> (Int, Int) {
        guard input.count == 4 else { throw ModelIRError.inputRankMismatch(node: node.name, expected: 4, actual: input) }
        guard kernel.count == 2, strides.count == 2, dilations.count == 2,
              (kernel + strides + dilations).allSatisfy({ $0 > 0 && $0 <= maxExtent })
        else { throw ModelIRError.invalidAttribute(node: node.name, detail: "kernel, strides and dilations must be two integers in 1…2^60") }
        // Checked whatever the input size: the runtime resolves `same` padding per input later.
        guard effectiveWindow(kernel: kernel[0], dilation: dilations[0]) != nil,
              effectiveWindow(kernel: kernel[1], dilation: dilations[1]) != nil else {
            throw ModelIRError.invalidAttribute(node: node.name, detail: "the dilated window is over 2^60")
        }
        if case let .explicit(top, bottom, left, right) = padding, ![top, bottom, left, right].allSatisfy({ $0 <= maxExtent }) {
            throw ModelIRError.invalidAttribute(node: node.name, detail: "padding over 2^60")
        }
        let h = input[1], w = input[2]
        if h < 0 || w < 0 { return (-1, -1) }
        if case .same = padding {
            return ((h + strides[0] - 1) / strides[0], (w + strides[1] - 1) / strides[1])
        }
        let p = padding.resolve(height: h, width: w, kernel: (kernel[0], kernel[1]), stride: (strides[0], strides[1]),
                                dilation: (dilations[0], dilations[1]))
        guard p.top >= 0, p.bottom >= 0, p.left >= 0, p.right >= 0 else {
            throw ModelIRError.invalidAttribute(node: node.name, detail: "negative padding")
        }
        let oh = windowOutput(h, kernel: kernel[0], stride: strides[0], dilation: dilations[0], padBefore: p.top, padAfter: p.bottom)
        let ow = windowOutput(w, kernel: kernel[1], stride: strides[1], dilation: dilations[1], padBefore: p.left, padAfter: p.right)
        guard oh > 0, ow > 0 else {
            throw ModelIRError.shapeMismatch(node: node.name, detail: "input \(h)x\(w) is smaller than the \(kernel[0])x\(kernel[1]) window")
        }
        return (oh, ow)
    }

    static func expectWeights(_ node: Node, _ expected: [[Int]], _ actual: [[Int]]) throws {
        let roles = node.op.weightRoles
        guard actual.count == expected.count else {
            throw ModelIRError.weightCountMismatch(node: node.name, expected: roles, actual: actual.count)
        }
        for (i, (e, a)) in zip(expected, actual).enumerated() where e != a {
            throw ModelIRError.weightShapeMismatch(node: node.name, weight: i < roles.count ? roles[i] : node.weights[i], expected: e, actual: a)
        }
    }

    static func channels(_ node: Node, _ input: [Int]) throws -> Int {
        guard let c = input.last, c > 0 else {
            throw ModelIRError.shapeMismatch(node: node.name, detail: "the channel axis of input \(input) must be known")
        }
        return c
    }

    public static func outputShape(of node: Node, inputs: [[Int]], weights: [[Int]]) throws -> [Int] {
        func single() throws -> [Int] {
            guard inputs.count == 1 else {
                throw ModelIRError.shapeMismatch(node: node.name, detail: "takes 1 input, got \(inputs.count)")
            }
            return inputs[0]
        }
        switch node.op {
        case .conv2D(let a):
            let x = try single()
            let (oh, ow) = try spatial(node, x, kernel: a.kernelSize, strides: a.strides, dilations: a.dilations, padding: a.padding)
            let c = try channels(node, x)
            guard a.groups > 0, c % a.groups == 0, a.filters % a.groups == 0 else {
                throw ModelIRError.invalidAttribute(node: node.name, detail: "groups \(a.groups) must divide input channels \(c) and filters \(a.filters)")
            }
            try expectWeights(node, [a.kernelSize + [c / a.groups, a.filters]] + (a.useBias ? [[a.filters]] : []), weights)
            return [x[0], oh, ow, a.filters]
        case .depthwiseConv2D(let a):
            let x = try single()
            let (oh, ow) = try spatial(node, x, kernel: a.kernelSize, strides: a.strides, dilations: a.dilations, padding: a.padding)
            let c = try channels(node, x)
            guard a.depthMultiplier > 0, !c.multipliedReportingOverflow(by: a.depthMultiplier).overflow else {
                throw ModelIRError.invalidAttribute(node: node.name, detail: "depth multiplier \(a.depthMultiplier) is out of range")
            }
            try expectWeights(node, [a.kernelSize + [c, a.depthMultiplier]] + (a.useBias ? [[c * a.depthMultiplier]] : []), weights)
            return [x[0], oh, ow, c * a.depthMultiplier]
        case .separableConv2D(let a):
            let x = try single()
            let (oh, ow) = try spatial(node, x, kernel: a.kernelSize, strides: a.strides, dilations: a.dilations, padding: a.padding)
            let c = try channels(node, x)
            guard a.depthMultiplier > 0, !c.multipliedReportingOverflow(by: a.depthMultiplier).overflow else {
                throw ModelIRError.invalidAttribute(node: node.name, detail: "depth multiplier \(a.depthMultiplier) is out of range")
            }
            try expectWeights(node, [a.kernelSize + [c, a.depthMultiplier], [1, 1, c * a.depthMultiplier, a.filters]]
                + (a.useBias ? [[a.filters]] : []), weights)
            return [x[0], oh, ow, a.filters]
        case .dense(let a):
            let x = try single()
            guard x.count >= 2 else { throw ModelIRError.inputRankMismatch(node: node.name, expected: 2, actual: x) }
            let c = try channels(node, x)
            try expectWeights(node, [[c, a.units]] + (a.useBias ? [[a.units]] : []), weights)
            return Array(x.dropLast()) + [a.units]
        case .maxPool2D(let a), .averagePool2D(let a):
            let x = try single()
            let (oh, ow) = try spatial(node, x, kernel: a.poolSize, strides: a.strides, dilations: [1, 1], padding: a.padding)
            try expectWeights(node, [], weights)
            return [x[0], oh, ow, x[3]]
        case .globalAveragePool2D(let keep), .globalMaxPool2D(let keep):
            let x = try single()
            guard x.count == 4 else { throw ModelIRError.inputRankMismatch(node: node.name, expected: 4, actual: x) }
            return keep ? [x[0], 1, 1, x[3]] : [x[0], x[3]]
        case .batchNormalization(let a):
            let x = try single()
            let c = try channels(node, x)
            guard a.axis == -1 || a.axis == x.count - 1 else {
                throw ModelIRError.invalidAttribute(node: node.name, detail: "batch normalization over axis \(a.axis) is not supported (only the channel axis)")
            }
            try expectWeights(node, Array(repeating: [c], count: node.op.weightRoles.count), weights)
            return x
        case let .zeroPadding2D(top, bottom, left, right):
            let x = try single()
            guard x.count == 4 else { throw ModelIRError.inputRankMismatch(node: node.name, expected: 4, actual: x) }
            guard min(top, bottom, left, right) >= 0, max(top, bottom, left, right) <= maxExtent else {
                throw ModelIRError.invalidAttribute(node: node.name, detail: "padding must be in 0…2^60")
            }
            return [x[0], x[1] < 0 ? -1 : x[1] + top + bottom, x[2] < 0 ? -1 : x[2] + left + right, x[3]]
        case .flatten:
            let x = try single()
            guard x.count >= 1 else { throw ModelIRError.inputRankMismatch(node: node.name, expected: 2, actual: x) }
            return [x[0], Shape.elementCount(Array(x.dropFirst())) ?? -1]
        case .reshape(let target):
            let x = try single()
            let total = Shape.elementCount(Array(x.dropFirst()))
            let unknown = target.filter { $0 == -1 }.count
            guard unknown <= 1, target.allSatisfy({ $0 == -1 || $0 > 0 }) else {
                throw ModelIRError.invalidAttribute(node: node.name, detail: "bad reshape target \(target)")
            }
            if let total {
                let known = Shape.elementCount(target.filter { $0 != -1 }) ?? 0
                if unknown == 1 {
                    guard known > 0, total % known == 0 else {
                        throw ModelIRError.shapeMismatch(node: node.name, detail: "cannot reshape \(x) to \(target)")
                    }
                    return [x[0]] + target.map { $0 == -1 ? total / known : $0 }
                }
                guard known == total else {
                    throw ModelIRError.shapeMismatch(node: node.name, detail: "cannot reshape \(x) to \(target)")
                }
            }
            return [x[0]] + target
        case .dropout, .activation:
            return try single()
        case .add, .multiply:
            guard let first = inputs.first, inputs.count >= 2 else {
                throw ModelIRError.shapeMismatch(node: node.name, detail: "takes 2 or more inputs, got \(inputs.count)")
            }
            for s in inputs.dropFirst() where s.count != first.count || zip(s, first).contains(where: { $0 >= 0 && $1 >= 0 && $0 != $1 }) {
                throw ModelIRError.shapeMismatch(node: node.name, detail: "inputs have different shapes \(first) and \(s)")
            }
            return first
        case .concatenate(let axis):
            guard let first = inputs.first else {
                throw ModelIRError.shapeMismatch(node: node.name, detail: "takes at least 1 input")
            }
            let rank = first.count
            let ax = axis < 0 ? axis + rank : axis
            guard ax > 0, ax < rank else {
                throw ModelIRError.invalidAttribute(node: node.name, detail: "axis \(axis) out of range for rank \(rank)")
            }
            var out = first
            for s in inputs.dropFirst() {
                guard s.count == rank else { throw ModelIRError.shapeMismatch(node: node.name, detail: "inputs have different ranks") }
                for i in 0..<rank where i != ax && i != 0 && s[i] != first[i] {
                    throw ModelIRError.shapeMismatch(node: node.name, detail: "inputs \(first) and \(s) differ off the concatenation axis")
                }
                guard out[ax] >= 0, s[ax] >= 0 else { out[ax] = -1; continue }
                let (sum, overflow) = out[ax].addingReportingOverflow(s[ax])
                guard !overflow else { throw ModelIRError.shapeMismatch(node: node.name, detail: "the concatenated axis overflows") }
                out[ax] = sum
            }
            return out
        }
    }
}
