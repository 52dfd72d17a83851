import Foundation
import ModelIR
@testable import ONNXFormat
import ONNXProto
import SwiftProtobuf
import XCTest
import _TestSupport

/// How ONNX's forms map to the IR: parameters given as attributes or inputs, constants folded,
/// dynamic dimensions, graph inputs with initializers, dtypes, legacy opsets, and what is carried.
final class ImportFormsTests: XCTestCase {
    func model(_ inputs: [Onnx_ValueInfoProto], _ outputs: [Onnx_ValueInfoProto], opset: Int = 17,
               _ build: (inout ModelBuilder) -> Void) throws -> Graph {
        var b = ModelBuilder()
        b.opset = opset
        b.inputs = inputs
        b.outputs = outputs
        build(&b)
        return try T.read(b)
    }

    func vi(_ name: String, _ dims: [Int?]?, _ type: Int32 = 1) -> Onnx_ValueInfoProto { ModelBuilder.valueInfo(name, dims, elemType: type) }

    // MARK: - Parameters: attribute when constant, operand otherwise

    func testConstantParametersBecomeAttributesAndDynamicOnesStayOperands() throws {
        let graph = try model([vi("x", [2, 3, 4]), vi("dyn", [3], 7)], [vi("a", nil), vi("b", nil), vi("c", nil), vi("d", nil)]) { b in
            b.int64Initializer("shape", [0, 12])
            b.int64Initializer("pads", [0, 1, 0, 0, 1, 0])
            b.int64Initializer("starts", [1]); b.int64Initializer("ends", [-1]); b.int64Initializer("axes", [2])
            b.node("Reshape", ["x", "shape"], ["a"], name: "reshape")
            b.node("Reshape", ["x", "dyn"], ["b"], name: "reshape_dyn")
            b.node("Pad", ["x", "pads"], ["c"], name: "pad", ["mode": .string("reflect")])
            b.node("Slice", ["x", "starts", "ends", "axes"], ["d"], name: "slice")
        }
        XCTAssertEqual(graph.nodes[0].op, .tensor(.reshape(ReshapeAttributes(shape: [0, 12]))))
        XCTAssertEqual(graph.nodes[0].inputs, ["x"])
        XCTAssertEqual(graph.nodes[1].op, .tensor(.reshape(ReshapeAttributes(shape: nil))))
        XCTAssertEqual(graph.nodes[1].inputs, ["x", "dyn"])
        XCTAssertEqual(graph.nodes[2].op, .tensor(.pad(PadAttributes(mode: .reflect, pads: [0, 1, 0, 0, 1, 0]))))
        XCTAssertEqual(graph.nodes[3].op, .tensor(.slice(SliceAttributes(starts: [1], ends: [-1], axes: [2]))))
        XCTAssertEqual(graph.nodes[3].inputs, ["x"])
        let shapes = try graph.inferShapes()
        XCTAssertEqual(shapes["a"], [2, 12])
        XCTAssertEqual(shapes["b"], [-1, -1, -1])
        XCTAssertEqual(shapes["c"], [2, 5, 4])
        XCTAssertEqual(shapes["d"], [2, 3, 2])
        XCTAssertEqual(Set(graph.weights.keys), [], "parameters moved into attributes leave no weights behind")
    }

    /// The attribute forms of old opsets and the input forms of new ones give the same IR op.
    func testAttributeAndInputFormsAcrossOpsets() throws {
        let old = try model([vi("x", [1, 4, 2])], [vi("s", nil), vi("u", nil), vi("p", nil), vi("r", nil)], opset: 10) { b in
            b.node("Squeeze", ["x"], ["s0"], name: "squeeze", ["axes": .ints([0])])
            b.node("Unsqueeze", ["s0"], ["u"], name: "unsqueeze", ["axes": .ints([0])])
            b.node("Identity", ["s0"], ["s"], name: "id")
            b.node("Pad", ["x"], ["p"], name: "pad", ["pads": .ints([0, 0, 1, 0, 0, 1]), "value": .float(2)])
            b.node("ReduceMean", ["x"], ["r"], name: "mean", ["axes": .ints([1]), "keepdims": .int(0)])
        }
        let new = try model([vi("x", [1, 4, 2])], [vi("s", nil), vi("u", nil), vi("p", nil), vi("r", nil)], opset: 18) { b in
            b.int64Initializer("zero", [0]); b.int64Initializer("one", [1]); b.int64Initializer("pads", [0, 0, 1, 0, 0, 1])
            b.initializer("two", [], [2])
            b.node("Squeeze", ["x", "zero"], ["s0"], name: "squeeze")
            b.node("Unsqueeze", ["s0", "zero"], ["u"], name: "unsqueeze")
            b.node("Identity", ["s0"], ["s"], name: "id")
            b.node("Pad", ["x", "pads", "two"], ["p"], name: "pad")
            b.node("ReduceMean", ["x", "one"], ["r"], name: "mean", ["keepdims": .int(0)])
        }
        XCTAssertEqual(old.nodes, new.nodes)
        XCTAssertEqual(new.nodes[3].op, .tensor(.pad(PadAttributes(pads: [0, 0, 1, 0, 0, 1], value: 2))))
        XCTAssertEqual(new.nodes[4].op, .reduction(.reduce(ReduceAttributes(function: .mean, axes: [1], keepDims: false))))
    }

    func testSplitAndResizeForms() throws {
        let graph = try model([vi("x", [1, 6, 4, 4])], [vi("a", nil), vi("b", nil), vi("c", nil), vi("up", nil), vi("r", nil)], opset: 18) { b in
            b.node("Split", ["x"], ["a", "b", "c"], name: "split", ["axis": .int(1), "num_outputs": .int(3)])
            b.initializer("scales", [4], [1, 1, 2, 2])
            b.initializers.append(ModelBuilder.tensor("empty", [0], []))
            b.int64Initializer("sizes", [1, 6, 3, 3])
            b.node("Resize", ["x", "", "scales"], ["up"], name: "up", ["mode": .string("linear"),
                                                                        "coordinate_transformation_mode": .string("align_corners")])
            b.node("Resize", ["x", "", "empty", "sizes"], ["r"], name: "down", ["mode": .string("nearest"), "nearest_mode": .string("floor")])
        }
        XCTAssertEqual(graph.nodes[0].op, .tensor(.split(SplitAttributes(axis: 1))))
        XCTAssertEqual(graph.nodes[0].outputs, ["a", "b", "c"])
        XCTAssertEqual(graph.nodes[1].op, .tensor(.resize(ResizeAttributes(mode: .linear, coordinateTransformation: .alignCorners,
                                                                            scales: [1, 1, 2, 2]))))
        XCTAssertEqual(graph.nodes[1].inputs, ["x"])
        XCTAssertEqual(graph.nodes[2].op, .tensor(.resize(ResizeAttributes(nearestMode: .floor, sizes: [1, 6, 3, 3]))))
        let shapes = try graph.inferShapes()
        XCTAssertEqual(shapes["a"], [1, 2, 4, 4])
        XCTAssertEqual(shapes["up"], [1, 6, 8, 8])
        XCTAssertEqual(shapes["r"], [1, 6, 3, 3])

        // Upsample-9: scales as an input, asymmetric coordinates.
        let upsample = try model([vi("x", [1, 1, 2, 2])], [vi("y", nil)], opset: 9) { b in
            b.initializer("scales", [4], [1, 1, 2, 3])
            b.node("Upsample", ["x", "scales"], ["y"], name: "up")
        }
        XCTAssertEqual(upsample.nodes[0].op, .tensor(.resize(ResizeAttributes(coordinateTransformation: .asymmetric, nearestMode: .floor,
                                                                              scales: [1, 1, 2, 3]))))
        XCTAssertEqual(try upsample.inferShapes()["y"], [1, 1, 4, 6])
    }

    /// Softmax before opset 13 flattens to 2-D at `axis`: Flatten → Softmax(-1) → Reshape back.
    func testLegacySoftmaxAxisIsWrittenOut() throws {
        let graph = try model([vi("x", [2, 3, 4])], [vi("y", [2, 3, 4])], opset: 11) { b in
            b.node("Softmax", ["x"], ["y"], name: "softmax", ["axis": .int(1)])
        }
        XCTAssertEqual(graph.nodes.map(\.op), [.tensor(.flatten(axis: 1)), .activation(.softmax(axis: -1)),
                                               .tensor(.reshape(ReshapeAttributes(shape: [2, 3, 4])))])
        XCTAssertEqual(graph.nodes.map(\.name), ["softmax/flatten", "softmax", "softmax/reshape"])
        XCTAssertEqual(graph.outputs, ["y"])
        let x = T.random(24, 3, scale: 3)
        let results = try T.evaluate(graph, ["x": Tensor(shape: [2, 3, 4], floats: x)])
        let y = try XCTUnwrap(results["y"])
        for n in 0..<2 {
            let row = x[(n * 12)..<(n * 12 + 12)].map { Foundation.exp(Double($0)) }
            let sum = row.reduce(0, +)
            XCTAssertEqual(Array(y.floats[(n * 12)..<(n * 12 + 12)]), row.map { Float($0 / sum) }, accuracy: 1e-6)
        }
        // With a dynamic batch the shape to go back to is read at run time.
        let dynamic = try model([vi("x", [nil, 3, 4])], [vi("y", nil)], opset: 11) { b in
            b.node("Softmax", ["x"], ["y"], name: "softmax", ["axis": .int(1)])
        }
        XCTAssertEqual(dynamic.nodes.map(\.op.kind), ["flatten", "activation", "shape", "reshape"])
    }

    // MARK: - Folding

    /// PyTorch's shape chain folds away when the shape is static; the Reshape gets the shape.
    func testShapeSubgraphFoldsWhenStatic() throws {
        func build(_ batch: Int?) throws -> Graph {
            try model([vi("x", [batch, 3, 4, 4])], [vi("y", nil)], opset: 13) { b in
                b.int64Initializer("zero", [0]); b.int64Initializer("minus_one", [-1])
                b.initializers.append(ModelBuilder.int64Tensor("index", [0]))
                b.initializers[b.initializers.count - 1].dims = []
                b.node("Shape", ["x"], ["s"], name: "shape")
                b.node("Gather", ["s", "index"], ["n"], name: "gather", ["axis": .int(0)])
                b.node("Unsqueeze", ["n", "zero"], ["n1"], name: "unsqueeze")
                b.node("Concat", ["n1", "minus_one"], ["target"], name: "concat", ["axis": .int(0)])
                b.node("Reshape", ["x", "target"], ["y"], name: "reshape")
            }
        }
        let dynamic = try build(nil)
        XCTAssertEqual(dynamic.nodes.map(\.op.kind), ["shape", "gather", "unsqueeze", "concat", "reshape"],
                       "with a dynamic batch the chain stays and is bound at run time")
        let x = Tensor(shape: [2, 3, 4, 4], floats: T.random(96, 4))
        let results = try T.evaluate(dynamic, ["x": x])
        XCTAssertEqual(results["y"]?.shape, [2, 48])

        // Known but for the batch (x.view(x.size(0), 3, 16)): a static target with -1 for the batch;
        // the chain is dead and dropped, and the result has a full shape after the batch.
        let partial = try model([vi("x", [nil, 3, 4, 4])], [vi("y", nil)], opset: 13) { b in
            b.int64Initializer("zero", [0]); b.int64Initializer("rest", [3, 16])
            b.initializers.append(ModelBuilder.int64Tensor("index", [0]))
            b.initializers[b.initializers.count - 1].dims = []
            b.node("Shape", ["x"], ["s"], name: "shape")
            b.node("Gather", ["s", "index"], ["n"], name: "gather", ["axis": .int(0)])
            b.node("Unsqueeze", ["n", "zero"], ["n1"], name: "unsqueeze")
            b.node("Concat", ["n1", "rest"], ["target"], name: "concat", ["axis": .int(0)])
            b.node("Reshape", ["x", "target"], ["y"], name: "reshape")
        }
        XCTAssertEqual(partial.nodes.map(\.op), [.tensor(.reshape(ReshapeAttributes(shape: [-1, 3, 16])))])
        XCTAssertEqual(partial.nodes[0].inputs, ["x"])
        XCTAssertEqual(try partial.inferShapes()["y"], [-1, 3, 16])

        let fixed = try build(2)
        XCTAssertEqual(fixed.nodes.map(\.op.kind), ["reshape"], "Shape of a static input folds, and the chain with it")
        XCTAssertEqual(fixed.nodes[0].op, .tensor(.reshape(ReshapeAttributes(shape: [2, -1]))))
        XCTAssertEqual(fixed.nodes[0].inputs, ["x"])
        XCTAssertTrue(fixed.weights.isEmpty)
    }

    /// Nodes of constants become weights; a node inference knows the value of (Shape of a static
    /// input) too; quantization nodes never fold.
    func testConstantFolding() throws {
        let graph = try model([vi("x", [2, 3])], [vi("y", nil), vi("s", nil), vi("q", nil)]) { b in
            b.initializer("a", [3], [1, 2, 3]); b.initializer("b", [3], [10, 20, 30])
            b.initializer("scale", [], [0.5])
            b.initializers.append(ModelBuilder.tensor("w8", [3], dataType: 3, raw: [2, 254, 7]))
            b.node("Add", ["a", "b"], ["ab"], name: "fold_me")
            b.node("Mul", ["x", "ab"], ["y"], name: "mul")
            b.node("Shape", ["x"], ["s"], name: "shape")
            b.node("DequantizeLinear", ["w8", "scale"], ["q"], name: "dq")
        }
        XCTAssertEqual(graph.nodes.map(\.name), ["mul", "dq"])
        XCTAssertEqual(graph.weights["ab"]?.data.floatArray(as: .float32), [11, 22, 33])
        XCTAssertEqual(graph.weights["ab"]?.trainable, false)
        XCTAssertEqual(graph.weights["s"]?.tensor.integers, [2, 3])
        XCTAssertEqual(graph.outputs, ["y", "s", "q"])
        XCTAssertNil(graph.weights["a"], "the folded operands are gone")
    }

    func testConstantNodeForms() throws {
        let graph = try model([vi("x", [2])], [vi("y", nil)]) { b in
            b.node("Constant", [], ["f"], name: "c1", ["value_float": .float(1.5)])
            b.node("Constant", [], ["fs"], name: "c2", ["value_floats": .floats([1, 2])])
            b.node("Constant", [], ["i"], name: "c3", ["value_int": .int(7)])
            b.node("Constant", [], ["is"], name: "c4", ["value_ints": .ints([3, 4])])
            b.node("Constant", [], ["t"], name: "c5", ["value": .tensor(ModelBuilder.tensor("", [2], [5, 6]))])
            b.node("Sum", ["x", "f", "fs", "t"], ["y0"], name: "sum")
            b.node("Cast", ["is"], ["isf"], name: "cast", ["to": .int(1)])
            b.node("Add", ["y0", "isf"], ["y1"], name: "add")
            b.node("Cast", ["i"], ["if"], name: "cast2", ["to": .int(1)])
            b.node("Add", ["y1", "if"], ["y"], name: "add2")
        }
        XCTAssertEqual(graph.weights["fs"]?.info.shape, [2])
        XCTAssertEqual(graph.weights["t"]?.data.floatArray(as: .float32), [5, 6])
        XCTAssertEqual(graph.weights["f"]?.info.shape, [])
        let results = try T.evaluate(graph, ["x": Tensor(shape: [2], floats: [100, 200])])
        let y = try XCTUnwrap(results["y"])
        let expected: [Float] = [117.5, 220.5]  // x + 1.5 + [1, 2] + [5, 6] + [3, 4] + 7
        XCTAssertEqual(y.floats, expected)
    }

    // MARK: - Inputs, dims, dtypes

    func testDynamicDimsAndDeclaredTypes() throws {
        var b = ModelBuilder()
        var x = vi("x", [nil, 3, nil])
        x.type.tensorType.shape.dim[2] = Onnx_TensorShapeProto.Dimension()  // neither value nor param
        var y = vi("y", [-1, 3, 5])  // -1 written as a value: unknown
        y.type.tensorType.shape.dim[0].dimParam = "batch"
        b.inputs = [x]
        b.outputs = [y]
        b.node("Relu", ["x"], ["r"], name: "relu")
        b.node("Neg", ["r"], ["y"], name: "neg")
        var r = vi("r", [nil, 3, 5])
        r.type.tensorType.shape.dim[0].dimParam = "batch"
        var g = b.graph
        g.valueInfo = [r]
        var m = b.model
        m.graph = g
        let graph = try T.read(try m.serializedBytes())
        XCTAssertEqual(graph.inputs[0].shape, [-1, 3, -1])
        XCTAssertEqual(graph.inputs[0].dimensionNames, ["N", "", ""])
        XCTAssertEqual(graph.valueInfo["r"]?.dimensionNames, ["batch", "", ""])
        XCTAssertEqual(graph.valueInfo["y"]?.shape, [-1, 3, 5])
    }

    func testInitializerInputsAreConstantsAndWeightInputsStayInputs() throws {
        var b = ModelBuilder()
        b.irVersion = 3
        b.inputs = [vi("x", [1, 2, 3, 3]), vi("w", [2, 2, 1, 1]), vi("b", [2])]
        b.outputs = [vi("y", nil)]
        b.initializer("w", [2, 2, 1, 1], [1, 0, 0, 1])
        b.node("Conv", ["x", "w", "b"], ["y"], name: "conv")
        let graph = try T.read(b)
        XCTAssertEqual(graph.inputs.map(\.name), ["x", "b"], "w has an initializer: a constant; b is a runtime input")
        XCTAssertEqual(graph.nodes[0].inputs, ["x", "w", "b"])
        XCTAssertNotNil(graph.weights["w"])
    }

    func testEveryIRDtypeImports() throws {
        for (code, dtype) in [(2, DType.uint8), (3, .int8), (4, .uint16), (5, .int16), (6, .int32), (7, .int64), (9, .bool),
                              (10, .float16), (11, .float64), (12, .uint32), (13, .uint64), (16, .bfloat16)] as [(Int32, DType)] {
            let graph = try model([vi("x", [2], code)], [vi("y", nil, code)]) { b in b.node("Identity", ["x"], ["y"], name: "id") }
            XCTAssertEqual(graph.inputs[0].dtype, dtype)
            XCTAssertEqual(try graph.inferTypes()["y"]?.dtype, dtype)
        }
    }

    // MARK: - Carried ops

    func testCarriedOpsKeepEverything() throws {
        var body = ModelBuilder()
        body.outputs = [vi("z", nil)]
        body.node("Relu", ["outer"], ["z"], name: "inner")
        let graph = try model([vi("x", [1, 4]), vi("cond", [], 9)], [vi("y", nil), vi("l", nil), vi("branch", nil)]) { b in
            b.domains = ["com.microsoft": 1]
            var n = b.node("FusedThing", ["x", ""], ["y"], name: "ms",
                           ["alpha": .float(0.5), "mode": .string("fast"), "sizes": .ints([1, 2]), "table": .tensor(ModelBuilder.tensor("t", [2], [1, 2]))])
            n.domain = "com.microsoft"
            b.nodes[b.nodes.count - 1] = n
            b.int64Initializer("ax", [0])
            b.node("Unsqueeze", ["x", "ax"], ["x3"], name: "unsq")
            b.initializer("wl", [1, 16, 4], T.random(64, 1)); b.initializer("rl", [1, 16, 4], T.random(64, 2))
            b.node("LSTM", ["x3", "wl", "rl"], ["l"], name: "lstm", ["hidden_size": .int(4)])
            b.node("Relu", ["x"], ["outer"], name: "relu")
            b.node("If", ["cond"], ["branch"], name: "if", ["then_branch": .graph(body.graph), "else_branch": .graph(body.graph)])
        }
        guard case .custom(let ms) = graph.node(named: "ms")?.op else { return XCTFail() }
        XCTAssertEqual(ms.domain, "com.microsoft")
        XCTAssertEqual(ms.domainVersion, 1)
        XCTAssertEqual(ms.attributes.map(\.name), ["alpha", "mode", "sizes", "table"])
        XCTAssertEqual(ms.attribute("alpha"), .float(0.5))
        XCTAssertEqual(ms.attribute("mode")?.text, "fast")
        XCTAssertEqual(ms.attribute("table"), .tensor("ms/table"))
        XCTAssertEqual(graph.weights["ms/table"]?.data.floatArray(as: .float32), [1, 2])
        XCTAssertEqual(graph.node(named: "ms")?.inputs, ["x", ""])
        guard case .custom(let lstm) = graph.node(named: "lstm")?.op else { return XCTFail() }
        XCTAssertEqual(lstm.domain, "")
        XCTAssertEqual(lstm.domainVersion, 17)
        XCTAssertEqual(lstm.reason, "wtool has no semantics for LSTM")
        XCTAssertEqual(graph.parameterCount.total, 128, "the LSTM's weights (attribute tensors are no parameters)")
        // The If reads `outer` from inside its branches: an explicit operand, so it stays ordered.
        let ifNode = try XCTUnwrap(graph.node(named: "if"))
        XCTAssertEqual(ifNode.inputs, ["cond", "outer"])
        guard case .custom(let c) = ifNode.op, case .graph(let bytes)? = c.attribute("then_branch") else { return XCTFail() }
        XCTAssertEqual(c.inputNames, ["input0", "outer:outer"])
        XCTAssertEqual(try Onnx_GraphProto(serializedBytes: bytes).node.map(\.name), ["inner"])
        XCTAssertThrowsError(try graph.evaluate(inputs: ["x": Tensor(shape: [1, 4], floats: [1, 2, 3, 4])], outputs: ["y"])) { error in
            XCTAssertTrue("\(error)".contains("com.microsoft.FusedThing"), "\(error)")
        }
    }

    func testTrainingOutputsAndIndicesAreCarriedOnlyWhenUsed() throws {
        func batchNorm(useMean: Bool) throws -> Graph {
            try model([vi("x", [1, 2, 2, 2])], [vi("y", nil)] + (useMean ? [vi("m", nil)] : [])) { b in
                for name in ["s", "b", "mean", "var"] { b.initializer(name, [2], [1, 1]) }
                b.node("BatchNormalization", ["x", "s", "b", "mean", "var"], ["y", "m", "v"], name: "bn", ["training_mode": .int(0)])
            }
        }
        XCTAssertEqual(try batchNorm(useMean: false).nodes[0].op.kind, "batch_normalization")
        XCTAssertEqual(try batchNorm(useMean: false).nodes[0].outputs, ["y"])
        XCTAssertEqual(try batchNorm(useMean: true).nodes[0].op.kind, "custom")
        let pool = try model([vi("x", [1, 1, 4, 4])], [vi("y", nil), vi("i", [1, 1, 2, 2], 7)]) { b in
            b.node("MaxPool", ["x"], ["y", "i"], name: "pool", ["kernel_shape": .ints([2, 2])])
        }
        guard case .custom(let c) = pool.nodes[0].op else { return XCTFail() }
        XCTAssertEqual(c.reason, "its Indices output is used")
        XCTAssertEqual(try pool.inferTypes()["i"]?.dtype, .int64, "a carried op's outputs take their declared types")
    }

    /// Dropout's training_mode: false at import is dropped, given at run time it stays an operand
    /// (ratio 0 or inference runs; a random case is refused when run), true with a nonzero ratio
    /// at import is carried; the writer keeps the operand and the seed.
    func testDropoutTrainingMode() throws {
        func graph(_ training: Bool?, ratio: Float) throws -> Graph {
            try model([vi("x", [2, 3])] + (training == nil ? [vi("t", [], 9)] : []), [vi("y", nil), vi("mask", nil)], opset: 13) { b in
                b.initializer("r", [], [ratio])
                if let training { b.initializers.append(ModelBuilder.tensor("t", [], dataType: 9, raw: [training ? 1 : 0])) }
                b.node("Dropout", ["x", "r", "t"], ["y", "mask"], name: "dropout", ["seed": .int(7)])
            }
        }
        let x = Tensor(shape: [2, 3], floats: [1, -2, 3, 4, 5, -6])
        XCTAssertEqual(try graph(false, ratio: 0.5).nodes[0].inputs, ["x"])
        XCTAssertEqual(try graph(true, ratio: 0.5).nodes[0].op.kind, "custom")
        let zero = try graph(true, ratio: 0)
        XCTAssertEqual(zero.nodes[0].op, .tensor(.dropout(rate: 0, seed: 7)), "the seed is kept for the writer")
        XCTAssertEqual(try T.evaluate(zero, ["x": x])["y"]?.floats, x.floats, "training with ratio 0 keeps every element")
        for ratio: Float in [0, 0.5] {
            let dynamic = try graph(nil, ratio: ratio)
            XCTAssertEqual(dynamic.nodes[0].inputs, ["x", "", "t"])
            XCTAssertEqual(try T.roundTrip(dynamic, ONNXWriter(opset: 13)).nodes, dynamic.nodes)
            let inference = try T.evaluate(dynamic, ["x": x, "t": Tensor(dtype: .bool, shape: [], data: TensorData(copying: [0]))])
            XCTAssertEqual(inference["y"]?.floats, x.floats)
            XCTAssertEqual(inference["mask"]?.integers, [1, 1, 1, 1, 1, 1])
            let training = { try T.evaluate(dynamic, ["x": x, "t": Tensor(dtype: .bool, shape: [], data: TensorData(copying: [1]))]) }
            if ratio == 0 {
                XCTAssertEqual(try training()["y"]?.floats, x.floats)
            } else {
                XCTAssertThrowsError(try training()) { XCTAssertTrue("\($0)".contains("random"), "\($0)") }
            }
        }
    }

    /// LayerNormalization's Mean and InvStdDev outputs: its function body in IR ops.
    func testLayerNormalizationStatistics() throws {
        let graph = try model([vi("x", [2, 3])], [vi("y", nil), vi("mean", nil), vi("inv", nil)]) { b in
            b.initializer("s", [3], [1, 2, 3]); b.initializer("b", [3], [0, 0, 1])
            b.node("LayerNormalization", ["x", "s", "b"], ["y", "mean", "inv"], name: "ln", ["epsilon": .float(1e-5)])
        }
        XCTAssertTrue(graph.nodes.allSatisfy { $0.op.kind != "custom" })
        XCTAssertEqual(graph.nodes.last?.name, "ln")
        let x: [Float] = [1, 2, 3, -1, 0, 5]
        let out = try T.evaluate(graph, ["x": Tensor(shape: [2, 3], floats: x)])
        XCTAssertEqual(out["mean"]?.shape, [2, 1])
        XCTAssertEqual(out["mean"]?.floats ?? [], [2, 4.0 / 3], accuracy: 1e-6)
        // Row 1, [-1, 0, 5], deviates from its mean 4/3 by -7/3, -4/3 and 11/3.
        let var0: Float = 2.0 / 3, var1: Float = ((7.0 / 3) * (7.0 / 3) + (4.0 / 3) * (4.0 / 3) + (11.0 / 3) * (11.0 / 3)) / 3
        let inv = [1 / (var0 + 1e-5).squareRoot(), 1 / (var1 + 1e-5).squareRoot()]
        XCTAssertEqual(out["inv"]?.shape, [2, 1])
        XCTAssertEqual(out["inv"]?.floats ?? [], inv, accuracy: 1e-5)
        let means: [Float] = [2, 4.0 / 3], scale: [Float] = [1, 2, 3], bias: [Float] = [0, 0, 1]
        let y: [Float] = (0..<6).map { (i: Int) -> Float in
            let normalized: Float = (x[i] - means[i / 3]) * inv[i / 3]
            return normalized * scale[i % 3] + bias[i % 3]
        }
        XCTAssertEqual(out["y"]?.floats ?? [], y, accuracy: 1e-5)
    }

    /// BatchNormalization in training mode: Y normalized by the batch's statistics over every
    /// axis but 1 (biased variance), running statistics `input · momentum + batch · (1 − momentum)`.
    func testBatchNormalizationTrainingMode() throws {
        let graph = try model([vi("x", [2, 2, 1, 3])], [vi("y", nil), vi("running_mean", nil), vi("running_var", nil)], opset: 15) { b in
            b.initializer("s", [2], [1, 2]); b.initializer("b", [2], [0, 1])
            b.initializer("mean", [2], [0.5, -1]); b.initializer("var", [2], [1, 2])
            b.node("BatchNormalization", ["x", "s", "b", "mean", "var"], ["y", "running_mean", "running_var"], name: "bn",
                   ["training_mode": .int(1), "momentum": .float(0.8), "epsilon": .float(1e-3)])
        }
        XCTAssertEqual(graph.nodes.filter { $0.op.kind == "batch_normalization" }.map(\.name), ["bn"])
        let x: [Float] = [1, 2, 3, -1, 0, 4, 5, 6, 7, 2, 2, 2]
        let out = try T.evaluate(graph, ["x": Tensor(shape: [2, 2, 1, 3], floats: x)])
        var y = [Float](repeating: 0, count: 12), means: [Float] = [], variances: [Float] = []
        for c in 0..<2 {
            let indices = [0, 1, 2, 6, 7, 8].map { $0 + 3 * c }
            let mean = indices.map { x[$0] }.reduce(0, +) / 6
            let variance = indices.map { (x[$0] - mean) * (x[$0] - mean) }.reduce(0, +) / 6
            for i in indices { y[i] = (x[i] - mean) / (variance + 1e-3).squareRoot() * [1, 2][c] + [0, 1][c] }
            means.append(mean)
            variances.append(variance)
        }
        XCTAssertEqual(out["y"]?.floats ?? [], y, accuracy: 1e-5)
        XCTAssertEqual(out["running_mean"]?.floats ?? [], [0.5 * 0.8 + means[0] * 0.2, -0.8 + means[1] * 0.2], accuracy: 1e-5)
        XCTAssertEqual(out["running_var"]?.floats ?? [], [0.8 + variances[0] * 0.2, 1.6 + variances[1] * 0.2], accuracy: 1e-5)
        // With only Y read, the running statistics are not computed.
        let yOnly = try model([vi("x", [2, 2, 1, 3])], [vi("y", nil)], opset: 15) { b in
            b.initializer("s", [2], [1, 2]); b.initializer("b", [2], [0, 1])
            b.initializer("mean", [2], [0.5, -1]); b.initializer("var", [2], [1, 2])
            b.node("BatchNormalization", ["x", "s", "b", "mean", "var"], ["y"], name: "bn", ["training_mode": .int(1), "epsilon": .float(1e-3)])
        }
        XCTAssertFalse(yOnly.nodes.contains { $0.name.contains("running") })
        XCTAssertEqual(try T.evaluate(yOnly, ["x": Tensor(shape: [2, 2, 1, 3], floats: x)])["y"]?.floats ?? [], y, accuracy: 1e-5)
    }

    /// A QDQ model keeps its int8 weight and the quantization nodes, and writes them back.
    func testQuantizationNodes() throws {
        let graph = try model([vi("x", [1, 3])], [vi("y", nil), vi("q", nil), vi("s", nil), vi("z", nil)], opset: 13) { b in
            b.initializers.append(ModelBuilder.tensor("w8", [3, 2], dataType: 3, raw: [1, 255, 3, 4, 250, 6]))
            b.initializer("ws", [2], [0.5, 0.25])
            b.initializers.append(ModelBuilder.tensor("wz", [2], dataType: 3, raw: [0, 1]))
            b.node("DequantizeLinear", ["w8", "ws", "wz"], ["w"], name: "dq", ["axis": .int(1)])
            b.node("MatMul", ["x", "w"], ["y"], name: "matmul")
            b.node("DynamicQuantizeLinear", ["x"], ["q", "s", "z"], name: "dql")
        }
        XCTAssertEqual(graph.nodes.map(\.op), [.quantization(.dequantizeLinear(QuantizeAttributes(axis: 1))), .linear(.matMul),
                                               .quantization(.dynamicQuantizeLinear)])
        XCTAssertEqual(graph.weights["w8"]?.info.dtype, .int8)
        let types = try graph.inferTypes()
        XCTAssertEqual(types["w"]?.type, ValueType(dtype: .float32, shape: [3, 2]))
        XCTAssertEqual(types["q"]?.dtype, .uint8)
        let back = try T.roundTrip(graph, ONNXWriter(opset: 13))
        XCTAssertEqual(back.nodes, graph.nodes)
        XCTAssertTrue(back.weights["w8"]?.data.bytesEqual(graph.weights["w8"]!.data) ?? false)
    }

    /// Blocked quantization (opset 21's block_size) is read into the IR, evaluated, and written
    /// back from opset 21 on.
    func testBlockedQuantization() throws {
        let graph = try model([vi("x", [3, 4])], [vi("y", nil)], opset: 21) { b in
            b.initializer("s", [3, 2], [1.5, 2.5, 3, 4.9, 5.1, 6.9])
            b.initializers.append(ModelBuilder.tensor("z", [3, 2], dataType: 2, raw: [0, 1, 1, 0, 2, 3]))
            b.node("QuantizeLinear", ["x", "s", "z"], ["y"], name: "q", ["axis": .int(1), "block_size": .int(2)])
        }
        XCTAssertEqual(graph.nodes.map(\.op), [.quantization(.quantizeLinear(QuantizeAttributes(axis: 1, blockSize: 2)))])
        let x = Tensor(shape: [3, 4], floats: [6, 12, 50, 5, 1, 8, 4, 5, 0, 20, 10, 4])
        XCTAssertEqual(try T.evaluate(graph, ["x": x])["y"]?.integers, [4, 8, 21, 3, 1, 4, 1, 1, 2, 6, 4, 4])
        let back = try T.roundTrip(graph, ONNXWriter(opset: 21))
        XCTAssertEqual(back.nodes, graph.nodes)
        XCTAssertThrowsError(try ONNXWriter(opset: 19).serialize(graph)) { error in
            XCTAssertEqual("\(error)", "cannot write node 'q' as ONNX: blocked quantization (block_size) needs opset 21 or later (--opset 21)")
        }
    }

    func testMetadataAndOpsetImportsAreKept() throws {
        var b = ModelBuilder()
        b.inputs = [vi("x", [1])]
        b.outputs = [vi("y", nil)]
        b.domains = ["ai.onnx.ml": 2]
        b.node("Relu", ["x"], ["y"], name: "relu")
        var m = b.model
        m.producerName = "pytorch"
        m.producerVersion = "2.5"
        m.metadataProps = [("author", "me"), ("preprocessing", "torch"), ("extra.k", "v")].map {
            var e = Onnx_StringStringEntryProto(); e.key = $0.0; e.value = $0.1; return e
        }
        let graph = try T.read(try m.serializedBytes())
        XCTAssertEqual(graph.metadata.producer, "pytorch 2.5")
        XCTAssertEqual(graph.metadata.preprocessing, "torch")
        XCTAssertEqual(graph.metadata.extra["onnx.metadata.author"], "me")
        XCTAssertEqual(graph.metadata.extra["k"], "v")
        XCTAssertEqual(graph.metadata.extra["onnx.opset_import.ai.onnx.ml"], "2")
        XCTAssertEqual(graph.metadata.extra["onnx.opset"], "17")
    }
}

private func XCTAssertEqual(_ a: [Float], _ b: [Float], accuracy: Float, file: StaticString = #filePath, line: UInt = #line) {
    XCTAssertEqual(a.count, b.count, file: file, line: line)
    for (x, y) in zip(a, b) { XCTAssertEqual(x, y, accuracy: accuracy, file: file, line: line) }
}
