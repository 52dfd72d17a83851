// ClassifyFolder: classify (or extract features from) every image in a folder with a model file,
// using only the WTool library's public API. See README.md beside this file.
import Foundation
import WTool

let usage = """
    usage: ClassifyFolder MODEL FOLDER [--rescale 1/255] [--preprocess caffe|tf|torch|none]
                          [--labels FILE] [--top K] [--batch N] [--json]

    Runs every .jpg/.jpeg/.png in FOLDER (sorted by name) through MODEL (.swm, or any format wtool
    reads) in batches and prints one line per image: the top classes for a softmax classifier, the
    score for a one-unit (sigmoid) classifier, the shape and statistics of a feature map. --json
    prints {"file", "output"} objects, one per line, with the raw outputs.
    """

struct Arguments {
    var model = ""
    var folder = ""
    var rescale: String?
    var preprocess: String?
    var labelsFile: String?
    var top = 5
    var batch = 16
    var json = false

    init(_ arguments: [String]) throws {
        var positional: [String] = []
        var rest = arguments[...]
        func value(_ flag: String) throws -> String {
            guard let v = rest.popFirst() else { throw Failure("\(flag) needs a value") }
            return v
        }
        while let argument = rest.popFirst() {
            switch argument {
            case "--rescale": rescale = try value(argument)
            case "--preprocess": preprocess = try value(argument)
            case "--labels": labelsFile = try value(argument)
            case "--top": top = Int(try value(argument)) ?? 0
            case "--batch": batch = Int(try value(argument)) ?? 0
            case "--json": json = true
            case "-h", "--help": throw Failure(usage)
            default:
                if argument.hasPrefix("--") { throw Failure("unknown option \(argument)\n\(usage)") }
                positional.append(argument)
            }
        }
        guard positional.count == 2, top > 0, batch > 0 else { throw Failure(usage) }
        (model, folder) = (positional[0], positional[1])
    }
}

struct Failure: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}

func main() throws {
    let arguments = try Arguments(Array(CommandLine.arguments.dropFirst()))
    let model = try Model(contentsOf: URL(fileURLWithPath: arguments.model))

    // Keras's load_img + preprocess_input (or ImageDataGenerator's rescale) as the model was trained.
    var options = model.defaultImageOptions
    if arguments.rescale != nil || arguments.preprocess != nil {
        guard let mode = PreprocessMode(rawValue: arguments.preprocess ?? "none") else { throw Failure("unknown --preprocess") }
        options.preprocessing = Preprocessing(mode: mode, rescale: try arguments.rescale.map { try Preprocessing.parseRescale($0) })
    }
    let labels = try arguments.labelsFile.map {
        try String(contentsOfFile: $0, encoding: .utf8).split(separator: "\n").map(String.init)
    } ?? model.graph.metadata.classNames

    let folder = URL(fileURLWithPath: arguments.folder)
    let images = try FileManager.default.contentsOfDirectory(atPath: folder.path)
        .filter { ["jpg", "jpeg", "png"].contains(($0 as NSString).pathExtension.lowercased()) }
        .sorted()
        .map { folder.appendingPathComponent($0) }
    guard !images.isEmpty else { throw Failure("\(folder.path): no .jpg/.jpeg/.png images") }
    if !arguments.json {
        print("\(model.graph.name): \(model.summary.parameters.total) parameters, input \(model.graph.inputs.map { Shape.kerasString($0.shape) }.joined(separator: ", ")), \(images.count) images")
    }

    for start in stride(from: 0, to: images.count, by: arguments.batch) {
        let batch = Array(images[start..<min(start + arguments.batch, images.count)])
        let output = try model.run(images: batch, options: options)
        let scores = output.floats
        let perImage = scores.count / batch.count
        for (i, image) in batch.enumerated() {
            let values = Array(scores[(i * perImage)..<((i + 1) * perImage)])
            if arguments.json {
                let object: [String: Any] = ["file": image.lastPathComponent, "shape": Array(output.shape.dropFirst()), "output": values]
                print(String(decoding: try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys]), as: UTF8.self))
            } else {
                print("\(image.lastPathComponent)\t\(describe(values, shape: Array(output.shape.dropFirst()), labels: labels, top: arguments.top))")
            }
        }
    }
}

/// One line for one image's output.
func describe(_ values: [Float], shape: [Int], labels: [String]?, top: Int) -> String {
    if shape == [1] { return String(format: "score %.6f", values[0]) }
    if shape.count == 1 {
        let best = values.enumerated().sorted { $0.element > $1.element }.prefix(top)
        return best.map { index, p in
            let name = labels.flatMap { index < $0.count ? $0[index] : nil } ?? "class \(index)"
            return String(format: "%@ %.4f", name, p)
        }.joined(separator: ", ")
    }
    let mean = values.reduce(0, +) / Float(max(values.count, 1))
    return String(format: "features %@  mean %.4f  max %.4f", Shape.kerasString(shape), mean, values.max() ?? 0)
}

do {
    try main()
} catch {
    FileHandle.standardError.write(Data("error: \(error)\n".utf8))
    exit(1)
}
