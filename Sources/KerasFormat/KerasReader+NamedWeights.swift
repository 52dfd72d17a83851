import ModelIR

extension KerasReader {
    /// Binds tensors named by Keras weight path (`block1_conv1/kernel`, `bn/moving_mean`; a nested
    /// model's as `vgg16/block1_conv1/kernel`) — what a weights-only file of another format
    /// holds, e.g. safetensors — to the model `options` names (`--arch` or `--config`), strictly:
    /// a weight the model has and the tensors lack, a tensor the model has no weight for, a
    /// tensor that is not floating point, and a tensor of the wrong shape are each an error that
    /// names the tensor. Names are compared exactly, as the weights-only HDF5 layouts compare
    /// positions; nothing is transposed. One spelling is accepted besides wtool's own: Keras 3
    /// names a `DepthwiseConv2D`'s kernel `layer/kernel` (`variable.path`), where wtool (like
    /// tf_keras) says `layer/depthwise_kernel`.
    /// - Parameters:
    ///   - tensors: the tensors by name, in the layouts Keras keeps (HWIO kernels).
    ///   - sourceFormat: recorded in the graph's metadata (`safetensors`).
    ///   - label: how the error for missing options describes the file.
    /// - Returns: the validated graph; weights keep their bytes (views stay views), with the
    ///   model's layout tags and trainability.
    /// - Throws: `KerasError` (`.needsArchitecture`, `.weights` naming the tensor), or
    ///   `ModelIRError` for a graph that does not validate for another reason.
    public static func bind(namedWeights tensors: [String: Weight], options: KerasReadOptions, sourceFormat: String,
                            label: String) throws -> Graph {
        let structure: KerasModelStructure
        var metadata = Metadata(sourceFormat: sourceFormat)
        if let configJSON = options.configJSON {
            structure = try KerasConfigParser.parse(try JSONValue.parse(configJSON))
        } else if let architecture = options.architecture {
            structure = try Applications.structure(for: architecture)
            metadata.preprocessing = architecture.architecture.preprocessing
        } else {
            throw KerasError.needsArchitecture(flavour: label)
        }
        if metadata.preprocessing == nil { metadata.preprocessing = Applications.preprocessing(forModelNamed: structure.name) }

        let expected = structure.weightFacts
        var tensors = tensors
        for (alias, name) in keras3Aliases(structure.layers) where tensors[alias] != nil {
            guard tensors[name] == nil else {
                throw KerasError.weights(layer: layerName(of: name),
                    detail: "the file has both '\(alias)' (Keras 3's name) and '\(name)' for the same weight")
            }
            tensors[name] = tensors.removeValue(forKey: alias)
        }
        let missing = expected.keys.filter { tensors[$0] == nil }.sorted()
        let extra = tensors.keys.filter { expected[$0] == nil }.sorted()
        func others(_ names: ArraySlice<String>) -> String {
            names.isEmpty ? "" : " (and \(names.count) more: \(names.prefix(4).map { "'\($0)'" }.joined(separator: ", "))\(names.count > 4 ? ", …" : ""))"
        }
        if let first = missing.first {
            throw KerasError.weights(layer: layerName(of: first),
                detail: "the model's weight '\(first)' is missing: the file has no tensor of that name\(others(missing.dropFirst()))"
                    + (extra.isEmpty ? "" : "; the file has tensors the model lacks, e.g. '\(extra[0])'"))
        }
        if let first = extra.first {
            throw KerasError.weights(layer: layerName(of: first),
                detail: "the file's tensor '\(first)' is no weight of the model\(others(extra.dropFirst()))")
        }
        var weights: [String: Weight] = [:]
        for name in expected.keys.sorted() {
            guard var weight = tensors[name], let facts = expected[name] else { continue }
            // Keras's integer state (Normalization's int64 `count`: non-trainable) binds as the HDF5
            // reader binds it; a trained weight must be floating point.
            let integerState = !facts.trainable && (weight.info.dtype == .int64 || weight.info.dtype == .int32)
            guard weight.info.dtype.isFloatingPoint || integerState else {
                throw KerasError.weights(layer: layerName(of: name), detail: "tensor '\(name)' holds \(weight.info.dtype) values, not floating point (nor Keras's integer state)")
            }
            weight.info.name = name
            weight.info.layout = facts.layout
            weight.trainable = facts.trainable
            weights[name] = weight
        }
        let graph = structure.graph(weights: weights, metadata: metadata)
        do {
            try graph.validate()
        } catch ModelIRError.weightShapeMismatch(let nodeName, let role, let want, let got) {
            let node = graph.nodes.first { $0.name == nodeName }
            let tensor = node.flatMap { n in KerasLayerTable.parameters(of: n).first { $0.role == role }?.name } ?? "\(nodeName)/\(role)"
            var hint = ""
            if got.count == 4, want.count == 4, got == [want[3], want[2], want[0], want[1]] {
                hint = " (that is the OIHW layout PyTorch stores convolution kernels in; this file must hold Keras's HWIO kernels)"
            }
            throw KerasError.weights(layer: nodeName, detail: "tensor '\(tensor)' has shape \(got), the model expects \(want)\(hint)")
        }
        return graph
    }

    /// Keras 3's names of weights wtool names otherwise (alias → wtool's name).
    private static func keras3Aliases(_ units: [KerasLayerUnit]) -> [String: String] {
        var aliases: [String: String] = [:]
        for unit in units {
            if let sublayers = unit.sublayers { aliases.merge(keras3Aliases(sublayers)) { a, _ in a } }
            guard unit.className == "DepthwiseConv2D" else { continue }
            for name in unit.weightNames where name.hasSuffix("/depthwise_kernel") {
                aliases[String(name.dropLast("depthwise_kernel".count)) + "kernel"] = name
            }
        }
        return aliases
    }

    /// The layer part of a weight path (`block1_conv1` of `block1_conv1/kernel`).
    private static func layerName(of weight: String) -> String {
        weight.split(separator: "/").dropLast().joined(separator: "/")
    }
}
