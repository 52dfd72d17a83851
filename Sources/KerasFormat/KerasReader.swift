import FileSupport
import Foundation
import HDF5
import ModelIR
import ZIPFoundation

/// The Keras file flavours wtool reads, told apart by content.
public enum KerasFlavour: String, Sendable {
    /// `model.save("x.h5")`: `model_config` + `model_weights` (Keras 2 or 3).
    case legacyFullModel = "keras-h5"
    /// `save_weights("x.h5")` (Keras 2) and Keras 1 era application files: `layer_names` at the root.
    case legacyWeights = "keras-weights-h5"
    /// Keras 3 `save_weights("x.weights.h5")`: `layers/<class>/vars/<i>`.
    case keras3Weights = "keras-v3-weights"
    /// Keras 3 `.keras` zip: `config.json` + `model.weights.h5`.
    case kerasZip = "keras-v3"

    var label: String {
        switch self {
        case .legacyFullModel: "a Keras .h5 model"
        case .legacyWeights: "a weights-only Keras .h5 file"
        case .keras3Weights: "a Keras 3 .weights.h5 file"
        case .kerasZip: "a .keras archive"
        }
    }
}

/// The two containers Keras files come in, told apart by their magic bytes.
public enum KerasContainer: String, Sendable {
    /// HDF5: legacy `.h5` (full model or weights only) or Keras 3 `.weights.h5`.
    case hdf5
    /// The Keras 3 `.keras` zip archive.
    case zip

    /// The container `magic` (a file's first bytes, at least 8 for HDF5) starts; nil for neither.
    public init?(magic: [UInt8]) {
        if magic.starts(with: [0x89, 0x48, 0x44, 0x46, 0x0D, 0x0A, 0x1A, 0x0A]) {
            self = .hdf5
        } else if magic.starts(with: [0x50, 0x4B, 0x03, 0x04]) {
            self = .zip
        } else {
            return nil
        }
    }
}

/// Options for reading Keras files.
public struct KerasReadOptions: Sendable {
    /// A built-in architecture for weights-only files (`vgg16`, `vgg19`, …); also accepted for
    /// full models, where the file's own config is used and this is ignored.
    public var architecture: ApplicationSpec?
    /// A Keras model config (`model.to_json()`) for weights-only files; an alternative to
    /// `architecture` for models that are not built in.
    public var configJSON: Data?

    /// Whose convolution kernels the file holds; nil: the file's `backend` attribute, and for a
    /// Keras 1 file (which has none) each layer's `dim_ordering` ("th": Theano's).
    public var kernelConvention: KerasKernelConvention?

    public init(architecture: ApplicationSpec? = nil, configJSON: Data? = nil, kernelConvention: KerasKernelConvention? = nil) {
        self.architecture = architecture
        self.configJSON = configJSON
        self.kernelConvention = kernelConvention
    }

    /// The structure for a weights-only file: from `configJSON`, else the built-in architecture.
    func weightsOnlyStructure(flavour: KerasFlavour) throws -> (KerasModelStructure, String?) {
        if let configJSON { return (try KerasConfigParser.parse(try JSONValue.parse(configJSON)), nil) }
        guard let architecture else { throw KerasError.needsArchitecture(flavour: flavour.label) }
        return (try Applications.structure(for: architecture), architecture.architecture.preprocessing)
    }
}

/// Reads every Keras flavour into a `Graph` with bound, validated weights.
public enum KerasReader {
    /// Largest `.keras` weights member wtool will inflate (zip bombs); see also ``memoryBudget()``.
    static let maxZipMember: UInt64 = 8 << 30
    /// Largest `config.json` / `metadata.json` inflated: real configs are kilobytes to a few MB.
    static let maxConfigMember: UInt64 = 64 << 20
    /// HDF5's signature, which `model.weights.h5` must start with.
    static let hdf5Signature: [UInt8] = [0x89, 0x48, 0x44, 0x46, 0x0D, 0x0A, 0x1A, 0x0A]

    /// Bytes this process may still allocate: physical memory, or less under `ulimit -v`
    /// (RLIMIT_AS minus what is mapped already). A member that inflates to more is refused
    /// before any of it is inflated.
    static func memoryBudget() -> UInt64 {
        var budget = ProcessInfo.processInfo.physicalMemory
        var limit = rlimit()
        if getrlimit(Int32(RLIMIT_AS.rawValue), &limit) == 0, limit.rlim_cur != rlim_t.max {
            var mapped: UInt64 = 0
            if let statm = try? String(contentsOfFile: "/proc/self/statm", encoding: .utf8),
               let pages = statm.split(separator: " ").first.flatMap({ UInt64($0) }) {
                mapped = pages * UInt64(sysconf(Int32(_SC_PAGESIZE)))
            }
            budget = min(budget, UInt64(limit.rlim_cur) > mapped ? UInt64(limit.rlim_cur) - mapped : 0)
        }
        return budget
    }

    /// Which Keras flavour a file is, from its bytes; nil when it is neither HDF5 nor a zip.
    public static func detect(path: String) throws -> KerasFlavour? {
        let file: RegularFile
        do {
            file = try RegularFile(path: path)
        } catch FileError.notRegularFile {
            return nil  // a directory or device: no Keras flavour, as for any other bytes
        } catch let error as FileError {
            throw notReadable(error)
        }
        switch container(of: file) {
        case .zip: return .kerasZip
        case .hdf5: return try detect(openHDF5(path: path))
        case nil: return nil
        }
    }

    /// The container from the file's magic bytes (an unreadable prefix is no container).
    static func container(of file: RegularFile) -> KerasContainer? {
        Diagnostics.note("detect", path: file.path)
        return KerasContainer(magic: (try? file.readPrefix(8)) ?? [])
    }

    static func detect(_ file: H5File) throws -> KerasFlavour {
        let root = file.root
        if try root.hasAttribute("model_config") { return .legacyFullModel }
        if try root.chunkedStringsAttribute("layer_names") != nil { return .legacyWeights }
        if try root.contains("model_weights"), try root.group("model_weights").chunkedStringsAttribute("layer_names") != nil {
            return .legacyWeights
        }
        if try root.contains("layers") || root.contains("vars") { return .keras3Weights }
        throw KerasError.notKeras("an HDF5 file, but not a Keras model (no model_config, layer_names or layers group)")
    }

    /// Opens `path` through FileSupport's safe open (a FIFO or device is refused, never waited on).
    static func open(_ path: String) throws -> RegularFile {
        do {
            return try RegularFile(path: path)
        } catch let error as FileError {
            throw notReadable(error)
        }
    }

    /// A file that cannot be opened as one of its own: missing, unreadable, or no regular file.
    private static func notReadable(_ error: FileError) -> KerasError {
        switch error {
        case .system(_, .open, ENOENT): .notKeras("no such file")
        case .system: .notKeras("cannot read the file")
        case .notRegularFile, .tooLarge, .exists: .notKeras("not a Keras file (neither HDF5 nor a .keras zip)")
        }
    }

    /// libhdf5's own open of `path` (counted: a pipeline should open each file once).
    static func openHDF5(path: String) throws -> H5File {
        Diagnostics.note("hdf5-open", path: path)
        return try H5File.open(path: path)
    }

    /// Reads `path` (any flavour) into a validated graph.
    /// - Throws: `KerasError`, `HDF5Error` or `ModelIRError`, each one line.
    public static func read(path: String, options: KerasReadOptions = KerasReadOptions()) throws -> Graph {
        try read(file: try open(path), options: options)
    }

    /// Reads a file the caller has already opened: the same descriptor serves the magic check
    /// and the mapping that makes contiguous HDF5 weights zero-copy, and libhdf5 opens the file
    /// once.
    /// - Parameter container: what the caller's own format detection found; nil reads the magic.
    /// - Throws: `KerasError`, `HDF5Error` or `ModelIRError`, each one line.
    public static func read(file regular: RegularFile, container known: KerasContainer? = nil,
                            options: KerasReadOptions = KerasReadOptions()) throws -> Graph {
        let path = regular.path
        switch known ?? container(of: regular) {
        case .zip: return try readZip(path: path, options: options)
        case nil: throw KerasError.notKeras("not a Keras file (neither HDF5 nor a .keras zip)")
        case .hdf5: break
        }
        let file = try openHDF5(path: path)
        let flavour = try detect(file)
        let mapping = try? MappedFile(file: regular)
        let root = file.root
        var metadata = Metadata(sourceFormat: flavour.rawValue, producer: "keras")
        metadata.kerasVersion = try? root.stringAttribute("keras_version")
        metadata.backend = try? root.stringAttribute("backend")
        switch flavour {
        case .legacyFullModel:
            let configText = try root.stringAttribute("model_config")
            let structure = try KerasConfigParser.parse(try JSONValue.parse(Data(configText.utf8)), kerasVersion: metadata.kerasVersion)
            var binder = KerasWeightBinder(structure: structure, mapping: mapping, kernelConvention: options.kernelConvention,
                                           backend: metadata.backend)
            let weightsGroup = try root.contains("model_weights") ? try root.group("model_weights") : root
            try binder.bindLegacy(group: weightsGroup)
            return try finish(structure, binder, metadata, path: path)
        case .legacyWeights:
            let (structure, preprocessing) = try options.weightsOnlyStructure(flavour: flavour)
            let group = try root.chunkedStringsAttribute("layer_names") != nil ? root : try root.group("model_weights")
            if metadata.kerasVersion == nil { metadata.kerasVersion = try? group.stringAttribute("keras_version") }
            if metadata.backend == nil { metadata.backend = try? group.stringAttribute("backend") }
            var binder = KerasWeightBinder(structure: structure, mapping: mapping, kernelConvention: options.kernelConvention,
                                           backend: metadata.backend)
            try binder.bindLegacy(group: group)
            metadata.preprocessing = preprocessing
            return try finish(structure, binder, metadata, path: path)
        case .keras3Weights:
            let (structure, preprocessing) = try options.weightsOnlyStructure(flavour: flavour)
            var binder = KerasWeightBinder(structure: structure, mapping: mapping)
            try binder.bindKeras3(root: root)
            metadata.preprocessing = preprocessing
            return try finish(structure, binder, metadata, path: path)
        case .kerasZip:
            throw KerasError.notKeras("a .keras archive's weights are an HDF5 image inside the zip, not a file")
        }
    }

    private static func readZip(path: String, options: KerasReadOptions) throws -> Graph {
        Diagnostics.note("zip-open", path: path)
        let archive: Archive
        do {
            archive = try Archive(url: URL(fileURLWithPath: path), accessMode: .read)
        } catch {
            throw KerasError.notKeras("not a readable .keras zip archive")
        }
        // Members are inflated into memory, bounded before a byte is inflated: by a cap per kind
        // (configs are small), by what the process may still allocate, and — weights — by the
        // HDF5 signature of the first bytes (a bomb of zeros fails at once).
        func member(_ name: String, cap: UInt64, signature: [UInt8]? = nil) throws -> Data? {
            guard let entry = archive[name] else { return nil }
            let declared = UInt64(entry.uncompressedSize)
            guard declared <= cap else {
                throw KerasError.notKeras("archive member \(name) claims \(declared) bytes, over the \(cap)-byte limit (a zip bomb?)")
            }
            let budget = memoryBudget()
            guard declared <= budget / 2 else {
                throw KerasError.notKeras("archive member \(name) inflates to \(declared) bytes, more than this process may allocate (\(budget) bytes left)")
            }
            var data = Data()
            data.reserveCapacity(Int(min(declared, 64 << 20)))
            do {
                _ = try archive.extract(entry, skipCRC32: false) { chunk in
                    data.append(chunk)
                    if let signature, data.count >= signature.count, data.count - chunk.count < signature.count,
                       !data.prefix(signature.count).elementsEqual(signature) {
                        throw KerasError.notKeras("archive member \(name) is not an HDF5 file")
                    }
                    if data.count > Int(declared) { throw KerasError.notKeras("archive member \(name) inflates past its declared size") }
                }
            } catch let error as KerasError {
                throw error
            } catch {
                throw KerasError.notKeras("archive member \(name) is damaged (\(error))")
            }
            return data
        }
        guard let config = try member("config.json", cap: maxConfigMember) else { throw KerasError.notKeras("a zip archive without config.json (not a .keras model)") }
        guard let weightsData = try member("model.weights.h5", cap: maxZipMember, signature: hdf5Signature) else {
            if archive["model.weights.npz"] != nil { throw KerasError.notKeras(".keras archives with .npz weights are not supported") }
            throw KerasError.notKeras("the .keras archive has no model.weights.h5")
        }
        var metadata = Metadata(sourceFormat: KerasFlavour.kerasZip.rawValue, producer: "keras")
        if let meta = try member("metadata.json", cap: maxConfigMember), let json = try? JSONValue.parse(meta) {
            metadata.kerasVersion = json["keras_version"]?.string
        }
        let structure = try KerasConfigParser.parse(try JSONValue.parse(config), kerasVersion: metadata.kerasVersion)
        let file = try weightsData.withUnsafeBytes { try H5File.open(image: $0, name: path + "/model.weights.h5") }
        var binder = KerasWeightBinder(structure: structure)
        try binder.bindKeras3(root: file.root)
        _ = options
        return try finish(structure, binder, metadata, path: path)
    }

    /// The graph a Keras model config (`model.to_json()`) describes, without weights: what the
    /// keras-config fuzzer drives (JSON parser, config → IR). Package scope: not an API.
    package static func graph(configJSON: Data) throws -> Graph {
        let structure = try KerasConfigParser.parse(try JSONValue.parse(configJSON))
        return structure.graph(weights: [:], metadata: Metadata(sourceFormat: "keras-config", producer: "keras"))
    }

    private static func finish(_ structure: KerasModelStructure, _ binder: KerasWeightBinder, _ metadata: Metadata, path: String) throws -> Graph {
        var meta = metadata
        if meta.preprocessing == nil { meta.preprocessing = Applications.preprocessing(forModelNamed: structure.name) }
        let weights = binder.weights
        var graph = structure.graph(weights: weights, metadata: meta)
        // Carried layers take the weights the file held for them as operands, after their inputs.
        for (i, node) in graph.nodes.enumerated() {
            guard let found = binder.discovered[node.name], !found.isEmpty, case .custom(var op) = node.op else { continue }
            op.inputNames = Array(op.inputNames.prefix(op.dataInputCount)) + found.map(\.role)
            graph.nodes[i].op = .custom(op)
            graph.nodes[i].inputs = Array(node.inputs.prefix(op.dataInputCount)) + found.map(\.name)
            // Every later call of a shared carried layer reads the same weights.
            for (j, other) in graph.nodes.enumerated() where j > i && other.name.hasPrefix(node.name + "#") {
                graph.nodes[j].op = .custom(op)
                graph.nodes[j].inputs = Array(other.inputs.prefix(op.dataInputCount)) + found.map(\.name)
            }
        }
        let used = Set(graph.nodes.flatMap { KerasLayerTable.parameters(of: $0).map(\.name) })
        for node in graph.nodes {
            for (w, _) in KerasLayerTable.parameters(of: node) where weights[w] == nil {
                throw KerasError.weights(layer: node.name, detail: "weight '\(w.split(separator: "/").last ?? "")' is missing from the file")
            }
        }
        if let extra = weights.keys.first(where: { !used.contains($0) }) {
            throw KerasError.weights(layer: extra, detail: "the file has a weight no node uses")
        }
        try graph.validate()
        Diagnostics.note("validate", path: path)
        return graph
    }
}
