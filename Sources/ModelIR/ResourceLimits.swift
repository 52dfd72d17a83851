import Foundation

/// Limits that keep a hostile model from committing unbounded memory or time before anything
/// useful happens: readers check them while parsing, before building what a count asks for.
///
/// Process-wide: a program sets them once (wtool from `--max-nodes`, ``current``) and every
/// reader in the process sees them. The defaults leave room for real models — the largest ONNX
/// exports of transformer LLMs have 10–40 thousand nodes — and refuse the 10⁵-node bombs.
/// README's "Limits" table lists them with the flags that raise them.
public struct ResourceLimits: Sendable, Equatable {
    /// Nodes a graph may have (ONNX nodes with those of nested subgraphs, Keras layers, `.swm`
    /// graph nodes). `--max-nodes`.
    public var maxNodes = 100_000
    /// Attributes one ONNX node may carry (real ops have fewer than 30).
    public var maxAttributesPerNode = 1_000

    public init() {}

    /// The limits in force in this process.
    public static var current: ResourceLimits {
        get { storage.lock.withLock { storage.value } }
        set { storage.lock.withLock { storage.value = newValue } }
    }

    private final class Storage: @unchecked Sendable {
        let lock = NSLock()
        var value = ResourceLimits()
    }
    private static let storage = Storage()

    /// Throws when `count` nodes are over ``maxNodes``.
    /// - Parameter what: what is counted, for the message ("ONNX nodes", "Keras layers").
    public func checkNodes(_ count: Int, what: String = "nodes") throws {
        guard count <= maxNodes else {
            throw ModelIRError.limitExceeded(detail: "the graph has \(count) \(what), over the limit of \(maxNodes) (raise it with --max-nodes)")
        }
    }
}
