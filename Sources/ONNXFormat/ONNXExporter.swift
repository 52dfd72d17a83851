import Foundation
import ModelIR
import ONNXProto
import SwiftProtobuf

/// IR `Graph` → ONNX `ModelProto`, node for node. Op families live in `ONNXExporter+<Family>.swift`.
///
/// A channels-first graph (read from ONNX) is written back as it is: same value and node names,
/// same layouts, parameters in the attribute or input form the target opset wants. A
/// channels-last graph (read from Keras) keeps its NHWC inputs and outputs; each channels-last
/// convolution, pooling or normalization reads a channels-first copy of its input (one Transpose,
/// made once per value) and writes a channels-first result that is transposed back only where
/// something needs it, so a conv stack runs NCHW between one Transpose at each end, as tf2onnx
/// writes it. With `nchwIO` the rank-4 inputs and outputs of such a graph are NCHW themselves.
/// Weights are initializers in their own dtype; kernels of channels-last ops are transposed to
/// ONNX's OIHW (`[3, 2, 0, 1]` for HWIO).
final class ONNXExporter {
    struct Initializer {
        var proto: Onnx_TensorProto
        var data: TensorData
    }

    /// The two forms a value can take: the IR's own, and (for a channels-last value of rank ≥ 3)
    /// channels first.
    enum Form: Hashable {
        case native
        case channelsFirst
    }

    let graph: Graph
    let opset: Int
    let nchwIO: Bool
    /// Inferred types of every value.
    let types: [String: ValueType]
    private(set) var nodes: [Onnx_NodeProto] = []
    private(set) var initializers: [Initializer] = []
    /// Opset versions of the non-default domains the written nodes use.
    private(set) var domains: [String: Int] = [:]
    /// IR value → its ONNX names by form.
    private(set) var names: [String: [Form: String]] = [:]
    private var taken = Set<String>()
    private var nextSuffix: [String: Int] = [:]
    private var nodeNames = Set<String>()
    private var initializerCache: [String: String] = [:]
    private let graphOutputs: Set<String>
    private let channelsLastGraph: Bool

    /// - Parameter validated: the caller has just validated `graph` (a conversion validates once).
    init(graph: Graph, opset: Int, nchwIO: Bool, validated: Bool = false) throws {
        self.graph = graph
        self.opset = opset
        self.nchwIO = nchwIO
        do {
            if !validated { try graph.validate() }
            types = try graph.inferTypes(foldLimit: 0).mapValues(\.type)
        } catch let e as ModelIRError {
            throw ONNXError.cannotExport(node: graph.name, detail: e.description)
        }
        graphOutputs = Set(graph.outputs)
        channelsLastGraph = graph.nodes.contains { node in
            switch node.op {
            case .conv(let c): c.layout == .channelsLast
            case .pool(let p): p.layout == .channelsLast
            default: false
            }
        }
        taken = Set(graph.inputs.map(\.name)).union(graph.weights.keys).union(graph.outputs)
        for node in graph.nodes { taken.formUnion(node.outputs) }
    }

    // MARK: - Building the model

    func model() throws -> Onnx_ModelProto {
        var g = Onnx_GraphProto()
        g.name = graph.name
        for input in graph.inputs {
            let form = ioForm(input.name, rank: input.shape.count)
            names[input.name] = [form: input.name]
            g.input.append(valueInfo(input.name, dtype: input.dtype, shape: input.shape, names: input.dimensionNames, form: form))
        }
        for node in graph.nodes { try export(node) }
        for output in graph.outputs {
            let type = types[output] ?? ValueType(dtype: dtype(output), shape: shape(output))
            let form = ioForm(output, rank: type.shape?.count ?? 0)
            if graph.weights[output] != nil || graph.inputs.contains(where: { $0.name == output }) && form == .native {
                // A constant or an input as an output: ONNX wants a node that produces it.
                let source = try ref(output, .native)
                if source != output {
                    append("Identity", name: "\(output)/identity", inputs: [source], outputs: [output])
                }
            } else {
                let name = try ref(output, form)
                guard name == output else { throw ONNXError.cannotExport(node: output, detail: "graph output '\(output)' has no node of its own") }
            }
            let declared = graph.valueInfo[output]
            let shape = declared?.shape ?? type.shape
            g.output.append(valueInfo(output, dtype: type.dtype, shape: shape, names: declared?.dimensionNames, form: form))
        }
        // Declared types of intermediate values (dim_params kept).
        for (name, info) in graph.valueInfo.sorted(by: { $0.key < $1.key })
        where !graphOutputs.contains(name) && names[name]?[.native] == name && graph.weights[name] == nil
            && !graph.inputs.contains(where: { $0.name == name }) {
            g.valueInfo.append(valueInfo(name, dtype: info.dtype, shape: info.shape, names: info.dimensionNames, form: .native))
        }
        g.node = nodes

        var m = Onnx_ModelProto()
        m.irVersion = Self.irVersion(opset: opset)
        var imports = [Self.opsetID("", opset)]
        var allDomains = domains
        for (key, value) in graph.metadata.extra where key.hasPrefix("onnx.opset_import.") {
            let domain = String(key.dropFirst("onnx.opset_import.".count))
            if allDomains[domain] == nil, let v = Int(value) { allDomains[domain] = v }
        }
        for (domain, version) in allDomains.sorted(by: { $0.key < $1.key }) where !domain.isEmpty {
            imports.append(Self.opsetID(domain, version))
        }
        m.opsetImport = imports
        m.producerName = "wtool"
        m.producerVersion = ONNXWriter.producerVersion
        let extra = graph.metadata.extra
        if let d = extra["onnx.domain"] { m.domain = d }
        if let v = extra["onnx.model_version"].flatMap(Int64.init) { m.modelVersion = v }
        if let d = extra["onnx.doc_string"] { m.docString = d }
        for (key, value) in extra.sorted(by: { $0.key < $1.key }) where key.hasPrefix("onnx.function.") {
            if let data = Data(base64Encoded: value), let f = try? Onnx_FunctionProto(serializedBytes: data) { m.functions.append(f) }
        }
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
        case 21...22: 10
        case 23: 11
        case 24: 12
        default: 13
        }
    }

    static func opsetID(_ domain: String, _ version: Int) -> Onnx_OperatorSetIdProto {
        var o = Onnx_OperatorSetIdProto()
        o.domain = domain
        o.version = Int64(version)
        return o
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
        for (k, v) in md.extra.sorted(by: { $0.key < $1.key }) {
            if k.hasPrefix("onnx.metadata.") {
                props.append((String(k.dropFirst("onnx.metadata.".count)), v))
            } else if !k.hasPrefix("onnx.") {
                props.append(("extra." + k, v))
            }
        }
        return props.map { k, v in
            var e = Onnx_StringStringEntryProto()
            e.key = k
            e.value = v
            return e
        }
    }

    func valueInfo(_ name: String, dtype: DType, shape: [Int]?, names: [String]?, form: Form) -> Onnx_ValueInfoProto {
        var tt = Onnx_TypeProto.Tensor()
        tt.elemType = _DataType.code(dtype)
        if var dims = shape {
            var dimNames = names ?? dims.map { _ in "" }
            if form == .channelsFirst, dims.count >= 3 {
                let p = Self.toChannelsFirst(rank: dims.count)
                dims = p.map { dims[$0] }
                dimNames = dimNames.count == p.count ? p.map { dimNames[$0] } : dimNames
            }
            var s = Onnx_TensorShapeProto()
            for (i, d) in dims.enumerated() {
                var dim = Onnx_TensorShapeProto.Dimension()
                if d >= 0 { dim.dimValue = Int64(d) } else if i < dimNames.count, !dimNames[i].isEmpty { dim.dimParam = dimNames[i] }
                s.dim.append(dim)
            }
            tt.shape = s
        }
        var t = Onnx_TypeProto()
        t.tensorType = tt
        var v = Onnx_ValueInfoProto()
        v.name = name
        v.type = t
        return v
    }

    // MARK: - Values and forms

    /// NHWC → NCHW for any rank ≥ 3: `[0, r−1, 1, …, r−2]`.
    static func toChannelsFirst(rank: Int) -> [Int] { [0, rank - 1] + Array(1..<(rank - 1)) }
    /// NCHW → NHWC: `[0, 2, …, r−1, 1]`.
    static func toChannelsLast(rank: Int) -> [Int] { [0] + Array(2..<rank) + [1] }

    /// The form a graph input or output takes in the file: channels first only with `nchwIO`,
    /// for the rank-4 values of a channels-last graph.
    private func ioForm(_ name: String, rank: Int) -> Form {
        nchwIO && channelsLastGraph && rank == 4 ? .channelsFirst : .native
    }

    func rank(_ v: String) -> Int? { types[v]?.shape?.count ?? graph.weights[v]?.info.shape.count }
    func shape(_ v: String) -> [Int]? { types[v]?.shape ?? graph.weights[v]?.info.shape }
    func dtype(_ v: String) -> DType { types[v]?.dtype ?? graph.weights[v]?.info.dtype ?? .float32 }

    /// Whether `v` exists only channels first so far (the result of a converted channels-last op).
    func isChannelsFirstOnly(_ v: String) -> Bool {
        names[v]?[.channelsFirst] != nil && names[v]?[.native] == nil
    }

    /// The ONNX name of IR value `v` in `form`, transposing (once) from the other form when needed.
    func ref(_ v: String, _ form: Form = .native) throws -> String {
        if v.isEmpty { return "" }
        if let name = names[v]?[form] { return name }
        if let w = graph.weights[v] {
            if form == .native {
                let name = initializer(v, w.tensor, key: "weight\u{0}\(v)", preferExact: !graphOutputs.contains(v))
                names[v, default: [:]][.native] = name
                return name
            }
            let r = w.info.shape.count
            let name = initializer("\(v)__nchw", _Transpose.apply(w.tensor, perm: Self.toChannelsFirst(rank: r)), key: "nchw\u{0}\(v)")
            names[v, default: [:]][.channelsFirst] = name
            return name
        }
        let other: Form = form == .native ? .channelsFirst : .native
        guard let source = names[v]?[other] else {
            throw ONNXError.cannotExport(node: v, detail: "value '\(v)' is used before it is produced")
        }
        guard let r = rank(v), r >= 3 else { throw ONNXError.cannotExport(node: v, detail: "value '\(v)' of unknown rank cannot change layout") }
        let perm = form == .channelsFirst ? Self.toChannelsFirst(rank: r) : Self.toChannelsLast(rank: r)
        let out = produce(v, form)
        append("Transpose", name: "\(v)/to_\(form == .native ? "nhwc" : "nchw")", inputs: [source], outputs: [out],
               attributes: [attribute("perm", ints: perm)])
        return out
    }

    /// The ONNX name a node producing IR value `v` in `form` writes to.
    @discardableResult
    func produce(_ v: String, _ form: Form) -> String {
        if let name = names[v]?[form] { return name }
        let r = rank(v) ?? 0
        let wanted = graphOutputs.contains(v) ? ioForm(v, rank: r) : .native
        let free = !(names[v]?.values.contains(v) ?? false)  // an NCHW graph input already holds the name
        let name = form == wanted && free ? v : unique("\(v)__\(form == .native ? "nhwc" : "nchw")")
        names[v, default: [:]][form] = name
        return name
    }

    /// A fresh value name.
    func temporary(_ base: String) -> String { unique(base) }

    private func unique(_ base: String) -> String {
        var name = base, i = nextSuffix[base] ?? 1
        while taken.contains(name) {
            name = "\(base)_\(i)"
            i += 1
        }
        nextSuffix[base] = i
        taken.insert(name)
        return name
    }

    // MARK: - Nodes, attributes, initializers

    @discardableResult
    func append(_ op: String, name: String, inputs: [String], outputs: [String], attributes: [Onnx_AttributeProto] = [],
                domain: String = "", keepAbsentInputs: Bool = false) -> Onnx_NodeProto {
        var n = Onnx_NodeProto()
        n.opType = op
        if !domain.isEmpty { n.domain = domain }
        var nodeName = name, i = 1
        while nodeNames.contains(nodeName) {
            nodeName = "\(name)_\(i)"
            i += 1
        }
        nodeNames.insert(nodeName)
        n.name = nodeName
        var ins = inputs
        while !keepAbsentInputs, ins.last == "" { ins.removeLast() }
        n.input = ins
        n.output = outputs
        n.attribute = attributes
        nodes.append(n)
        return n
    }

    func use(domain: String, version: Int) {
        domains[domain] = max(domains[domain] ?? 0, version)
    }

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

    func attribute(_ name: String, floats: [Float]) -> Onnx_AttributeProto {
        var a = Onnx_AttributeProto()
        a.name = name
        a.type = .floats
        a.floats = floats
        return a
    }

    func attribute(_ name: String, string: String) -> Onnx_AttributeProto {
        var a = Onnx_AttributeProto()
        a.name = name
        a.type = .string
        a.s = Data(string.utf8)
        return a
    }

    func attribute(_ name: String, tensor: Tensor) -> Onnx_AttributeProto {
        var a = Onnx_AttributeProto()
        a.name = name
        a.type = .tensor
        a.t = Self.tensorProto(name: "", tensor)
        return a
    }

    static func tensorProto(name: String, _ t: Tensor) -> Onnx_TensorProto {
        var p = Onnx_TensorProto()
        p.name = name
        p.dims = t.shape.map(Int64.init)
        p.dataType = _DataType.code(t.dtype)
        p.rawData = Data(t.data.bytes)
        return p
    }

    /// Adds an initializer (once per `key`) and returns its name: `preferred` itself when free
    /// and `preferExact`, else a fresh name.
    func initializer(_ preferred: String, _ t: Tensor, key: String? = nil, preferExact: Bool = false) -> String {
        if let key, let name = initializerCache[key] { return name }
        let name: String
        if preferExact, !initializers.contains(where: { $0.proto.name == preferred }) {
            name = preferred
        } else {
            name = unique(preferred)
        }
        var p = Onnx_TensorProto()
        p.name = name
        p.dims = t.shape.map(Int64.init)
        p.dataType = _DataType.code(t.dtype)
        initializers.append(Initializer(proto: p, data: t.data))
        if let key { initializerCache[key] = name }
        return name
    }

    func int64Initializer(_ preferred: String, _ values: [Int]) -> String {
        initializer(preferred, Tensor(shape: [values.count], integers: values.map(Int64.init)))
    }

    /// A scalar initializer of `dtype` (Clip bounds, Pad values follow their input's type).
    func scalarInitializer(_ preferred: String, _ value: Double, dtype: DType) -> String {
        initializer(preferred, Tensor(shape: [], doubles: [value], dtype: dtype), key: "scalar\u{0}\(dtype)\u{0}\(value.bitPattern)")
    }

    func fail(_ node: Node, _ detail: String) -> ONNXError { .cannotExport(node: node.name, detail: detail) }

    /// Requires the target opset to be at least `minimum` for `what`.
    func require(_ node: Node, opset minimum: Int, for what: String) throws {
        guard opset >= minimum else { throw fail(node, "\(what) needs opset \(minimum) or later (--opset \(minimum))") }
    }

    // MARK: - Dispatch

    func export(_ node: Node) throws {
        guard !node.outputs.isEmpty, !node.outputs[0].isEmpty || node.op.kind == "custom" else { throw fail(node, "the node has no output") }
        switch node.op {
        case .conv(let o): try exportConv(node, o)
        case .pool(let o): try exportPool(node, o)
        case .linear(let o): try exportLinear(node, o)
        case .normalization(let o): try exportNormalization(node, o)
        case .activation(let a): try exportActivationNode(node, a)
        case .elementwise(let o): try exportElementwise(node, o)
        case .reduction(let o): try exportReduction(node, o)
        case .tensor(let o): try exportTensor(node, o)
        case .quantization(let o): try exportQuantization(node, o)
        case .custom(let c): try exportCustom(node, c)
        }
    }
}
