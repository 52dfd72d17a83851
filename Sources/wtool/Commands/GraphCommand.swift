import ArgumentParser
import Foundation
import WTool

struct GraphCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "graph",
        abstract: "Draw a model's graph with Graphviz: layers with type, output shape and parameters; branches and nested models visible.",
        discussion: """
            Writes Graphviz DOT text, or renders it to SVG or PNG with Graphviz's `dot` (Debian: apt-get install \
            graphviz). The format comes from --format, else from --out's extension (.dot/.gv, .svg, .png), else DOT. \
            Without --out the result goes to standard output (PNG only when that is not a terminal).

            Examples:
              wtool graph resnet50.h5 --out resnet50.svg
              wtool graph vgg16.swm --format png --out vgg16.png
              wtool graph classifier.h5 | dot -Tpdf > classifier.pdf
            """
    )

    @Argument(help: "The model file (any format wtool reads).")
    var input: String

    @Option(name: .long, help: "dot, svg or png (default: from --out's extension, else dot).")
    var format: String?

    @Option(name: .long, help: "Write here instead of standard output.")
    var out: String?

    @Flag(name: .long, help: "Overwrite --out if it exists.")
    var force = false

    @OptionGroup var architecture: ArchitectureOptions
    @OptionGroup var cut: CutOptions
    @OptionGroup var isolation: IsolationOptions

    /// The format asked for, or implied by --out's extension.
    var resolvedFormat: String {
        if let format { return format.lowercased() }
        switch (out.map { ($0 as NSString).pathExtension.lowercased() }) {
        case "svg": return "svg"
        case "png": return "png"
        default: return "dot"
        }
    }

    func validate() throws {
        if let format, !GraphDiagram.formats.contains(format.lowercased()) { throw ValidationError("--format must be dot, svg or png") }
        if force, out == nil { throw ValidationError("--force goes with --out") }
    }

    func run() throws {
        let options = try architecture.loadOptions(until: cut.until, isolation: isolation.importer)
        try reportingErrors(path: input) {
            let format = resolvedFormat
            if format == "png", out == nil, isatty(1) == 1 {
                throw WToolError.usage("PNG is binary: pass --out FILE.png or redirect standard output")
            }
            if let bytes = try GraphDiagram.export(model: input, options: options, format: format, to: out, overwrite: force) {
                FileHandle.standardOutput.write(bytes)
            }
        }
    }
}
