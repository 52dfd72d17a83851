import Foundation
import ModelIR
import ONNXProto
import SwiftProtobuf

/// Carried ops (`Op.custom`) → the ONNX node they were read from: domain, type, attributes
/// (tensors from their weights, subgraphs and other kinds from their kept bytes) and operands;
/// the `outer:` operands the importer added for subgraph references are dropped again. The
/// domain's opset is declared with the version the node was read at.
extension ONNXExporter {
    func exportCustom(_ node: Node, _ op: CustomOp) throws {
        guard op.domain != "keras" else { throw fail(node, "Keras layer \(op.type) has no ONNX counterpart (\(op.reason))") }
        if op.domain.isEmpty, let read = op.domainVersion, read > opset {
            // Its definition at the older opset may differ or not exist: keep the one it was read at.
            throw fail(node, "\(op.type) is carried as read at opset \(read); write at --opset \(read) or later")
        }
        let count = op.inputNames.prefix { !$0.hasPrefix("outer:") }.count
        let inputs = try node.inputs.prefix(count).map { try ref($0) }
        // A subgraph reads outer values by name: each must exist before this node under that very
        // name (a folded Constant is written as an initializer of its own name).
        for outer in node.inputs.dropFirst(count) where !outer.isEmpty {
            let name = try ref(outer)
            if name != outer {
                append("Identity", name: "\(node.name)/outer:\(outer)", inputs: [name], outputs: [outer])
            }
        }
        var attributes: [Onnx_AttributeProto] = []
        for named in op.attributes {
            attributes.append(try attributeProto(named, node: node))
        }
        if !op.domain.isEmpty { use(domain: op.domain, version: op.domainVersion ?? 1) }
        append(op.type, name: node.name, inputs: inputs, outputs: node.outputs.map { $0.isEmpty ? "" : produce($0, .native) },
               attributes: attributes, domain: op.domain, keepAbsentInputs: true)
    }

    private func attributeProto(_ named: NamedAttribute, node: Node) throws -> Onnx_AttributeProto {
        var a = Onnx_AttributeProto()
        a.name = named.name
        func weight(_ name: String) throws -> Onnx_TensorProto {
            guard let w = graph.weights[name] else { throw fail(node, "attribute '\(named.name)' refers to a missing tensor '\(name)'") }
            return Self.tensorProto(name: "", w.tensor)
        }
        switch named.value {
        case .int(let i): a.type = .int; a.i = i
        case .float(let f): a.type = .float; a.f = f
        case .string(let s): a.type = .string; a.s = Data(s)
        case .ints(let v): a.type = .ints; a.ints = v
        case .floats(let v): a.type = .floats; a.floats = v
        case .strings(let v): a.type = .strings; a.strings = v.map { Data($0) }
        case .tensor(let name): a.type = .tensor; a.t = try weight(name)
        case .tensors(let names): a.type = .tensors; a.tensors = try names.map(weight)
        case .graph(let bytes):
            a.type = .graph
            do { a.g = try Onnx_GraphProto(serializedBytes: bytes) } catch { throw fail(node, "attribute '\(named.name)': \(error)") }
        case .graphs(let list):
            a.type = .graphs
            do { a.graphs = try list.map { try Onnx_GraphProto(serializedBytes: $0) } } catch {
                throw fail(node, "attribute '\(named.name)': \(error)")
            }
        case .opaque(let bytes):
            do { a = try Onnx_AttributeProto(serializedBytes: bytes) } catch { throw fail(node, "attribute '\(named.name)': \(error)") }
        }
        return a
    }
}
