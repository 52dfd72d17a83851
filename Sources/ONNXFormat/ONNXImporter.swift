import Foundation
import ModelIR
import ONNXProto
import SwiftProtobuf

/// ONNX `ModelProto` → IR `Graph`, the graph as it is: every value keeps its ONNX name, rank, dtype
/// and layout (NCHW stays NCHW, tf2onnx's Transposes stay Transposes), every node becomes one IR
/// node (a few legacy forms become two or three), and what the IR cannot interpret is carried as
/// `Op.custom`. Layout changes and activation fusion are the runtime's passes, not the importer's.
///
/// Parameters that ONNX passes as inputs (Reshape's shape, Clip's bounds, Pad's pads, Reduce
/// axes, …) go into the op's attributes when they are constants at import (initializers,
/// `Constant` nodes, folded expressions) and stay operands otherwise. Nodes whose operands are all
/// constants are evaluated once (`Evaluator`) and become weights, up to `foldByteLimit` bytes of
/// result, so PyTorch's `Shape → Gather → Unsqueeze → Concat → Reshape` chains vanish when the
/// shapes are static. The op families live in `ONNXImporter+<Family>.swift`.
final class ONNXImporter {
    let model: Onnx_ModelProto
    /// Opset version per domain ("" is the default domain, `ai.onnx`).
    let opsets: [String: Int]
    /// The default domain's opset.
    let opset: Int
    var loader: _TensorLoader

    // The IR under construction.
    var nodes: [Node] = []
    var weights: [String: Weight] = [:]
    var inputs: [TensorInfo] = []
    var valueInfo: [String: TensorInfo] = [:]
    /// What inference knows of every value so far (type, and the value when known at import).
    var known: [String: Operand] = [:]
    /// 0-D and 1-D integer values known element by element (shape tensors with unknown dimensions).
    var partial: [String: [Int?]] = [:]
    /// How many node inputs (subgraph references included) and graph outputs read each value.
    var reads: [String: Int] = [:]
    private var nodeNames = Set<String>()
    private var nextSuffix: [String: Int] = [:]
    /// Every value name the ONNX graph uses, so names the importer makes up never collide.
    private var onnxValueNames = Set<String>()

    /// Default-domain opsets whose semantics the mappings know (ONNX 1.23: opset 28).
    static let opsets = 1...28
    /// Largest constant a folded node may produce.
    static let foldByteLimit = 64 << 20

    init(model: Onnx_ModelProto, baseDirectory: String?) throws {
        self.model = model
        self.loader = _TensorLoader(baseDirectory: baseDirectory)
        guard model.hasIrVersion, model.irVersion >= 3 else {
            throw ONNXError.invalidModel(detail: model.hasIrVersion ? "ir_version \(model.irVersion) is too old (3 or later)" : "no ir_version (is this an ONNX model?)")
        }
        guard model.hasGraph else { throw ONNXError.invalidModel(detail: "the model has no graph") }
        try Self.checkLimits(model.graph)
        var opsets: [String: Int] = [:]
        for o in model.opsetImport {
            let domain = o.domain == "ai.onnx" ? "" : o.domain
            guard opsets[domain] == nil else {
                throw ONNXError.invalidModel(detail: "opset_import lists domain '\(domain.isEmpty ? "ai.onnx" : domain)' twice")
            }
            guard o.version >= 1, o.version <= Int64(Int32.max) else {
                throw ONNXError.invalidModel(detail: "opset_import of domain '\(domain)' has version \(o.version)")
            }
            opsets[domain] = Int(o.version)
        }
        guard let opset = opsets[""] else { throw ONNXError.invalidModel(detail: "no opset_import for the default domain") }
        guard Self.opsets.contains(opset) else {
            throw ONNXError.unsupportedVersion(detail: "opset \(opset) is not supported (\(Self.opsets.lowerBound)–\(Self.opsets.upperBound))")
        }
        self.opsets = opsets
        self.opset = opset
    }

    /// Counts nodes (nested subgraphs' included) and each node's attributes before any is
    /// imported: a 10⁵-node or 10⁴-attribute file is refused before the IR is built.
    static func checkLimits(_ graph: Onnx_GraphProto) throws {
        let limits = ResourceLimits.current
        var count = 0
        var pending = [graph]
        while let g = pending.popLast() {
            count += g.node.count
            do { try limits.checkNodes(count, what: "nodes (with nested subgraphs)") } catch let e as ModelIRError {
                throw ONNXError.invalidModel(detail: e.description)
            }
            for n in g.node {
                guard n.attribute.count <= limits.maxAttributesPerNode else {
                    throw ONNXError.invalidModel(detail: "node '\(n.name)' (\(n.opType)) has \(n.attribute.count) attributes, over the limit of \(limits.maxAttributesPerNode)")
                }
                for a in n.attribute {
                    if a.hasG { pending.append(a.g) }
                    pending += a.graphs
                }
            }
        }
    }

    func run(name fallbackName: String) throws -> Graph {
        let g = model.graph
        try loadInitializers(g)
        try declareInputs(g)
        for v in g.valueInfo {
            if let info = try tensorInfo(v, what: "value_info", strict: false) { valueInfo[v.name] = info }
        }
        onnxValueNames = Set(g.input.map(\.name) + g.initializer.map(\.name) + g.output.map(\.name) + g.node.flatMap(\.output))
        for n in g.node {
            for i in n.input where !i.isEmpty { reads[i, default: 0] += 1 }
            for name in outerReferences(n) { reads[name, default: 0] += 1 }
        }
        guard !g.output.isEmpty else { throw ONNXError.invalidModel(detail: "the graph has no outputs") }
        for o in g.output { reads[o.name, default: 0] += 1 }

        for (index, proto) in g.node.enumerated() {
            try importNode(proto, index: index)
        }

        var outputs: [String] = []
        for o in g.output {
            guard !o.name.isEmpty, known[o.name] != nil else {
                throw ONNXError.invalidModel(detail: "graph output '\(o.name)' is produced by no node")
            }
            guard !outputs.contains(o.name) else { throw ONNXError.invalidModel(detail: "graph output '\(o.name)' is listed twice") }
            outputs.append(o.name)
            if let info = try tensorInfo(o, what: "graph output", strict: false) { valueInfo[o.name] = info }
        }
        dropDeadNodes(outputs: outputs)
        pruneWeights(outputs: outputs)
        tagKernelLayouts()

        let graph = Graph(name: g.name.isEmpty ? fallbackName : g.name, inputs: inputs, outputs: outputs, nodes: nodes,
                          weights: weights, metadata: metadata(), valueInfo: valueInfo)
        do { try graph.validate() } catch let e as ModelIRError { throw ONNXError.invalidModel(detail: e.description) }
        return graph
    }

    // MARK: - Initializers, inputs, metadata

    private func loadInitializers(_ g: Onnx_GraphProto) throws {
        for t in g.initializer {
            guard !t.name.isEmpty else { throw ONNXError.invalidModel(detail: "an initializer has no name") }
            guard weights[t.name] == nil else { throw ONNXError.invalidModel(detail: "initializer '\(t.name)' is defined twice") }
            addWeight(t.name, try loader.load(t, name: t.name), trainable: true, source: t.name)
        }
        for s in g.sparseInitializer {
            let name = s.values.name
            guard !name.isEmpty else { throw ONNXError.invalidModel(detail: "a sparse initializer has no name") }
            guard weights[name] == nil else { throw ONNXError.invalidModel(detail: "initializer '\(name)' is defined twice") }
            addWeight(name, try _SparseTensor.densify(s, loader: &loader, name: name), trainable: true, source: name)
        }
    }

    func addWeight(_ name: String, _ t: Tensor, trainable: Bool, source: String) {
        weights[name] = Weight(info: TensorInfo(name: name, dtype: t.dtype, shape: t.shape), data: t.data, trainable: trainable,
                               source: source)
        known[name] = Operand(t)
    }

    private func declareInputs(_ g: Onnx_GraphProto) throws {
        for v in g.input {
            // Before IR 4 initializers were listed as inputs too; from IR 4 an input with an
            // initializer is an overridable default. Either way it is a constant here.
            if weights[v.name] != nil { continue }
            guard !v.name.isEmpty else { throw ONNXError.invalidModel(detail: "a graph input has no name") }
            guard known[v.name] == nil else { throw ONNXError.invalidModel(detail: "graph input '\(v.name)' is declared twice") }
            guard let info = try tensorInfo(v, what: "graph input", strict: true) else { continue }
            inputs.append(info)
            known[v.name] = Operand(type: info.type)
        }
    }

    /// The tensor type a value declares. `strict` (graph inputs): anything but a tensor of an IR
    /// dtype with a shape is an error; otherwise such declarations are skipped (nil).
    func tensorInfo(_ v: Onnx_ValueInfoProto, what: String, strict: Bool) throws -> TensorInfo? {
        func fail(_ detail: String) throws -> TensorInfo? {
            if strict { throw ONNXError.invalidModel(detail: "\(what) '\(v.name)' \(detail)") }
            return nil
        }
        guard case .tensorType(let tt)? = v.type.value else { return try fail("is not a tensor (sequences, maps and optionals are not supported)") }
        guard let dtype = _DataType.dtype(tt.elemType) else {
            return try fail("has element type \(_DataType.name(tt.elemType)), which wtool does not hold (\(_TensorLoader.supportedTypes))")
        }
        guard tt.hasShape else { return try fail("has no shape (its rank must be known)") }
        var dims: [Int] = []
        var names: [String] = []
        for d in tt.shape.dim {
            switch d.value {
            case .dimValue(let x)?:
                guard x >= -1, x <= Int64(Int32.max) else { throw ONNXError.invalidModel(detail: "\(what) '\(v.name)' has dimension \(x)") }
                dims.append(Int(x))
                names.append("")
            case .dimParam(let p)?:
                dims.append(-1)
                names.append(p)
            case nil:
                dims.append(-1)
                names.append("")
            }
        }
        return TensorInfo(name: v.name, dtype: dtype, shape: dims, dimensionNames: names.contains(where: { !$0.isEmpty }) ? names : nil)
    }

    private func metadata() -> Metadata {
        var metadata = Metadata(sourceFormat: "onnx")
        let producer = [model.producerName, model.producerVersion].filter { !$0.isEmpty }.joined(separator: " ")
        metadata.producer = producer.isEmpty ? nil : producer
        var extra: [String: String] = [:]
        extra["onnx.ir_version"] = String(model.irVersion)
        extra["onnx.opset"] = String(opset)
        for (domain, version) in opsets where !domain.isEmpty { extra["onnx.opset_import." + domain] = String(version) }
        if !model.producerName.isEmpty { extra["onnx.producer_name"] = model.producerName }
        if !model.producerVersion.isEmpty { extra["onnx.producer_version"] = model.producerVersion }
        if model.hasDomain, !model.domain.isEmpty { extra["onnx.domain"] = model.domain }
        if model.hasModelVersion { extra["onnx.model_version"] = String(model.modelVersion) }
        if model.hasDocString, !model.docString.isEmpty { extra["onnx.doc_string"] = model.docString }
        // Model-local functions are carried verbatim (nodes calling them are custom ops).
        for f in model.functions {
            if let bytes: [UInt8] = try? f.serializedBytes() {
                extra["onnx.function.\(f.domain).\(f.name)"] = Data(bytes).base64EncodedString()
            }
        }
        for p in model.metadataProps {
            switch p.key {
            case "preprocessing": metadata.preprocessing = p.value
            case "keras_version": metadata.kerasVersion = p.value
            case "backend": metadata.backend = p.value
            case "class_names": metadata.classNames = try? JSONDecoder().decode([String].self, from: Data(p.value.utf8))
            case let key where key.hasPrefix("extra."): extra[String(key.dropFirst(6))] = p.value
            default: extra["onnx.metadata." + p.key] = p.value
            }
        }
        metadata.extra = extra
        return metadata
    }

    // MARK: - Nodes

    private func importNode(_ proto: Onnx_NodeProto, index: Int) throws {
        let name = uniqueNodeName(proto.name.isEmpty ? "\(proto.opType)_\(index)" : proto.name)
        guard !proto.opType.isEmpty else { throw ONNXError.invalidModel(detail: "node '\(name)' has no op_type") }
        for input in proto.input where !input.isEmpty && known[input] == nil {
            throw ONNXError.invalidModel(detail: "node '\(name)' reads '\(input)', which no earlier node produces (nodes out of order, or a dangling input)")
        }
        for output in proto.output where !output.isEmpty && known[output] != nil {
            throw ONNXError.invalidModel(detail: "node '\(name)' writes '\(output)', which already exists")
        }
        let domain = proto.domain == "ai.onnx" ? "" : proto.domain
        let ctx = _NodeContext(proto: proto, name: name, attributes: try _Attributes(proto, node: name), opset: opset, importer: self)
        var mapped: [Node]
        if domain.isEmpty {
            do {
                mapped = try map(ctx)
            } catch let carry as _Carry {
                mapped = [try customNode(ctx, reason: carry.reason)]
            }
        } else if domain == "com.microsoft", Self.microsoftOps.contains(ctx.op) {
            do {
                mapped = [try importMicrosoftQuantization(ctx)]
            } catch let carry as _Carry {
                mapped = [try customNode(ctx, reason: carry.reason)]
            }
        } else {
            mapped = [try customNode(ctx, reason: "ops of domain '\(domain)' are carried, not interpreted")]
        }
        for node in mapped { try add(node, op: proto.opType) }
        // An output the mapping dropped (training statistics, unused indices) must be unread.
        for output in proto.output where !output.isEmpty && known[output] == nil && (reads[output] ?? 0) > 0 {
            throw ONNXError.invalidNode(node: name, op: proto.opType, detail: "output '\(output)' is not produced (the op has fewer outputs)")
        }
    }

    /// The default domain's ops, by family.
    private func map(_ ctx: _NodeContext) throws -> [Node] {
        switch ctx.op {
        case "Conv", "ConvTranspose": return [try importConv(ctx)]
        case "MaxPool", "AveragePool", "LpPool", "GlobalAveragePool", "GlobalMaxPool", "GlobalLpPool": return [try importPool(ctx)]
        case "Gemm", "MatMul", "Einsum": return [try importLinear(ctx)]
        case "LayerNormalization": return try importLayerNormalization(ctx)
        case "BatchNormalization": return try importBatchNormalization(ctx)
        case "InstanceNormalization", "GroupNormalization", "LpNormalization", "LRN":
            return [try importNormalization(ctx)]
        case "Softmax", "LogSoftmax": return try importSoftmax(ctx)
        case _ where Self.activationOps.contains(ctx.op): return [try importActivation(ctx)]
        case _ where Self.elementwiseOps.contains(ctx.op): return [try importElementwise(ctx)]
        case _ where Self.reductionOps.contains(ctx.op): return [try importReduction(ctx)]
        case "QuantizeLinear", "DequantizeLinear", "DynamicQuantizeLinear", "MatMulInteger", "ConvInteger", "QLinearConv",
             "QLinearMatMul":
            return [try importQuantization(ctx)]
        case "Resize", "Upsample": return [try importResize(ctx)]
        case "Constant": return try importConstant(ctx)
        case _ where Self.shapeOps.contains(ctx.op): return [try importShapeOp(ctx)]
        case _ where Self.tensorOps.contains(ctx.op): return [try importTensorOp(ctx)]
        default: throw _Carry("wtool has no semantics for \(ctx.op)")
        }
    }

    func uniqueNodeName(_ base: String) -> String {
        // The next suffix to try per base, so a file of many same-named nodes stays linear.
        var name = base, i = nextSuffix[base] ?? 1
        while nodeNames.contains(name) {
            name = "\(base)_\(i)"
            i += 1
        }
        nextSuffix[base] = i
        nodeNames.insert(name)
        return name
    }

    /// A value name no ONNX value and no value made so far has.
    func uniqueValueName(_ base: String) -> String {
        var name = base, i = 1
        while onnxValueNames.contains(name) || known[name] != nil {
            name = "\(base)_\(i)"
            i += 1
        }
        onnxValueNames.insert(name)
        return name
    }

    // MARK: - Inference and folding

    /// Infers `node`'s results; folds it into weights when its result is known at import,
    /// otherwise appends it.
    func add(_ node: Node, op sourceOp: String) throws {
        let operands = node.inputs.map { $0.isEmpty ? nil : known[$0] }
        let results: [Operand]
        do {
            results = try ShapeInference.outputs(of: node, operands: operands, declared: valueInfo)
        } catch let e as ModelIRError {
            throw ONNXError.invalidNode(node: node.name, op: sourceOp, detail: Self.detail(e, node: node.name))
        }
        if let values = fold(node, operands: operands, results: results) {
            for (name, value) in zip(node.outputs, values) where !name.isEmpty {
                addWeight(name, value, trainable: false, source: "folded from node '\(node.name)'")
            }
            return
        }
        nodes.append(node)
        for (name, result) in zip(node.outputs, results) where !name.isEmpty { known[name] = result }
        // Scalars too: PyTorch's `x.size(0)` is a Gather of a 0-D index, Unsqueezed before its Concat.
        if node.outputs.count == 1, let rank = results.first?.shape?.count, rank <= 1, let p = partialValue(of: node) {
            partial[node.outputs[0]] = p
        }
    }

    /// The node's results when they are known at import: inference knows them (a `Shape` of a
    /// static shape), or every operand is a constant and the evaluator computes them. Quantization
    /// ops are never folded (a QDQ model keeps its quantized weights), nor results over the limit.
    private func fold(_ node: Node, operands: [Operand?], results: [Operand]) -> [Tensor]? {
        // Convolutions and pools of constants are no shape computations, and their cost is not
        // bounded by their result's size: a hostile file must not make the import compute for hours.
        var limit = Self.foldByteLimit
        switch node.op {
        case .custom, .quantization, .conv, .pool: return nil
        case .linear: limit = 1 << 20
        default: break
        }
        let values = results.compactMap(\.value)
        if values.count == results.count, !results.isEmpty { return values }
        guard operands.contains(where: { $0 != nil }), operands.allSatisfy({ $0 == nil || $0?.value != nil }),
              Evaluator.canEvaluate(node.op) else { return nil }
        var bytes = 0
        for r in results {
            guard let n = r.type.concreteShape.flatMap(Shape.elementCount) else { return nil }
            bytes += n * r.dtype.byteSize
        }
        if case .linear = node.op { bytes += operands.reduce(0) { $0 + ($1?.value?.data.count ?? 0) } }
        guard bytes <= limit else { return nil }
        // An op the evaluator cannot run yet (or that fails on these values) stays a node: the
        // runtime reports it, with its own context, if the graph is ever run.
        guard let out = try? Evaluator.evaluate(node, operands.map { $0?.value }), out.count >= results.count,
              zip(out, results).allSatisfy({ $0.isConsistent && $0.dtype == $1.dtype }) else { return nil }
        return Array(out.prefix(results.count))
    }

    /// A `ModelIRError`'s text without the "node 'x': " its description starts with.
    static func detail(_ e: ModelIRError, node: String) -> String {
        let text = e.description
        let prefix = "node '\(node)': "
        return text.hasPrefix(prefix) ? String(text.dropFirst(prefix.count)) : text
    }

    // MARK: - Finishing

    /// Drops constants nothing reads (parameters moved into attributes, folded intermediates).
    private func pruneWeights(outputs: [String]) {
        var used = Set(outputs)
        for node in nodes {
            used.formUnion(node.inputs)
            if case .custom(let c) = node.op {
                for a in c.attributes {
                    switch a.value {
                    case .tensor(let t): used.insert(t)
                    case .tensors(let ts): used.formUnion(ts)
                    default: break
                    }
                }
            }
        }
        weights = weights.filter { used.contains($0.key) }
    }

    /// OIHW on the kernels of ONNX convolutions, a per-channel tag on their biases.
    private func tagKernelLayouts() {
        for node in nodes {
            guard case .conv(let c) = node.op, c.spatialRank == 2 else { continue }
            if node.inputs.count > 1, var w = weights[node.inputs[1]], w.info.shape.count == 4 {
                w.info.layout = .oihw
                weights[node.inputs[1]] = w
            }
            if node.inputs.count > 2, var b = weights[node.inputs[2]], b.info.shape.count == 1 {
                b.info.layout = .channel
                weights[node.inputs[2]] = b
            }
        }
    }
}

/// One node being imported: its proto, IR name, checked attributes and what is known of its inputs.
struct _NodeContext {
    let proto: Onnx_NodeProto
    let name: String
    let attributes: _Attributes
    /// The default domain's opset.
    let opset: Int
    unowned let importer: ONNXImporter

    var op: String { proto.opType }
    var inputs: [String] { proto.input }
    /// The outputs without trailing absent ones.
    var outputs: [String] {
        var o = proto.output
        while o.last == "" { o.removeLast() }
        return o
    }

    func error(_ detail: String) -> ONNXError { .invalidNode(node: name, op: op, detail: detail) }

    /// Whether input `i` is present.
    func has(_ i: Int) -> Bool { i < inputs.count && !inputs[i].isEmpty }
    /// Input `i`'s name, "" when absent.
    func input(_ i: Int) -> String { has(i) ? inputs[i] : "" }
    /// What is known of input `i` (nil when absent).
    func operand(_ i: Int) -> Operand? { has(i) ? importer.known[inputs[i]] : nil }
    func shape(_ i: Int) -> [Int]? { operand(i)?.shape }
    /// The value of input `i` when it is a constant at import.
    func value(_ i: Int) -> Tensor? { operand(i)?.value }

    /// Integer values of input `i` when known at import.
    func ints(_ i: Int) throws -> [Int]? {
        guard let v = value(i) else { return nil }
        guard v.dtype.isInteger else { throw error("input \(i) ('\(input(i))') must hold integers, not \(v.dtype)") }
        return v.integers.map { Int(clamping: $0) }
    }

    /// Requires an input and output count (trailing optional inputs may be given as "").
    func arity(_ range: ClosedRange<Int>, outputs out: ClosedRange<Int> = 1...1) throws {
        guard range.contains(inputs.count) else {
            throw error("takes \(range.lowerBound == range.upperBound ? "\(range.lowerBound)" : "\(range.lowerBound) to \(range.upperBound)") inputs, has \(inputs.count)")
        }
        guard out.contains(outputs.count), outputs.count >= 1 else {
            throw error("has \(outputs.count) outputs (\(out.lowerBound == out.upperBound ? "\(out.lowerBound)" : "\(out.lowerBound) to \(out.upperBound)") expected)")
        }
        guard !proto.output[0].isEmpty else { throw error("its first output has no name") }
    }

    /// Whether anything reads output `i`.
    func isUsed(output i: Int) -> Bool {
        i < proto.output.count && !proto.output[i].isEmpty && (importer.reads[proto.output[i]] ?? 0) > 0
    }

    /// Carries the node when an output from `index` on is read (training statistics, indices).
    func requireUnusedOutputs(from index: Int, _ what: String) throws {
        for i in index..<max(proto.output.count, index) where isUsed(output: i) { throw _Carry("its \(what) output is used") }
    }

    /// The IR node with this node's name; outputs from `outputCount` on (unused) are dropped.
    func node(_ op: Op, _ operands: [String], outputCount: Int? = nil) -> Node {
        var ins = operands
        while ins.last == "" { ins.removeLast() }
        let outs = outputCount.map { Array(outputs.prefix($0)) } ?? outputs
        return Node(name: name, op: op, inputs: ins, outputs: outs, sourceType: nil)
    }
}
