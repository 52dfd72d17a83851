import ModelIR
import XCTest

/// Convolutions against direct loops that index every tensor in its stored layout.
final class ConvEvaluationTests: XCTestCase {
    // MARK: - Naive loops

    /// Shape of an activation with `channels` in `layout`.
    static func activationShape(batch: Int, channels: Int, spatial: [Int], _ layout: DataLayout) -> [Int] {
        layout == .channelsFirst ? [batch, channels] + spatial : [batch] + spatial + [channels]
    }

    static func activationIndex(_ n: Int, _ c: Int, _ s: [Int], _ layout: DataLayout) -> [Int] {
        layout == .channelsFirst ? [n, c] + s : [n] + s + [c]
    }

    /// TF/ONNX SAME pads, computed here independently of `Padding.resolve`.
    static func samePads(_ sizes: [Int], kernel: [Int], strides: [Int], dilations: [Int], lower: Bool) -> (begin: [Int], end: [Int]) {
        var b: [Int] = [], e: [Int] = []
        for i in sizes.indices {
            let out = (sizes[i] + strides[i] - 1) / strides[i]
            let total = max((out - 1) * strides[i] + (kernel[i] - 1) * dilations[i] + 1 - sizes[i], 0)
            b.append(lower ? total - total / 2 : total / 2)
            e.append(lower ? total / 2 : total - total / 2)
        }
        return (b, e)
    }

    /// `y[n, f, o] = Σ_{c ∈ group(f), k} x[n, c, o·s + k·d − p] · w(f, c, k) + bias[f]`.
    static func naiveConv(x: Tensor, layout: DataLayout, weight: (Int, Int, [Int]) -> Double, filters: Int, groups: Int,
                          kernel: [Int], strides: [Int], dilations: [Int], padBegin: [Int], outSpatial: [Int],
                          bias: [Double]?) -> [Double] {
        let rank = x.shape.count
        let channels = x.shape[layout == .channelsFirst ? 1 : rank - 1]
        let inSpatial = layout == .channelsFirst ? Array(x.shape[2...]) : Array(x.shape[1..<(rank - 1)])
        let xs = x.doubles
        let outShape = activationShape(batch: x.shape[0], channels: filters, spatial: outSpatial, layout)
        var y = [Double](repeating: 0, count: outShape.reduce(1, *))
        let cg = channels / groups, fg = filters / groups
        let taps = Eval.indices(kernel), positions = Eval.indices(outSpatial)
        for n in 0..<x.shape[0] {
            for f in 0..<filters {
                let g = f / fg
                for o in positions {
                    var sum = bias?[f] ?? 0
                    for cl in 0..<cg {
                        for k in taps {
                            let i = (0..<o.count).map { o[$0] * strides[$0] + k[$0] * dilations[$0] - padBegin[$0] }
                            if zip(i, inSpatial).contains(where: { $0 < 0 || $0 >= $1 }) { continue }
                            let c = g * cg + cl
                            sum += xs[Eval.flat(activationIndex(n, c, i, layout), x.shape)] * weight(f, cl, k)
                        }
                    }
                    y[Eval.flat(activationIndex(n, f, o, layout), outShape)] = sum
                }
            }
        }
        return y
    }

    /// `y[n, f, i·s + k·d − p] += x[n, c, i] · w(c, f, k)` over the group's channels.
    static func naiveTransposed(x: Tensor, layout: DataLayout, weight: (Int, Int, [Int]) -> Double, filters: Int,
                                groups: Int, kernel: [Int], strides: [Int], dilations: [Int], padBegin: [Int],
                                outSpatial: [Int], bias: [Double]?) -> [Double] {
        let rank = x.shape.count
        let channels = x.shape[layout == .channelsFirst ? 1 : rank - 1]
        let inSpatial = layout == .channelsFirst ? Array(x.shape[2...]) : Array(x.shape[1..<(rank - 1)])
        let xs = x.doubles
        let outShape = activationShape(batch: x.shape[0], channels: filters, spatial: outSpatial, layout)
        var y = [Double](repeating: 0, count: outShape.reduce(1, *))
        let cg = channels / groups, fg = filters / groups
        let taps = Eval.indices(kernel), positions = Eval.indices(inSpatial)
        for n in 0..<x.shape[0] {
            for c in 0..<channels {
                let g = c / cg
                for i in positions {
                    let v = xs[Eval.flat(activationIndex(n, c, i, layout), x.shape)]
                    for fl in 0..<fg {
                        for k in taps {
                            let o = (0..<i.count).map { i[$0] * strides[$0] + k[$0] * dilations[$0] - padBegin[$0] }
                            if zip(o, outSpatial).contains(where: { $0 < 0 || $0 >= $1 }) { continue }
                            y[Eval.flat(activationIndex(n, g * fg + fl, o, layout), outShape)] += v * weight(c, fl, k)
                        }
                    }
                }
            }
        }
        if let bias {
            for n in 0..<x.shape[0] {
                for f in 0..<filters {
                    for o in Eval.indices(outSpatial) { y[Eval.flat(activationIndex(n, f, o, layout), outShape)] += bias[f] }
                }
            }
        }
        return y
    }

    // MARK: - Sweeps

    func testConvolutionSweepMatchesDirectLoops() throws {
        var random = SweepRandom(seed: 7)
        var cases = 0
        for spatialRank in 1...3 {
            for layout in [DataLayout.channelsFirst, .channelsLast] {
                for kernelLayout in [KernelLayout.spatialFirst, .spatialLast] {
                    for trial in 0..<(spatialRank == 3 ? 6 : 14) {
                        let groups = random.pick([1, 1, 2, 3])
                        let channels = groups * random.int(1...3), filters = groups * random.int(1...3)
                        let kernel = (0..<spatialRank).map { _ in random.int(1...3) }
                        let strides = (0..<spatialRank).map { _ in random.int(1...3) }
                        let dilations = (0..<spatialRank).map { _ in random.int(1...2) }
                        let sizes = (0..<spatialRank).map { i in (kernel[i] - 1) * dilations[i] + 1 + random.int(0...(spatialRank == 3 ? 3 : 6)) }
                        let padding: Padding
                        switch trial % 4 {
                        case 0: padding = .valid
                        case 1: padding = .same
                        case 2: padding = .sameLower
                        default: padding = .explicit(begin: (0..<spatialRank).map { _ in random.int(0...2) },
                                                     end: (0..<spatialRank).map { _ in random.int(0...2) })
                        }
                        let pads: (begin: [Int], end: [Int])
                        switch padding {
                        case .same, .sameLower:
                            pads = Self.samePads(sizes, kernel: kernel, strides: strides, dilations: dilations, lower: padding == .sameLower)
                        case let .explicit(b, e): pads = (b, e)
                        case .valid: pads = (sizes.map { _ in 0 }, sizes.map { _ in 0 })
                        }
                        let outSpatial = sizes.indices.map { i in
                            (sizes[i] + pads.begin[i] + pads.end[i] - (kernel[i] - 1) * dilations[i] - 1) / strides[i] + 1
                        }
                        let attrs = ConvAttributes(filters: filters, kernelSize: kernel, strides: strides, dilations: dilations,
                                                   padding: padding, groups: groups, layout: layout, kernelLayout: kernelLayout)
                        let batch = random.int(1...2)
                        let x = Eval.random(Self.activationShape(batch: batch, channels: channels, spatial: sizes, layout), seed: random.next())
                        let wShape = attrs.kernelShape(inputChannels: channels)
                        let w = Eval.random(wShape, seed: random.next())
                        let useBias = random.bool()
                        let b = Eval.random([filters], seed: random.next())
                        let ws = w.doubles
                        let weight: (Int, Int, [Int]) -> Double = { f, c, k in
                            ws[Eval.flat(kernelLayout == .spatialFirst ? k + [c, f] : [f, c] + k, wShape)]
                        }
                        let expected = Self.naiveConv(x: x, layout: layout, weight: weight, filters: filters, groups: groups,
                                                      kernel: kernel, strides: strides, dilations: dilations, padBegin: pads.begin,
                                                      outSpatial: outSpatial, bias: useBias ? b.doubles : nil)
                        let y = try Eval.run(.conv(.conv(attrs)), [x, w, useBias ? b : nil])
                        Eval.assertClose(y, expected, shape: Self.activationShape(batch: batch, channels: filters, spatial: outSpatial, layout),
                                         "\(attrs) input \(x.shape)")
                        cases += 1
                    }
                }
            }
        }
        XCTAssertEqual(cases, 136)
    }

    func testDepthwiseAndSeparableSweepMatchDirectLoops() throws {
        var random = SweepRandom(seed: 11)
        for spatialRank in 1...2 {
            for layout in [DataLayout.channelsLast, .channelsFirst] {
                for trial in 0..<10 {
                    let channels = random.int(1...3), multiplier = random.int(1...2), filters = random.int(1...4)
                    let kernel = (0..<spatialRank).map { _ in random.int(1...3) }
                    let strides = (0..<spatialRank).map { _ in random.int(1...2) }
                    let dilations = (0..<spatialRank).map { _ in random.int(1...2) }
                    let sizes = (0..<spatialRank).map { i in (kernel[i] - 1) * dilations[i] + 1 + random.int(0...5) }
                    let padding: Padding = [.valid, .same, .sameLower][trial % 3]
                    let pads = padding == .valid ? (sizes.map { _ in 0 }, sizes.map { _ in 0 })
                        : Self.samePads(sizes, kernel: kernel, strides: strides, dilations: dilations, lower: padding == .sameLower)
                    let outSpatial = sizes.indices.map { i in
                        (sizes[i] + pads.0[i] + pads.1[i] - (kernel[i] - 1) * dilations[i] - 1) / strides[i] + 1
                    }
                    let x = Eval.random(Self.activationShape(batch: 2, channels: channels, spatial: sizes, layout), seed: random.next())
                    let dw = Eval.random(kernel + [channels, multiplier], seed: random.next())
                    let dws = dw.doubles
                    let middle = channels * multiplier
                    // Depthwise: one group per channel, filter c·M + m reads kernel[k, c, m].
                    let depthwiseWeight: (Int, Int, [Int]) -> Double = { f, _, k in
                        dws[Eval.flat(k + [f / multiplier, f % multiplier], kernel + [channels, multiplier])]
                    }
                    let b = Eval.random([middle], seed: random.next())
                    let depthwise = DepthwiseConvAttributes(depthMultiplier: multiplier, kernelSize: kernel, strides: strides,
                                                            dilations: dilations, padding: padding, layout: layout)
                    let expectedDepthwise = Self.naiveConv(x: x, layout: layout, weight: depthwiseWeight, filters: middle,
                                                           groups: channels, kernel: kernel, strides: strides, dilations: dilations,
                                                           padBegin: pads.0, outSpatial: outSpatial, bias: b.doubles)
                    let outShape = Self.activationShape(batch: 2, channels: middle, spatial: outSpatial, layout)
                    Eval.assertClose(try Eval.run(.conv(.depthwise(depthwise)), [x, dw, b]), expectedDepthwise, shape: outShape,
                                     "depthwise \(depthwise)")

                    // Separable: the depthwise result (no bias) through a 1×1 kernel, then the bias.
                    let pw = Eval.random(kernel.map { _ in 1 } + [middle, filters], seed: random.next())
                    let pws = pw.doubles
                    let pb = Eval.random([filters], seed: random.next())
                    let mid = Tensor(shape: outShape, doubles: Self.naiveConv(
                        x: x, layout: layout, weight: depthwiseWeight, filters: middle, groups: channels, kernel: kernel,
                        strides: strides, dilations: dilations, padBegin: pads.0, outSpatial: outSpatial, bias: nil), dtype: .float64)
                    let ones = kernel.map { _ in 1 }
                    let expectedSeparable = Self.naiveConv(
                        x: mid, layout: layout, weight: { f, c, _ in pws[c * filters + f] }, filters: filters, groups: 1,
                        kernel: ones, strides: ones, dilations: ones, padBegin: ones.map { _ in 0 }, outSpatial: outSpatial,
                        bias: pb.doubles)
                    let separable = SeparableConvAttributes(filters: filters, depthMultiplier: multiplier, kernelSize: kernel,
                                                            strides: strides, dilations: dilations, padding: padding, layout: layout)
                    Eval.assertClose(try Eval.run(.conv(.separable(separable)), [x, dw, pw, pb]), expectedSeparable,
                                     shape: Self.activationShape(batch: 2, channels: filters, spatial: outSpatial, layout),
                                     atol: 2e-5, "separable \(separable)")
                }
            }
        }
    }

    func testTransposedSweepMatchesDirectLoops() throws {
        var random = SweepRandom(seed: 23)
        var cases = 0
        for spatialRank in 1...3 {
            for layout in [DataLayout.channelsFirst, .channelsLast] {
                for kernelLayout in [KernelLayout.spatialLast, .spatialFirst] {
                    for trial in 0..<(spatialRank == 3 ? 5 : 12) {
                        let groups = random.pick([1, 1, 2])
                        let channels = groups * random.int(1...3), filters = groups * random.int(1...3)
                        let kernel = (0..<spatialRank).map { _ in random.int(1...3) }
                        let strides = (0..<spatialRank).map { _ in random.int(1...3) }
                        let dilations = (0..<spatialRank).map { _ in random.int(1...2) }
                        let outputPadding = (0..<spatialRank).map { strides[$0] > 1 ? random.int(0...(strides[$0] - 1)) : 0 }
                        let sizes = (0..<spatialRank).map { _ in random.int(1...(spatialRank == 3 ? 3 : 5)) }
                        let full = sizes.indices.map { strides[$0] * (sizes[$0] - 1) + outputPadding[$0] + (kernel[$0] - 1) * dilations[$0] + 1 }
                        var padding: Padding = .valid
                        var outputShape: [Int]? = nil
                        let begin: [Int], outSpatial: [Int]
                        switch trial % 5 {
                        case 0:
                            begin = sizes.map { _ in 0 }; outSpatial = full
                        case 1, 2:
                            // SAME_UPPER / SAME_LOWER: the output is in·stride; the odd pad cell at the end / beginning.
                            padding = trial % 5 == 1 ? .same : .sameLower
                            outSpatial = sizes.indices.map { sizes[$0] * strides[$0] }
                            begin = sizes.indices.map { i in
                                let total = max(full[i] - outSpatial[i], 0)
                                return padding == .same ? total / 2 : total - total / 2
                            }
                        case 3:
                            let b = full.map { random.int(0...min(2, ($0 - 1) / 2)) }
                            let e = full.indices.map { random.int(0...min(2, full[$0] - 1 - b[$0])) }
                            padding = .explicit(begin: b, end: e)
                            begin = b; outSpatial = full.indices.map { full[$0] - b[$0] - e[$0] }
                        default:
                            // output_shape without auto-padding: the spec's "else" split, larger half first.
                            outputShape = full.map { max(1, $0 + random.int(-3...2)) }
                            outSpatial = outputShape!
                            begin = full.indices.map { i in
                                let total = max(full[i] - outSpatial[i], 0)
                                return total - total / 2
                            }
                        }
                        let attrs = ConvTransposeAttributes(filters: filters, kernelSize: kernel, strides: strides, dilations: dilations,
                                                            padding: padding, outputPadding: outputPadding, outputShape: outputShape,
                                                            groups: groups, layout: layout, kernelLayout: kernelLayout)
                        let x = Eval.random(Self.activationShape(batch: 2, channels: channels, spatial: sizes, layout), seed: random.next())
                        let wShape = attrs.kernelShape(inputChannels: channels)
                        let w = Eval.random(wShape, seed: random.next())
                        let ws = w.doubles
                        let fg = filters / groups
                        let weight: (Int, Int, [Int]) -> Double = { c, f, k in
                            ws[Eval.flat(kernelLayout == .spatialFirst ? k + [f, c] : [c, f] + k, wShape)]
                        }
                        XCTAssertEqual(wShape, kernelLayout == .spatialFirst ? kernel + [fg, channels] : [channels, fg] + kernel)
                        let b = Eval.random([filters], seed: random.next())
                        let expected = Self.naiveTransposed(x: x, layout: layout, weight: weight, filters: filters, groups: groups,
                                                            kernel: kernel, strides: strides, dilations: dilations, padBegin: begin,
                                                            outSpatial: outSpatial, bias: b.doubles)
                        let y = try Eval.run(.conv(.transposed(attrs)), [x, w, b])
                        Eval.assertClose(y, expected, shape: Self.activationShape(batch: 2, channels: filters, spatial: outSpatial, layout),
                                         "\(attrs) input \(x.shape)")
                        cases += 1
                    }
                }
            }
        }
        XCTAssertEqual(cases, 116)
    }

    /// Outputs larger than one column tile (32768 scratch elements / (channels · kernel), at least
    /// 64 positions): 1001 positions against 910, 925 against 455, tiles
    /// ending inside an output row, and rows not a multiple of the 8-wide SIMD blocks.
    func testLargeOutputsSpanSeveralTiles() throws {
        let cases: [(attrs: ConvAttributes, input: [Int])] = [
            (ConvAttributes(filters: 1, kernelSize: [9], dilations: [2], padding: .same, layout: .channelsFirst), [1, 4, 1001]),
            (ConvAttributes(filters: 2, kernelSize: [3, 3], strides: [1, 2], padding: .explicit(begin: [1, 0], end: [2, 1]),
                            layout: .channelsLast), [1, 23, 75, 8]),
        ]
        for (attrs, input) in cases {
            let layout = attrs.layout
            let channels = input[layout == .channelsFirst ? 1 : input.count - 1]
            let x = Eval.random(input, seed: 3)
            let wShape = attrs.kernelShape(inputChannels: channels)
            let w = Eval.random(wShape, seed: 4, scale: 0.2)
            let ws = w.doubles
            let sizes = layout == .channelsFirst ? Array(input[2...]) : Array(input[1..<(input.count - 1)])
            let pads: (begin: [Int], end: [Int])
            if case let .explicit(b, e) = attrs.padding { pads = (b, e) } else {
                pads = Self.samePads(sizes, kernel: attrs.kernelSize, strides: attrs.strides, dilations: attrs.dilations, lower: false)
            }
            let out = sizes.indices.map { i in
                (sizes[i] + pads.begin[i] + pads.end[i] - (attrs.kernelSize[i] - 1) * attrs.dilations[i] - 1) / attrs.strides[i] + 1
            }
            let expected = Self.naiveConv(x: x, layout: layout, weight: { f, c, k in
                ws[Eval.flat(attrs.kernelLayout == .spatialFirst ? k + [c, f] : [f, c] + k, wShape)]
            }, filters: attrs.filters, groups: 1, kernel: attrs.kernelSize, strides: attrs.strides, dilations: attrs.dilations,
               padBegin: pads.begin, outSpatial: out, bias: nil)
            Eval.assertClose(try Eval.run(.conv(.conv(attrs)), [x, w, nil]), expected,
                             shape: Self.activationShape(batch: input[0], channels: attrs.filters, spatial: out, layout), "\(attrs)")
        }
        // Transposed: 31·29 input positions against a 512-position tile (4 filters · 16 taps).
        let t = ConvTransposeAttributes(filters: 4, kernelSize: [4, 4], strides: [2, 3], padding: .same, layout: .channelsFirst)
        let x = Eval.random([1, 1, 31, 29], seed: 5)
        let w = Eval.random([1, 4, 4, 4], seed: 6)
        let ws = w.doubles
        let out = [62, 87]
        let begin = [(2 * 30 + 4 - 62) / 2, max(3 * 28 + 4 - 87, 0) / 2]
        let expected = Self.naiveTransposed(x: x, layout: .channelsFirst, weight: { c, f, k in ws[Eval.flat([c, f] + k, [1, 4, 4, 4])] },
                                            filters: 4, groups: 1, kernel: [4, 4], strides: [2, 3], dilations: [1, 1],
                                            padBegin: begin, outSpatial: out, bias: nil)
        Eval.assertClose(try Eval.run(.conv(.transposed(t)), [x, w, nil]), expected, shape: [1, 4] + out)
    }

    // MARK: - Hand-computed values

    func testHandComputedConvolution() throws {
        // 1×1×3×3 image 1…9, 2×2 kernel of ones, stride 1, valid: sums of each 2×2 block.
        let x = Tensor(shape: [1, 1, 3, 3], floats: (1...9).map(Float.init))
        let w = Tensor(shape: [1, 1, 2, 2], floats: [1, 1, 1, 1])
        let attrs = ConvAttributes(filters: 1, kernelSize: [2, 2], layout: .channelsFirst)
        XCTAssertEqual(try Eval.run(.conv(.conv(attrs)), [x, w, nil]).floats, [12, 16, 24, 28])
        // The same in NHWC/HWIO with a bias of 0.5 and ReLU after subtracting: bias −20 keeps 24−20, 28−20.
        let nhwc = ConvAttributes(filters: 1, kernelSize: [2, 2], activation: .relu, layout: .channelsLast)
        let y = try Eval.run(.conv(.conv(nhwc)), [x.reshaped([1, 3, 3, 1]), w.reshaped([2, 2, 1, 1]), Tensor(shape: [1], floats: [-20])])
        XCTAssertEqual(y.shape, [1, 2, 2, 1])
        XCTAssertEqual(y.floats, [0, 0, 4, 8])
        // Fused softmax over the channel axis of NHWC: two equal filters give 0.5 each.
        let two = ConvAttributes(filters: 2, kernelSize: [1, 1], activation: .softmax(axis: -1), layout: .channelsLast)
        let s = try Eval.run(.conv(.conv(two)), [x.reshaped([1, 3, 3, 1]), Tensor(shape: [1, 1, 1, 2], floats: [1, 1]), nil])
        XCTAssertEqual(s.floats, [Float](repeating: 0.5, count: 18))
    }

    func testHandComputedTransposedMatchesOnnxRuntime() throws {
        // x = [1, 2, 3], kernel of three ones, stride 2: the full result is [1, 1, 3, 2, 5, 3, 3]. Values
        // below were printed by onnxruntime 1.32 (and the ONNX reference where it accepts the case).
        let x = Tensor(shape: [1, 1, 3], floats: [1, 2, 3])
        let w = Tensor(shape: [1, 1, 3], floats: [1, 1, 1])
        func run(_ padding: Padding, outputShape: [Int]? = nil, outputPadding: [Int]? = nil, kernel: Tensor? = nil) throws -> [Float] {
            let k = kernel ?? w
            let a = ConvTransposeAttributes(filters: 1, kernelSize: [k.shape[2]], strides: [k.shape[2] == 1 ? 3 : 2], padding: padding,
                                            outputPadding: outputPadding, outputShape: outputShape, layout: .channelsFirst)
            return try Eval.run(.conv(.transposed(a)), [x, k, nil]).floats
        }
        XCTAssertEqual(try run(.valid), [1, 1, 3, 2, 5, 3, 3])
        XCTAssertEqual(try run(.same), [1, 1, 3, 2, 5, 3])                       // SAME_UPPER
        XCTAssertEqual(try run(.sameLower), [1, 3, 2, 5, 3, 3])                  // SAME_LOWER
        XCTAssertEqual(try run(.valid, outputShape: [5]), [1, 3, 2, 5, 3])       // total 2: 1 + 1
        XCTAssertEqual(try run(.valid, outputShape: [6]), [1, 3, 2, 5, 3, 3])    // total 1: at the beginning
        XCTAssertEqual(try run(.valid, outputShape: [8]), [1, 1, 3, 2, 5, 3, 3, 0])
        XCTAssertEqual(try run(.explicit(begin: [1], end: [1])), [1, 3, 2, 5, 3])
        XCTAssertEqual(try run(.same, outputPadding: [1]), [1, 3, 2, 5, 3, 3])
        // A kernel smaller than the stride under `same`: output 9 = 3·3, zeros at the end (Keras, TF).
        XCTAssertEqual(try run(.same, kernel: Tensor(shape: [1, 1, 1], floats: [1])), [1, 0, 0, 2, 0, 0, 3, 0, 0])
    }

    func testTransposedPadsFollowTheOnnxSpec() {
        let a = ConvTransposeAttributes(filters: 1, kernelSize: [3], strides: [2], outputShape: [6], layout: .channelsFirst)
        XCTAssertEqual(ConvOp.transposedPads(a, sizes: [3]).begin, [1])     // spec "else": total − total/2 first
        var upper = a; upper.padding = .same
        XCTAssertEqual(ConvOp.transposedPads(upper, sizes: [3]).begin, [0])
        var lower = a; lower.padding = .sameLower
        XCTAssertEqual(ConvOp.transposedPads(lower, sizes: [3]).begin, [1])
        var larger = a; larger.outputShape = [10]
        XCTAssertEqual(ConvOp.transposedPads(larger, sizes: [3]).begin, [0])
        XCTAssertEqual(ConvOp.transposedPads(larger, sizes: [3]).end, [0])
    }

    func testHalfAndDoublePrecision() throws {
        let attrs = ConvAttributes(filters: 3, kernelSize: [3, 3], strides: [2, 1], padding: .same, activation: .relu, layout: .channelsLast)
        let x32 = Eval.random([1, 6, 5, 2], seed: 1), w32 = Eval.random([3, 3, 2, 3], seed: 2), b32 = Eval.random([3], seed: 3)
        let reference = try Eval.run(.conv(.conv(attrs)), [x32.converted(to: .float64), w32.converted(to: .float64), b32.converted(to: .float64)])
        XCTAssertEqual(reference.dtype, .float64)
        let single = try Eval.run(.conv(.conv(attrs)), [x32, w32, b32])
        Eval.assertClose(single, reference.doubles, shape: reference.shape, atol: 1e-5)
        for half in [DType.float16, .bfloat16] {
            let x = x32.converted(to: half), w = w32.converted(to: half), b = b32.converted(to: half)
            let expected = try Eval.run(.conv(.conv(attrs)), [x.converted(to: .float64), w.converted(to: .float64), b.converted(to: .float64)])
            let y = try Eval.run(.conv(.conv(attrs)), [x, w, b])
            XCTAssertEqual(y.dtype, half)
            // One rounding of the float32 result to the narrow type: half an ulp of |y| ≤ 8.
            Eval.assertClose(y, expected.doubles, shape: expected.shape, atol: 1e-3, rtol: half == .float16 ? 1e-3 : 8e-3)
        }
    }

    // MARK: - Errors

    func testBadOperandsThrowInsteadOfTrapping() {
        let x = Eval.random([1, 2, 5, 5], seed: 1)
        let attrs = ConvAttributes(filters: 4, kernelSize: [3, 3], layout: .channelsFirst)
        Eval.assertThrows(.conv(.conv(attrs)), [x, Eval.random([4, 2, 3, 2], seed: 2), nil], "kernel shape")
        Eval.assertThrows(.conv(.conv(attrs)), [x, Eval.random([4, 2, 3, 3], seed: 2), Eval.random([3], seed: 3)], "bias shape")
        Eval.assertThrows(.conv(.conv(attrs)), [x], "missing kernel")
        Eval.assertThrows(.conv(.conv(attrs)), [Tensor(shape: [1, 2, 5, 5], integers: [Int64](repeating: 1, count: 50)),
                                                Eval.random([4, 2, 3, 3], seed: 2), nil], "integer input")
        var grouped = attrs; grouped.groups = 3
        Eval.assertThrows(.conv(.conv(grouped)), [x, Eval.random([4, 0, 3, 3], seed: 2), nil], "groups")
        let truncated = Tensor(dtype: .float32, shape: [1, 2, 5, 5], data: TensorData(floats: [1, 2, 3]))
        Eval.assertThrows(.conv(.conv(attrs)), [truncated, Eval.random([4, 2, 3, 3], seed: 2), nil], "short data")
        // Hostile padding: a result far larger than memory is refused, not allocated.
        let huge = ConvAttributes(filters: 1, kernelSize: [1], padding: .explicit(begin: [1 << 40], end: [1 << 40]), layout: .channelsFirst)
        Eval.assertThrows(.conv(.conv(huge)), [Eval.random([1, 1, 4], seed: 1), Eval.random([1, 1, 1], seed: 2), nil], "huge padding")
        let depthwise = DepthwiseConvAttributes(depthMultiplier: 2, kernelSize: [3, 3], layout: .channelsFirst)
        Eval.assertThrows(.conv(.depthwise(depthwise)), [x, Eval.random([3, 3, 2, 1], seed: 2)], "depthwise kernel")
        let separable = SeparableConvAttributes(filters: 3, kernelSize: [3, 3], layout: .channelsFirst)
        Eval.assertThrows(.conv(.separable(separable)), [x, Eval.random([3, 3, 2, 1], seed: 2), Eval.random([1, 1, 3, 3], seed: 3)],
                          "pointwise kernel")
        let softmax = ConvAttributes(filters: 4, kernelSize: [3, 3], activation: .softmax(axis: 7), layout: .channelsFirst)
        Eval.assertThrows(.conv(.conv(softmax)), [x, Eval.random([4, 2, 3, 3], seed: 2), nil], "softmax axis")
    }

    func testBadTransposedAttributesThrow() {
        let x = Eval.random([1, 2, 4], seed: 1)
        let w = Eval.random([2, 3, 3], seed: 2)
        func attrs(_ change: (inout ConvTransposeAttributes) -> Void) -> Op {
            var a = ConvTransposeAttributes(filters: 3, kernelSize: [3], strides: [2], layout: .channelsFirst)
            change(&a)
            return .conv(.transposed(a))
        }
        Eval.assertThrows(attrs { $0.outputShape = [4, 4] }, [x, w], "output_shape rank")
        Eval.assertThrows(attrs { $0.outputShape = [0] }, [x, w], "output_shape zero")
        Eval.assertThrows(attrs { $0.strides = [1 << 60] }, [x, w], "stride overflow")
        Eval.assertThrows(attrs { $0.padding = .explicit(begin: [-1], end: [0]) }, [x, w], "negative pad")
        Eval.assertThrows(attrs { $0.padding = .explicit(begin: [5], end: [5]) }, [x, w], "empty output")
        Eval.assertThrows(attrs { $0.outputPadding = [1 << 62] }, [x, w], "output padding")
        Eval.assertThrows(attrs { $0.groups = 2 }, [x, w], "grouped kernel shape")
        Eval.assertThrows(attrs { _ in }, [x, Eval.random([3, 2, 3], seed: 3)], "kernel shape")
    }
}
