import Foundation
import ModelIR

/// What differs between two models of any formats: the graph (inputs, outputs, nodes added,
/// removed, or with another op, attributes, inputs or weights) and every weight tensor.
///
/// Tensors are matched by weight name (the names every reader gives, `layer/kernel`); tensors
/// left over on both sides are then matched by node and role (the second weight of node `fc1`),
/// and what is still left by position in weight order when the counts and shapes agree — which
/// pairs models whose weights were named differently, e.g. a Keras file and its ONNX export.
///
/// Tolerance policy: for a matched pair of equal shapes, with `a` the first model's values and `b`
/// the second's (both read as float32),
///
///     maxAbs      = max_i |a_i − b_i|
///     maxRelative = maxAbs / max_i |a_i|        (maxAbs itself when a is all zeros)
///
/// and the pair **differs** when `maxAbs > tolerance` (`tolerance = 0` means bit-equal values),
/// or when dtype, shape or trainability changed. The models differ when any tensor differs,
/// a tensor is on one side only, or the graph changed. The worst element's flat index is kept
/// for the report.
public struct ModelDiff: Sendable {
    /// How a graph element changed from the first model to the second.
    public enum Change: String, Sendable {
        /// Only in the second model.
        case added
        /// Only in the first model.
        case removed
        /// In both, different.
        case changed
    }

    /// One difference in the graph.
    public struct GraphChange: Sendable, Equatable {
        /// Added, removed or changed.
        public var change: Change
        /// A node name, or `input NAME` / `output NAME` / `graph`.
        public var subject: String
        /// Human-readable lines (`strides: [1, 1] → [2, 2]`).
        public var details: [String]
    }

    /// One tensor, compared.
    public struct TensorComparison: Sendable, Equatable {
        /// The verdict for one tensor under the tolerance policy.
        public enum Status: String, Sendable {
            /// Same shape, dtype and trainability, values within the tolerance.
            case same
            /// In both models, differing beyond the tolerance or in shape, dtype or trainability.
            case changed
            /// Only in the second model.
            case added
            /// Only in the first model.
            case removed
        }

        /// The first model's name for it (the second's for an added tensor).
        public var name: String
        /// The other side's name when the pair was matched by node and role.
        public var otherName: String?
        /// The verdict.
        public var status: Status
        /// Shape in the first model (nil when added).
        public var shapeA: [Int]?
        /// Shape in the second model (nil when removed).
        public var shapeB: [Int]?
        /// Element type in the first model.
        public var dtypeA: DType?
        /// Element type in the second model.
        public var dtypeB: DType?
        /// Trainability in the first model.
        public var trainableA: Bool?
        /// Trainability in the second model.
        public var trainableB: Bool?
        /// max|a − b| (values compared only for equal shapes).
        public var maxAbs: Double?
        /// maxAbs / max|a|.
        public var maxRelative: Double?
        /// Elements whose |a − b| exceeds the tolerance.
        public var differingElements: Int?
        /// Flat (row-major) index of the largest difference, when there is one.
        public var worstIndex: Int?
        /// Number of elements (of the first model's tensor when both exist).
        public var elementCount: Int

        /// What changed besides values (`shape`, `dtype`, `trainable`).
        public var structuralChanges: [String] {
            var out: [String] = []
            if let a = shapeA, let b = shapeB, a != b { out.append("shape \(a) → \(b)") }
            if let a = dtypeA, let b = dtypeB, a != b { out.append("dtype \(a) → \(b)") }
            if let a = trainableA, let b = trainableB, a != b { out.append(a ? "trainable → frozen" : "frozen → trainable") }
            return out
        }
    }

    /// Differences of inputs, outputs and nodes, in the first model's node order.
    public var graphChanges: [GraphChange]
    /// Every tensor of both models, in the first model's weight order, then those only in the second.
    public var tensors: [TensorComparison]
    /// The largest |a − b| per element that still counts as the same.
    public var tolerance: Double

    /// Whether anything differs beyond the tolerance.
    public var differs: Bool { !graphChanges.isEmpty || tensors.contains { $0.status != .same } }

    /// Compares the models at `a` and `b` (any formats wtool reads), `a` the reference.
    /// - Throws: ``WToolError`` naming the file that cannot be read.
    public init(contentsOf a: String, _ b: String, options: LoadOptions = LoadOptions(), tolerance: Double = 0) throws {
        let first = try ModelLoader.load(path: a, options: options).graph
        let second = try ModelLoader.load(path: b, options: options).graph
        self.init(first, second, tolerance: tolerance)
    }

    /// Compares `a` (the reference) with `b`.
    /// - Parameter tolerance: largest allowed |a − b| per element (0 = exact).
    public init(_ a: Graph, _ b: Graph, tolerance: Double = 0) {
        self.tolerance = tolerance
        graphChanges = Self.graphChanges(a, b)
        tensors = Self.tensors(a, b, tolerance: tolerance)
    }

    // MARK: Graph

    static func graphChanges(_ a: Graph, _ b: Graph) -> [GraphChange] {
        var out: [GraphChange] = []
        let inputsA = Dictionary(a.inputs.map { ($0.name, $0) }, uniquingKeysWith: { x, _ in x })
        let inputsB = Dictionary(b.inputs.map { ($0.name, $0) }, uniquingKeysWith: { x, _ in x })
        for input in a.inputs {
            guard let other = inputsB[input.name] else {
                out.append(GraphChange(change: .removed, subject: "input \(input.name)", details: ["\(Shape.kerasString(input.shape)) \(input.dtype)"]))
                continue
            }
            var details: [String] = []
            if input.shape != other.shape { details.append("shape \(Shape.kerasString(input.shape)) → \(Shape.kerasString(other.shape))") }
            if input.dtype != other.dtype { details.append("dtype \(input.dtype) → \(other.dtype)") }
            if !details.isEmpty { out.append(GraphChange(change: .changed, subject: "input \(input.name)", details: details)) }
        }
        for input in b.inputs where inputsA[input.name] == nil {
            out.append(GraphChange(change: .added, subject: "input \(input.name)", details: ["\(Shape.kerasString(input.shape)) \(input.dtype)"]))
        }
        if a.outputs != b.outputs {
            out.append(GraphChange(change: .changed, subject: "outputs", details: ["\(a.outputs) → \(b.outputs)"]))
        }
        let nodesB = Dictionary(b.nodes.map { ($0.name, $0) }, uniquingKeysWith: { x, _ in x })
        let namesA = Set(a.nodes.map(\.name))
        for node in a.nodes {
            guard let other = nodesB[node.name] else {
                out.append(GraphChange(change: .removed, subject: node.name, details: [node.typeName]))
                continue
            }
            let details = nodeDifferences(node, other)
            if !details.isEmpty { out.append(GraphChange(change: .changed, subject: node.name, details: details)) }
        }
        for node in b.nodes where !namesA.contains(node.name) {
            out.append(GraphChange(change: .added, subject: node.name, details: ["\(node.typeName) ← \(node.inputs.joined(separator: ", "))"]))
        }
        return out
    }

    static func nodeDifferences(_ a: Node, _ b: Node) -> [String] {
        var details: [String] = []
        if a.op.kind != b.op.kind {
            details.append("op \(a.typeName) → \(b.typeName)")
        } else if a.op != b.op {
            details += attributeDifferences(a.op, b.op)
        }
        if a.inputs != b.inputs { details.append("inputs [\(a.inputs.joined(separator: ", "))] → [\(b.inputs.joined(separator: ", "))]") }
        if a.scope != b.scope { details.append("scope \(a.scope) → \(b.scope)") }
        return details
    }

    /// Attribute-by-attribute differences of two ops of the same kind, read from their `Codable`
    /// form (the encoding `.swm` stores), so every typed attribute is covered without a list here.
    static func attributeDifferences(_ a: Op, _ b: Op) -> [String] {
        func flatten(_ op: Op) -> [String: String] {
            guard let data = try? JSONEncoder().encode(op), let object = try? JSONSerialization.jsonObject(with: data) else { return [:] }
            var out: [String: String] = [:]
            func walk(_ value: Any, _ path: String) {
                if let dictionary = value as? [String: Any] {
                    for (k, v) in dictionary where k != "kind" { walk(v, path.isEmpty || path == "attributes" ? k : "\(path).\(k)") }
                } else if let data = try? JSONSerialization.data(withJSONObject: value, options: [.fragmentsAllowed, .sortedKeys]) {
                    out[path] = String(decoding: data, as: UTF8.self)
                }
            }
            walk(object, "")
            return out
        }
        let (x, y) = (flatten(a), flatten(b))
        let keys = Set(x.keys).union(y.keys).sorted()
        let lines = keys.compactMap { k -> String? in x[k] == y[k] ? nil : "\(k): \(x[k] ?? "-") → \(y[k] ?? "-")" }
        return lines.isEmpty ? ["attributes differ"] : lines
    }

    // MARK: Tensors

    static func tensors(_ a: Graph, _ b: Graph, tolerance: Double) -> [TensorComparison] {
        let namesA = a.orderedWeightNames.filter { a.weights[$0] != nil }
        let namesB = b.orderedWeightNames.filter { b.weights[$0] != nil }
        let setA = Set(namesA), setB = Set(namesB)
        var pairs: [(String, String?)] = namesA.map { ($0, setB.contains($0) ? $0 : nil) }
        // Leftovers on both sides: pair by (node, position among its weights).
        var byRoleB: [String: String] = [:]
        for node in b.nodes { for (i, w) in b.constants(of: node).enumerated() where !setA.contains(w) { byRoleB["\(node.name)#\(i)"] = w } }
        var matchedB = Set(pairs.compactMap(\.1))
        for node in a.nodes {
            for (i, w) in a.constants(of: node).enumerated() where !setB.contains(w) {
                if let other = byRoleB["\(node.name)#\(i)"], !matchedB.contains(other), let index = pairs.firstIndex(where: { $0.0 == w && $0.1 == nil }) {
                    pairs[index].1 = other
                    matchedB.insert(other)
                }
            }
        }
        // Still left on both sides, the same number with the same shapes in weight order (another
        // format's names for the same layers): pair by position, as Keras's legacy loader does.
        let leftA = pairs.filter { $0.1 == nil }.map(\.0)
        let leftB = namesB.filter { !matchedB.contains($0) }
        if !leftA.isEmpty, leftA.count == leftB.count,
           zip(leftA, leftB).allSatisfy({ Self.aligned(b.weights[$1]!, to: a.weights[$0]!).info.shape == a.weights[$0]!.info.shape }) {
            for (x, y) in zip(leftA, leftB) {
                if let index = pairs.firstIndex(where: { $0.0 == x }) { pairs[index].1 = y }
                matchedB.insert(y)
            }
        }
        var out = pairs.map { name, other -> TensorComparison in
            let wa = a.weights[name]!
            guard let other, let wb = b.weights[other] else {
                return TensorComparison(name: name, status: .removed, shapeA: wa.info.shape, dtypeA: wa.info.dtype, trainableA: wa.trainable,
                                        elementCount: wa.elementCount)
            }
            return compare(name: name, wa, otherName: other == name ? nil : other, Self.aligned(wb, to: wa), tolerance: tolerance)
        }
        for name in namesB where !matchedB.contains(name) {
            let w = b.weights[name]!
            out.append(TensorComparison(name: name, status: .added, shapeB: w.info.shape, dtypeB: w.info.dtype, trainableB: w.trainable,
                                        elementCount: w.elementCount))
        }
        return out
    }

    /// `w` in `reference`'s layout when the two are tagged with related layouts (a Keras HWIO
    /// kernel and its ONNX OIHW export) and their shapes differ; `w` itself otherwise.
    static func aligned(_ w: Weight, to reference: Weight) -> Weight {
        guard w.info.shape != reference.info.shape, let perm = w.info.layout.permutation(to: reference.info.layout),
              perm.count == w.info.shape.count, let t = try? w.tensor.transposed(perm) else { return w }
        var out = w
        out.info.shape = t.shape
        out.info.layout = reference.info.layout
        out.data = t.data
        return out
    }

    static func compare(name: String, _ a: Weight, otherName: String?, _ b: Weight, tolerance: Double) -> TensorComparison {
        var result = TensorComparison(name: name, otherName: otherName, status: .same, shapeA: a.info.shape, shapeB: b.info.shape,
                                      dtypeA: a.info.dtype, dtypeB: b.info.dtype, trainableA: a.trainable, trainableB: b.trainable,
                                      elementCount: a.elementCount)
        guard a.info.shape == b.info.shape else {
            result.status = .changed
            return result
        }
        if a.info.dtype == b.info.dtype, a.data.bytesEqual(b.data) {
            (result.maxAbs, result.maxRelative, result.differingElements, result.worstIndex) = (0, 0, 0, nil)
        } else {
            let metrics = valueDifferences(a, b, tolerance: tolerance)
            (result.maxAbs, result.maxRelative, result.differingElements, result.worstIndex) =
                (metrics.maxAbs, metrics.maxRelative, metrics.differing, metrics.worst)
        }
        if (result.maxAbs ?? 0) > tolerance || !result.structuralChanges.isEmpty { result.status = .changed }
        return result
    }

    /// Walks both tensors once as float32 (f32 read in place, other dtypes converted).
    static func valueDifferences(_ a: Weight, _ b: Weight, tolerance: Double) -> (maxAbs: Double, maxRelative: Double, differing: Int, worst: Int?) {
        let count = min(a.elementCount, b.elementCount)
        func floats(_ w: Weight) -> [Float]? { w.info.dtype == .float32 ? nil : w.data.floatArray(as: w.info.dtype) }
        let convertedA = floats(a), convertedB = floats(b)
        func value(_ w: Weight, _ converted: [Float]?, _ i: Int) -> Double {
            if let converted { return Double(converted[i]) }
            return Double(w.data.bytes.loadUnaligned(fromByteOffset: i * 4, as: Float.self))
        }
        var maxAbs = 0.0, scale = 0.0, differing = 0
        var worst: Int?
        for i in 0..<count {
            let x = value(a, convertedA, i), y = value(b, convertedB, i)
            let d = x == y || (x.isNaN && y.isNaN) ? 0 : (x.isNaN || y.isNaN ? Double.infinity : abs(x - y))
            if d > tolerance { differing += 1 }
            if d > maxAbs { maxAbs = d; worst = i }
            scale = max(scale, abs(x))
        }
        return (maxAbs, scale > 0 ? maxAbs / scale : maxAbs, differing, worst)
    }

    // MARK: Reports

    /// The text report: graph changes, then the tensors that differ, worst first.
    public func render(labelA: String, labelB: String, all: Bool = false) -> String {
        var lines: [String] = ["--- \(labelA)", "+++ \(labelB)"]
        if graphChanges.isEmpty {
            lines.append("graph: same")
        } else {
            lines.append("graph: \(graphChanges.count) difference\(graphChanges.count == 1 ? "" : "s")")
            for change in graphChanges {
                let mark = change.change == .added ? "+" : change.change == .removed ? "-" : "~"
                lines.append("  \(mark) \(change.subject)" + (change.details.count == 1 ? ": \(change.details[0])" : ""))
                if change.details.count > 1 { lines += change.details.map { "      \($0)" } }
            }
        }
        let changed = tensors.filter { $0.status != .same }
        let compared = tensors.filter { $0.status == .same || $0.status == .changed }.count
        lines.append("tensors: \(compared) compared, \(changed.count) differ (tolerance \(Self.format(tolerance)) on max|Δ|)")
        let listed = (all ? tensors : changed).sorted { ($0.maxRelative ?? .infinity) > ($1.maxRelative ?? .infinity) }
        for t in listed {
            let mark = t.status == .added ? "+" : t.status == .removed ? "-" : t.status == .changed ? "~" : "="
            var line = "  \(mark) \(t.name)"
            if let other = t.otherName { line += " ↔ \(other)" }
            line += "  \(Shape.kerasString(t.shapeA ?? t.shapeB ?? [])) \(t.dtypeA?.description ?? t.dtypeB?.description ?? "")"
            if let maxAbs = t.maxAbs, let rel = t.maxRelative, let n = t.differingElements {
                line += "  max|Δ| \(Self.format(maxAbs))  rel \(Self.format(rel))"
                if n > 0 { line += "  (\(n) of \(t.elementCount) elements" + (t.worstIndex.map { ", worst at \($0))" } ?? ")") }
            }
            let structural = t.structuralChanges
            if !structural.isEmpty { line += "  " + structural.joined(separator: ", ") }
            lines.append(line)
        }
        lines.append(differs ? "result: the models differ" : "result: same (within tolerance)")
        return lines.joined(separator: "\n")
    }

    static func format(_ x: Double) -> String {
        x == 0 ? "0" : x.isInfinite ? "inf" : String(format: "%.3g", x)
    }

    /// The JSON report: `{"a", "b", "tolerance", "differs", "graph": [{"change", "subject",
    /// "details"}], "tensors": [{"name", "status", "shape_a", "shape_b", "dtype_a", "dtype_b",
    /// "trainable_a", "trainable_b", "max_abs", "max_relative", "differing_elements",
    /// "worst_index", "elements"}]}`; absent values are null.
    public func json(labelA: String, labelB: String) -> String {
        func optional(_ v: Any?) -> Any { v ?? NSNull() }
        func number(_ v: Double?) -> Any { v.map { $0.isFinite ? $0 as Any : "inf" as Any } ?? NSNull() }
        let object: [String: Any] = [
            "a": labelA, "b": labelB, "tolerance": tolerance, "differs": differs,
            "graph": graphChanges.map { ["change": $0.change.rawValue, "subject": $0.subject, "details": $0.details] },
            "tensors": tensors.map { t -> [String: Any] in
                [
                    "name": t.name, "other_name": optional(t.otherName), "status": t.status.rawValue,
                    "shape_a": optional(t.shapeA), "shape_b": optional(t.shapeB),
                    "dtype_a": optional(t.dtypeA?.shortName), "dtype_b": optional(t.dtypeB?.shortName),
                    "trainable_a": optional(t.trainableA), "trainable_b": optional(t.trainableB),
                    "max_abs": number(t.maxAbs), "max_relative": number(t.maxRelative),
                    "differing_elements": optional(t.differingElements), "worst_index": optional(t.worstIndex), "elements": t.elementCount,
                ]
            },
        ]
        guard let data = try? JSONSerialization.data(withJSONObject: object, options: [.prettyPrinted, .sortedKeys]) else { return "{}" }
        return String(decoding: data, as: UTF8.self)
    }
}
