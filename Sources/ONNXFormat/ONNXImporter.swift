import Foundation
import ModelIR
import ONNXProto

/// How an ONNX value relates to the IR value that holds its data.
///
/// The IR keeps one layout (NHWC activations), while ONNX computes in NCHW and tf2onnx wraps the
/// body in Transposes. Instead of running those Transposes, the importer remembers for every ONNX
/// value which IR value holds it and how its axes are permuted: ONNX axis `i` is IR axis
/// `perm[i]`. A Transpose only composes permutations; ops with an NCHW meaning (Conv, pooling, …)
/// require the NCHW view `[0, 3, 1, 2]` of an NHWC IR value, so their outputs stay NHWC.
struct _ValueState {
    var ir: String
    var perm: [Int]
    /// Set on a rank-2 value made by flattening a permuted view: ONNX feature `f` is IR feature
    /// `featureOrder[f]`. Only Gemm/MatMul (and layout-free unary ops) may read it: they permute
    /// their kernel rows instead.
    var featureOrder: [Int]?

    var rank: Int { perm.count }
    var isIdentity: Bool { perm == Array(0..<perm.count) && featureOrder == nil }
    var isNCHWView: Bool { perm == _ValueState.nchwView && featureOrder == nil }

    /// ONNX NCHW axes of an NHWC IR value.
    static let nchwView = [0, 3, 1, 2]
    /// IR axis → ONNX axis for the NCHW view (the inverse of `nchwView`).
    static let nhwcToNCHWAxis = [0, 2, 3, 1]
}

enum _Entry {
    case value(_ValueState)
    case constant(_ConstTensor)
}

/// One node being imported: its proto, IR name and checked attributes.
struct _NodeContext {
    let proto: Onnx_NodeProto
    let name: String
    let attributes: _Attributes
    var op: String { proto.opType }
    var inputs: [String] { proto.input }
    var outputs: [String] { proto.output }

    func error(_ detail: String) -> ONNXError { .invalidNode(node: name, op: op, detail: detail) }
    func unsupported(_ detail: String) -> ONNXError { .unsupported(node: name, op: op, detail: detail) }
}

/// ONNX `ModelProto` → IR `Graph`. One instance per import; the op families live in
/// `ONNXImporter+*.swift`.
final class ONNXImporter {
    let model: Onnx_ModelProto
    let opset: Int
    var loader: _TensorLoader

    // The IR under construction.
    var nodes: [Node] = []
    var weights: [String: Weight] = [:]
    var inputs: [TensorInfo] = []
    /// IR value → shape (batch axis -1), kept up to date as nodes are added.
    var shapes: [String: [Int]] = [:]
    /// IR value → index in `nodes` of its producer.
    var producer: [String: Int] = [:]
    var extra: [String: String] = [:]

    /// ONNX value → what it is.
    var entries: [String: _Entry] = [:]
    /// ONNX value → number of node inputs that read it.
    var consumers: [String: Int] = [:]
    /// ONNX value → reads by nodes not imported yet (the current node's included).
    var pendingReads: [String: Int] = [:]
    /// IR value → the ONNX values that alias it.
    var aliases: [String: [String]] = [:]
    let graphOutputs: Set<String>
    private var nodeNames = Set<String>()
    private var weightCache: [String: String] = [:]

    /// Oldest and newest default-domain opsets this importer knows the semantics of.
    static let opsets = 7...25

    init(model: Onnx_ModelProto, baseDirectory: String?) throws {
        self.model = model
        self.loader = _TensorLoader(baseDirectory: baseDirectory)
        guard model.hasIrVersion, model.irVersion >= 3 else {
            throw ONNXError.invalidModel(detail: model.hasIrVersion ? "ir_version \(model.irVersion) is too old (3 or later)" : "no ir_version (is this an ONNX model?)")
        }
        guard model.hasGraph else { throw ONNXError.invalidModel(detail: "the model has no graph") }
        var opset: Int?
        for o in model.opsetImport where o.domain.isEmpty || o.domain == "ai.onnx" {
            guard opset == nil else { throw ONNXError.invalidModel(detail: "the default opset is imported twice") }
            opset = Int(o.version)
        }
        guard let opset else { throw ONNXError.invalidModel(detail: "no opset_import for the default domain") }
        guard Self.opsets.contains(opset) else {
            throw ONNXError.unsupportedVersion(detail: "opset \(opset) is not supported (\(Self.opsets.lowerBound)–\(Self.opsets.upperBound))")
        }
        self.opset = opset
        graphOutputs = Set(model.graph.output.map(\.name))
    }

    func run(name fallbackName: String) throws -> Graph {
        let g = model.graph
        try loadInitializers(g)
        for n in g.node { for i in n.input where !i.isEmpty { consumers[i, default: 0] += 1 } }
        pendingReads = consumers
        try declareInputs(g)
        for (index, proto) in g.node.enumerated() {
            try importNode(proto, index: index)
        }
        let outputs = try bindOutputs(g)
        fuseActivations(outputs: Set(outputs))

        var metadata = Metadata(sourceFormat: "onnx")
        let producerName = [model.producerName, model.producerVersion].filter { !$0.isEmpty }.joined(separator: " ")
        metadata.producer = producerName.isEmpty ? nil : producerName
        extra["onnx.ir_version"] = String(model.irVersion)
        extra["onnx.opset"] = String(opset)
        for p in model.metadataProps {
            switch p.key {
            case "preprocessing": metadata.preprocessing = p.value
            case "keras_version": metadata.kerasVersion = p.value
            case "backend": metadata.backend = p.value
            case "class_names":
                metadata.classNames = (try? JSONDecoder().decode([String].self, from: Data(p.value.utf8)))
            case let key where key.hasPrefix("extra."): extra[String(key.dropFirst(6))] = p.value
            default: extra["onnx.metadata." + p.key] = p.value
            }
        }
        metadata.extra = extra
        let graph = Graph(name: g.name.isEmpty ? fallbackName : g.name, inputs: inputs, outputs: outputs, nodes: nodes,
                          weights: weights, metadata: metadata)
        do { try graph.validate() } catch let e as ModelIRError { throw ONNXError.invalidModel(detail: e.description) }
        return graph
    }

    // MARK: - Initializers, inputs, outputs

    private func loadInitializers(_ g: Onnx_GraphProto) throws {
        if !g.sparseInitializer.isEmpty { throw ONNXError.invalidModel(detail: "sparse initializers are not supported") }
        for t in g.initializer {
            guard !t.name.isEmpty else { throw ONNXError.invalidModel(detail: "an initializer has no name") }
            guard entries[t.name] == nil else { throw ONNXError.invalidModel(detail: "initializer '\(t.name)' is defined twice") }
            entries[t.name] = .constant(try loader.load(t, name: t.name, source: t.name))
        }
    }

    private func declareInputs(_ g: Onnx_GraphProto) throws {
        // An NCHW op reading a rank-4 input directly means the model takes NCHW (a PyTorch-style
        // export); the IR input is then its NHWC transpose and the caller feeds NHWC.
        let nchwOps: Set<String> = ["Conv", "MaxPool", "AveragePool", "GlobalAveragePool", "GlobalMaxPool", "BatchNormalization"]
        var nchwInputs = Set<String>()
        for n in g.node where nchwOps.contains(n.opType) { if let first = n.input.first { nchwInputs.insert(first) } }

        for v in g.input {
            // Before IR 4, initializers were listed as inputs too; they are constants.
            if case .constant = entries[v.name] { continue }
            guard !v.name.isEmpty else { throw ONNXError.invalidModel(detail: "a graph input has no name") }
            guard entries[v.name] == nil else { throw ONNXError.invalidModel(detail: "graph input '\(v.name)' is declared twice") }
            guard case .tensorType(let tt)? = v.type.value else {
                throw ONNXError.invalidModel(detail: "graph input '\(v.name)' is not a tensor")
            }
            guard tt.elemType == 1 else {
                throw ONNXError.invalidModel(detail: "graph input '\(v.name)' has element type \(_ONNXDataType.name(tt.elemType)); only FLOAT inputs are supported")
            }
            guard tt.hasShape else { throw ONNXError.invalidModel(detail: "graph input '\(v.name)' has no shape") }
            var dims: [Int] = []
            for d in tt.shape.dim {
                switch d.value {
                case .dimValue(let x)?:
                    guard x >= 0, x <= Int64(Int32.max) else {
                        throw ONNXError.invalidModel(detail: "graph input '\(v.name)' has dimension \(x)")
                    }
                    dims.append(Int(x))
                default: dims.append(-1)
                }
            }
            guard dims.count >= 2, dims.count <= 6 else {
                throw ONNXError.invalidModel(detail: "graph input '\(v.name)' has rank \(dims.count); ranks 2 to 6 with a batch axis first are supported")
            }
            // The IR's batch axis is open, as in Keras.
            dims[0] = -1
            var state = _ValueState(ir: v.name, perm: Array(0..<dims.count))
            if dims.count == 4, nchwInputs.contains(v.name) {
                state.perm = _ValueState.nchwView
                dims = [dims[0], dims[2], dims[3], dims[1]]
                extra["onnx.input_layout." + v.name] = "NCHW"
            }
            inputs.append(TensorInfo(name: v.name, dtype: .float32, shape: dims, layout: dims.count == 4 ? .nhwc : .unspecified))
            shapes[v.name] = dims
            setValue(v.name, state)
        }
        guard !inputs.isEmpty else { throw ONNXError.invalidModel(detail: "the graph has no inputs") }
    }

    /// Names the IR outputs after the ONNX outputs, renaming the values that hold them.
    private func bindOutputs(_ g: Onnx_GraphProto) throws -> [String] {
        var names: [String] = []
        var claimed = Set<String>()
        let inputNames = Set(inputs.map(\.name))
        guard !g.output.isEmpty else { throw ONNXError.invalidModel(detail: "the graph has no outputs") }
        for o in g.output {
            guard let entry = entries[o.name] else { throw ONNXError.invalidModel(detail: "graph output '\(o.name)' is produced by no node") }
            guard case .value(let state) = entry else {
                throw ONNXError.unsupported(node: o.name, op: "output", detail: "a constant graph output")
            }
            if state.featureOrder != nil || !(state.isIdentity || (state.rank == 4 && state.isNCHWView)) {
                throw ONNXError.unsupported(node: o.name, op: "output", detail: "an output in axis order \(state.perm) (only the NHWC/NCHW of an image tensor)")
            }
            if state.rank == 4, state.isNCHWView { extra["onnx.output_layout." + o.name] = "NCHW" }
            if state.ir == o.name {
                claimed.insert(o.name)
            } else if inputNames.contains(state.ir) || claimed.contains(state.ir) || producer[state.ir] == nil {
                // The same value twice, or an input passed through: a copy with the output's name.
                let node = uniqueNodeName(o.name)
                try append(Node(name: node, op: .activation(.linear), inputs: [state.ir], outputs: [o.name]))
                claimed.insert(o.name)
            } else {
                rename(state.ir, to: o.name)
                claimed.insert(o.name)
            }
            names.append(o.name)
        }
        return names
    }

    /// Renames an IR value everywhere (it becomes a graph output's name).
    private func rename(_ old: String, to new: String) {
        for i in nodes.indices {
            nodes[i].inputs = nodes[i].inputs.map { $0 == old ? new : $0 }
            nodes[i].outputs = nodes[i].outputs.map { $0 == old ? new : $0 }
        }
        shapes[new] = shapes.removeValue(forKey: old)
        producer[new] = producer.removeValue(forKey: old)
        aliases[new] = aliases.removeValue(forKey: old)
        for (k, e) in entries {
            if case .value(var s) = e, s.ir == old {
                s.ir = new
                entries[k] = .value(s)
            }
        }
    }

    // MARK: - Nodes

    private func importNode(_ proto: Onnx_NodeProto, index: Int) throws {
        let name = uniqueNodeName(proto.name.isEmpty ? "\(proto.opType)_\(index)" : proto.name)
        guard !proto.opType.isEmpty else { throw ONNXError.invalidModel(detail: "node '\(name)' has no op_type") }
        guard proto.domain.isEmpty || proto.domain == "ai.onnx" else {
            throw ONNXError.unsupportedOp(node: name, op: proto.opType, domain: proto.domain)
        }
        for input in proto.input where !input.isEmpty && entries[input] == nil {
            throw ONNXError.invalidModel(detail: "node '\(name)' reads '\(input)', which no earlier node produces (nodes out of order, or a dangling input)")
        }
        for output in proto.output where !output.isEmpty && entries[output] != nil {
            throw ONNXError.invalidModel(detail: "node '\(name)' writes '\(output)', which already exists")
        }
        let ctx = _NodeContext(proto: proto, name: name, attributes: try _Attributes(proto, node: name))
        switch proto.opType {
        case "Conv": try importConv(ctx)
        case "BatchNormalization": try importBatchNormalization(ctx)
        case "Relu", "Sigmoid", "Tanh", "LeakyRelu", "Elu", "Selu", "Softplus", "HardSigmoid", "Gelu", "Clip", "Softmax":
            try importActivation(ctx)
        case "MaxPool", "AveragePool", "GlobalAveragePool", "GlobalMaxPool": try importPool(ctx)
        case "Pad": try importPad(ctx)
        case "Add", "Mul": try importBinary(ctx)
        case "Concat": try importConcat(ctx)
        case "Gemm", "MatMul": try importDense(ctx)
        case "Flatten": try importFlatten(ctx)
        case "Reshape": try importReshape(ctx)
        case "Squeeze", "Unsqueeze": try importSqueeze(ctx)
        case "Transpose": try importTranspose(ctx)
        case "Identity": try importIdentity(ctx)
        case "Dropout": try importDropout(ctx)
        case "Constant": try importConstant(ctx)
        default: throw ONNXError.unsupportedOp(node: name, op: proto.opType, domain: proto.domain)
        }
        for input in proto.input where !input.isEmpty { pendingReads[input, default: 0] -= 1 }
    }

    func uniqueNodeName(_ base: String) -> String {
        var name = base, i = 1
        while nodeNames.contains(name) {
            name = "\(base)_\(i)"
            i += 1
        }
        nodeNames.insert(name)
        return name
    }

    // MARK: - Helpers for the mappings

    func setValue(_ onnxName: String, _ state: _ValueState) {
        entries[onnxName] = .value(state)
        aliases[state.ir, default: []].append(onnxName)
    }

    /// Requires exactly `range` inputs and `outputs` outputs (optional trailing ones may be empty).
    func expectArity(_ ctx: _NodeContext, inputs range: ClosedRange<Int>, outputs: ClosedRange<Int> = 1...1) throws {
        guard range.contains(ctx.inputs.count) else {
            throw ctx.error("takes \(range.lowerBound == range.upperBound ? "\(range.lowerBound)" : "\(range.lowerBound) to \(range.upperBound)") inputs, has \(ctx.inputs.count)")
        }
        guard outputs.contains(ctx.outputs.count), !(ctx.outputs.first ?? "").isEmpty else {
            throw ctx.error("has \(ctx.outputs.count) outputs (expected \(outputs.lowerBound)...\(outputs.upperBound), the first named)")
        }
        for extra in ctx.outputs.dropFirst() where !extra.isEmpty && (consumers[extra] ?? 0 > 0 || graphOutputs.contains(extra)) {
            throw ctx.unsupported("using output '\(extra)' (only the first output)")
        }
    }

    /// The non-constant tensor at input `i`.
    func value(_ ctx: _NodeContext, _ i: Int) throws -> _ValueState {
        guard i < ctx.inputs.count, !ctx.inputs[i].isEmpty, let entry = entries[ctx.inputs[i]] else {
            throw ctx.error("input \(i) is missing")
        }
        guard case .value(let s) = entry else {
            throw ctx.unsupported("a constant as input \(i) ('\(ctx.inputs[i])')")
        }
        return s
    }

    /// The constant at input `i`, or nil when the optional input is absent.
    func constant(_ ctx: _NodeContext, _ i: Int) throws -> _ConstTensor? {
        guard i < ctx.inputs.count, !ctx.inputs[i].isEmpty else { return nil }
        guard let entry = entries[ctx.inputs[i]] else { throw ctx.error("input \(i) is missing") }
        guard case .constant(let c) = entry else {
            throw ctx.unsupported("a computed tensor as input \(i) ('\(ctx.inputs[i])'; it must be an initializer or a Constant)")
        }
        return c
    }

    func isConstant(_ ctx: _NodeContext, _ i: Int) -> Bool {
        guard i < ctx.inputs.count, case .constant? = entries[ctx.inputs[i]] else { return false }
        return true
    }

    /// IR shape of a value.
    func irShape(_ s: _ValueState) -> [Int] { shapes[s.ir] ?? [] }

    /// The shape ONNX sees.
    func onnxShape(_ s: _ValueState) -> [Int] {
        let ir = irShape(s)
        if let order = s.featureOrder { return [ir.first ?? -1, order.count] }
        return s.perm.map { $0 < ir.count ? ir[$0] : -1 }
    }

    /// Adds an IR node (shape-checked) and binds the node's first ONNX output to its output.
    @discardableResult
    func emit(_ ctx: _NodeContext, _ op: Op, inputs irInputs: [String], weights: [String] = [], perm: [Int],
              featureOrder: [Int]? = nil) throws -> _ValueState {
        let output = ctx.outputs[0]
        try append(Node(name: ctx.name, op: op, inputs: irInputs, outputs: [output], weights: weights), context: ctx)
        let state = _ValueState(ir: output, perm: perm, featureOrder: featureOrder)
        setValue(output, state)
        return state
    }

    func append(_ node: Node, context ctx: _NodeContext? = nil) throws {
        let inShapes = node.inputs.map { shapes[$0] ?? [] }
        let weightShapes = node.weights.map { weights[$0]?.info.shape ?? [] }
        let out: [Int]
        do {
            out = try ShapeInference.outputShape(of: node, inputs: inShapes, weights: weightShapes)
        } catch let e as ModelIRError {
            throw ONNXError.invalidNode(node: node.name, op: ctx?.op ?? node.op.kerasClassName, detail: "\(e.description) (IR shapes \(inShapes))")
        }
        for o in node.outputs {
            shapes[o] = out
            producer[o] = nodes.count
        }
        nodes.append(node)
    }

    /// Registers an IR weight derived from a constant, once per (constant, transform).
    func weight(from c: _ConstTensor, transform: String, shape: [Int], layout: Layout, trainable: Bool = true,
                make: () throws -> (DType, TensorData)) rethrows -> String {
        let key = "\(c.name)\u{0}\(transform)"
        if let name = weightCache[key] { return name }
        let (dtype, data) = try make()
        var name = c.name
        var i = 1
        while weights[name] != nil {
            name = "\(c.name):\(transform)\(i > 1 ? "\(i)" : "")"
            i += 1
        }
        weights[name] = Weight(info: TensorInfo(name: name, dtype: dtype, shape: shape, layout: layout), data: data,
                               trainable: trainable, source: c.source)
        weightCache[key] = name
        return name
    }

    /// A new weight computed from others (a folded bias), under a unique name.
    func newWeight(_ base: String, floats: [Float], shape: [Int], layout: Layout, source: String) -> String {
        var name = base, i = 1
        while weights[name] != nil {
            name = "\(base)_\(i)"
            i += 1
        }
        weights[name] = Weight(info: TensorInfo(name: name, dtype: .float32, shape: shape, layout: layout),
                               data: TensorData(floats: floats), trainable: true, source: source)
        return name
    }

    /// Whether the IR value may be changed in place by the node being imported: produced by a node
    /// with that single output, read by no IR node yet, by no other ONNX node still to come (under
    /// any of its aliases), and not a graph output.
    func isSoleUse(of s: _ValueState, by onnxName: String) -> Bool {
        guard let p = producer[s.ir], nodes[p].outputs == [s.ir] else { return false }
        let names = aliases[s.ir] ?? []
        let reads = names.reduce(0) { $0 + (pendingReads[$1] ?? 0) }
        return reads == 1 && (pendingReads[onnxName] ?? 0) == 1 && !names.contains(where: graphOutputs.contains)
            && !nodes.contains { $0.inputs.contains(s.ir) }
    }

    // MARK: - Activation fusion

    /// Conv/Depthwise/Dense with a linear activation followed by an activation that alone reads its
    /// output become one node, the way Keras writes `Conv2D(activation="relu")`.
    private func fuseActivations(outputs: Set<String>) {
        var reads: [String: Int] = [:]
        for n in nodes { for i in n.inputs { reads[i, default: 0] += 1 } }
        var index: [String: Int] = [:]
        for (i, n) in nodes.enumerated() { for o in n.outputs { index[o] = i } }
        var removed = Set<Int>()
        for (ai, node) in nodes.enumerated() {
            guard case .activation(let activation) = node.op, activation != .linear, node.inputs.count == 1,
                  let pi = index[node.inputs[0]], !removed.contains(pi), reads[node.inputs[0]] == 1,
                  !outputs.contains(node.inputs[0]), nodes[pi].outputs == [node.inputs[0]] else { continue }
            var target = nodes[pi]
            switch target.op {
            case .conv2D(var a) where a.activation == .linear: a.activation = activation; target.op = .conv2D(a)
            case .depthwiseConv2D(var a) where a.activation == .linear: a.activation = activation; target.op = .depthwiseConv2D(a)
            case .dense(var a) where a.activation == .linear: a.activation = activation; target.op = .dense(a)
            default: continue
            }
            target.outputs = node.outputs
            nodes[pi] = target
            for o in node.outputs { index[o] = pi }
            removed.insert(ai)
        }
        nodes = nodes.enumerated().filter { !removed.contains($0.offset) }.map(\.element)
    }
}
