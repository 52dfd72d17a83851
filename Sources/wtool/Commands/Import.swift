import ArgumentParser
import Foundation
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
    @Option var parentPid: Int32?
    @Flag var force = false

    func run() throws {
        let options = try architecture.loadOptions(until: cut.until)
        try reportingErrors(path: input) {
            try IsolatedImporter.runChild(input: input, output: output, options: options, floatStorage: dtype.flatMap(DType.init(shortName:)),
                                          overwrite: force, memoryBytes: memoryLimit, cpuSeconds: cpuLimit,
                                          parentPID: parentPid)
        }
        // The output is committed. Skip the exit-time clean-up of the libraries libhdf5 brought in
        // (OpenSSL, GnuTLS, libcurl …: a few milliseconds the waiting parent would pay); nothing
        // of wtool's is left to flush.
        fflush(nil)
        _exit(0)
    }
}
