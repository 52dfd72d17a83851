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

    /// A tensor of any element type from raw little-endian bytes.
    static func tensor(_ name: String, _ dims: [Int], dataType: Int32, raw: [UInt8]) -> Onnx_TensorProto {
        var t = Onnx_TensorProto()
        t.name = name
        t.dims = dims.map(Int64.init)
        t.dataType = dataType
        t.rawData = Data(raw)
        return t
    }

    /// A tensor value's declaration; nil dims are `dim_param` "N", nil `dims` no shape at all.
    static func valueInfo(_ name: String, _ dims: [Int?]?, elemType: Int32 = 1) -> Onnx_ValueInfoProto {
        var shape = Onnx_TensorShapeProto()
        for d in dims ?? [] {
            var dim = Onnx_TensorShapeProto.Dimension()
            if let d { dim.dimValue = Int64(d) } else { dim.dimParam = "N" }
            shape.dim.append(dim)
        }
        var tt = Onnx_TypeProto.Tensor()
        tt.elemType = elemType
        if dims != nil { tt.shape = shape }
        var type = Onnx_TypeProto()
        type.tensorType = tt
        var v = Onnx_ValueInfoProto()
        v.name = name
        v.type = type
        return v
    }

    enum Attr {
        case int(Int), ints([Int]), float(Float), floats([Float]), string(String), tensor(Onnx_TensorProto), graph(Onnx_GraphProto)
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
            case .floats(let v): a.type = .floats; a.floats = v
            case .tensor(let t): a.type = .tensor; a.t = t
            case .graph(let g): a.type = .graph; a.g = g
            }
            n.attribute.append(a)
        }
        nodes.append(n)
        return n
    }

    mutating func initializer(_ name: String, _ dims: [Int], _ values: [Float]) {
        initializers.append(Self.tensor(name, dims, values))
    }

    mutating func int64Initializer(_ name: String, _ values: [Int], shape: [Int]? = nil) {
        var t = Self.int64Tensor(name, values)
        if let shape { t.dims = shape.map(Int64.init) }
        initializers.append(t)
    }

    /// Opsets of other domains.
    var domains: [String: Int] = [:]

    var graph: Onnx_GraphProto {
        var g = Onnx_GraphProto()
        g.name = "test"
        g.node = nodes
        g.initializer = initializers
        g.input = inputs
        g.output = outputs
        return g
    }

    var model: Onnx_ModelProto {
        var m = Onnx_ModelProto()
        m.irVersion = irVersion
        var o = Onnx_OperatorSetIdProto()
        o.domain = ""
        o.version = Int64(opset)
        m.opsetImport = [o]
        for (domain, version) in domains.sorted(by: { $0.key < $1.key }) {
            var d = Onnx_OperatorSetIdProto()
            d.domain = domain
            d.version = Int64(version)
            m.opsetImport.append(d)
        }
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
