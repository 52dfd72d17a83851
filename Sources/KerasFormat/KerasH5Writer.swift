import FileSupport
import Foundation
import HDF5
import ModelIR

/// Writes a `Graph` as a Keras legacy HDF5 file, the format `model.save("x.h5")` writes and
/// `keras.models.load_model` (Keras 3) and tf_keras's `load_model` read; or, with `weightsOnly`,
/// the layout of tf_keras's `save_weights("x.h5")` that `model.load_weights("x.h5")` takes in both.
///
/// Layout (reference/formats.md §1a): root attributes `keras_version`, `backend` (UTF-8) and
/// `model_config` (ASCII JSON `{"class_name", "config"}`); group `model_weights` with `layer_names`
/// (every entry of `model.layers`), `backend` and `keras_version` (ASCII), one group per layer
/// created in name order with `weight_names` and its datasets (`<layer>/<weight>:0`, contiguous
/// little-endian float32), and an empty `top_level_model_weights`. A weights-only file has the
/// same group content at its root and no `model_config`. Lists longer than HDF5's 64 KiB object
/// header limit are split into `layer_names0`, `layer_names1`, … as Keras does.
///
/// Weights are written as float32 whatever their stored type (f16/bf16 widen exactly), since the
/// config declares float32 layers; Keras's int64 state (Normalization's `count`) stays int64. The file appears only when complete (temporary file, fsync,
/// rename) and the same graph always gives the same bytes (no HDF5 timestamps).
public struct KerasH5Writer: Sendable {
    /// Which Keras the config is spelled for (`both` by default).
    public var target: KerasTarget
    /// Write only the weights (`load_weights` layout), not the model config.
    public var weightsOnly: Bool

    /// Keras's `HDF5_OBJECT_HEADER_LIMIT`: longer attribute lists are split into chunks.
    static let objectHeaderLimit = 64512

    public init(target: KerasTarget = .both, weightsOnly: Bool = false) {
        self.target = target
        self.weightsOnly = weightsOnly
    }

    /// The `model_config` JSON text this writer stores for `graph` (for a weights-only file, what
    /// `keras.models.model_from_json` needs to rebuild the model before `load_weights`).
    /// - Throws: `KerasError` when a node has no Keras equivalent, `ModelIRError` for an invalid graph.
    public func modelConfigJSON(for graph: Graph) throws -> String {
        try graph.validate()
        return try KerasConfigWriter(graph: try graph.withSpatialFirstKernels(), target: target).build().config.serialized()
    }

    /// Writes `graph` to `path`.
    /// - Parameters:
    ///   - overwrite: replace an existing file; otherwise an existing file is an error.
    ///   - progress: called with (bytes written, total bytes) as weights are written.
    /// - Throws: `KerasError` when a node has no Keras equivalent (nothing is written),
    ///   `HDF5Error` or `FileError` for I/O.
    public func write(_ graph: Graph, to path: String, overwrite: Bool = false, progress: ((Int, Int) -> Void)? = nil) throws {
        try graph.validate()
        Diagnostics.note("validate", path: path)
        try write(validated: graph, to: path, overwrite: overwrite, progress: progress)
    }

    /// Writes a graph its caller has just validated (a reader's result, unchanged), so a
    /// conversion validates each graph once. Package scope: only wtool's own pipelines vouch.
    package func write(validated graph: Graph, to path: String, overwrite: Bool = false,
                       progress: ((Int, Int) -> Void)? = nil) throws {
        let graph = try graph.withSpatialFirstKernels()
        let (config, layers) = try KerasConfigWriter(graph: graph, target: target).build()
        let configText = try config.serialized()
        for layer in layers {
            for (weight, _) in layer.weights {
                guard let w = graph.weights[weight], w.info.dtype.isFloatingPoint || w.info.dtype == .int64 else {
                    throw KerasError.weights(layer: layer.name, detail: "weight '\(weight)' is not floating point (nor Keras's int64 state); Keras layers hold float32")
                }
            }
        }
        // libhdf5 creates files by path and cannot write an unnamed one (/proc/self/fd/N fails its
        // realpath), so the file is built in memory and written out through AtomicOutput: no
        // name exists until it is complete, even under SIGKILL.
        let output = try AtomicOutput(destination: path, overwrite: overwrite)
        let file = try H5File.createInMemory(name: path)
        let image: [UInt8]
        do {
            try writeContent(file: file, configText: configText, layers: layers, graph: graph, progress: progress)
            image = try file.image()
            try file.close()
        } catch var error as HDF5Error {
            // The file's own name means nothing more than the destination, which callers name.
            if error.path == path { error.path = nil }
            throw error
        }
        try output.write(image)
        try output.commit()
    }

    private func writeContent(file: H5File, configText: String, layers: [KerasConfigWriter.FileLayer], graph: Graph,
                              progress: ((Int, Int) -> Void)?) throws {
        let root = file.root
        let weightsGroup: H5Group
        if weightsOnly {
            weightsGroup = root
        } else {
            try root.writeStringAttribute("keras_version", target.formatVersion, characterSet: .utf8)
            try root.writeStringAttribute("backend", "tensorflow", characterSet: .utf8)
            try root.writeStringAttribute("model_config", configText, characterSet: .ascii)
            weightsGroup = try root.createGroup("model_weights")
        }
        try writeKerasList(weightsGroup, "layer_names", layers.map(\.name))
        try weightsGroup.writeStringAttribute("backend", "tensorflow", characterSet: .ascii)
        try weightsGroup.writeStringAttribute("keras_version", target.formatVersion, characterSet: .ascii)

        let total = layers.reduce(0) { sum, layer in
            sum + layer.weights.reduce(0) { $0 + (graph.weights[$1.weight]?.elementCount ?? 0) * 4 }
        }
        var done = 0
        // Keras creates the groups in name order "so that group names are strictly growing".
        for layer in layers.sorted(by: { $0.name.utf8.lexicographicallyPrecedes($1.name.utf8) }) {
            let group = try weightsGroup.createGroup(layer.name)
            try writeKerasList(group, "weight_names", layer.weights.map(\.dataset))
            for (name, dataset) in layer.weights {
                guard let weight = graph.weights[name] else { continue }
                try writeFloat32(weight, to: group, dataset: dataset)
                done += weight.elementCount * 4
                progress?(done, total)
            }
        }
        try writeKerasList(try weightsGroup.createGroup("top_level_model_weights"), "weight_names", [])
    }

    /// Float32 bytes go to libhdf5 straight from the weight's (possibly mapped) storage; other
    /// float types are widened first.
    private func writeFloat32(_ weight: Weight, to group: H5Group, dataset: String) throws {
        if weight.info.dtype == .int64 {
            // Integer state (Normalization's `count`) stays int64, as Keras holds it.
            try group.createDataset(dataset, storage: .int64, shape: weight.info.shape, bytes: weight.data.bytes)
        } else if weight.info.dtype == .float32 {
            try group.createDataset(dataset, storage: .float32, shape: weight.info.shape, bytes: weight.data.bytes)
        } else {
            let floats = weight.data.floatArray(as: weight.info.dtype)
            _ = try floats.withUnsafeBytes { try group.createDataset(dataset, storage: .float32, shape: weight.info.shape, bytes: $0) }
        }
    }

    /// Keras's `save_attributes_to_hdf5_group`: a list of byte strings as a variable-length ASCII
    /// attribute, an empty list as an empty float64 array, and a list whose fixed-width NumPy form
    /// (`count × longest`) exceeds the object header limit as chunks `name0`, `name1`, … split the
    /// way `np.array_split` splits, each a fixed-width string array.
    func writeKerasList(_ object: H5Object, _ name: String, _ values: [String]) throws {
        guard !values.isEmpty else {
            try object.writeFloat64Attribute(name, [])
            return
        }
        let width = max(1, values.map(\.utf8.count).max() ?? 1)
        guard width <= Self.objectHeaderLimit else {
            throw KerasError.badConfig("a name in '\(name)' is longer than \(Self.objectHeaderLimit) bytes")
        }
        if values.count * width <= Self.objectHeaderLimit {
            try object.writeStringsAttribute(name, values, characterSet: .ascii)
            return
        }
        let chunks = Self.arraySplit(values.count, limit: Self.objectHeaderLimit / width)
        var start = 0
        for (i, count) in chunks.enumerated() {
            try object.writeFixedStringsAttribute("\(name)\(i)", Array(values[start..<(start + count)]), width: width)
            start += count
        }
    }

    /// Chunk sizes of `np.array_split(n items, k)` for the smallest k whose largest chunk holds at
    /// most `limit` items: the first `n % k` chunks get one item more.
    static func arraySplit(_ n: Int, limit: Int) -> [Int] {
        var k = 1
        while (n + k - 1) / k > limit { k += 1 }
        return (0..<k).map { $0 < n % k ? n / k + 1 : n / k }
    }
}

extension Graph {
    /// The graph with every convolution kernel in Keras's layout, spatial axes first (`[spatial…,
    /// in, out]`): an ONNX convolution and a Keras 1 `dim_ordering="th"` one keep `[out, in,
    /// spatial…]`. Kernels are transposed copies; a kernel computed at run time is left as it is
    /// (the writer then names what it cannot write).
    func withSpatialFirstKernels() throws -> Graph {
        var graph = self
        var done = Set<String>()
        for i in graph.nodes.indices {
            guard case .conv(.conv(var a)) = graph.nodes[i].op, a.kernelLayout == .spatialLast, graph.nodes[i].inputs.count > 1,
                  var kernel = graph.weights[graph.nodes[i].inputs[1]] else { continue }
            let name = graph.nodes[i].inputs[1]
            if done.insert(name).inserted {
                let rank = kernel.info.shape.count
                let t = try Tensor(dtype: kernel.info.dtype, shape: kernel.info.shape, data: kernel.data).transposed(Array(2..<rank) + [1, 0])
                kernel.info.shape = t.shape
                kernel.data = t.data
                if kernel.info.layout == .oihw { kernel.info.layout = .hwio }
                graph.weights[name] = kernel
            }
            a.kernelLayout = .spatialFirst
            graph.nodes[i].op = .conv(.conv(a))
        }
        return graph
    }
}
