import ArgumentParser

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
}
