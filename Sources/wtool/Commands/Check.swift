import ArgumentParser
import Foundation
import WTool

struct Check: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "check",
        abstract: "Validate a .swm or .safetensors file completely (header, tensor table, graph, every tensor checksum), or the kernel cache.",
        discussion: """
            Exits 0 when the file is sound and 1 on any fault, naming the tensor whose bytes do not match \
            their CRC-32. A .safetensors file has no checksums: its header is checked against the format's \
            rules (size cap, dtypes, contiguous offsets covering the whole buffer), then the graph wtool \
            embedded is bound to the tensors and validated; tensors not aligned to their element size are \
            reported (reading copies them).

            With --kernel-cache, checks every entry of the kernel cache (DIR, or the default directory \
            `run` uses) as a load would — owner, mode, header, size, XXH64 of the floats — lists each entry \
            that would be discarded, and exits 1 if there is any (nothing is removed: the next load that \
            meets a bad entry removes and rebuilds it).

            Examples:
              wtool check vgg16.swm
              wtool check vgg16.safetensors
              wtool check --kernel-cache
              wtool check --kernel-cache ~/.cache/wtool/kernels
            """
    )

    @Argument(help: "The .swm or .safetensors file (with --kernel-cache: the cache directory, by default the one `run` uses).")
    var input: String?

    @Flag(name: .long, help: "Check the kernel cache instead of a model file.")
    var kernelCache = false

    @Flag(name: .long, help: "No progress output.")
    var quiet = false

    func validate() throws {
        if input == nil && !kernelCache { throw ValidationError("missing the .swm or .safetensors file to check") }
    }

    func run() throws {
        if kernelCache { return try checkKernelCache() }
        guard let input else { return }
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

    private func checkKernelCache() throws {
        let directory = input.map { URL(fileURLWithPath: $0) }
            ?? ExecutorOptions.kernelCacheDirectory(option: nil, environment: ProcessInfo.processInfo.environment)
        guard let directory else {
            Terminal.error("no kernel cache directory: name one, or set $WTOOL_KERNEL_CACHE or $HOME")
            throw ExitCode(1)
        }
        try reportingErrors(path: directory.path) {
            let progress = ProgressLine("checking", quiet: quiet)
            let report = try KernelCacheCheck.check(directory: directory) { progress.update(done: $0, total: $1, unit: "entries", scale: 1) }
            progress.finish()
            for (path, detail) in report.damaged { Terminal.error("\(path): \(detail)") }
            if let problem = report.directoryProblem { Terminal.error("\(directory.path): \(problem); the cache is not used") }
            guard report.isClean else { throw ExitCode(1) }
            if !quiet {
                let stale = report.stale > 0 ? ", \(report.stale) of an older format (unused, replaced when stored again)" : ""
                print("\(directory.path): OK (\(report.good) entries, \(report.goodBytes) bytes\(stale))")
            }
        }
    }
}
