import Foundation
import ModelIR
import ONNXProto

/// IR `Graph` → ONNX `ModelProto`, the way tf2onnx lays a Keras model out: the graph's NHWC inputs
/// and outputs stay NHWC (or become NCHW with `nchw`), the body runs in NCHW, and Transposes are
/// inserted only where a value changes layout. Op families live in `ONNXExporter+*.swift`.
///
/// Weights are written as float32 (`Conv` wants its weight in the input's type): kernels HWIO →
/// OIHW (`[3, 2, 0, 1]`), depthwise HWCM → `[C·M, 1, kH, kW]`, dense IO as Gemm's B.
final class ONNXExporter {
    enum Layout: String {
        /// The IR's own axis order (NHWC for images).
        case ir
        /// NCHW of an image tensor.
        case nchw
    }

    struct Initializer {
        var proto: Onnx_TensorProto
        var data: TensorData
    }

    let graph: Graph
    let opset: Int
    let nchwIO: Bool
    let shapes: [String: [Int]]
    private(set) var nodes: [Onnx_NodeProto] = []
    private(set) var initializers: [Initializer] = []
    /// IR value → ONNX names by layout; `native` is where its producer wrote it.
    private var names: [String: [Layout: String]] = [:]
    private var native: [String: Layout] = [:]
    private var used = Set<String>()
    private var nodeNames = Set<String>()
    private var initializerCache: [String: String] = [:]
    private let graphOutputs: Set<String>

    /// - Parameter validated: the caller has just validated `graph` (a conversion validates once).
    init(graph: Graph, opset: Int, nchwIO: Bool, validated: Bool = false) throws {
        self.graph = graph
        self.opset = opset
        self.nchwIO = nchwIO
        do {
            if !validated { try graph.validate() }
            shapes = try graph.inferShapes()
        } catch let e as ModelIRError {
            throw ONNXError.cannotExport(node: graph.name, detail: e.description)
        }
        graphOutputs = Set(graph.outputs)
        for input in graph.inputs { used.insert(input.name) }
        for output in graph.outputs { used.insert(output) }
    }

    // MARK: - Building the model

    func model() throws -> Onnx_ModelProto {
        var g = Onnx_GraphProto()
        g.name = graph.name
        for input in graph.inputs {
            let layout: Layout = input.shape.count == 4 && nchwIO ? .nchw : .ir
            names[input.name] = [layout: input.name]
            native[input.name] = layout
            g.input.append(valueInfo(input.name, irShape: input.shape, layout: layout))
        }
        for node in graph.nodes {
            try export(node)
        }
        for output in graph.outputs {
            let layout = outputLayout(output)
            let name = try value(output, as: layout, node: output)
            guard name == output else { throw ONNXError.cannotExport(node: output, detail: "graph output '\(output)' is also a graph input") }
            g.output.append(valueInfo(output, irShape: shapes[output] ?? [], layout: layout))
        }
        g.node = nodes
        g.initializer = initializers.map(\.proto)

        var m = Onnx_ModelProto()
        m.irVersion = Self.irVersion(opset: opset)
        var o = Onnx_OperatorSetIdProto()
        o.domain = ""
        o.version = Int64(opset)
        m.opsetImport = [o]
        m.producerName = "wtool"
        m.producerVersion = ONNXWriter.producerVersion
        m.graph = g
        m.metadataProps = metadataProps()
        return m
    }

    /// The IR version that goes with an opset (onnx's `VERSION_TABLE`).
    static func irVersion(opset: Int) -> Int64 {
        switch opset {
        case ...14: 7
        case 15...18: 8
        case 19...20: 9
        default: 10
        }
    }

    private func metadataProps() -> [Onnx_StringStringEntryProto] {
        let md = graph.metadata
        var props: [(String, String)] = []
        if let s = md.sourceFormat { props.append(("source_format", s)) }
        if let s = md.producer { props.append(("source_producer", s)) }
        if let s = md.kerasVersion { props.append(("keras_version", s)) }
        if let s = md.backend { props.append(("backend", s)) }
        if let s = md.preprocessing { props.append(("preprocessing", s)) }
        if let names = md.classNames, let data = try? JSONEncoder().encode(names) {
            props.append(("class_names", String(decoding: data, as: UTF8.self)))
        }
        for (k, v) in md.extra.sorted(by: { $0.key < $1.key }) where !k.hasPrefix("onnx.") {
            props.append(("extra." + k, v))
        }
        return props.map { k, v in
            var e = Onnx_StringStringEntryProto()
            e.key = k
            e.value = v
            return e
        }
    }

    private func valueInfo(_ name: String, irShape: [Int], layout: Layout) -> Onnx_ValueInfoProto {
        var tt = Onnx_TypeProto.Tensor()
        tt.elemType = 1
        var shape = Onnx_TensorShapeProto()
        let dims = layout == .nchw ? _ValueState.nchwView.map { irShape[$0] } : irShape
        for (i, d) in dims.enumerated() {
            var dim = Onnx_TensorShapeProto.Dimension()
            if d >= 0 { dim.dimValue = Int64(d) } else { dim.dimParam = i == 0 ? "N" : "\(name)_d\(i)" }
            shape.dim.append(dim)
        }
        tt.shape = shape
        var t = Onnx_TypeProto()
        t.tensorType = tt
        var v = Onnx_ValueInfoProto()
        v.name = name
        v.type = t
        return v
    }

    // MARK: - Values and layouts

    /// Where a graph output ends up: NHWC (or NCHW with `nchw`) for images, else as it is.
    func outputLayout(_ v: String) -> Layout {
        (shapes[v]?.count == 4 && nchwIO) ? .nchw : .ir
    }

    func rank(_ v: String) -> Int { shapes[v]?.count ?? 0 }

    /// The layout `v` was produced in.
    func nativeLayout(_ v: String) -> Layout { native[v] ?? .ir }

    /// The ONNX name of IR value `v` in `layout`, adding a Transpose the first time it is needed.
    func value(_ v: String, as layout: Layout, node: String) throws -> String {
        if let name = names[v]?[layout] { return name }
        guard let from = native[v], let source = names[v]?[from] else {
            throw ONNXError.cannotExport(node: node, detail: "value '\(v)' is used before it is produced")
        }
        guard rank(v) == 4 else { throw ONNXError.cannotExport(node: node, detail: "value '\(v)' of rank \(rank(v)) cannot be NCHW") }
        let perm = layout == .nchw ? _ValueState.nchwView : _ValueState.nhwcToNCHWAxis
        let out = graphOutputs.contains(v) && layout == outputLayout(v) ? v : unique("\(v)__\(layout == .nchw ? "nchw" : "nhwc")")
        var n = makeNode("Transpose", name: "\(v)/to_\(layout == .nchw ? "nchw" : "nhwc")", inputs: [source], outputs: [out])
        n.attribute = [attribute("perm", ints: perm)]
        nodes.append(n)
        names[v, default: [:]][layout] = out
        return out
    }

    /// The name a node producing IR value `v` in `layout` should write to.
    func output(_ v: String, layout: Layout) -> String {
        let name = graphOutputs.contains(v) && layout != outputLayout(v) ? unique("\(v)__\(layout == .nchw ? "nchw" : "nhwc")")
                                                                          : claim(v)
        names[v, default: [:]][layout] = name
        native[v] = layout
        return name
    }

    /// A fresh intermediate name (pre-activation outputs and the like).
    func temporary(_ base: String) -> String { unique(base) }

    private func claim(_ name: String) -> String {
        // Graph outputs were reserved up front; any other name is taken on first use.
        if graphOutputs.contains(name) { return name }
        return unique(name)
    }

    private func unique(_ base: String) -> String {
        var name = base, i = 1
        while used.contains(name) {
            name = "\(base)_\(i)"
            i += 1
        }
        used.insert(name)
        return name
    }

    // MARK: - Nodes, attributes, initializers

    func makeNode(_ op: String, name: String, inputs: [String], outputs: [String], attributes: [Onnx_AttributeProto] = []) -> Onnx_NodeProto {
        var n = Onnx_NodeProto()
        n.opType = op
        var nodeName = name, i = 1
        while nodeNames.contains(nodeName) {
            nodeName = "\(name)_\(i)"
            i += 1
        }
        nodeNames.insert(nodeName)
        n.name = nodeName
        n.input = inputs
        n.output = outputs
        n.attribute = attributes
        return n
    }

    func append(_ node: Onnx_NodeProto) { nodes.append(node) }

    func attribute(_ name: String, ints: [Int]) -> Onnx_AttributeProto {
        var a = Onnx_AttributeProto()
        a.name = name
        a.type = .ints
        a.ints = ints.map(Int64.init)
        return a
    }

    func attribute(_ name: String, int: Int) -> Onnx_AttributeProto {
        var a = Onnx_AttributeProto()
        a.name = name
        a.type = .int
        a.i = Int64(int)
        return a
    }

    func attribute(_ name: String, float: Float) -> Onnx_AttributeProto {
        var a = Onnx_AttributeProto()
        a.name = name
        a.type = .float
        a.f = float
        return a
    }

    func attribute(_ name: String, string: String) -> Onnx_AttributeProto {
        var a = Onnx_AttributeProto()
        a.name = name
        a.type = .string
        a.s = Data(string.utf8)
        return a
    }

    /// Adds an initializer (float32 unless `dtype` says otherwise) and returns its name. `key`
    /// deduplicates one weight used the same way by several nodes.
    func initializer(_ preferred: String, dims: [Int], dtype: DType = .float32, key: String? = nil,
                     data make: () throws -> TensorData) rethrows -> String {
        if let key, let name = initializerCache[key] { return name }
        let name = unique(preferred)
        var t = Onnx_TensorProto()
        t.name = name
        t.dims = dims.map(Int64.init)
        t.dataType = _ONNXDataType.code(dtype)
        initializers.append(Initializer(proto: t, data: try make()))
        if let key { initializerCache[key] = name }
        return name
    }

    func int64Initializer(_ preferred: String, _ values: [Int]) -> String {
        initializer(preferred, dims: [values.count], dtype: .int64) {
            values.map(Int64.init).withUnsafeBytes { TensorData(copying: $0) }
        }
    }

    func scalarInitializer(_ preferred: String, _ value: Float) -> String {
        initializer(preferred, dims: [], key: "scalar\u{0}\(preferred)\u{0}\(value.bitPattern)") { TensorData(floats: [value]) }
    }

    /// A weight's elements as float32.
    func floats(_ weightName: String, node: Node) throws -> (weight: Weight, values: [Float]) {
        guard let w = graph.weights[weightName] else {
            throw ONNXError.cannotExport(node: node.name, detail: "weight '\(weightName)' is missing")
        }
        guard w.info.dtype.isFloatingPoint else {
            throw ONNXError.cannotExport(node: node.name, detail: "weight '\(weightName)' is \(w.info.dtype), not floating point")
        }
        return (w, w.data.floatArray(as: w.info.dtype))
    }

    /// A weight as a float32 initializer, transposed by `perm` (nil keeps it) and reshaped to `dims`.
    func weightInitializer(_ weightName: String, node: Node, perm: [Int]? = nil, dims: [Int]? = nil) throws -> String {
        let (w, values) = try floats(weightName, node: node)
        let transposedDims = perm.map { p in p.map { w.info.shape[$0] } } ?? w.info.shape
        let outDims = dims ?? transposedDims
        let key = "weight\u{0}\(weightName)\u{0}\(perm ?? [])\u{0}\(outDims)"
        return initializer(weightName, dims: outDims, key: key) {
            let f32 = TensorData(floats: values)
            guard let perm else { return f32 }
            return _Transpose.apply(f32.bytes, dims: w.info.shape, perm: perm, elementSize: 4)
        }
    }

    /// The ONNX node name for an IR node's main op.
    func nodeName(_ node: Node) -> String { node.name }
}
