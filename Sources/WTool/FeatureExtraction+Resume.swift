import FileSupport
import Foundation
import NPY

// `wtool features --resume`: a run killed at any moment continues where its last checkpoint left
// it, without computing again the images already written, and ends with files byte-identical to
// an uninterrupted run's.
//
// While it runs, the arrays grow in `OUT.partial` and `LABELS.partial` (each a complete `.npy`
// header for zero rows — NumPy's header keeps room for 21 digits of rows, so its size never
// changes — followed by the rows so far), and `OUT.resume.json` is the checkpoint: which job this
// is (model file, dataset listing, every option that changes a byte), how many images are done
// and which were skipped, and how many bytes of each partial file hold them. After each batch the
// rows are fdatasync'd *before* the checkpoint that counts them is replaced (atomically), so a
// checkpoint never counts bytes that are not on disk; bytes past it (a batch cut short) are cut
// off on resume and computed again. Batches keep the boundaries of an uninterrupted run (resuming
// starts at a multiple of the batch size), so every batch the runtime sees is the same.
//
// Finishing writes the final headers, records `finishing` in the checkpoint, renames the partial
// files into place, writes the JSON sidecar and removes the checkpoint; a kill anywhere in there
// is finished by the next `--resume`. The partial files are locked while a run holds them, so a
// second run on the same output fails at once.

/// What the checkpoint records.
struct _FeatureCheckpoint: Codable, Equatable {
    static let formatVersion = 1
    var version = formatVersion
    /// Everything that changes a byte of the outputs; a resume must match it exactly.
    var job: [String: String]
    /// Images done (a multiple of the batch size until the last batch).
    var nextItem: Int
    /// Indices (in the job's image list) of images left out as unreadable.
    var skipped: [Int]
    /// Bytes of each partial file that the images done account for.
    var featureBytes: Int
    var labelBytes: Int
    /// Set once the final headers are written: only the renames are left.
    var finishing = false

    enum CodingKeys: String, CodingKey {
        case version, job, skipped, finishing
        case nextItem = "next_item", featureBytes = "feature_bytes", labelBytes = "label_bytes"
    }
}

/// Where features and labels go: the atomic pair (the default) or the resumable one.
protocol _FeatureSink: AnyObject {
    /// Images already done by an interrupted run (0 when starting afresh).
    var nextItem: Int { get }
    /// Their skipped indices.
    var skipped: [Int] { get }
    /// Appends one batch's rows; `through` is the index after the batch's last image.
    func append(features: [Float], labels: [Float], through: Int, skipped: [Int]) throws
    /// Completes the outputs and writes the sidecar. Returns the features' final shape.
    func finish(sidecar: (_ rows: [Int]) throws -> [UInt8]) throws -> [Int]
}

extension FeatureExtraction {
    /// `OUT.resume.json`: the checkpoint of a `--resume` run writing `features`.
    public static func checkpointPath(features: String) -> String {
        (features as NSString).deletingPathExtension + ".resume.json"
    }

    /// The sidecar's path for `features`.
    static func sidecarPath(features: String) -> String {
        (features as NSString).deletingPathExtension + ".json"
    }
}

/// Features and labels through `NPYStreamWriter`, committed with the sidecar as one group.
final class _AtomicFeatureSink: _FeatureSink {
    let features: NPYStreamWriter
    let labels: NPYStreamWriter
    let sidecarPath: String
    let overwrite: Bool
    var nextItem: Int { 0 }
    var skipped: [Int] { [] }

    init(job: FeatureExtraction.Job, featureShape: [Int], labelShape: [Int]) throws {
        features = try NPYStreamWriter(url: URL(fileURLWithPath: job.features), dtype: .float32, innerShape: featureShape)
        labels = try NPYStreamWriter(url: URL(fileURLWithPath: job.labels), dtype: .float32, innerShape: labelShape)
        sidecarPath = FeatureExtraction.sidecarPath(features: job.features)
        overwrite = job.overwrite
    }

    func append(features rows: [Float], labels labelRows: [Float], through: Int, skipped: [Int]) throws {
        guard !rows.isEmpty else { return }
        try features.append(floats: rows)
        try labels.append(floats: labelRows)
    }

    func finish(sidecar: ([Int]) throws -> [UInt8]) throws -> [Int] {
        let (shape, featureFile) = try features.finishUncommitted()
        let (_, labelFile) = try labels.finishUncommitted()
        let sidecarFile = try AtomicOutput(destination: sidecarPath, overwrite: true)
        try sidecarFile.write(try sidecar(shape))
        // All three or none: an interrupt cannot leave features without their labels.
        try AtomicOutput.commit([featureFile, labelFile, sidecarFile])
        return shape
    }
}

/// Features and labels in `.partial` files with a checkpoint after every batch.
final class _ResumableFeatureSink: _FeatureSink {
    // Nil only when finishing an interrupted finish that had already renamed this one.
    let features: ResumableOutput?
    let labels: ResumableOutput?
    let checkpointPath: String
    let sidecarPath: String
    let featureShape: [Int]
    let labelShape: [Int]
    let headerSize: Int
    let labelHeaderSize: Int
    private(set) var checkpoint: _FeatureCheckpoint

    var nextItem: Int { checkpoint.nextItem }
    var skipped: [Int] { checkpoint.skipped }

    /// Opens the partial files and continues the checkpoint that matches `jobRecord`, or starts
    /// afresh when there is none.
    /// - Throws: ``WToolError`` when a checkpoint belongs to another job or does not match its
    ///   files, or when another process holds them.
    init(job: FeatureExtraction.Job, jobRecord: [String: String], featureShape: [Int], labelShape: [Int]) throws {
        checkpointPath = FeatureExtraction.checkpointPath(features: job.features)
        sidecarPath = FeatureExtraction.sidecarPath(features: job.features)
        self.featureShape = featureShape
        self.labelShape = labelShape
        let featureHeader = try NPYHeader(dtype: .float32, shape: [0] + featureShape).encoded()
        let labelHeader = try NPYHeader(dtype: .float32, shape: [0] + labelShape).encoded()
        headerSize = featureHeader.count
        labelHeaderSize = labelHeader.count
        if let data = FileManager.default.contents(atPath: checkpointPath) {
            guard let saved = try? JSONDecoder().decode(_FeatureCheckpoint.self, from: data), saved.version == _FeatureCheckpoint.formatVersion else {
                throw WToolError.invalid(path: checkpointPath, detail: "not a checkpoint this wtool can continue; delete it and the .partial files to start over")
            }
            if let key = (Set(saved.job.keys).union(jobRecord.keys)).sorted().first(where: { saved.job[$0] != jobRecord[$0] }) {
                throw WToolError.usage("\(checkpointPath): the interrupted run had \(key) = \(saved.job[key] ?? "none"), this one \(jobRecord[key] ?? "none"); run it as before, or with --force instead of --resume to start over")
            }
            checkpoint = saved
            if saved.finishing {
                // The headers are final; only the renames (some may be done) are left.
                func existing(_ destination: String) throws -> ResumableOutput? {
                    FileManager.default.fileExists(atPath: ResumableOutput.partialPath(for: destination))
                        ? try ResumableOutput(destination: destination) : nil
                }
                features = try existing(job.features)
                labels = try existing(job.labels)
                return
            }
            let features = try ResumableOutput(destination: job.features)
            let labels = try ResumableOutput(destination: job.labels)
            (self.features, self.labels) = (features, labels)
            for (file, bytes) in [(features, saved.featureBytes), (labels, saved.labelBytes)] {
                guard try file.size() >= bytes else {
                    throw WToolError.invalid(path: file.partialPath, detail: "shorter than its checkpoint says (\(try file.size()) < \(bytes) bytes); delete \(checkpointPath) to start over")
                }
                try file.truncate(to: bytes)  // a batch cut short: computed again
            }
        } else {
            checkpoint = _FeatureCheckpoint(job: jobRecord, nextItem: 0, skipped: [], featureBytes: featureHeader.count, labelBytes: labelHeader.count)
            let features = try ResumableOutput(destination: job.features)
            let labels = try ResumableOutput(destination: job.labels)
            (self.features, self.labels) = (features, labels)
            for (file, header) in [(features, featureHeader), (labels, labelHeader)] {
                try file.truncate(to: 0)
                try header.withUnsafeBytes { try file.write($0) }
                try file.sync()
            }
            try saveCheckpoint()
        }
    }

    private func saveCheckpoint() throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        let output = try AtomicOutput(destination: checkpointPath, overwrite: true)
        try output.write(Array(try encoder.encode(checkpoint)))
        try output.commit()
    }

    func append(features rows: [Float], labels labelRows: [Float], through: Int, skipped newlySkipped: [Int]) throws {
        guard let features, let labels else { return }
        try rows.withUnsafeBytes { try features.write($0) }
        try labelRows.withUnsafeBytes { try labels.write($0) }
        try features.sync()
        try labels.sync()
        checkpoint.nextItem = through
        checkpoint.skipped += newlySkipped
        checkpoint.featureBytes += rows.count * MemoryLayout<Float>.size
        checkpoint.labelBytes += labelRows.count * MemoryLayout<Float>.size
        try saveCheckpoint()
    }

    func finish(sidecar: ([Int]) throws -> [UInt8]) throws -> [Int] {
        let rowFloats = featureShape.reduce(1, *)
        let rows = rowFloats == 0 ? 0 : (checkpoint.featureBytes - headerSize) / (rowFloats * MemoryLayout<Float>.size)
        let shape = [rows] + featureShape
        if !checkpoint.finishing, let features, let labels {
            try features.write(try NPYStreamWriter.header(dtype: .float32, shape: shape, expectedSize: headerSize, path: features.destination), at: 0)
            try labels.write(try NPYStreamWriter.header(dtype: .float32, shape: [rows] + labelShape, expectedSize: labelHeaderSize,
                                                        path: labels.destination), at: 0)
            checkpoint.finishing = true
            try saveCheckpoint()
        }
        // A kill between these steps is finished by the next --resume: a partial file already
        // renamed is simply absent then (its final name holds it).
        let sidecarFile = try AtomicOutput(destination: sidecarPath, overwrite: true)
        try sidecarFile.write(try sidecar(shape))
        for file in [labels, features].compactMap({ $0 }) {
            try file.commit(overwrite: true)
        }
        try sidecarFile.commit()
        unlink(checkpointPath)
        return shape
    }

    /// Removes an earlier run's checkpoint and partial files (`--force` without `--resume`).
    static func removeLeftovers(features: String, labels: String) {
        for path in [FeatureExtraction.checkpointPath(features: features), ResumableOutput.partialPath(for: features),
                     ResumableOutput.partialPath(for: labels)] {
            unlink(path)
        }
    }
}

extension FeatureExtraction {
    /// The checkpoint's record of `job`: every input and option that changes a byte of the output.
    static func jobRecord(_ job: Job, items: [Item], input: ImageInputOptions, size: (height: Int, width: Int),
                          featureShape: [Int]) -> [String: String] {
        var info = stat()
        let modelFile = stat(job.model, &info) == 0
            ? "\(info.st_size) bytes, inode \(info.st_ino), modified \(info.st_mtim.tv_sec).\(info.st_mtim.tv_nsec)" : "?"
        // FNV-1a over the listing: a file added, removed or moved between classes changes it.
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for item in items {
            for byte in "\(item.classIndex)\t\(item.relativePath)\n".utf8 {
                hash = (hash ^ UInt64(byte)) &* 0x0000_0100_0000_01b3
            }
        }
        return [
            "model": job.model, "model file": modelFile, "dataset": job.directory,
            "images": "\(items.count) (listing \(String(hash, radix: 16)))",
            "--class-mode": job.classMode.rawValue, "--flatten": "\(job.flatten)", "--until": job.options.until ?? "none",
            "--shard": job.shard.map { "\($0.index)/\($0.count)" } ?? "none", "--batch": "\(max(job.batchSize, 1))",
            "--on-error": job.skipUnreadable ? "skip" : "fail",
            "preprocessing": input.preprocessing.label, "resize": input.resize.rawValue, "size": "\(size.height),\(size.width)",
            "features shape": "\(featureShape)", "--conv": "\(job.runtime.convolution)",
            "--threads": job.runtime.threads.map(String.init) ?? "default",
        ]
    }
}
