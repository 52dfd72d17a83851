/// JSON text for a `JSONValue`, in the shape Python's `json.dumps` gives Keras configs: `", "` and
/// `": "` separators, ASCII only (`ensure_ascii`), integers without a fraction. Keys come in a fixed
/// order (`class_name`, `name`, `config`, `inbound_nodes` first, the rest sorted), so the same
/// graph always gives the same bytes.
extension JSONValue {
    /// A number from a `Float` attribute, through its shortest decimal form, so `0.001` is written
    /// as `0.001` and not as the float's exact binary value `0.0010000000474974513`.
    static func float(_ value: Float) -> JSONValue {
        .number(Double(value.description) ?? Double(value))
    }

    static func int(_ value: Int) -> JSONValue { .number(Double(value)) }

    static func ints(_ values: [Int]) -> JSONValue { .array(values.map { .int($0) }) }

    /// A batch shape with unknown dimensions (`-1`) as `null`.
    static func shape(_ dims: [Int]) -> JSONValue { .array(dims.map { $0 < 0 ? .null : .int($0) }) }

    private static let leadingKeys = ["class_name", "name", "config", "inbound_nodes"]

    /// Serializes to JSON text.
    /// - Throws: `KerasError.badConfig` for a non-finite number (JSON has none).
    func serialized() throws -> String {
        var out = ""
        try write(to: &out)
        return out
    }

    private func write(to out: inout String) throws {
        switch self {
        case .null: out += "null"
        case .bool(let b): out += b ? "true" : "false"
        case .number(let n):
            guard n.isFinite else { throw KerasError.badConfig("cannot write the non-finite number \(n) as JSON") }
            if n.rounded() == n, abs(n) < 9.0e15 { out += String(Int64(n)) } else { out += "\(n)" }
        case .string(let s): Self.writeString(s, to: &out)
        case .array(let items):
            out += "["
            for (i, item) in items.enumerated() {
                if i > 0 { out += ", " }
                try item.write(to: &out)
            }
            out += "]"
        case .object(let dictionary):
            let leading = Self.leadingKeys.filter { dictionary[$0] != nil }
            let rest = dictionary.keys.filter { !Self.leadingKeys.contains($0) }.sorted()
            out += "{"
            for (i, key) in (leading + rest).enumerated() {
                if i > 0 { out += ", " }
                Self.writeString(key, to: &out)
                out += ": "
                try dictionary[key]!.write(to: &out)
            }
            out += "}"
        }
    }

    private static func writeString(_ s: String, to out: inout String) {
        out += "\""
        for unit in s.utf16 {
            switch unit {
            case 0x22: out += "\\\""
            case 0x5C: out += "\\\\"
            case 0x0A: out += "\\n"
            case 0x0D: out += "\\r"
            case 0x09: out += "\\t"
            case 0x08: out += "\\b"
            case 0x0C: out += "\\f"
            case 0x20..<0x7F: out.unicodeScalars.append(Unicode.Scalar(UInt8(unit)))
            default:
                let hex = String(unit, radix: 16)
                out += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
            }
        }
        out += "\""
    }
}
