import Foundation
import SwiftProtobuf

/// A parsed JSON value: Keras configs are open-ended dictionaries, read here with typed accessors
/// that say what was expected where.
enum JSONValue: Equatable {
    case null
    case bool(Bool)
    case number(Double)
    case string(String)
    case array([JSONValue])
    case object([String: JSONValue])

    /// Parses a config with swift-protobuf's JSON parser, through the well-known type `Value`
    /// (null, bool, number, string, list, struct: JSON itself). Foundation's `JSONDecoder` into
    /// this enum can only try one type after another, and each miss costs a thrown
    /// `DecodingError`: ResNet50's 151 KB config took 27.7 ms that way, 3.6 ms this way. Where
    /// swift-protobuf refuses a document (it is stricter: duplicate keys, a byte-order mark, a
    /// trailing comma), `JSONDecoder` decides, so wtool accepts what it accepted before.
    static func parse(_ data: Data) throws -> JSONValue {
        var options = JSONDecodingOptions()
        // Value → Struct → Value … counts two levels per JSON level: 128 levels of JSON (Keras's
        // own configs, nested models included, stay under 20).
        options.messageDepthLimit = 256
        if let value = try? Google_Protobuf_Value(jsonUTF8Bytes: data, options: options) { return JSONValue(value) }
        return try parseWithFoundation(data)
    }

    /// The same parse by Foundation's `JSONDecoder` alone (`parse`'s fallback).
    static func parseWithFoundation(_ data: Data) throws -> JSONValue {
        do {
            return try JSONDecoder().decode(JSONValue.self, from: data)
        } catch {
            throw KerasError.badConfig("the config is not valid JSON")
        }
    }

    private init(_ value: Google_Protobuf_Value) {
        switch value.kind {
        case .nullValue, .none: self = .null
        case .boolValue(let b): self = .bool(b)
        case .numberValue(let n): self = .number(n)
        case .stringValue(let s): self = .string(s)
        case .listValue(let list): self = .array(list.values.map(JSONValue.init))
        case .structValue(let object): self = .object(object.fields.mapValues(JSONValue.init))
        }
    }

    subscript(key: String) -> JSONValue? {
        if case .object(let d) = self { return d[key] }
        return nil
    }

    var string: String? { if case .string(let s) = self { return s }; return nil }
    var array: [JSONValue]? { if case .array(let a) = self { return a }; return nil }
    var object: [String: JSONValue]? { if case .object(let o) = self { return o }; return nil }
    var bool: Bool? { if case .bool(let b) = self { return b }; return nil }
    var isNull: Bool { self == .null }
    var double: Double? { if case .number(let n) = self { return n }; return nil }
    var int: Int? {
        if case .number(let n) = self, n.rounded() == n, abs(n) < 1e15 { return Int(n) }
        return nil
    }
}

/// Typed reads from a layer's `config` dictionary, with errors that name the layer and key.
struct LayerConfig {
    let layer: String
    let values: JSONValue

    func string(_ key: String, default value: String? = nil) throws -> String {
        if let s = values[key]?.string { return s }
        if let value, values[key] == nil || values[key]!.isNull { return value }
        throw KerasError.badConfig("layer '\(layer)': '\(key)' should be a string")
    }

    func int(_ key: String, default value: Int? = nil) throws -> Int {
        if let i = values[key]?.int { return i }
        if let value, values[key] == nil || values[key]!.isNull { return value }
        throw KerasError.badConfig("layer '\(layer)': '\(key)' should be an integer")
    }

    func optionalDouble(_ key: String) throws -> Double? {
        guard let v = values[key], !v.isNull else { return nil }
        guard let d = v.double else { throw KerasError.badConfig("layer '\(layer)': '\(key)' should be a number") }
        return d
    }

    func double(_ key: String, default value: Double) throws -> Double {
        try optionalDouble(key) ?? value
    }

    func bool(_ key: String, default value: Bool) throws -> Bool {
        guard let v = values[key], !v.isNull else { return value }
        guard let b = v.bool else { throw KerasError.badConfig("layer '\(layer)': '\(key)' should be true or false") }
        return b
    }

    /// An int or a list of `count` ints (Keras accepts `3` for `(3, 3)`).
    func ints(_ key: String, count: Int, default value: [Int]? = nil) throws -> [Int] {
        guard let v = values[key], !v.isNull else {
            if let value { return value }
            throw KerasError.badConfig("layer '\(layer)': missing '\(key)'")
        }
        if let i = v.int { return Array(repeating: i, count: count) }
        if let a = v.array, a.count == count, case let ints = a.compactMap(\.int), ints.count == count { return ints }
        throw KerasError.badConfig("layer '\(layer)': '\(key)' should be an integer or \(count) integers")
    }
}

extension JSONValue: Decodable {
    init(from decoder: Swift.Decoder) throws {
        let c = try decoder.singleValueContainer()
        if c.decodeNil() { self = .null }
        else if let b = try? c.decode(Bool.self) { self = .bool(b) }
        else if let n = try? c.decode(Double.self) { self = .number(n) }
        else if let s = try? c.decode(String.self) { self = .string(s) }
        else if let a = try? c.decode([JSONValue].self) { self = .array(a) }
        else { self = .object(try c.decode([String: JSONValue].self)) }
    }
}
