import FileSupport
import Foundation
import NPY

/// `wtool features merge`: the shards of one `wtool features` run put back together.
///
/// Each shard's JSON sidecar says where it sits (`shard`: index, count, image range), which
/// dataset it listed (`dataset`: image count and a fingerprint of the sorted file list), which
/// model (`model_fingerprint`: size and CRC-32 of the file) and every setting its numbers depend
/// on. The shards may be given in any order; before anything is written, the merge checks that
/// they are all the shards of one run — each index once, none missing, the ranges the batch
/// rule gives, one dataset, one model, the same settings — and names the shard at fault. Then
/// it streams the rows (features, and labels with `labels`) through `NPYStreamWriter` in shard
/// order, so memory stays flat, and writes a sidecar like the one run's. With the same batch
/// size, threads and machine the arrays are byte for byte those of the unsharded run
/// (`FeatureExtraction+Shards.swift` says why shards are whole batches).
extension FeatureExtraction {
    /// What to merge, and where to.
    public struct MergeJob: Sendable {
        /// The shards' feature arrays (`.npy`, each with its `.json` sidecar), in any order.
        public var shards: [String]
        /// The merged features (`.npy`); its sidecar goes beside it.
        public var features: String
        /// The merged labels (`.npy`), from each shard's labels file (found through its sidecar);
        /// nil to merge only the features.
        public var labels: String?
        /// Replace existing outputs; otherwise they are an error.
        public var overwrite = false

        public init(shards: [String], features: String, labels: String? = nil) {
            self.shards = shards
            self.features = features
            self.labels = labels
        }
    }

    /// What a merge wrote.
    public struct MergeOutcome: Sendable {
        /// The merged features' shape.
        public var featureShape: [Int]
        /// The merged labels' shape, when labels were merged.
        public var labelShape: [Int]?
        /// The merged sidecar.
        public var sidecar: String
        /// How many shards, and how many of them held no image.
        public var shards: Int
        public var emptyShards: Int
    }

    /// One shard, read and checked on its own.
    private struct Shard {
        var path: String
        var sidecarPath: String
        var sidecar: [String: Any]
        var index: Int
        var count: Int
        var range: Range<Int>
        var filenames: [String]
        var file: RegularFile
        var header: NPYHeader
        var labels: (path: String, file: RegularFile, header: NPYHeader)?

        var name: String { "shard \(index)/\(count)" }
    }

    /// Keys that differ from shard to shard; every other key of the sidecars must agree.
    private static let perShardKeys: Set<String> = ["filenames", "features_shape", "skipped", "shard", "labels", "model"]

    /// Merges `job.shards` into `job.features` (and `job.labels`).
    /// - Parameter progress: called with (rows written, total rows).
    /// - Throws: ``WToolError`` naming the shard or file at fault: a shard missing, repeated or
    ///   from another run (another dataset, model or setting), a sidecar that is missing or
    ///   records no position, an array that does not fit its sidecar; nothing is written then.
    @discardableResult
    public static func merge(_ job: MergeJob, progress: (Int, Int) -> Void = { _, _ in }) throws -> MergeOutcome {
        try checkPaths(job)
        var shards = try job.shards.map { try readShard($0, labels: job.labels != nil) }
        shards.sort { $0.index < $1.index }
        try checkOutputs(job, against: shards)
        try checkComplete(shards, output: job.features)

        let first = shards[0]
        let inner = Array(first.header.shape.dropFirst())
        let totalRows = shards.reduce(0) { $0 + $1.header.shape[0] }
        let features = try NPYStreamWriter(url: URL(fileURLWithPath: job.features), dtype: first.header.dtype, innerShape: inner)
        var labelWriter: NPYStreamWriter?
        if let labels = job.labels, let shardLabels = first.labels {
            labelWriter = try NPYStreamWriter(url: URL(fileURLWithPath: labels), dtype: shardLabels.header.dtype,
                                              innerShape: Array(shardLabels.header.shape.dropFirst()))
        }
        var done = 0
        for shard in shards {
            try copyRows(shard.file, shard.header, into: features)
            if let labelWriter, let labels = shard.labels { try copyRows(labels.file, labels.header, into: labelWriter) }
            done += shard.header.shape[0]
            progress(done, totalRows)
        }
        let featureShape = try features.finish()
        let labelShape = try labelWriter?.finish()

        var sidecar = first.sidecar
        sidecar["filenames"] = shards.flatMap(\.filenames)
        sidecar["features_shape"] = featureShape
        sidecar["skipped"] = shards.reduce(0) { $0 + (int($1.sidecar["skipped"]) ?? 0) }
        let items = int((first.sidecar["dataset"] as? [String: Any])?["items"]) ?? 0
        sidecar["shard"] = ["index": 0, "count": 1, "items": [0, items]]
        sidecar["labels"] = job.labels.map { relativePath(of: $0, from: (job.features as NSString).deletingLastPathComponent) }
        let json = try JSONSerialization.data(withJSONObject: sidecar, options: [.prettyPrinted, .sortedKeys])
        let sidecarPath = (job.features as NSString).deletingPathExtension + ".json"
        let output = try AtomicOutput(destination: sidecarPath, overwrite: true)
        try output.write(Array(json))
        try output.commit()
        return MergeOutcome(featureShape: featureShape, labelShape: labelShape, sidecar: sidecarPath, shards: shards.count,
                            emptyShards: shards.filter { $0.header.shape[0] == 0 }.count)
    }

    /// Usage: a shard given twice, an output that is an input or exists (without overwrite).
    private static func checkPaths(_ job: MergeJob) throws {
        guard !job.shards.isEmpty else { throw WToolError.usage("give the shards' feature files (.npy) to merge") }
        var seen: [String: String] = [:]
        for shard in job.shards {
            if let earlier = seen.updateValue(shard, forKey: canonical(shard)) {
                throw WToolError.usage(earlier == shard ? "\(shard) is given twice" : "\(earlier) and \(shard) are the same file, given twice")
            }
        }
        for output in [job.features] + (job.labels.map { [$0] } ?? []) where !job.overwrite && FileManager.default.fileExists(atPath: output) {
            throw WToolError.usage("\(output): already exists (use --force to overwrite)")
        }
        if let labels = job.labels, canonical(labels) == canonical(job.features) {
            throw WToolError.usage("--out and --labels must differ")
        }
    }

    private static func canonical(_ path: String) -> String {
        URL(fileURLWithPath: path).standardizedFileURL.resolvingSymlinksInPath().path
    }

    /// No output may replace an input: a shard's features, sidecar or labels.
    private static func checkOutputs(_ job: MergeJob, against shards: [Shard]) throws {
        let inputs = Set(shards.flatMap { [$0.path, $0.sidecarPath] + ($0.labels.map { [$0.path] } ?? []) }.map(canonical))
        let sidecar = (job.features as NSString).deletingPathExtension + ".json"
        for output in [job.features, sidecar] + (job.labels.map { [$0] } ?? []) where inputs.contains(canonical(output)) {
            throw WToolError.usage("\(output): is one of the shards' files; merge into new files")
        }
    }

    private static func int(_ value: Any?) -> Int? {
        if let n = value as? NSNumber { return n.intValue }
        return value as? Int
    }

    private static func ints(_ value: Any?) -> [Int]? {
        guard let array = value as? [Any] else { return nil }
        let numbers = array.compactMap(int)
        return numbers.count == array.count ? numbers : nil
    }

    /// A `.npy` header, with the file's size checked against it.
    private static func openArray(_ path: String) throws -> (RegularFile, NPYHeader) {
        let file: RegularFile
        do {
            file = try RegularFile(path: path)
        } catch let error as FileError {
            throw WToolError.unreadable(path: path, detail: ModelFormat.describe(error))
        }
        do {
            let prefix = try file.read(at: 0, count: min(file.size, 12 + NPYHeader.maxHeaderLength))
            let header = try prefix.withUnsafeBytes { try NPYHeader.parse($0, path: path) }
            let available = file.size - header.dataOffset
            guard available == header.dataByteCount else {
                throw available < header.dataByteCount
                    ? NPYError.truncatedData(path: path, expected: header.dataByteCount, actual: available)
                    : NPYError.trailingData(path: path, expected: header.dataByteCount, actual: available)
            }
            guard !header.shape.isEmpty else { throw WToolError.invalid(path: path, detail: "a 0-d array has no rows to merge") }
            return (file, header)
        } catch let error as NPYError {
            throw WToolError.invalid(path: path, detail: error.description)
        } catch let error as FileError {
            throw WToolError.unreadable(path: path, detail: error.detail)
        }
    }

    private static func readShard(_ path: String, labels wantLabels: Bool) throws -> Shard {
        let sidecarPath = (path as NSString).deletingPathExtension + ".json"
        let text: [UInt8]
        do {
            text = try RegularFile(path: sidecarPath).readAll(limit: 1 << 30)
        } catch let error as FileError {
            throw WToolError.unreadable(path: sidecarPath, detail:
                "\(ModelFormat.describe(error)); every shard needs the JSON sidecar `wtool features` writes beside its features")
        }
        guard let sidecar = (try? JSONSerialization.jsonObject(with: Data(text))) as? [String: Any] else {
            throw WToolError.invalid(path: sidecarPath, detail: "not a JSON object (is it the sidecar of \(path)?)")
        }
        guard let shard = sidecar["shard"] as? [String: Any], let index = int(shard["index"]), let count = int(shard["count"]),
              let items = ints(shard["items"]), items.count == 2, count > 0, (0..<count).contains(index), items[0] <= items[1] else {
            throw WToolError.invalid(path: sidecarPath, detail:
                "records no shard position (written by a wtool older than `features merge`?); run the shard again")
        }
        guard let filenames = sidecar["filenames"] as? [String] else {
            throw WToolError.invalid(path: sidecarPath, detail: "has no list of file names")
        }
        let (file, header) = try openArray(path)
        guard header.shape[0] == filenames.count, ints(sidecar["features_shape"]) == header.shape else {
            throw WToolError.invalid(path: path, detail:
                "holds shape \(header.shape), but its sidecar lists \(filenames.count) images of shape \(ints(sidecar["features_shape"]) ?? [])")
        }
        var result = Shard(path: path, sidecarPath: sidecarPath, sidecar: sidecar, index: index, count: count,
                           range: items[0]..<items[1], filenames: filenames, file: file, header: header)
        if wantLabels {
            guard let recorded = sidecar["labels"] as? String else {
                throw WToolError.invalid(path: sidecarPath, detail: "does not record its labels file; merge without --labels, or run the shard again")
            }
            let directory = (path as NSString).deletingLastPathComponent
            let labelsPath = recorded.hasPrefix("/") ? recorded
                : URL(fileURLWithPath: recorded, relativeTo: URL(fileURLWithPath: directory.isEmpty ? "." : directory, isDirectory: true))
                    .standardizedFileURL.path
            let (labelsFile, labelsHeader) = try openArray(labelsPath)
            guard labelsHeader.shape[0] == header.shape[0] else {
                throw WToolError.invalid(path: labelsPath, detail: "holds \(labelsHeader.shape[0]) labels for the \(header.shape[0]) images of \(path)")
            }
            result.labels = (labelsPath, labelsFile, labelsHeader)
        }
        return result
    }

    /// Every shard of one run, once: same count, each index present, ranges as the batch rule
    /// cuts them, one dataset, model and setting, arrays of one type and row shape.
    private static func checkComplete(_ shards: [Shard], output: String) throws {
        let first = shards[0]
        for shard in shards where shard.count != first.count {
            throw WToolError.invalid(path: shard.path, detail:
                "is \(shard.name), but \(first.path) is \(first.name): shards of one run share their count (--shard I/N)")
        }
        for (a, b) in zip(shards, shards.dropFirst()) where a.index == b.index {
            throw WToolError.invalid(path: b.path, detail: "is \(b.name), and so is \(a.path): a shard is repeated")
        }
        func describe(_ value: Any?) -> String {
            guard let value else { return "nothing" }
            let data = (try? JSONSerialization.data(withJSONObject: value, options: [.sortedKeys, .fragmentsAllowed])) ?? Data()
            let text = String(decoding: data, as: UTF8.self)
            return text.count > 80 ? String(text.prefix(77)) + "…" : text
        }
        func same(_ a: Any?, _ b: Any?) -> Bool {
            guard let a, let b else { return a == nil && b == nil }
            let options: JSONSerialization.WritingOptions = [.sortedKeys, .fragmentsAllowed]
            return (try? JSONSerialization.data(withJSONObject: a, options: options)) == (try? JSONSerialization.data(withJSONObject: b, options: options))
        }
        let keys = Set(shards.flatMap(\.sidecar.keys)).subtracting(perShardKeys).sorted()
        for shard in shards.dropFirst() {
            for key in keys where !same(first.sidecar[key], shard.sidecar[key]) {
                let what = switch key {
                case "model_fingerprint": "they ran different model files"
                case "dataset": "they listed different datasets (another folder, or files added or removed between runs)"
                default: "shards of one run share the model and every setting"
                }
                throw WToolError.invalid(path: shard.path, detail:
                    "disagrees with \(first.path) on '\(key)' (\(describe(shard.sidecar[key])) vs \(describe(first.sidecar[key]))): \(what)")
            }
            guard shard.header.dtype == first.header.dtype, shard.header.shape.dropFirst() == first.header.shape.dropFirst() else {
                throw WToolError.invalid(path: shard.path, detail:
                    "holds \(shard.header.dtype) rows of shape \(Array(shard.header.shape.dropFirst())), \(first.path) \(first.header.dtype) rows of \(Array(first.header.shape.dropFirst()))")
            }
            if let a = first.labels, let b = shard.labels, a.header.dtype != b.header.dtype || a.header.shape.dropFirst() != b.header.shape.dropFirst() {
                throw WToolError.invalid(path: b.path, detail: "holds labels of another type or shape than \(a.path)")
            }
        }
        // Every index once, each with the range the batch rule gives it.
        let dataset = first.sidecar["dataset"] as? [String: Any]
        let runtime = first.sidecar["runtime"] as? [String: Any]
        guard let total = int(dataset?["items"]), let batch = int(runtime?["batch"]) else {
            throw WToolError.invalid(path: first.sidecarPath, detail: "does not record the dataset size and batch size")
        }
        var byIndex: [Int: Shard] = [:]
        for shard in shards { byIndex[shard.index] = shard }
        for index in 0..<first.count {
            let expected = shardRange(itemCount: total, batchSize: batch, index: index, count: first.count)
            guard let shard = byIndex[index] else {
                throw WToolError.invalid(path: output, detail:
                    "shard \(index)/\(first.count) (images \(expected.lowerBound)..<\(expected.upperBound) of \(total)) is missing: no file given holds it")
            }
            guard shard.range == expected else {
                throw WToolError.invalid(path: shard.path, detail:
                    "\(shard.name) holds images \(shard.range.lowerBound)..<\(shard.range.upperBound), not \(expected.lowerBound)..<\(expected.upperBound) as this wtool cuts shards")
            }
        }
    }

    /// Streams a shard's rows into `writer` about 1 MiB at a time.
    private static func copyRows(_ file: RegularFile, _ header: NPYHeader, into writer: NPYStreamWriter) throws {
        let rows = header.shape[0]
        guard rows > 0 else { return }
        let rowBytes = header.dataByteCount / rows
        guard rowBytes > 0 else {
            try writer.append(rows: try NPYArray(shape: header.shape, dtype: header.dtype, data: []))
            return
        }
        let chunkRows = max(1, (1 << 20) / rowBytes)
        var row = 0
        while row < rows {
            let n = min(chunkRows, rows - row)
            let bytes: [UInt8]
            do {
                bytes = try file.read(at: header.dataOffset + row * rowBytes, count: n * rowBytes)
            } catch let error as FileError {
                throw WToolError.unreadable(path: file.path, detail: error.detail)
            }
            guard bytes.count == n * rowBytes else {
                throw WToolError.invalid(path: file.path, detail: "the file shrank while it was merged")
            }
            try bytes.withUnsafeBytes { try writer.append(bytes: $0) }
            row += n
        }
    }
}
