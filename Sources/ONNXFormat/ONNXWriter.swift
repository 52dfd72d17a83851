import FileSupport
import Foundation
import ModelIR
import ONNXProto
import SwiftProtobuf

/// Writes a `Graph` as an ONNX model that `onnx.checker` accepts and onnxruntime runs.
///
/// A channels-first graph (read from ONNX) is written back as it was, node for node. A
/// channels-last one (Keras) follows tf2onnx: NHWC inputs and outputs with a Transpose at each end
/// of an NCHW conv body (or NCHW inputs/outputs with `nchw`). Carried custom ops are written
/// verbatim in their domains. Weights are initializers in their own dtype in `raw_data`;
/// above `externalDataThreshold` bytes of weights (protobuf cannot exceed 2 GiB) every tensor of
/// 1 KiB or more goes to `OUT.data` beside the model instead, at 4096-byte aligned offsets. Both
/// files are written to temporary names and renamed into place, so a failure leaves nothing.
///
/// ```swift
/// try ONNXWriter(opset: 17).write(graph, to: "vgg16.onnx")
/// ```
public struct ONNXWriter: Sendable {
    /// Opsets the writer emits (13: Softmax over one axis, Squeeze axes as an input; 28: ONNX 1.23).
    public static let supportedOpsets = 13...28
    public static let defaultOpset = 17
    /// Weights beyond this many bytes go to external data (protobuf's limit is 2 GiB; the graph
    /// itself needs some room).
    public static let defaultExternalDataThreshold = 2_000_000_000
    /// Tensors smaller than this stay inline even with external data (onnx's `size_threshold`).
    public static let externalTensorMinimumBytes = 1024
    static let externalAlignment = 4096
    static let producerVersion = "0.1.0"

    /// The opset to write `graph` at when none is asked for: an ONNX source's own (within
    /// `supportedOpsets`), so nothing it uses is lost to an older definition; `defaultOpset` otherwise.
    public static func preferredOpset(for graph: Graph) -> Int {
        guard graph.metadata.sourceFormat == "onnx", let source = graph.metadata.extra["onnx.opset"].flatMap(Int.init) else {
            return defaultOpset
        }
        return min(max(source, supportedOpsets.lowerBound), supportedOpsets.upperBound)
    }

    public var opset: Int
    /// NCHW rank-4 graph inputs and outputs instead of NHWC, for a channels-last graph.
    public var nchw: Bool
    /// Total weight bytes above which tensors go to external data; 0 forces external data.
    public var externalDataThreshold: Int

    public init(opset: Int = ONNXWriter.defaultOpset, nchw: Bool = false,
                externalDataThreshold: Int = ONNXWriter.defaultExternalDataThreshold) {
        self.opset = opset
        self.nchw = nchw
        self.externalDataThreshold = externalDataThreshold
    }

    /// The model with every weight inline.
    /// - Throws: `ONNXError.cannotExport` naming the node, `.unsupportedVersion` for an opset
    ///   outside `supportedOpsets`, `.malformed` when the model would exceed 2 GiB.
    public func serialize(_ graph: Graph) throws -> [UInt8] {
        let (model, _) = try build(graph, externalLocation: nil)
        return try encode(model)
    }

    /// Writes `graph` to `path` (and `path.data` when the weights go external).
    /// - Parameter overwrite: replace existing files; otherwise an existing file is an error.
    /// - Returns: the path of the external data file, when one was written.
    /// - Throws: `ONNXError`, or `FileError` for I/O.
    @discardableResult
    public func write(_ graph: Graph, to path: String, overwrite: Bool = false) throws -> String? {
        try write(graph, to: path, overwrite: overwrite, validated: false)
    }

    /// Writes a graph its caller has just validated (a reader's result, unchanged), so a
    /// conversion validates each graph once. Package scope: only wtool's own pipelines vouch.
    @discardableResult
    package func write(validated graph: Graph, to path: String, overwrite: Bool = false) throws -> String? {
        try write(graph, to: path, overwrite: overwrite, validated: true)
    }

    private func write(_ graph: Graph, to path: String, overwrite: Bool, validated: Bool) throws -> String? {
        let dataName = (path as NSString).lastPathComponent + ".data"
        let dataPath = ((path as NSString).deletingLastPathComponent as NSString).appendingPathComponent(dataName)
        let output = try AtomicOutput(destination: path, overwrite: overwrite)
        if !validated { Diagnostics.note("validate", path: path) }
        let (model, external) = try build(graph, externalLocation: dataName, validated: validated)
        var dataOutput: AtomicOutput?
        if !external.isEmpty {
            let out = try AtomicOutput(destination: dataPath, overwrite: overwrite)
            var written = 0
            for tensor in external {
                try out.writeZeros(tensor.offset - written)
                try out.write(tensor.data.bytes)
                written = tensor.offset + tensor.data.count
            }
            dataOutput = out
        }
        try output.write(try encode(model))
        try dataOutput?.commit()
        try output.commit()
        return dataOutput == nil ? nil : dataPath
    }

    private struct ExternalTensor {
        var offset: Int
        var data: TensorData
    }

    private func build(_ graph: Graph, externalLocation: String?, validated: Bool = false) throws -> (Onnx_ModelProto, [ExternalTensor]) {
        guard Self.supportedOpsets.contains(opset) else {
            throw ONNXError.unsupportedVersion(detail: "opset \(opset) cannot be written (\(Self.supportedOpsets.lowerBound)–\(Self.supportedOpsets.upperBound))")
        }
        let exporter = try ONNXExporter(graph: graph, opset: opset, nchwIO: nchw, validated: validated)
        var model = try exporter.model()
        let total = exporter.initializers.reduce(0) { $0 + $1.data.count }
        let goExternal = externalLocation != nil && total > externalDataThreshold
        var external: [ExternalTensor] = []
        var offset = 0
        var tensors: [Onnx_TensorProto] = []
        for initializer in exporter.initializers {
            var t = initializer.proto
            if goExternal, let location = externalLocation, initializer.data.count >= Self.externalTensorMinimumBytes {
                offset = (offset + Self.externalAlignment - 1) / Self.externalAlignment * Self.externalAlignment
                t.dataLocation = .external
                t.externalData = [("location", location), ("offset", String(offset)), ("length", String(initializer.data.count))].map {
                    var e = Onnx_StringStringEntryProto()
                    e.key = $0.0
                    e.value = $0.1
                    return e
                }
                external.append(ExternalTensor(offset: offset, data: initializer.data))
                offset += initializer.data.count
            } else {
                t.rawData = Data(initializer.data.bytes)
            }
            tensors.append(t)
        }
        model.graph.initializer = tensors
        return (model, external)
    }

    private func encode(_ model: Onnx_ModelProto) throws -> [UInt8] {
        let bytes: [UInt8]
        do { bytes = try model.serializedBytes() } catch {
            throw ONNXError.malformed(detail: "cannot serialize the model: \(error)")
        }
        guard bytes.count <= ONNXReader.maximumModelBytes else {
            throw ONNXError.malformed(detail: "the model is \(bytes.count) bytes, over protobuf's 2 GiB limit; lower the external-data threshold")
        }
        return bytes
    }
}
