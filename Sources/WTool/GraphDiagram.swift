import FileSupport
import Foundation
import ModelIR

/// A Graphviz picture of a graph: one box per node (name, Keras class and key attributes, output
/// shape, parameters), edges along the data flow so branches and merges show, nested models as
/// labelled clusters, inputs and outputs as ovals.
public struct GraphDiagram: Sendable {
    /// The graph drawn.
    public let graph: Graph
    private let shapes: [String: [Int]]

    /// A diagram of `graph`.
    /// - Throws: `ModelIRError` when the graph's shapes cannot be inferred.
    public init(graph: Graph) throws {
        self.graph = graph
        self.shapes = try graph.inferShapes()
    }

    /// The DOT text (`digraph`), deterministic for a given graph.
    public func dot() -> String {
        var out: [String] = []
        let params = graph.parameterCount
        out.append("digraph \(Self.quote(graph.name)) {")
        out.append("  graph [rankdir=TB, fontname=\"Helvetica\", fontsize=12, labelloc=t, "
            + "label=\(Self.quote("\(graph.name) — \(ModelSummary.grouped(params.total)) parameters")), nodesep=0.3, ranksep=0.35];")
        out.append("  node [shape=box, style=\"rounded,filled\", fillcolor=\"#eef3fb\", color=\"#5b7bb2\", fontname=\"Helvetica\", fontsize=10];")
        out.append("  edge [color=\"#666666\", arrowsize=0.6];")
        var ids: [String: String] = [:]
        func id(_ value: String) -> String {
            if let existing = ids[value] { return existing }
            let new = "n\(ids.count)"
            ids[value] = new
            return new
        }
        for input in graph.inputs {
            out.append("  \(id("input:" + input.name)) [shape=oval, fillcolor=\"#e6f4ea\", color=\"#4f9a61\", label=\(Self.quote("\(input.name)\nInput \(Shape.kerasString(input.shape))"))];")
        }

        // Nodes grouped into nested clusters by scope.
        final class Cluster {
            var lines: [String] = []
            var children: [String: Cluster] = [:]
            var order: [String] = []
        }
        let root = Cluster()
        for node in graph.nodes {
            var cluster = root
            for part in node.scope {
                if cluster.children[part] == nil {
                    cluster.children[part] = Cluster()
                    cluster.order.append(part)
                }
                cluster = cluster.children[part]!
            }
            cluster.lines.append("\(id(node.name)) [label=\(Self.quote(label(for: node)))\(style(for: node.op))];")
        }
        var clusterCount = 0
        func emit(_ cluster: Cluster, scope: [String], indent: String) {
            out += cluster.lines.map { indent + $0 }
            for name in cluster.order {
                let path = scope + [name]
                let className = graph.metadata.submodels.first { $0.scope == path }?.className ?? "Model"
                clusterCount += 1
                out.append("\(indent)subgraph cluster_\(clusterCount) {")
                out.append("\(indent)  label=\(Self.quote("\(name) (\(className))")); style=\"rounded,dashed\"; color=\"#8c8c8c\"; fontsize=11;")
                emit(cluster.children[name]!, scope: path, indent: indent + "  ")
                out.append("\(indent)}")
            }
        }
        emit(root, scope: [], indent: "  ")

        var producer: [String: String] = [:]
        for input in graph.inputs { producer[input.name] = id("input:" + input.name) }
        for node in graph.nodes { for value in node.outputs { producer[value] = id(node.name) } }
        for node in graph.nodes {
            for value in node.inputs {
                if let from = producer[value] { out.append("  \(from) -> \(id(node.name));") }
            }
        }
        for output in graph.outputs {
            let outID = id("output:" + output)
            out.append("  \(outID) [shape=oval, fillcolor=\"#fdecea\", color=\"#c0504d\", label=\(Self.quote("output\n\(Shape.kerasString(shapes[output] ?? []))"))];")
            if let from = producer[output] { out.append("  \(from) -> \(outID);") }
        }
        out.append("}")
        return out.joined(separator: "\n") + "\n"
    }

    private func label(for node: Node) -> String {
        var lines = [node.localName, node.typeName + (Self.attributes(node.op).map { " " + $0 } ?? "")]
        if let shape = node.outputs.first.flatMap({ shapes[$0] }) { lines.append(Shape.kerasString(shape)) }
        let params = graph.parameterCount(of: [node]).total
        if params > 0, !node.name.contains("#") { lines.append("\(ModelSummary.grouped(params)) params") }
        return lines.joined(separator: "\n")
    }

    private func style(for op: Op) -> String {
        switch op {
        case .elementwise(.variadic), .tensor(.concat): ", fillcolor=\"#fff4dd\", color=\"#c99a2e\""
        case .pool: ", fillcolor=\"#f1ecf8\", color=\"#7e64a8\""
        case .custom: ", fillcolor=\"#eeeeee\", color=\"#888888\", style=\"filled,dashed\""
        default: ""
        }
    }

    /// The attributes worth a glance: kernel/stride/padding, units, rates, axes.
    static func attributes(_ op: Op) -> String? {
        func window(_ k: [Int], _ s: [Int], _ p: Padding) -> String {
            let pad: String
            switch p {
            case .same: pad = "same"
            case .sameLower: pad = "same-lower"
            case .valid: pad = "valid"
            case let .explicit(begin, end): pad = "pad " + zip(begin, end).map { "\($0),\($1)" }.joined(separator: ",")
            }
            let stride = s.allSatisfy { $0 == 1 } ? "" : " /" + (Set(s).count == 1 ? "\(s[0])" : s.map(String.init).joined(separator: "×"))
            return "\(k.map(String.init).joined(separator: "×"))\(stride) \(pad)"
        }
        func act(_ a: Activation) -> String { a == .linear ? "" : ", \(a.kerasName)" }
        switch op {
        case .conv(.conv(let a)): return "\(a.filters) \(window(a.kernelSize, a.strides, a.padding))\(act(a.activation))" + (a.groups > 1 ? ", groups \(a.groups)" : "")
        case .conv(.depthwise(let a)): return "\(window(a.kernelSize, a.strides, a.padding))\(act(a.activation))"
        case .conv(.separable(let a)): return "\(a.filters) \(window(a.kernelSize, a.strides, a.padding))\(act(a.activation))"
        case .conv(.transposed(let a)): return "\(a.filters) \(window(a.kernelSize, a.strides, a.padding))\(act(a.activation))"
        case .linear(.dense(let a)): return "\(a.units)\(act(a.activation))"
        case .pool(.max(let a)), .pool(.average(let a)), .pool(.lp(let a)): return window(a.poolSize, a.strides, a.padding)
        case .normalization(.batch(let a)): return "ε \(a.epsilon)"
        case .tensor(.pad(let a)): return a.pads.map { $0.map(String.init).joined(separator: ",") }
        case .tensor(.reshape(let a)): return a.shape.map { Shape.kerasString($0) }
        case .tensor(.transpose(let perm)): return perm.map { "perm \($0)" }
        case .tensor(.dropout(let rate, _)): return "\(rate)"
        case .activation(let a):
            switch a {
            case let .clippedReLU(maxValue, slope, threshold):
                return [maxValue.map { "max \($0)" }, slope != 0 ? "slope \(slope)" : nil, threshold != 0 ? "threshold \(threshold)" : nil]
                    .compactMap { $0 }.joined(separator: ", ")
            case .leakyReLU(let alpha): return "α \(alpha)"
            case .softmax(let axis): return "axis \(axis)"
            default: return a.kerasName
            }
        case .tensor(.concat(let axis)): return "axis \(axis)"
        case .custom(let c): return c.domain.isEmpty ? nil : c.domain
        default: return nil
        }
    }

    static func quote(_ s: String) -> String {
        "\"" + s.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"")
            .replacingOccurrences(of: "\n", with: "\\n") + "\""
    }
}

extension GraphDiagram {
    /// What ``export(model:options:format:to:overwrite:)`` writes: DOT text, or Graphviz's
    /// rendering of it.
    public static let formats = ["dot", "svg", "png"]

    /// The diagram of the model at `path` (any format wtool reads).
    /// - Throws: ``WToolError`` naming the file.
    public init(contentsOf path: String, options: LoadOptions = LoadOptions()) throws {
        self = try ModelLoader.build(path, options: options) { try GraphDiagram(graph: $0) }
    }

    /// The diagram in `format` (`dot`, or what `dot -T` renders: `svg`, `png`).
    public func rendered(as format: String) throws -> Data {
        format == "dot" ? Data(dot().utf8) : try Graphviz.render(dot(), format: format)
    }

    /// Draws the model at `model` (`wtool graph`): writes the picture to `output` atomically, or
    /// returns its bytes when `output` is nil.
    /// - Throws: ``WToolError``: an existing `output` without `overwrite`, the model's errors,
    ///   Graphviz's, a failed write.
    public static func export(model: String, options: LoadOptions, format: String, to output: String?,
                              overwrite: Bool) throws -> Data? {
        if let output, !overwrite, FileManager.default.fileExists(atPath: output) {
            throw WToolError.usage("\(output): already exists (use --force to overwrite)")
        }
        let bytes = try GraphDiagram(contentsOf: model, options: options).rendered(as: format)
        guard let output else { return bytes }
        do {
            let file = try AtomicOutput(destination: output, overwrite: overwrite)
            try bytes.withUnsafeBytes { try file.write($0) }
            try file.commit()
        } catch {
            throw WToolError.wrap(error, path: output)
        }
        return nil
    }
}

/// Graphviz's `dot`, found on `PATH` (Debian's `graphviz` package installs `/usr/bin/dot`).
public enum Graphviz {
    /// The `dot` executable, or nil when Graphviz is not installed.
    public static func dotExecutable(environment: [String: String] = ProcessInfo.processInfo.environment) -> URL? {
        let path = environment["PATH"] ?? "/usr/local/bin:/usr/bin:/bin"
        for directory in path.split(separator: ":") {
            let candidate = URL(fileURLWithPath: String(directory)).appendingPathComponent("dot")
            if FileManager.default.isExecutableFile(atPath: candidate.path) { return candidate }
        }
        return nil
    }

    /// Renders DOT text with `dot -T<format>` (`svg`, `png`, …) and returns the bytes.
    /// - Throws: `WToolError.unsupported` when `dot` is missing, `.invalid` when it fails (with its
    ///   first error line).
    public static func render(_ dot: String, format: String, executable: URL? = dotExecutable()) throws -> Data {
        guard let executable else {
            throw WToolError.unsupported(path: "dot", detail: "Graphviz is not installed (apt-get install graphviz), so there is no \(format); use --format dot for the DOT text")
        }
        let process = Process()
        process.executableURL = executable
        process.arguments = ["-T\(format)"]
        let input = Pipe(), output = Pipe(), error = Pipe()
        process.standardInput = input
        process.standardOutput = output
        process.standardError = error
        try process.run()
        // Feed and drain concurrently so neither pipe fills up.
        let box = RenderBox()
        let group = DispatchGroup()
        DispatchQueue.global().async(group: group) { box.output = output.fileHandleForReading.readDataToEndOfFile() }
        DispatchQueue.global().async(group: group) { box.error = error.fileHandleForReading.readDataToEndOfFile() }
        input.fileHandleForWriting.write(Data(dot.utf8))
        try? input.fileHandleForWriting.close()
        process.waitUntilExit()
        group.wait()
        guard process.terminationReason == .exit, process.terminationStatus == 0 else {
            let message = String(decoding: box.error, as: UTF8.self).split(separator: "\n").first.map(String.init) ?? "exit \(process.terminationStatus)"
            throw WToolError.invalid(path: executable.path, detail: "dot failed: \(message)")
        }
        return box.output
    }
}

private final class RenderBox: @unchecked Sendable {
    var output = Data()
    var error = Data()
}
