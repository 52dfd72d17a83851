import FileSupport
import HDF5
import ModelIR

/// Binds weights from an HDF5 file to a `KerasModelStructure`, strictly: a missing weight, an
/// unused weight or a shape mismatch is an error naming the layer (DESIGN.md §7.7).
struct KerasWeightBinder {
    let structure: KerasModelStructure
    /// The source file mapped read-only, when it is a file on disk: contiguous datasets then become
    /// views into it instead of copies.
    let mapping: MappedFile?
    private(set) var weights: [String: Weight] = [:]
    /// The weights found for carried layers, by node name: names and roles in Keras's order.
    private(set) var discovered: [String: [(name: String, role: String)]] = [:]

    /// Carried layer classes that never hold weights (Python code, not variables).
    static let weightlessCarriedClasses: Set<String> = ["Lambda", "TFOpLambda", "SlicingOpLambda"]

    /// Whose convolution kernels the file holds (`--conv-kernels`); nil: as the file says.
    var kernelConvention: KerasKernelConvention?
    /// The file's `backend` attribute (Keras 2 writes it; Keras 1 does not).
    var backend: String?

    init(structure: KerasModelStructure, mapping: MappedFile? = nil, kernelConvention: KerasKernelConvention? = nil,
         backend: String? = nil) {
        self.structure = structure
        self.mapping = mapping
        self.kernelConvention = kernelConvention
        self.backend = backend
    }

    // MARK: Legacy layout (`model.save("x.h5")`, `save_weights("x.h5")`, Keras 1 application files)

    /// Binds from a group holding `layer_names` (the `model_weights` group, or the file root of a
    /// weights-only file). Layers are paired by position among those that have weights, exactly
    /// as Keras's `load_weights_from_hdf5_group` does; weights by position in `weight_names`.
    /// Dataset names are never parsed.
    mutating func bindLegacy(group: H5Group) throws {
        guard let layerNames = try group.chunkedStringsAttribute("layer_names") else {
            throw KerasError.notKeras("no 'layer_names' attribute in \(group.path)")
        }
        var fileLayers: [(name: String, datasets: [(String, H5Group)])] = []
        for name in layerNames {
            let layerGroup = try group.group(name)
            let weightNames = try layerGroup.chunkedStringsAttribute("weight_names") ?? []
            if !weightNames.isEmpty { fileLayers.append((name, weightNames.map { ($0, layerGroup) })) }
        }
        // A carried layer has weights when the file's layer of its name has (the file and the
        // config were saved together; a weights-only file with a --config has the same names).
        let withWeights = Set(fileLayers.map(\.name))
        var modelLayers = structure.layers.filter { $0.hasWeights || ($0.discoversWeights && withWeights.contains($0.name)) }
        if fileLayers.count != modelLayers.count {
            // A weights-only file read with the config of the model rebuilt in another session (a
            // package's own model code): Keras pairs layers by position, and the auto-names differ
            // (`embedding` in the config, `embedding_1` in the file). Then every carried layer of a
            // class that can hold weights has them, as Keras sees it, when the counts agree.
            let positional = structure.layers.filter {
                $0.hasWeights || ($0.discoversWeights && !Self.weightlessCarriedClasses.contains($0.className))
            }
            if positional.count == fileLayers.count { modelLayers = positional }
        }
        guard fileLayers.count == modelLayers.count else {
            throw KerasError.weights(layer: structure.name,
                detail: "the file has weights for \(fileLayers.count) layers, the model has \(modelLayers.count) layers with weights")
        }
        for (fileLayer, unit) in zip(fileLayers, modelLayers) {
            if unit.discoversWeights, let node = unit.nodeName {
                let found = Self.discoveredNames(node: node, datasetNames: fileLayer.datasets.map(\.0))
                discovered[node] = found
                for ((weightName, _), (datasetName, layerGroup)) in zip(found, fileLayer.datasets) {
                    try bind(weightName, dataset: try layerGroup.dataset(datasetName), layer: unit.name, trainable: unit.trainable)
                }
                continue
            }
            if unit.sublayers != nil, unit.containsCarriedLayer {
                throw KerasError.weights(layer: unit.name, detail: "a nested model holding a layer wtool carries (\(unit.carriedLayerNames.joined(separator: ", "))) cannot be bound from a legacy .h5: its weight order is unknown")
            }
            let expected = unit.legacyWeightOrder(facts: structure.weightFacts)
            guard expected.count == fileLayer.datasets.count else {
                throw KerasError.weights(layer: unit.name,
                    detail: "the file's layer '\(fileLayer.name)' has \(fileLayer.datasets.count) weights, the model expects \(expected.count)")
            }
            for (weightName, (datasetName, layerGroup)) in zip(expected, fileLayer.datasets) {
                try bind(weightName, dataset: try layerGroup.dataset(datasetName), layer: unit.name)
            }
        }
    }

    // MARK: Keras 3 layout (`.weights.h5`, and `model.weights.h5` inside `.keras`)

    /// Binds from a Keras 3 weights store: `<container>/layers/<group>/vars/<i>`, where `<group>`
    /// is the snake-cased class name made unique by a counter over `model.layers` in order, and
    /// `vars` carries the real layer name as an attribute.
    ///
    /// The group is found by that path first — Keras's own `load_weights` reads nothing else, so
    /// a file whose layers were auto-named in a busy session (`conv2d_94` where a fresh model has
    /// `conv2d`) still binds as Keras binds it — and by the `name` attribute only when the path
    /// does not exist (a config whose class names are aliases Keras 3 would have canonicalised).
    mutating func bindKeras3(root: H5Group) throws {
        try bindKeras3(container: root, units: structure.layers, path: "")
    }

    private mutating func bindKeras3(container: H5Group, units: [KerasLayerUnit], path: String) throws {
        let layersGroup = try container.contains("layers") ? try container.group("layers") : nil
        var byRealName: [String: String] = [:]
        var groupNames: [String] = []
        if let layersGroup {
            groupNames = try layersGroup.childNames()
            for child in groupNames {
                let g = try layersGroup.group(child)
                if try g.contains("vars") {
                    let vars = try g.group("vars")
                    if try vars.hasAttribute("name") { byRealName[try vars.stringAttribute("name")] = child }
                }
            }
        }
        var used: [String: Int] = [:]
        var consumed = Set<String>()
        for unit in units {
            let snake = Self.snakeCase(unit.className)
            let count = used[snake, default: 0]
            used[snake] = count + 1
            guard unit.hasWeights || unit.discoversWeights || unit.containsCarriedLayer else { continue }
            let positional = count == 0 ? snake : "\(snake)_\(count)"
            guard let layersGroup, let groupName = groupNames.contains(positional) ? positional : byRealName[unit.name] else {
                if !unit.hasWeights { continue }  // a carried layer without weights has no group
                throw KerasError.weights(layer: unit.name, detail: "no group for it under \(path)/layers")
            }
            guard consumed.insert(groupName).inserted else {
                throw KerasError.weights(layer: unit.name, detail: "its group \(path)/layers/\(groupName) is already bound to another layer")
            }
            let group = try layersGroup.group(groupName)
            if let sublayers = unit.sublayers {
                try bindKeras3(container: group, units: sublayers, path: "\(path)/layers/\(groupName)")
                continue
            }
            guard try group.contains("vars") else {
                throw KerasError.weights(layer: unit.name, detail: "group \(path)/layers/\(groupName) has no vars")
            }
            guard try group.contains("vars") || !unit.discoversWeights else {
                consumed.remove(groupName)
                continue
            }
            let vars = try group.group("vars")
            let present = try vars.childNames()
            if unit.discoversWeights, let node = unit.nodeName {
                let found = Self.discoveredNames(node: node, datasetNames: (0..<present.count).map { "weight_\($0)" })
                discovered[node] = found
                for (i, (weightName, _)) in found.enumerated() {
                    try bind(weightName, dataset: try vars.dataset(String(i)), layer: unit.name, trainable: unit.trainable)
                }
                continue
            }
            guard present.count == unit.weightNames.count else {
                throw KerasError.weights(layer: unit.name, detail: "\(path)/layers/\(groupName)/vars holds \(present.count) variables, the layer has \(unit.weightNames.count)")
            }
            for (i, weightName) in unit.weightNames.enumerated() {
                try bind(weightName, dataset: try vars.dataset(String(i)), layer: unit.name)
            }
        }
        for child in groupNames where !consumed.contains(child) {
            let g = try layersGroup!.group(child)
            if try g.contains("vars"), try !g.group("vars").childNames().isEmpty {
                throw KerasError.weights(layer: child, detail: "the file has weights in \(path)/layers/\(child) that no layer of the model uses")
            }
        }
    }

    /// Keras's `naming.to_snake_case`.
    static func snakeCase(_ name: String) -> String {
        let chars = Array(name.filter { $0.isLetter || $0.isNumber || $0 == "_" })
        var out: [Character] = []
        // "(.)([A-Z][a-z]+)" → "\1_\2"
        for (i, c) in chars.enumerated() {
            if i > 0, c.isUppercase, i + 1 < chars.count, chars[i + 1].isLowercase { out.append("_") }
            out.append(c)
        }
        // "([a-z])([A-Z])" → "\1_\2"
        var result: [Character] = []
        for (i, c) in out.enumerated() {
            if i > 0, c.isUppercase, out[i - 1].isLowercase { result.append("_") }
            result.append(c)
        }
        return String(result).lowercased()
    }

    /// Names for a carried layer's weights: `<node>/<role>`, the role being the last part of the
    /// file's name without `:0` (`lstm/lstm_cell/kernel:0` → `kernel`), made unique.
    static func discoveredNames(node: String, datasetNames: [String]) -> [(name: String, role: String)] {
        var used = Set<String>()
        return datasetNames.enumerated().map { i, dataset in
            var role = String(dataset.split(separator: "/").last ?? Substring(dataset))
            if let colon = role.lastIndex(of: ":"), Int(role[role.index(after: colon)...]) != nil { role = String(role[..<colon]) }
            if role.isEmpty { role = "weight_\(i)" }
            var unique = role
            var k = 1
            while !used.insert(unique).inserted { unique = "\(role)_\(k)"; k += 1 }
            return ("\(node)/\(unique)", unique)
        }
    }

    // MARK: Reading one dataset

    private mutating func bind(_ weightName: String, dataset: H5Dataset, layer: String, trainable: Bool? = nil) throws {
        let type: H5ElementType
        var shape: [Int], data: TensorData
        if let mapping, let stored = try dataset.contiguousStorage(),
           stored.offset <= mapping.bytes.count, stored.length <= mapping.bytes.count - stored.offset {
            (type, shape) = (stored.type, stored.shape)
            data = TensorData(view: UnsafeRawBufferPointer(rebasing: mapping.bytes[stored.offset..<(stored.offset + stored.length)]), owner: mapping)
        } else {
            let read = try dataset.readLittleEndianBytes()
            (type, shape, data) = (read.type, read.shape, TensorData(copying: read.bytes))
        }
        let dtype: DType
        switch type {
        case .float(4): dtype = .float32
        case .float(8): dtype = .float64
        case .float(2):
            let tag = (try? dataset.hasAttribute("dtype")) == true ? (try? dataset.stringAttribute("dtype")) : nil
            dtype = tag == "bfloat16" ? .bfloat16 : .float16
        case .integer(2, false) where (try? dataset.stringAttribute("dtype")) == "bfloat16":
            dtype = .bfloat16
        // Normalization's `count` (int64), and the integer state of carried layers.
        case .integer(8, true): dtype = .int64
        case .integer(4, true): dtype = .int32
        default:
            throw KerasError.weights(layer: layer, detail: "dataset \(dataset.path) holds \(type) values, not floating point")
        }
        if let kernel = structure.convKernels[weightName] {
            let bound = try kernel.bound(Tensor(dtype: dtype, shape: shape, data: data),
                                         flip: kernel.isTheano(convention: kernelConvention, backend: backend), layer: layer)
            (shape, data) = (bound.shape, bound.data)
        }
        let facts = structure.weightFacts[weightName]
        weights[weightName] = Weight(info: TensorInfo(name: weightName, dtype: dtype, shape: shape, layout: facts?.layout ?? .unspecified),
                                     data: data, trainable: facts?.trainable ?? trainable ?? true, source: dataset.path)
    }
}
