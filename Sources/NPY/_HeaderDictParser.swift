/// A value in the `.npy` header dictionary. Only the literal forms NumPy writes are accepted.
enum _HeaderValue: Equatable {
    case string(String)
    case bool(Bool)
    /// Integer entries as written (optional `-`, digits), converted and range-checked later so
    /// that the error can say which shape entry is wrong.
    case tuple([String])
    /// A bracketed list, i.e. a structured dtype `descr`; kept as text for the error message.
    case list(String)
}

struct _HeaderSyntaxError: Error {
    var reason: String
}

/// A strict parser for the Python dict literal in a `.npy` header, e.g.
/// `{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }` followed by space padding and
/// a newline. It accepts exactly the subset `ast.literal_eval` would need for NumPy's own output
/// (quoted keys, strings without escapes, `True`/`False`, tuples of decimal integers with an
/// optional Python 2 `L` suffix) and rejects everything else, so hostile headers cannot make it
/// do more than one linear pass over at most ``NPYHeader/maxHeaderLength`` bytes.
struct _HeaderDictParser {
    private let bytes: [UInt8]
    private var index = 0

    init(_ bytes: [UInt8]) {
        self.bytes = bytes
    }

    /// Parses the whole text; returns the entries in file order.
    mutating func parse() throws(_HeaderSyntaxError) -> [(key: String, value: _HeaderValue)] {
        skipWhitespace()
        try expect(UInt8(ascii: "{"))
        var entries: [(key: String, value: _HeaderValue)] = []
        skipWhitespace()
        if peek() == UInt8(ascii: "}") {
            index += 1
        } else {
            while true {
                let key = try parseString()
                skipWhitespace()
                try expect(UInt8(ascii: ":"))
                skipWhitespace()
                let value = try parseValue()
                entries.append((key, value))
                skipWhitespace()
                guard let next = peek() else { throw fail("unterminated dictionary") }
                index += 1
                if next == UInt8(ascii: "}") { break }
                guard next == UInt8(ascii: ",") else { throw fail("expected ',' or '}'", at: index - 1) }
                skipWhitespace()
                if peek() == UInt8(ascii: "}") {
                    index += 1
                    break
                }
            }
        }
        skipWhitespace()
        guard index == bytes.count else { throw fail("unexpected text after the dictionary") }
        return entries
    }

    private func peek() -> UInt8? {
        index < bytes.count ? bytes[index] : nil
    }

    private func fail(_ reason: String, at offset: Int? = nil) -> _HeaderSyntaxError {
        _HeaderSyntaxError(reason: "\(reason) at offset \(offset ?? index)")
    }

    private mutating func skipWhitespace() {
        while let byte = peek(), byte == 0x20 || byte == 0x09 || byte == 0x0A || byte == 0x0D {
            index += 1
        }
    }

    private mutating func expect(_ byte: UInt8) throws(_HeaderSyntaxError) {
        guard peek() == byte else {
            throw fail("expected '\(Character(Unicode.Scalar(byte)))'")
        }
        index += 1
    }

    private mutating func parseValue() throws(_HeaderSyntaxError) -> _HeaderValue {
        switch peek() {
        case UInt8(ascii: "'"), UInt8(ascii: "\""):
            return .string(try parseString())
        case UInt8(ascii: "("):
            return .tuple(try parseTuple())
        case UInt8(ascii: "["):
            return .list(try skipList())
        case UInt8(ascii: "T"), UInt8(ascii: "F"):
            if consume("True") { return .bool(true) }
            if consume("False") { return .bool(false) }
            throw fail("expected True or False")
        case nil:
            throw fail("missing value")
        default:
            throw fail("unsupported value")
        }
    }

    private mutating func consume(_ word: String) -> Bool {
        let literal = Array(word.utf8)
        let count = literal.count
        guard bytes.count - index >= count, bytes[index..<(index + count)].elementsEqual(literal) else {
            return false
        }
        // `Truex` is a name, not the literal.
        let end = index + count
        if end < bytes.count, Self.isIdentifierByte(bytes[end]) { return false }
        index = end
        return true
    }

    private static func isIdentifierByte(_ byte: UInt8) -> Bool {
        (byte >= 0x30 && byte <= 0x39) || (byte >= 0x41 && byte <= 0x5A) || (byte >= 0x61 && byte <= 0x7A) || byte == 0x5F
    }

    private mutating func parseString() throws(_HeaderSyntaxError) -> String {
        guard let quote = peek(), quote == UInt8(ascii: "'") || quote == UInt8(ascii: "\"") else {
            throw fail("expected a quoted string")
        }
        let start = index
        index += 1
        let contentStart = index
        while let byte = peek() {
            if byte == quote {
                let text = String(decoding: bytes[contentStart..<index], as: UTF8.self)
                index += 1
                return text
            }
            if byte == UInt8(ascii: "\\") { throw fail("escape sequences are not supported") }
            if byte == 0x0A || byte == 0x0D { throw fail("line break inside a string") }
            index += 1
        }
        throw fail("unterminated string", at: start)
    }

    private mutating func parseTuple() throws(_HeaderSyntaxError) -> [String] {
        let start = index
        try expect(UInt8(ascii: "("))
        skipWhitespace()
        var items: [String] = []
        if peek() == UInt8(ascii: ")") {
            index += 1
            return items
        }
        while true {
            items.append(try parseInteger())
            skipWhitespace()
            guard let next = peek() else { throw fail("unterminated tuple", at: start) }
            index += 1
            if next == UInt8(ascii: ")") {
                // `(3)` is the integer 3 in Python, not a tuple.
                if items.count == 1 { throw fail("'(\(items[0]))' is not a tuple (a 1-tuple needs a trailing comma)", at: start) }
                return items
            }
            guard next == UInt8(ascii: ",") else { throw fail("expected ',' or ')'", at: index - 1) }
            skipWhitespace()
            if peek() == UInt8(ascii: ")") {
                index += 1
                return items
            }
        }
    }

    private mutating func parseInteger() throws(_HeaderSyntaxError) -> String {
        let start = index
        if peek() == UInt8(ascii: "-") { index += 1 }
        let digitsStart = index
        while let byte = peek(), byte >= 0x30, byte <= 0x39 { index += 1 }
        let digitCount = index - digitsStart
        guard digitCount > 0 else { throw fail("expected an integer") }
        if digitCount > 1, bytes[digitsStart] == UInt8(ascii: "0") {
            throw fail("integer with a leading zero", at: digitsStart)
        }
        let text = String(decoding: bytes[start..<index], as: UTF8.self)
        // Python 2 wrote longs as `3L`; NumPy still reads such headers.
        if peek() == UInt8(ascii: "L") { index += 1 }
        if let byte = peek(), Self.isIdentifierByte(byte) { throw fail("unexpected character after an integer") }
        return text
    }

    /// Skips a bracketed list (balanced brackets, quoted strings honoured) and returns its text.
    private mutating func skipList() throws(_HeaderSyntaxError) -> String {
        let start = index
        var depth = 0
        while let byte = peek() {
            switch byte {
            case UInt8(ascii: "["), UInt8(ascii: "("):
                depth += 1
                index += 1
            case UInt8(ascii: "]"), UInt8(ascii: ")"):
                depth -= 1
                index += 1
                if depth == 0 { return String(decoding: bytes[start..<index], as: UTF8.self) }
            case UInt8(ascii: "'"), UInt8(ascii: "\""):
                _ = try parseString()
            default:
                index += 1
            }
        }
        throw fail("unterminated list", at: start)
    }
}
