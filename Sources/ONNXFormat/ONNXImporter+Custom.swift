import Foundation
import ModelIR
import ONNXProto
import SwiftProtobuf

/// Nodes the IR does not interpret (another domain, an op without semantics here, a form the IR
/// cannot express) are carried as `Op.custom`: domain, type, every attribute, operands and
/// outputs, so `convert`, `summary` and the writer work on every valid ONNX file.
extension ONNXImporter {
    /// The node as a `CustomOp`. Values a subgraph attribute reads from this graph (an `If`
    /// branch using an outer value) become extra trailing operands named `outer:<value>`, so the
    /// graph's dependencies stay explicit; the writer drops them again.
    func customNode(_ ctx: _NodeContext, reason: String) throws -> Node {
        let proto = ctx.proto
        var attributes: [NamedAttribute] = []
        for a in ctx.attributes.ordered {
            attributes.append(NamedAttribute(a.name, try attributeValue(a, node: ctx.name)))
        }
        let outer = outerReferences(proto).filter { known[$0] != nil }
        let domain = proto.domain == "ai.onnx" ? "" : proto.domain
        let names = proto.input.indices.map { "input\($0)" } + outer.map { "outer:\($0)" }
        let op = CustomOp(domain: domain, type: proto.opType, attributes: attributes, inputNames: names,
                          dataInputCount: names.count, domainVersion: opsets[domain], reason: reason)
        var outputs = proto.output
        while outputs.last == "" { outputs.removeLast() }
        return Node(name: ctx.name, op: .custom(op), inputs: proto.input + outer, outputs: outputs)
    }

    /// An ONNX attribute as the IR keeps it: tensors become weights (named after the node and
    /// attribute), subgraphs and other kinds stay serialized.
    func attributeValue(_ a: Onnx_AttributeProto, node: String) throws -> AttributeValue {
        func opaque() throws -> AttributeValue {
            do { return .opaque(try a.serializedBytes()) } catch {
                throw ONNXError.invalidNode(node: node, op: "attribute", detail: "cannot keep attribute '\(a.name)': \(error)")
            }
        }
        func tensor(_ t: Onnx_TensorProto, suffix: String) throws -> String? {
            guard _DataType.dtype(t.dataType) != nil else { return nil }
            var name = "\(node)/\(a.name)\(suffix)", i = 1
            while weights[name] != nil || known[name] != nil {
                name = "\(node)/\(a.name)\(suffix)_\(i)"
                i += 1
            }
            let value = try loader.load(t, name: name)
            weights[name] = Weight(info: TensorInfo(name: name, dtype: value.dtype, shape: value.shape), data: value.data,
                                   trainable: false, source: "attribute '\(a.name)' of node '\(node)'")
            return name
        }
        let type: Onnx_AttributeProto.AttributeType = a.type != .undefined ? a.type
            : a.hasF ? .float : a.hasI ? .int : a.hasS ? .string : a.hasT ? .tensor : a.hasG ? .graph
            : !a.floats.isEmpty ? .floats : !a.ints.isEmpty ? .ints : !a.strings.isEmpty ? .strings : .undefined
        switch type {
        case .float: return .float(a.f)
        case .int: return .int(a.i)
        case .string: return .string([UInt8](a.s))
        case .floats: return .floats(a.floats)
        case .ints: return .ints(a.ints)
        case .strings: return .strings(a.strings.map { [UInt8]($0) })
        case .tensor:
            guard let name = try tensor(a.t, suffix: "") else { return try opaque() }
            return .tensor(name)
        case .tensors:
            var names: [String] = []
            for (i, t) in a.tensors.enumerated() {
                guard let name = try tensor(t, suffix: "/\(i)") else { return try opaque() }
                names.append(name)
            }
            return .tensors(names)
        case .graph:
            do { return .graph(try a.g.serializedBytes()) } catch { return try opaque() }
        case .graphs:
            do { return .graphs(try a.graphs.map { try $0.serializedBytes() }) } catch { return try opaque() }
        default:
            return try opaque()
        }
    }

    /// Values a node's subgraph attributes read from enclosing graphs, in first-use order.
    func outerReferences(_ node: Onnx_NodeProto) -> [String] {
        var found: [String] = []
        var seen = Set<String>()
        func visit(_ g: Onnx_GraphProto, outerDefined: Set<String>) {
            var defined = outerDefined
            for v in g.input { defined.insert(v.name) }
            for t in g.initializer { defined.insert(t.name) }
            for s in g.sparseInitializer { defined.insert(s.values.name) }
            for n in g.node {
                for i in n.input where !i.isEmpty && !defined.contains(i) && seen.insert(i).inserted { found.append(i) }
                for a in n.attribute {
                    if a.hasG { visit(a.g, outerDefined: defined) }
                    for sub in a.graphs { visit(sub, outerDefined: defined) }
                }
                for o in n.output { defined.insert(o) }
            }
            for o in g.output where !defined.contains(o.name) && seen.insert(o.name).inserted { found.append(o.name) }
        }
        for a in node.attribute {
            if a.hasG { visit(a.g, outerDefined: []) }
            for sub in a.graphs { visit(sub, outerDefined: []) }
        }
        return found
    }
}

/// `SparseTensorProto` → a dense tensor (sparse initializers are rare; the IR holds dense ones).
enum _SparseTensor {
    /// The largest dense tensor a sparse one may become (a few bytes of file must not allocate gigabytes).
    static let maximumDenseBytes = 256 << 20

    static func densify(_ s: Onnx_SparseTensorProto, loader: inout _TensorLoader, name: String) throws -> Tensor {
        func fail(_ detail: String) -> ONNXError { .invalidTensor(name: name, detail: "sparse: \(detail)") }
        let values = try loader.load(s.values, name: name)
        let indices = try loader.load(s.indices, name: name + " (indices)")
        var dims: [Int] = []
        for d in s.dims {
            guard d >= 0, d < Int64(1) << 40 else { throw fail("dimension \(d) is out of range") }
            dims.append(Int(d))
        }
        guard let count = Shape.elementCount(dims), count.multipliedReportingOverflow(by: values.dtype.byteSize).overflow == false,
              count * values.dtype.byteSize <= Self.maximumDenseBytes else {
            throw fail("dims \(dims) are too large to hold densely (over \(Self.maximumDenseBytes >> 20) MiB)")
        }
        guard values.shape.count == 1, indices.dtype == .int64 else { throw fail("values must be 1-D and indices int64") }
        let nnz = values.shape[0]
        let idx = indices.integers
        let strides = Shape.strides(dims)
        var linear: [Int] = []
        if indices.shape == [nnz] {
            linear = idx.map { Int(clamping: $0) }
        } else if indices.shape == [nnz, dims.count] {
            for k in 0..<nnz {
                var offset = 0
                for (a, stride) in strides.enumerated() {
                    let i = Int(clamping: idx[k * dims.count + a])
                    guard i >= 0, i < dims[a] else { throw fail("index \(i) is out of range for axis \(a)") }
                    offset += i * stride
                }
                linear.append(offset)
            }
        } else {
            throw fail("indices of shape \(indices.shape) for \(nnz) values")
        }
        let size = values.dtype.byteSize
        guard linear.allSatisfy({ $0 >= 0 && $0 < count }) else { throw fail("an index is out of range") }
        return Tensor(dtype: values.dtype, shape: dims) { raw in
            guard let dst = raw.baseAddress else { return }
            dst.initializeMemory(as: UInt8.self, repeating: 0, count: raw.count)
            guard let src = values.data.bytes.baseAddress else { return }
            for (k, offset) in linear.enumerated() { (dst + offset * size).copyMemory(from: src + k * size, byteCount: size) }
        }
    }
}
