import Foundation
import ONNXProto

/// A node's attributes by name, read with their declared types checked.
///
/// Every mapping lists the attributes it understands (`allow`): a node with one it would silently
/// ignore (an attribute of a newer opset) is carried as a custom op instead of being misread.
struct _Attributes {
    let node: String
    let op: String
    private let byName: [String: Onnx_AttributeProto]
    /// The attributes in the node's order (what a carried op keeps).
    let ordered: [Onnx_AttributeProto]

    init(_ proto: Onnx_NodeProto, node: String) throws {
        self.node = node
        self.op = proto.opType
        var byName: [String: Onnx_AttributeProto] = [:]
        for a in proto.attribute {
            guard !a.name.isEmpty else {
                throw ONNXError.invalidNode(node: node, op: proto.opType, detail: "an attribute has no name")
            }
            guard byName[a.name] == nil else {
                throw ONNXError.invalidNode(node: node, op: proto.opType, detail: "attribute '\(a.name)' is given twice")
            }
            if a.hasRefAttrName {
                throw ONNXError.unsupported(node: node, op: proto.opType, detail: "attribute '\(a.name)' referring to a function attribute")
            }
            byName[a.name] = a
        }
        self.byName = byName
        self.ordered = proto.attribute
    }

    func error(_ detail: String) -> ONNXError { .invalidNode(node: node, op: op, detail: detail) }

    /// Carries the node as a custom op when it has an attribute outside `names`.
    func allow(_ names: Set<String>) throws {
        for name in byName.keys.sorted() where !names.contains(name) {
            throw _Carry("attribute '\(name)' is not interpreted")
        }
    }

    func has(_ name: String) -> Bool { byName[name] != nil }

    /// The declared type, or for old files that leave `type` unset, the one field that is set.
    private func type(of a: Onnx_AttributeProto) -> Onnx_AttributeProto.AttributeType {
        if a.type != .undefined { return a.type }
        if a.hasF { return .float }
        if a.hasI { return .int }
        if a.hasS { return .string }
        if a.hasT { return .tensor }
        if !a.floats.isEmpty { return .floats }
        if !a.ints.isEmpty { return .ints }
        if !a.strings.isEmpty { return .strings }
        return .undefined
    }

    private func attribute(_ name: String, _ expected: Onnx_AttributeProto.AttributeType) throws -> Onnx_AttributeProto? {
        guard let a = byName[name] else { return nil }
        let actual = type(of: a)
        guard actual == expected else {
            throw error("attribute '\(name)' must be \(Self.typeName(expected)), not \(Self.typeName(actual))")
        }
        return a
    }

    static func typeName(_ t: Onnx_AttributeProto.AttributeType) -> String {
        switch t {
        case .undefined: "UNDEFINED"
        case .float: "FLOAT"
        case .int: "INT"
        case .string: "STRING"
        case .tensor: "TENSOR"
        case .graph: "GRAPH"
        case .sparseTensor: "SPARSE_TENSOR"
        case .typeProto: "TYPE_PROTO"
        case .floats: "FLOATS"
        case .ints: "INTS"
        case .strings: "STRINGS"
        case .tensors: "TENSORS"
        case .graphs: "GRAPHS"
        case .sparseTensors: "SPARSE_TENSORS"
        case .typeProtos: "TYPE_PROTOS"
        }
    }

    func int(_ name: String) throws -> Int? {
        guard let a = try attribute(name, .int) else { return nil }
        return Int(clamping: a.i)
    }

    func int(_ name: String, default value: Int) throws -> Int { try int(name) ?? value }

    /// An INT attribute that must be 0 or 1.
    func bool(_ name: String, default value: Bool) throws -> Bool {
        guard let i = try int(name) else { return value }
        guard i == 0 || i == 1 else { throw error("attribute '\(name)' must be 0 or 1, not \(i)") }
        return i == 1
    }

    func ints(_ name: String) throws -> [Int]? {
        guard let a = try attribute(name, .ints) else { return nil }
        return a.ints.map { Int(clamping: $0) }
    }

    /// One of `choices` (an enum-like STRING attribute), or an error naming the choices.
    func choice(_ name: String, _ choices: [String], default value: String) throws -> String {
        let s = try string(name) ?? value
        guard choices.contains(s) else { throw error("attribute '\(name)' is '\(s)', not one of \(choices.joined(separator: ", "))") }
        return s
    }

    func float(_ name: String) throws -> Float? {
        guard let a = try attribute(name, .float) else { return nil }
        return a.f
    }

    func float(_ name: String, default value: Float) throws -> Float { try float(name) ?? value }

    func floats(_ name: String) throws -> [Float]? {
        try attribute(name, .floats)?.floats
    }

    func string(_ name: String) throws -> String? {
        guard let a = try attribute(name, .string) else { return nil }
        guard let s = String(data: a.s, encoding: .utf8) else { throw error("attribute '\(name)' is not UTF-8") }
        return s
    }

    func string(_ name: String, default value: String) throws -> String { try string(name) ?? value }

    func tensor(_ name: String) throws -> Onnx_TensorProto? {
        try attribute(name, .tensor)?.t
    }

    /// Spatial integers (kernel, strides, dilations, pads): `count` values in `range`.
    func window(_ name: String, count: Int, range: ClosedRange<Int>, default value: [Int]) throws -> [Int] {
        guard let v = try ints(name) else { return value }
        guard v.count == count else { throw error("attribute '\(name)' must have \(count) values, has \(v.count)") }
        guard v.allSatisfy({ range.contains($0) }) else {
            throw error("attribute '\(name)' \(v) is out of range \(range.lowerBound)...\(range.upperBound)")
        }
        return v
    }
}

/// Thrown by a mapping for a node that is valid ONNX but that the IR cannot express (an attribute
/// combination, an opset form, a used training output): the node is carried as a custom op with
/// this reason.
struct _Carry: Error {
    var reason: String
    init(_ reason: String) { self.reason = reason }
}
