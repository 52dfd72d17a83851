import ArgumentParser
import WTool

struct Summary: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "summary",
        abstract: "Print a model's layers, output shapes and parameter counts, like Keras's model.summary().",
        discussion: """
            Works on every format wtool reads. --json prints {"layers":[{"name","type","output_shape","params"}], \
            "total_params", "trainable_params", "non_trainable_params", "cannot_run", "inputs", "outputs"} with null for the batch axis; "cannot_run" lists the layers wtool carries but does not compute.

            Examples:
              wtool summary vgg16.swm
              wtool summary classifier.h5 --json
              wtool summary vgg16.weights.h5 --arch vgg16 --input-shape 150,150,3
              wtool summary vgg16.h5 --until block3_pool
            """
    )

    @Argument(help: "The model file.")
    var input: String

    @OptionGroup var architecture: ArchitectureOptions
    @OptionGroup var cut: CutOptions
    @OptionGroup var isolation: IsolationOptions

    @Flag(name: .long, help: "Print JSON instead of the table.")
    var json = false

    func run() throws {
        let options = try architecture.loadOptions(until: cut.until, isolation: isolation.importer)
        try reportingErrors(path: input) {
            let summary = try ModelSummary(contentsOf: input, options: options)
            print(json ? summary.json() : summary.render())
        }
    }
}
