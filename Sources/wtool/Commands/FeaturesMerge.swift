import ArgumentParser
import WTool

/// `wtool features merge`: the shards of one `wtool features --shard I/N` run back together.
struct FeaturesMerge: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "merge",
        abstract: "Merge the shards of a `wtool features --shard I/N` run into one features (and labels) array.",
        discussion: """
            Give every shard's features file, in any order; each one's JSON sidecar (written beside it) says \
            where it sits, which dataset and model it ran and with which settings. The merge refuses, naming \
            the shard, a shard that is missing or given twice, and shards of another run (another dataset, model \
            or setting); then it streams the rows in order, so memory stays flat, and writes a sidecar like a \
            single run's. Shards are whole batches, so with the same --batch and --threads on the same machine \
            the merged arrays are byte for byte those of the unsharded run. Labels come from each shard's \
            labels file, found through its sidecar. Running the shards on Slurm or Kubernetes: docs/cluster.md.

            Examples:
              wtool features merge f0.npy f1.npy f2.npy --out features.npy --labels labels.npy
              wtool features merge shards/features-*.npy --out features.npy
            """
    )

    @Argument(help: "The shards' features files (.npy), in any order.")
    var shards: [String]

    @Option(name: .long, help: "The merged features (.npy); its JSON sidecar goes beside it.")
    var out: String

    @Option(name: .long, help: "The merged labels (.npy), from each shard's labels file.")
    var labels: String?

    @Flag(name: .long, help: "Overwrite the outputs if they exist.")
    var force = false

    @Flag(name: .long, help: "No information on stderr.")
    var quiet = false

    func validate() throws {
        guard !shards.isEmpty else { throw ValidationError("give the shards' features files (.npy)") }
        guard out.hasSuffix(".npy"), labels?.hasSuffix(".npy") ?? true else { throw ValidationError("--out and --labels must end in .npy") }
        guard out != labels else { throw ValidationError("--out and --labels must differ") }
    }

    func run() throws {
        var job = FeatureExtraction.MergeJob(shards: shards, features: out, labels: labels)
        job.overwrite = force
        try reportingErrors(path: out) {
            let outcome = try FeatureExtraction.merge(job)
            if !quiet {
                let empty = outcome.emptyShards > 0 ? " (\(outcome.emptyShards) of them empty)" : ""
                let labelText = labels.map { ", \($0) \(outcome.labelShape ?? [])" } ?? ""
                Terminal.info("merged \(outcome.shards) shards\(empty): wrote \(out) \(outcome.featureShape)\(labelText), \(outcome.sidecar)")
            }
        }
    }
}
