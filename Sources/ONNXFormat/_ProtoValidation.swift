import ONNXProto
import SwiftProtobuf

/// Checks SwiftProtobuf cannot make for us.
///
/// A field whose wire type does not match the schema (an `int64` field sent as bytes, say) is not an
/// error to a protobuf decoder: it keeps the field as an "unknown field" and leaves the real field
/// unset, so the reader would silently see a default. We walk each message's unknown fields and
/// reject any whose number the schema declares; numbers the schema does not know (a newer ONNX)
/// are allowed, as protobuf intends. (A proto2 enum field holding a value the enum does not define
/// lands there too.)
enum _ProtoValidation {
    /// Field numbers per message, from schemas/onnx.proto (ONNX 1.23.2). `ONNXFormatTests` checks
    /// this table against the schema file.
    static let knownFields: [String: Set<Int>] = [
        "ModelProto": [1, 2, 3, 4, 5, 6, 7, 8, 14, 20, 25, 26],
        "GraphProto": [1, 2, 5, 10, 11, 12, 13, 14, 15, 16],
        "NodeProto": [1, 2, 3, 4, 5, 6, 7, 8, 9, 10],
        "AttributeProto": [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 13, 14, 15, 20, 21, 22, 23],
        "TensorProto": [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 16],
        "ValueInfoProto": [1, 2, 3, 4],
        "TypeProto": [1, 4, 5, 6, 7, 8, 9],
        "TypeProto.Tensor": [1, 2],
        "TensorShapeProto": [1],
        "TensorShapeProto.Dimension": [1, 2, 3],
        "OperatorSetIdProto": [1, 2],
        "StringStringEntryProto": [1, 2],
    ]

    /// Throws when `message` carries a known field number with the wrong wire type.
    static func check(_ unknown: UnknownStorage, message: String, context: @autoclosure () -> String) throws {
        guard !unknown.data.isEmpty, let known = knownFields[message] else { return }
        for number in try fieldNumbers(in: Array(unknown.data)) where known.contains(number) {
            throw ONNXError.malformed(detail: "\(context()): field \(number) of \(message) has the wrong wire type or an out-of-range enum value")
        }
    }

    /// The field numbers of a run of serialized fields (what `UnknownStorage` holds).
    static func fieldNumbers(in bytes: [UInt8]) throws -> [Int] {
        var numbers: [Int] = []
        var i = 0
        func varint() throws -> UInt64 {
            var value: UInt64 = 0
            var shift: UInt64 = 0
            while true {
                guard i < bytes.count, shift < 64 else { throw ONNXError.malformed(detail: "bad varint in an unknown field") }
                let b = bytes[i]
                i += 1
                value |= UInt64(b & 0x7f) << shift
                if b & 0x80 == 0 { return value }
                shift += 7
            }
        }
        func skip(_ n: UInt64) throws {
            guard n <= UInt64(bytes.count - i) else { throw ONNXError.malformed(detail: "truncated unknown field") }
            i += Int(n)
        }
        while i < bytes.count {
            let tag = try varint()
            numbers.append(Int(truncatingIfNeeded: tag >> 3))
            switch tag & 7 {
            case 0: _ = try varint()
            case 1: try skip(8)
            case 2: try skip(try varint())
            case 5: try skip(4)
            case 3, 4: break  // deprecated groups: markers only
            default: throw ONNXError.malformed(detail: "unknown wire type \(tag & 7)")
            }
        }
        return numbers
    }

    /// Checks a whole model: the model, its graph, nodes, attributes, initializers and value infos.
    static func check(model: Onnx_ModelProto) throws {
        try check(model.unknownFields, message: "ModelProto", context: "the model")
        for o in model.opsetImport { try check(o.unknownFields, message: "OperatorSetIdProto", context: "opset_import") }
        for p in model.metadataProps { try check(p.unknownFields, message: "StringStringEntryProto", context: "metadata_props") }
        guard model.hasGraph else { return }
        let g = model.graph
        try check(g.unknownFields, message: "GraphProto", context: "the graph")
        for n in g.node {
            try check(n.unknownFields, message: "NodeProto", context: "node '\(n.name)'")
            for a in n.attribute {
                try check(a.unknownFields, message: "AttributeProto", context: "attribute '\(a.name)' of node '\(n.name)'")
                if a.hasT { try check(tensor: a.t) }
                for t in a.tensors { try check(tensor: t) }
            }
        }
        for t in g.initializer { try check(tensor: t) }
        for v in g.input + g.output + g.valueInfo {
            try check(v.unknownFields, message: "ValueInfoProto", context: "value '\(v.name)'")
            guard v.hasType else { continue }
            try check(v.type.unknownFields, message: "TypeProto", context: "the type of '\(v.name)'")
            guard case .tensorType? = v.type.value else { continue }
            try check(v.type.tensorType.unknownFields, message: "TypeProto.Tensor", context: "the type of '\(v.name)'")
            try check(v.type.tensorType.shape.unknownFields, message: "TensorShapeProto", context: "the shape of '\(v.name)'")
            for d in v.type.tensorType.shape.dim {
                try check(d.unknownFields, message: "TensorShapeProto.Dimension", context: "the shape of '\(v.name)'")
            }
        }
    }

    private static func check(tensor t: Onnx_TensorProto) throws {
        try check(t.unknownFields, message: "TensorProto", context: "tensor '\(t.name)'")
        for e in t.externalData { try check(e.unknownFields, message: "StringStringEntryProto", context: "tensor '\(t.name)'") }
    }
}
