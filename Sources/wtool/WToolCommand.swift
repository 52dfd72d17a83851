import ArgumentParser
import Foundation

@main
struct WToolCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "wtool",
        abstract: "Convert, inspect, check and run neural-network weight files (Keras .h5/.keras, ONNX, .swm).",
        discussion: """
            Examples:
              wtool convert vgg16.h5 vgg16.swm
              wtool convert vgg16_weights_notop.h5 vgg16.swm --arch vgg16 --input-shape 150,150,3
              wtool summary vgg16.swm
              wtool check vgg16.swm
            """,
        version: "0.1.0",
        subcommands: [Convert.self, Summary.self, Check.self, Run.self, VerifyCommand.self, Features.self, Bench.self, Diff.self, GraphCommand.self, Import.self]
    )

    /// Installs the SIGINT/SIGTERM clean-up (`Interrupts`) and refuses file names that are not
    /// UTF-8 before ArgumentParser sees the (already repaired) arguments.
    static func main() {
        Interrupts.install()
        if let name = ArgumentEncoding.firstInvalidArgument() {
            FileHandle.standardError.write(Data(
                "error: \(name): the name is not valid UTF-8, which wtool cannot open; rename the file\n".utf8))
            Foundation.exit(1)
        }
        main(nil)
    }
}
