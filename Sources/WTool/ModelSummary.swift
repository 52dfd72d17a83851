import Foundation
import ModelIR

/// Keras's `model.summary()` for any graph: one row per top-level layer (a nested model is one
/// row), output shapes, parameter counts, and the "Connected to" column for branching graphs.
public struct ModelSummary: Sendable {
    /// One row of the table: a top-level layer, an input, or a whole nested model.
    public struct Row: Sendable, Equatable {
        /// The layer's (or nested model's) name.
        public var name: String
        /// Keras's class name (`Conv2D`, `InputLayer`, `Functional`, …).
        public var type: String
        /// Output shape with the batch axis as -1.
        /// Nil when even the rank is known only at run time (shown as `?`).
        public var outputShape: [Int]?
        /// Weights of the row (a nested model counts all of its layers').
        public var params: Int
        /// Producers of this row's inputs, Keras style (`block1_conv1[0][0]`).
        public var connectedTo: [String]
    }

    /// The graph's name (Keras's model name).
    public var modelName: String
    /// The rows in Keras's order.
    public var rows: [Row]
    /// Total, trainable and non-trainable parameter counts.
    public var parameters: Graph.ParameterCount
    /// The graph inputs.
    public var inputs: [TensorInfo]
    /// The graph outputs with their inferred shapes.
    public var outputs: [TensorInfo]
    /// Whether the graph is a plain chain (Keras then omits "Connected to").
    public var isSequentialLike: Bool

    /// A node wtool carries through conversion but cannot compute (a `Lambda`, a custom class, an
    /// op without semantics): `run` refuses the model, naming these.
    public struct Carried: Sendable, Equatable {
        /// The node's name (a Keras layer's name).
        public var name: String
        /// The Keras class or ONNX op type, with its domain when it is not the default one.
        public var type: String
        /// Why the runtime cannot run it.
        public var reason: String
    }
    /// The nodes `run` would refuse, in graph order; empty when the whole model runs.
    public var carried: [Carried]

    /// Builds the summary of `graph`.
    /// - Throws: `ModelIRError` when shapes cannot be inferred.
    public init(graph: Graph) throws {
        let shapes = try graph.inferTypes(foldLimit: 0).mapValues(\.shape)
        modelName = graph.name
        parameters = graph.parameterCount
        inputs = graph.inputs
        outputs = graph.outputs.map { TensorInfo(name: $0, shape: (shapes[$0] ?? nil) ?? []) }

        // The row that produces each value: a top-level node, an input, or a nested model.
        var producer: [String: String] = [:]
        for input in graph.inputs { producer[input.name] = input.name }
        var rows: [Row] = []
        var rowIndex: [String: Int] = [:]
        let isSequentialModel = graph.metadata.extra["keras_class"] == "Sequential"
        if !isSequentialModel {
            for input in graph.inputs {
                rowIndex[input.name] = rows.count
                rows.append(Row(name: input.name, type: "InputLayer", outputShape: input.shape, params: 0, connectedTo: []))
            }
        }
        let submodels = graph.metadata.submodels.filter { $0.scope.count == 1 }
        for node in graph.nodes {
            let top = node.scope.first
            let rowName = top ?? node.name.split(separator: "#").first.map(String.init) ?? node.name
            for output in node.outputs { producer[output] = rowName }
            let connections = node.inputs.compactMap { producer[$0] }.filter { $0 != rowName }.map { "\($0)[0][0]" }
            let params = graph.parameterCount(of: [node]).total
            if let i = rowIndex[rowName] {
                if top != nil || node.name.contains("#") {
                    rows[i].params += node.name.contains("#") ? 0 : params
                    rows[i].outputShape = shapes[node.outputs[0]] ?? rows[i].outputShape
                    if node.scope.count > 0, node.inputs.contains(where: { producer[$0] != rowName }) {
                        rows[i].connectedTo += connections.filter { !rows[i].connectedTo.contains($0) }
                    }
                }
                continue
            }
            rowIndex[rowName] = rows.count
            let type = top.flatMap { name in submodels.first { $0.scope == [name] }?.className } ?? node.typeName
            rows.append(Row(name: rowName, type: type, outputShape: shapes[node.outputs[0]] ?? nil, params: params, connectedTo: connections))
        }
        self.rows = rows
        carried = graph.nodes.compactMap { node in
            guard case .custom(let c) = node.op else { return nil }
            let type = c.domain.isEmpty || c.domain == "ai.onnx" || c.domain == "keras" ? c.type : "\(c.domain).\(c.type)"
            return Carried(name: node.name, type: type, reason: c.reason)
        }
        var consumers: [String: Int] = [:]
        for node in graph.nodes { for i in node.inputs { consumers[i, default: 0] += 1 } }
        isSequentialLike = graph.inputs.count == 1 && graph.outputs.count == 1
            && rows.allSatisfy { $0.connectedTo.count <= 1 } && consumers.values.allSatisfy { $0 <= 1 }
    }

    /// The summary of the model at `path` (any format wtool reads).
    /// - Throws: ``WToolError`` naming the file.
    public init(contentsOf path: String, options: LoadOptions = LoadOptions()) throws {
        self = try ModelLoader.build(path, options: options) { try ModelSummary(graph: $0) }
    }

    /// Keras's `readable_memory_size`: 1024-based units with two decimals (Python's `.2f`).
    public static func readableSize(_ bytes: Int) -> String {
        var divisor = 1
        for unit in ["B", "KB", "MB", "GB"] {
            if bytes / divisor < 1024 || unit == "GB" { return twoDecimals(bytes, over: divisor) + " " + unit }
            divisor *= 1024
        }
        return twoDecimals(bytes, over: divisor) + " TB"
    }

    /// `bytes / divisor` (a power of two, so the quotient is exact in binary) with two decimals,
    /// rounded half to even as C's `%.2f` rounds an exactly representable value; computed in
    /// integers, which `String(format:)` would do through Foundation's formatter in every process.
    static func twoDecimals(_ bytes: Int, over divisor: Int) -> String {
        let (scaled, overflow) = bytes.multipliedReportingOverflow(by: 100)
        guard !overflow, bytes >= 0 else { return String(format: "%.2f", Double(bytes) / Double(divisor)) }
        var hundredths = scaled / divisor
        let twiceRemainder = 2 * (scaled % divisor)
        if twiceRemainder > divisor || (twiceRemainder == divisor && hundredths % 2 == 1) { hundredths += 1 }
        let fraction = hundredths % 100
        return "\(hundredths / 100)." + (fraction < 10 ? "0" : "") + String(fraction)
    }

    /// `n` with thousands separators (`23,587,712`).
    static func grouped(_ n: Int) -> String {
        let digits = Array(String(n.magnitude).utf8)
        var out: [UInt8] = n < 0 ? [UInt8(ascii: "-")] : []
        out.reserveCapacity(digits.count + digits.count / 3 + 1)
        for (i, digit) in digits.enumerated() {
            if i > 0, (digits.count - i) % 3 == 0 { out.append(UInt8(ascii: ",")) }
            out.append(digit)
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// The table as Keras 3 prints it (box-drawing characters, thousands separators).
    public func render() -> String {
        var headers = ["Layer (type)", "Output Shape", "Param #"]
        if !isSequentialLike { headers.append("Connected to") }
        let cells: [[[String]]] = rows.map { row in
            var c: [[String]] = [["\(row.name) (\(row.type))"], [row.outputShape.map(Shape.kerasString) ?? "?"], [Self.grouped(row.params)]]
            if !isSequentialLike {
                c.append(row.connectedTo.isEmpty ? ["-"] : row.connectedTo.enumerated().map { $0 < row.connectedTo.count - 1 ? $1 + "," : $1 })
            }
            return c
        }
        let minimum = isSequentialLike ? [31, 22, 13] : [25, 22, 12, 22]
        let widths = headers.indices.map { col in
            max(minimum[col], headers[col].count, cells.map { $0[col].map(\.count).max() ?? 0 }.max() ?? 0)
        }
        // One string, appended to: a table of a few hundred rows is otherwise thousands of small
        // strings to allocate, join and free (ResNet50's took ~10% of a `summary` process).
        var out = ""
        out.reserveCapacity((widths.reduce(0, +) + 3 * widths.count + 2) * 3 * (2 * cells.count + 8))
        func pad(_ count: Int, _ fill: Character = " ") {
            for _ in 0..<max(0, count) { out.append(fill) }
        }
        func line(_ left: Character, _ fill: Character, _ mid: Character, _ right: Character) {
            out.append(left)
            for (col, width) in widths.enumerated() {
                if col > 0 { out.append(mid) }
                pad(width + 2, fill)
            }
            out.append(right)
            out.append("\n")
        }
        func row(_ texts: [String], border: Character) {
            out.append(border)
            for (col, text) in texts.enumerated() {
                if col > 0 { out.append(border) }
                out.append(" ")
                if col == 2 { pad(widths[col] - text.count) }
                out.append(text)
                if col != 2 { pad(widths[col] - text.count) }
                out.append(" ")
            }
            out.append(border)
            out.append("\n")
        }
        out.append("Model: \"\(modelName)\"\n")
        line("┏", "━", "┳", "┓")
        row(headers, border: "┃")
        line("┡", "━", "╇", "┩")
        for (i, c) in cells.enumerated() {
            let height = c.map(\.count).max() ?? 1
            for k in 0..<height { row(c.map { k < $0.count ? $0[k] : "" }, border: "│") }
            if i == cells.count - 1 { line("└", "─", "┴", "┘") } else { line("├", "─", "┼", "┤") }
        }
        let p = parameters
        out.append(" Total params: \(Self.grouped(p.total)) (\(Self.readableSize(p.total * 4)))\n")
        out.append(" Trainable params: \(Self.grouped(p.trainable)) (\(Self.readableSize(p.trainable * 4)))\n")
        out.append(" Non-trainable params: \(Self.grouped(p.nonTrainable)) (\(Self.readableSize(p.nonTrainable * 4)))")
        if !carried.isEmpty {
            out.append("\n Carried, not computed (`wtool run` refuses the model): \(carried.count) layer\(carried.count == 1 ? "" : "s")")
            for c in carried { out.append("\n   \(c.name) (\(c.type))\(c.reason.isEmpty ? "" : ": \(c.reason)")") }
        }
        return out
    }

    /// The JSON form: `{"layers":[{"name","type","output_shape","params"}], "total_params",
    /// "trainable_params", "non_trainable_params", "cannot_run":[{"name","type","reason"}], "inputs",
    /// "outputs"}`; the batch axis is null.
    public func json() -> String {
        func shape(_ dims: [Int]) -> [Any] { dims.map { $0 < 0 ? NSNull() : $0 as Any } }
        let object: [String: Any] = [
            "model": modelName,
            "layers": rows.map { row -> [String: Any] in
                var d: [String: Any] = ["name": row.name, "type": row.type, "output_shape": row.outputShape.map { shape($0) as Any } ?? NSNull(), "params": row.params]
                if !isSequentialLike { d["connected_to"] = row.connectedTo }
                return d
            },
            "total_params": parameters.total,
            "trainable_params": parameters.trainable,
            "non_trainable_params": parameters.nonTrainable,
            "cannot_run": carried.map { ["name": $0.name, "type": $0.type, "reason": $0.reason] },
            "inputs": inputs.map { ["name": $0.name, "shape": Array(shape($0.shape).dropFirst()), "batch_shape": shape($0.shape)] },
            "outputs": outputs.map { ["name": $0.name, "shape": Array(shape($0.shape).dropFirst()), "batch_shape": shape($0.shape)] },
        ]
        guard let data = try? JSONSerialization.data(withJSONObject: object, options: [.prettyPrinted, .sortedKeys]) else { return "{}" }
        return String(decoding: data, as: UTF8.self)
    }
}
