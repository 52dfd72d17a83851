/// A JSON value of a safetensors header. Objects keep their members in file order, so a
/// duplicate key is seen (and refused) instead of silently replacing the first.
indirect enum _JSONValue {
    case object([(key: String, value: _JSONValue)])
    case array([_JSONValue])
    case string(String)
    /// The number's text, checked against JSON's grammar; only integers are ever converted.
    case number(Substring)
    case bool(Bool)
    case null

    var kind: String {
        switch self {
        case .object: "an object"
        case .array: "an array"
        case .string: "a string"
        case .number: "a number"
        case .bool: "a boolean"
        case .null: "null"
        }
    }

    /// A non-negative integer written without fraction or exponent that fits `UInt64` (what the
    /// reference's `usize` fields accept), else nil.
    var unsignedInteger: UInt64? {
        guard case .number(let text) = self, !text.isEmpty, text.utf8.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }) else { return nil }
        return UInt64(text)
    }
}

/// A strict JSON parser for bytes already known to be UTF-8 (RFC 8259; what `serde_json`
/// accepts): no comments, no trailing commas, no raw control characters in strings, no lone
/// surrogates, duplicate keys refused in every object, nesting bounded so hostile input cannot
/// exhaust the stack. Trailing whitespace is allowed: the reference writer pads with spaces.
struct _JSONParser {
    static let maxDepth = 64

    private let bytes: UnsafeRawBufferPointer
    private var position = 0
    private var depth = 0

    private init(_ bytes: UnsafeRawBufferPointer) {
        self.bytes = bytes
    }

    /// Parses one JSON document filling `bytes` (whitespace around it allowed).
    /// - Throws: `SafetensorsError.invalidHeader` naming the byte offset in the header.
    static func parse(_ bytes: UnsafeRawBufferPointer) throws -> _JSONValue {
        var parser = _JSONParser(bytes)
        parser.skipWhitespace()
        let value = try parser.value()
        parser.skipWhitespace()
        guard parser.position == bytes.count else { throw parser.failure("unexpected bytes after the JSON object") }
        return value
    }

    private func failure(_ what: String) -> SafetensorsError {
        .invalidHeader(detail: "\(what) at byte \(position) of the header JSON")
    }

    private var current: UInt8? { position < bytes.count ? bytes[position] : nil }

    private mutating func skipWhitespace() {
        while let c = current, c == 0x20 || c == 0x09 || c == 0x0A || c == 0x0D { position += 1 }
    }

    private mutating func expect(_ byte: UInt8, _ what: String) throws {
        guard current == byte else { throw failure("expected \(what)") }
        position += 1
    }

    private mutating func value() throws -> _JSONValue {
        switch current {
        case UInt8(ascii: "{"): return try object()
        case UInt8(ascii: "["): return try array()
        case UInt8(ascii: "\""): return .string(try string())
        case UInt8(ascii: "t"): try literal("true"); return .bool(true)
        case UInt8(ascii: "f"): try literal("false"); return .bool(false)
        case UInt8(ascii: "n"): try literal("null"); return .null
        case let c? where c == UInt8(ascii: "-") || (c >= 0x30 && c <= 0x39): return try number()
        case nil: throw failure("unexpected end")
        default: throw failure("unexpected character")
        }
    }

    private mutating func literal(_ word: StaticString) throws {
        let count = word.utf8CodeUnitCount
        guard bytes.count - position >= count,
              UnsafeRawBufferPointer(start: word.utf8Start, count: count).elementsEqual(bytes[position..<(position + count)]) else {
            throw failure("unexpected character")
        }
        position += count
    }

    private mutating func nested<T>(_ body: (inout _JSONParser) throws -> T) throws -> T {
        depth += 1
        guard depth <= Self.maxDepth else { throw failure("JSON nested deeper than \(Self.maxDepth) levels") }
        defer { depth -= 1 }
        return try body(&self)
    }

    private mutating func object() throws -> _JSONValue {
        try nested { p in
            p.position += 1
            var members: [(key: String, value: _JSONValue)] = []
            var seen = Set<String>()
            p.skipWhitespace()
            if p.current == UInt8(ascii: "}") { p.position += 1; return .object(members) }
            while true {
                p.skipWhitespace()
                guard p.current == UInt8(ascii: "\"") else { throw p.failure("expected a string key") }
                let keyStart = p.position
                let key = try p.string()
                // Swift compares strings by canonical equivalence: two spellings of one name are
                // one key here, as they would be one entry in any dictionary wtool keeps.
                guard seen.insert(key).inserted else {
                    p.position = keyStart
                    throw p.failure("duplicate key '\(key)'")
                }
                p.skipWhitespace()
                try p.expect(UInt8(ascii: ":"), "':'")
                p.skipWhitespace()
                members.append((key, try p.value()))
                p.skipWhitespace()
                if p.current == UInt8(ascii: ",") { p.position += 1; continue }
                try p.expect(UInt8(ascii: "}"), "',' or '}'")
                return .object(members)
            }
        }
    }

    private mutating func array() throws -> _JSONValue {
        try nested { p in
            p.position += 1
            var elements: [_JSONValue] = []
            p.skipWhitespace()
            if p.current == UInt8(ascii: "]") { p.position += 1; return .array(elements) }
            while true {
                p.skipWhitespace()
                elements.append(try p.value())
                p.skipWhitespace()
                if p.current == UInt8(ascii: ",") { p.position += 1; continue }
                try p.expect(UInt8(ascii: "]"), "',' or ']'")
                return .array(elements)
            }
        }
    }

    private mutating func number() throws -> _JSONValue {
        let start = position
        func digits() -> Int {
            let from = position
            while let c = current, c >= 0x30 && c <= 0x39 { position += 1 }
            return position - from
        }
        if current == UInt8(ascii: "-") { position += 1 }
        if current == UInt8(ascii: "0") {
            position += 1
        } else {
            guard digits() > 0 else { throw failure("malformed number") }
        }
        if current == UInt8(ascii: ".") {
            position += 1
            guard digits() > 0 else { throw failure("malformed number") }
        }
        if current == UInt8(ascii: "e") || current == UInt8(ascii: "E") {
            position += 1
            if current == UInt8(ascii: "+") || current == UInt8(ascii: "-") { position += 1 }
            guard digits() > 0 else { throw failure("malformed number") }
        }
        let text = String(decoding: UnsafeRawBufferPointer(rebasing: bytes[start..<position]), as: UTF8.self)
        return .number(Substring(text))
    }

    private mutating func hex4() throws -> UInt32 {
        guard bytes.count - position >= 4 else { throw failure("truncated \\u escape") }
        var value: UInt32 = 0
        for _ in 0..<4 {
            let c = bytes[position]
            let digit: UInt8
            switch c {
            case 0x30...0x39: digit = c - 0x30
            case 0x41...0x46: digit = c - 0x41 + 10
            case 0x61...0x66: digit = c - 0x61 + 10
            default: throw failure("bad \\u escape")
            }
            value = value << 4 | UInt32(digit)
            position += 1
        }
        return value
    }

    private mutating func string() throws -> String {
        position += 1
        let start = position
        // Fast path: no escapes, so the bytes are the string (already checked to be UTF-8).
        while let c = current, c != UInt8(ascii: "\""), c != UInt8(ascii: "\\") {
            guard c >= 0x20 else { throw failure("control character in a string") }
            position += 1
        }
        guard let stop = current else { throw failure("unterminated string") }
        if stop == UInt8(ascii: "\"") {
            position += 1
            return String(decoding: UnsafeRawBufferPointer(rebasing: bytes[start..<(position - 1)]), as: UTF8.self)
        }
        var out = [UInt8](UnsafeRawBufferPointer(rebasing: bytes[start..<position]))
        while true {
            guard let c = current else { throw failure("unterminated string") }
            position += 1
            switch c {
            case UInt8(ascii: "\""):
                return String(decoding: out, as: UTF8.self)
            case UInt8(ascii: "\\"):
                guard let e = current else { throw failure("unterminated string") }
                position += 1
                switch e {
                case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"): out.append(e)
                case UInt8(ascii: "b"): out.append(0x08)
                case UInt8(ascii: "f"): out.append(0x0C)
                case UInt8(ascii: "n"): out.append(0x0A)
                case UInt8(ascii: "r"): out.append(0x0D)
                case UInt8(ascii: "t"): out.append(0x09)
                case UInt8(ascii: "u"):
                    var scalar = try hex4()
                    if (0xD800...0xDBFF).contains(scalar) {
                        guard bytes.count - position >= 2, bytes[position] == UInt8(ascii: "\\"), bytes[position + 1] == UInt8(ascii: "u") else {
                            throw failure("lone surrogate in a \\u escape")
                        }
                        position += 2
                        let low = try hex4()
                        guard (0xDC00...0xDFFF).contains(low) else { throw failure("lone surrogate in a \\u escape") }
                        scalar = 0x10000 + ((scalar - 0xD800) << 10) + (low - 0xDC00)
                    } else if (0xDC00...0xDFFF).contains(scalar) {
                        throw failure("lone surrogate in a \\u escape")
                    }
                    guard let unicode = Unicode.Scalar(scalar) else { throw failure("bad \\u escape") }
                    out.append(contentsOf: Array(String(Character(unicode)).utf8))
                default:
                    throw failure("bad escape")
                }
            default:
                guard c >= 0x20 else { throw failure("control character in a string") }
                out.append(c)
            }
        }
    }
}

/// JSON string escaping exactly as `serde_json` writes it (the reference writer's serializer):
/// `"` and `\` escaped, `\b \f \n \r \t` by letter, other control characters as `\u00xx`
/// (lower-case hex), everything else — `/` and non-ASCII included — as is.
func _appendJSONString(_ text: String, to out: inout [UInt8]) {
    let hex = Array("0123456789abcdef".utf8)
    out.append(UInt8(ascii: "\""))
    for c in text.utf8 {
        switch c {
        case UInt8(ascii: "\""): out += [0x5C, 0x22]
        case UInt8(ascii: "\\"): out += [0x5C, 0x5C]
        case 0x08: out += [0x5C, UInt8(ascii: "b")]
        case 0x0C: out += [0x5C, UInt8(ascii: "f")]
        case 0x0A: out += [0x5C, UInt8(ascii: "n")]
        case 0x0D: out += [0x5C, UInt8(ascii: "r")]
        case 0x09: out += [0x5C, UInt8(ascii: "t")]
        case 0..<0x20: out += [0x5C, UInt8(ascii: "u"), 0x30, 0x30, hex[Int(c >> 4)], hex[Int(c & 0xF)]]
        default: out.append(c)
        }
    }
    out.append(UInt8(ascii: "\""))
}
