import Foundation
import ModelIR
@testable import ONNXFormat
import XCTest

/// Helpers shared by the tests: reading bytes, the reference evaluator, tolerances.
enum T {
    static func read(_ b: ModelBuilder) throws -> Graph {
        try b.bytes().withUnsafeBytes { try ONNXReader.read(bytes: $0) }
    }

    static func read(_ bytes: [UInt8]) throws -> Graph {
        try bytes.withUnsafeBytes { try ONNXReader.read(bytes: $0) }
    }

    /// `graph.evaluate`: the reference evaluator runs every op the importer maps, so a failure
    /// here is a failure of the test.
    static func evaluate(_ graph: Graph, _ inputs: [String: Tensor], outputs: [String]? = nil) throws -> [String: Tensor] {
        try graph.evaluate(inputs: inputs, outputs: outputs)
    }

    /// max |a − b| / max(max |b|, tiny).
    static func relative(_ a: [Float], _ b: [Float]) -> Float {
        guard a.count == b.count else { return .infinity }
        let scale = max(b.map(abs).max() ?? 0, 1e-30)
        return (zip(a, b).map { abs($0 - $1) }.max() ?? 0) / scale
    }

    /// Serializes, writes and reads back.
    static func roundTrip(_ graph: Graph, _ writer: ONNXWriter = ONNXWriter()) throws -> Graph {
        try writer.serialize(graph).withUnsafeBytes { try ONNXReader.read(bytes: $0) }
    }

    static func random(_ count: Int, _ seed: UInt64, scale: Float = 0.5) -> [Float] {
        TestSupport.randomFloats(count, seed: seed, scale: scale)
    }
}

import _TestSupport
