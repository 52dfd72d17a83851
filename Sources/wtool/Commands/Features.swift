import ArgumentParser
import WTool

struct FeaturesExtract: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "extract",
        abstract: "Extract conv-base features for a folder of images, with labels, as .npy arrays.",
        discussion: """
            DIR is laid out as for Keras's flow_from_directory: one subfolder per class. Classes are the sorted \
            subfolder names, files are sorted within a class, labels come from the class index, and images are \
            resized with nearest sampling by default — the order and labels of \
            ImageDataGenerator(...).flow_from_directory(DIR, shuffle=False). Features and labels are written \
            as they are computed (memory stays flat), and a JSON file beside --out lists the files and class \
            indices. Train a small classifier on the arrays afterwards.

            Examples:
              wtool features vgg16.swm data/train --out train_features.npy --labels train_labels.npy --rescale 1/255 --size 150,150
              wtool features vgg16.h5 data/train --until block4_pool --out f.npy --labels l.npy --class-mode categorical
              wtool features vgg16.swm data/train --shard 0/4 --out f0.npy --labels l0.npy
              wtool features merge f0.npy f1.npy f2.npy f3.npy --out f.npy --labels l.npy
              wtool features vgg16.swm data/train --out f.npy --labels l.npy --resume   # again after a kill: continues

            --shard I/N runs whole batches (shard I gets batches ⌊B·I/N⌋ up to ⌊B·(I+1)/N⌋ of the B batches), \
            so that `wtool features merge` gives back the unsharded arrays byte for byte; a shard may be empty. \
            Slurm and Kubernetes recipes: docs/cluster.md.

            Without --resume an interrupted run leaves nothing (no output, no temporary file). With it, the \
            checkpoint files stay until the run completes; run the same command with --resume to continue \
            (a changed model, dataset or option is refused), or with --force to start over.
            """
    )

    @Argument(help: "The model (conv base).")
    var model: String

    @Argument(help: "Dataset folder with one subfolder per class.")
    var directory: String

    @Option(name: .long, help: "Features output (.npy), shape (N, *output_shape).")
    var out: String

    @Option(name: .long, help: "Labels output (.npy).")
    var labels: String

    @Option(name: .long, help: "binary (class index), categorical (one-hot) or sparse (class index).")
    var classMode: String = "binary"

    @Flag(name: .long, help: "Flatten each feature map to one row: shape (N, h·w·c).")
    var flatten = false

    @Option(name: .long, help: "Images per batch.")
    var batch: Int = 16

    @Option(name: .long, help: "Process only shard I of N (0-based; contiguous runs of whole batches of the sorted list), e.g. 0/4; `wtool features merge` joins them.")
    var shard: String?

    @Option(name: .long, help: "skip (warn and leave the image out) or fail on an unreadable image.")
    var onError: String = "fail"

    @OptionGroup var image: ImageOptions
    @OptionGroup var architecture: ArchitectureOptions
    @OptionGroup var cut: CutOptions
    @OptionGroup var isolation: IsolationOptions
    @OptionGroup var runtime: RuntimeOptions

    @Flag(name: .long, help: "Overwrite the outputs if they exist.")
    var force = false

    @Flag(name: .long, help: "Keep a checkpoint after every batch (OUT.partial, LABELS.partial, OUT.resume.json) and continue the one an interrupted run left: images already written are not computed again, and the result equals an uninterrupted run byte for byte.")
    var resume = false

    @Flag(name: .long, help: "No progress bar or information on stderr.")
    var quiet = false

    func validate() throws {
        guard FeatureExtraction.ClassMode(rawValue: classMode) != nil else {
            throw ValidationError("--class-mode must be binary, categorical or sparse")
        }
        guard ["skip", "fail"].contains(onError) else { throw ValidationError("--on-error must be skip or fail") }
        guard batch > 0 else { throw ValidationError("--batch must be positive") }
        guard out.hasSuffix(".npy"), labels.hasSuffix(".npy") else { throw ValidationError("--out and --labels must end in .npy") }
        guard out != labels else { throw ValidationError("--out and --labels must differ") }
        if let shard, parsedShard(shard) == nil { throw ValidationError("--shard must be I/N with 0 ≤ I < N, e.g. 0/4") }
    }

    private func parsedShard(_ text: String) -> (Int, Int)? {
        let parts = text.split(separator: "/").compactMap { Int($0) }
        guard parts.count == 2, parts[1] > 0, parts[0] >= 0, parts[0] < parts[1] else { return nil }
        return (parts[0], parts[1])
    }

    func run() throws {
        var job = FeatureExtraction.Job(model: model, directory: directory, features: out, labels: labels)
        job.classMode = FeatureExtraction.ClassMode(rawValue: classMode) ?? .binary
        job.flatten = flatten
        job.batchSize = batch
        job.shard = shard.flatMap(parsedShard).map { (index: $0.0, count: $0.1) }
        job.skipUnreadable = onError == "skip"
        job.options = try architecture.loadOptions(until: cut.until, isolation: isolation.importer)
        job.runtime = runtime.executorOptions
        job.images = image.request
        job.overwrite = force
        job.resume = resume
        try reportingErrors(path: model) {
            var bar: ProgressBar?
            defer { bar?.finish() }
            let outcome = try FeatureExtraction.run(job, planned: { plan in
                if !quiet {
                    Terminal.info("\(plan.imageCount) images in \(plan.classes.count) classes \(plan.classes); preprocessing \(plan.input.preprocessing.label); features \(plan.featureShape)")
                }
                bar = ProgressBar(total: plan.imageCount, quiet: quiet)
            }, skipped: { error in
                bar?.interrupt { Terminal.warning("skipping \(error)") }
            }, progress: { done, _ in bar?.update(done: done) })
            bar?.finish()
            bar = nil
            if !quiet, outcome.resumed > 0 {
                Terminal.info("resumed: \(outcome.resumed) images were done by the interrupted run")
            }
            if !quiet {
                Terminal.info("wrote \(out) \(outcome.featureShape), \(labels), \(outcome.sidecar)" + (outcome.skipped > 0 ? "; skipped \(outcome.skipped) unreadable images" : ""))
            }
        }
    }
}
