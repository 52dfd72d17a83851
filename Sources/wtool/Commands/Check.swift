import ArgumentParser
import WTool

struct Check: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Validate a .swm or .safetensors file completely: header, tensor table, graph and every tensor checksum.",
        discussion: """
            Exits 0 when the file is sound and 1 on any fault, naming the tensor whose bytes do not match \
            their CRC-32. A .safetensors file has no checksums: its header is checked against the format's \
            rules (size cap, dtypes, contiguous offsets covering the whole buffer), then the graph wtool \
            embedded is bound to the tensors and validated; tensors not aligned to their element size are \
            reported (reading copies them).

            Examples:
              wtool check vgg16.swm
              wtool check vgg16.safetensors
            """
    )

    @Argument(help: "The .swm or .safetensors file.")
    var input: String

    @Flag(name: .long, help: "No progress output.")
    var quiet = false

    func run() throws {
        try reportingErrors(path: input) {
            let progress = ProgressLine("checking", quiet: quiet)
            let report: ModelCheck.Report
            do {
                report = try ModelCheck.check(path: input) { progress.update(done: $0, total: $1, unit: "tensors", scale: 1) }
            } catch {
                progress.finish()
                throw error
            }
            progress.finish()
            if !quiet {
                print("\(input): OK (\(report.tensorCount) tensors, \(report.fileSize) bytes, format \(report.version))")
                if !report.misalignedTensors.isEmpty {
                    print("\(input): \(report.misalignedTensors.count) tensors are not aligned to their element size (read as copies), e.g. '\(report.misalignedTensors[0])'")
                }
            }
        }
    }
}
