import Foundation

/// How far an output is from a reference, the way this project states parity:
///
///     relative error = max |actual − expected| / max |expected|      (over the whole output)
///
/// A single scale for the whole tensor (not per element) is what keeps tiny reference values from
/// inflating the error: an activation map is judged against its own magnitude. The policy floor is
/// 1e-4 and the aim 1e-5 (onnxruntime reaches 2–3e-6 on the same models). The worst element is
/// reported so a failure points somewhere.
public struct ParityMetrics: Sendable, Equatable, CustomStringConvertible {
    public var count: Int
    public var maxAbsoluteError: Double
    /// max|Δ| / max|expected| (0 when both are all zeros).
    public var relativeError: Double
    public var cosineSimilarity: Double
    /// Flat index of the element with the largest |Δ|.
    public var worstIndex: Int
    public var worstActual: Float
    public var worstExpected: Float

    /// Compares two equally long buffers. Non-finite values make the error infinite.
    public init(actual: [Float], expected: [Float]) {
        precondition(actual.count == expected.count, "callers check shapes first")
        count = actual.count
        var maxAbs = 0.0, maxRef = 0.0, dot = 0.0, na = 0.0, ne = 0.0
        var worst = 0
        var finite = true
        for i in 0..<actual.count {
            let a = Double(actual[i]), e = Double(expected[i])
            if !a.isFinite || !e.isFinite {
                // The same infinity, or NaN on both sides, is agreement (ONNX tests check them).
                if a == e || (a.isNaN && e.isNaN) { continue }
                finite = false; worst = i; break
            }
            let d = abs(a - e)
            if d > maxAbs { maxAbs = d; worst = i }
            maxRef = max(maxRef, abs(e))
            dot += a * e; na += a * a; ne += e * e
        }
        if !finite {
            maxAbsoluteError = .infinity
            relativeError = .infinity
            cosineSimilarity = .nan
        } else {
            maxAbsoluteError = maxAbs
            relativeError = maxRef > 0 ? maxAbs / maxRef : (maxAbs > 0 ? .infinity : 0)
            cosineSimilarity = (na > 0 && ne > 0) ? dot / (na.squareRoot() * ne.squareRoot()) : (na == ne ? 1 : 0)
        }
        worstIndex = worst
        worstActual = actual.isEmpty ? 0 : actual[worst]
        worstExpected = expected.isEmpty ? 0 : expected[worst]
    }

    public func passes(tolerance: Double) -> Bool { relativeError <= tolerance }

    public var description: String {
        String(format: "max|Δ| %.3g, rel %.3g, cosine %.9f", maxAbsoluteError, relativeError, cosineSimilarity)
    }
}
