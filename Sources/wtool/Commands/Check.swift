import ArgumentParser
import Foundation
import SWMFormat
import WTool

struct Check: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Validate a .swm file completely: header, tensor table, graph and every tensor checksum.",
        discussion: """
            Exits 0 when the file is sound and 1 on any fault, naming the tensor whose bytes do not match \
            their CRC-32.

            Example:
              wtool check vgg16.swm
            """
    )

    @Argument(help: "The .swm file.")
    var input: String

    @Flag(name: .long, help: "No progress output.")
    var quiet = false

    func run() throws {
        try reportingErrors(path: input) {
            guard try ModelFormat.detect(path: input) == .swm else {
                throw WToolError.unknownFormat(path: input, detail: "not a .swm file (wtool check validates .swm files)")
            }
            let file = try SWMFile(path: input)
            _ = try file.graph()
            try Self.verifyChecksums(of: file, path: input, quiet: quiet)
            if !quiet {
                print("\(input): OK (\(file.tensors.count) tensors, \(file.fileSize) bytes, format \(file.header.majorVersion).\(file.header.minorVersion))")
            }
        }
    }

    /// Recomputes every tensor's CRC-32; throws naming the first tensor that fails.
    static func verifyChecksums(of file: SWMFile, path: String, quiet: Bool) throws {
        let progress = ProgressLine("checking", quiet: quiet)
        let failures = file.verifyChecksums { progress.update(done: $0, total: $1, unit: "tensors", scale: 1) }
        progress.finish()
        if let first = failures.first {
            let more = failures.count > 1 ? " (and \(failures.count - 1) more)" : ""
            throw WToolError.invalid(path: path, detail: String(format: "tensor '%@' fails its checksum (stored %08x, computed %08x)%@",
                                                                 first.tensor, first.expected, first.actual, more))
        }
    }
}
