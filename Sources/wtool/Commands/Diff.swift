import ArgumentParser
import Foundation
import WTool

struct Diff: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "diff",
        abstract: "Compare two models of any formats: graph changes and, per weight tensor, shape, dtype and value differences.",
        discussion: """
            Tensors are matched by weight name, then by node and position, then by order when counts and shapes agree \
            (models named differently, e.g. a Keras file and its ONNX export). For each \
            pair of equal shapes: max|Δ| = max|a − b| and rel = max|Δ| / max|a|, with A the reference. A tensor \
            differs when max|Δ| > --tolerance (default 0: bit-equal values), or its dtype, shape or trainability \
            changed. Graph changes: inputs, outputs, nodes added or removed, a node's op, attributes, inputs or weights.

            Exit status: 0 when the models are the same within the tolerance, 1 when they differ, 2 on an error.

            Examples:
              wtool diff vgg16.h5 vgg16.swm                      # did the conversion change anything?
              wtool diff base.h5 finetuned.h5 --tolerance 1e-6   # which layers moved?
              wtool diff vgg16.swm vgg16-f16.swm --tolerance 1e-3 --json
            """
    )

    @Argument(help: "The reference model (any format wtool reads).")
    var a: String

    @Argument(help: "The model to compare with it.")
    var b: String

    @Option(name: .long, help: "Largest allowed |a − b| per element (default 0: exact).")
    var tolerance: Double = 0

    @Flag(name: .long, help: "Print a JSON report instead of text.")
    var json = false

    @Flag(name: .long, help: "List every tensor, not only those that differ.")
    var all = false

    @OptionGroup var architecture: ArchitectureOptions
    @OptionGroup var isolation: IsolationOptions

    func validate() throws {
        guard tolerance >= 0, tolerance.isFinite else { throw ValidationError("--tolerance must be a non-negative number") }
    }

    func run() throws {
        var differs = false
        do {
            try reportingErrors {
                let options = try architecture.loadOptions(until: nil, isolation: isolation.importer)
                let diff = try ModelDiff(contentsOf: a, b, options: options, tolerance: tolerance)
                print(json ? diff.json(labelA: a, labelB: b) : diff.render(labelA: a, labelB: b, all: all))
                differs = diff.differs
            }
        } catch let code as ExitCode where code != .success {
            throw ExitCode(2)
        }
        if differs { throw ExitCode(1) }
    }
}
