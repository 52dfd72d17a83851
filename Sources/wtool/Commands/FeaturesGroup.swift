import ArgumentParser

/// `wtool features`: extraction (the default: `wtool features MODEL DIR …`) and `merge`.
struct Features: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "features",
        abstract: "Extract conv-base features for a folder of images, with labels, as .npy arrays; merge shards of such a run.",
        discussion: """
            `wtool features MODEL DIR …` extracts (the `extract` subcommand is the default); \
            `wtool features merge SHARD.npy … --out ALL.npy` joins the shards of a `--shard I/N` run. \
            See `wtool features extract --help` and `wtool features merge --help`.
            """,
        subcommands: [FeaturesExtract.self, FeaturesMerge.self],
        defaultSubcommand: FeaturesExtract.self
    )
}
