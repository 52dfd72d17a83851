import ArgumentParser
import Foundation
import SWMFormat
import ModelIR
import WTool

/// The isolated child of `convert`/`summary`/`run` on HDF5 files: limits itself, parses the file
/// in-process, writes a `.swm`. Not for users; see `IsolatedImporter`.
struct Import: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: IsolatedImporter.subcommand,
        abstract: "Internal: parse a Keras HDF5 file in an isolated process and write a .swm.",
        shouldDisplay: false
    )

    @Argument var input: String
    @Argument var output: String
    @OptionGroup var architecture: ArchitectureOptions
    @OptionGroup var cut: CutOptions
    @Option var dtype: String?
    @Option var memoryLimit: Int = 8 << 30
    @Option var cpuLimit: Int = 600
    @Flag var force = false

    func run() throws {
        IsolatedImporter.limitSelf(memoryBytes: memoryLimit, cpuSeconds: cpuLimit)
        let options = try architecture.loadOptions(until: cut.until)
        try reportingErrors(path: input) {
            let (graph, _) = try ModelLoader.load(path: input, options: options)
            do {
                try SWMWriter(floatStorage: dtype.flatMap(DType.init(shortName:))).write(graph, to: output, overwrite: force)
            } catch {
                throw WToolError.wrap(error, path: output)
            }
        }
    }
}
