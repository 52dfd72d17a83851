import FileSupport
import Foundation
import SWMFormat

/// Sharding `wtool features` over processes or machines, and what each run records so that
/// `wtool features merge` can put shards back together and check them.
///
/// **Shards are whole batches.** The runtime's results depend, in the last bits, on which images
/// share a batch (the GEMMs' blocking changes with their row count) and on the thread count. So
/// shard `i` of `n` runs batches `⌊B·i/n⌋ ..< ⌊B·(i+1)/n⌋` of the `B = ⌈N/batch⌉` batches of the
/// sorted image list: every image is computed in exactly the batch a single run puts it in, and
/// the merged arrays equal that run's byte for byte — with the same `--batch`, `--threads`,
/// `--conv` and machine, which the sidecars record and `merge` compares. A shard can be empty
/// (more shards than batches): it writes empty arrays, so a job array never fails for that.
extension FeatureExtraction {
    /// The images (indices into the sorted list of `itemCount`) that shard `index` of `count`
    /// runs with batches of `batchSize`.
    public static func shardRange(itemCount: Int, batchSize: Int, index: Int, count: Int) -> Range<Int> {
        let batch = max(batchSize, 1)
        let batches = (itemCount + batch - 1) / batch
        let first = batches * index / count, end = batches * (index + 1) / count
        return min(first * batch, itemCount)..<min(end * batch, itemCount)
    }

    /// The sidecar keys beyond the file list: where this run sits in the dataset and everything
    /// its numbers depend on (merge checks that shards agree on all of it).
    static func runRecord(_ job: Job, dataset: [Item], range: Range<Int>) throws -> [String: Any] {
        let (index, count) = job.shard ?? (0, 1)
        var record: [String: Any] = [
            "shard": ["index": index, "count": count, "items": [range.lowerBound, range.upperBound]],
            "dataset": ["items": dataset.count, "fingerprint": datasetFingerprint(dataset)],
            "model_fingerprint": try modelFingerprint(job.model),
            "runtime": ["batch": max(job.batchSize, 1), "conv": job.runtime.convolution.rawValue,
                        "threads": max(job.runtime.threads ?? ProcessInfo.processInfo.activeProcessorCount, 1)],
            "resize": job.images.resize.rawValue,
        ]
        record["labels"] = relativePath(of: job.labels, from: (job.features as NSString).deletingLastPathComponent)
        return record
    }

    /// FNV-1a (64-bit) of every image's class and path, in order: shards listed the same files.
    static func datasetFingerprint(_ items: [Item]) -> String {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for item in items {
            for byte in "\(item.classIndex)\t\(item.relativePath)\n".utf8 {
                hash = (hash ^ UInt64(byte)) &* 0x0000_0100_0000_01b3
            }
        }
        return String(format: "fnv1a64:%016llx", hash)
    }

    /// The model file's size and CRC-32: the same model, whatever path each machine knows it by.
    static func modelFingerprint(_ path: String) throws -> String {
        let mapping: MappedFile
        do {
            mapping = try MappedFile(path: path)
        } catch let error as FileError {
            throw WToolError.unreadable(path: path, detail: ModelFormat.describe(error))
        }
        return String(format: "crc32:%08x:%d", swmCRC32(mapping.bytes), mapping.bytes.count)
    }

    /// `target` relative to `directory` (both made absolute), e.g. `labels.npy` or `../l/labels.npy`.
    static func relativePath(of target: String, from directory: String) -> String {
        let base = URL(fileURLWithPath: directory.isEmpty ? "." : directory).standardizedFileURL.pathComponents
        let full = URL(fileURLWithPath: target).standardizedFileURL.pathComponents
        var common = 0
        while common < min(base.count, full.count), base[common] == full[common] { common += 1 }
        return (Array(repeating: "..", count: base.count - common) + full[common...]).joined(separator: "/")
    }
}
