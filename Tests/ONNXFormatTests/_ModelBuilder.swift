import Foundation
import ONNXProto
import SwiftProtobuf

/// Hand-built ONNX models for tests, written the way onnx.helper builds them.
struct ModelBuilder {
    var opset = 17
    var irVersion: Int64 = 8
    var nodes: [Onnx_NodeProto] = []
    var initializers: [Onnx_TensorProto] = []
    var inputs: [Onnx_ValueInfoProto] = []
    var outputs: [Onnx_ValueInfoProto] = []

    static func tensor(_ name: String, _ dims: [Int], _ values: [Float]) -> Onnx_TensorProto {
        var t = Onnx_TensorProto()
        t.name = name
        t.dims = dims.map(Int64.init)
        t.dataType = 1
        t.rawData = values.withUnsafeBytes { Data($0) }
        return t
    }

    static func int64Tensor(_ name: String, _ values: [Int]) -> Onnx_TensorProto {
        var t = Onnx_TensorProto()
        t.name = name
        t.dims = [Int64(values.count)]
        t.dataType = 7
        t.int64Data = values.map(Int64.init)
        return t
    }

    static func valueInfo(_ name: String, _ dims: [Int?]) -> Onnx_ValueInfoProto {
        var shape = Onnx_TensorShapeProto()
        for d in dims {
            var dim = Onnx_TensorShapeProto.Dimension()
            if let d { dim.dimValue = Int64(d) } else { dim.dimParam = "N" }
            shape.dim.append(dim)
        }
        var tt = Onnx_TypeProto.Tensor()
        tt.elemType = 1
        tt.shape = shape
        var type = Onnx_TypeProto()
        type.tensorType = tt
        var v = Onnx_ValueInfoProto()
        v.name = name
        v.type = type
        return v
    }

    enum Attr {
        case int(Int), ints([Int]), float(Float), string(String)
    }

    @discardableResult
    mutating func node(_ op: String, _ inputs: [String], _ outputs: [String], name: String? = nil,
                       _ attributes: [String: Attr] = [:]) -> Onnx_NodeProto {
        var n = Onnx_NodeProto()
        n.opType = op
        n.name = name ?? outputs.first ?? op
        n.input = inputs
        n.output = outputs
        for (key, value) in attributes.sorted(by: { $0.key < $1.key }) {
            var a = Onnx_AttributeProto()
            a.name = key
            switch value {
            case .int(let i): a.type = .int; a.i = Int64(i)
            case .ints(let v): a.type = .ints; a.ints = v.map(Int64.init)
            case .float(let f): a.type = .float; a.f = f
            case .string(let s): a.type = .string; a.s = Data(s.utf8)
            }
            n.attribute.append(a)
        }
        nodes.append(n)
        return n
    }

    mutating func initializer(_ name: String, _ dims: [Int], _ values: [Float]) {
        initializers.append(Self.tensor(name, dims, values))
    }

    var model: Onnx_ModelProto {
        var m = Onnx_ModelProto()
        m.irVersion = irVersion
        var o = Onnx_OperatorSetIdProto()
        o.domain = ""
        o.version = Int64(opset)
        m.opsetImport = [o]
        m.producerName = "tests"
        var g = Onnx_GraphProto()
        g.name = "test"
        g.node = nodes
        g.initializer = initializers
        g.input = inputs
        g.output = outputs
        m.graph = g
        return m
    }

    func bytes() throws -> [UInt8] { try model.serializedBytes() }
}
