import CKernels
#if canImport(Glibc)
import Glibc
#endif

/// The instruction-set level of the C kernels (`Sources/CKernels`): the best the CPU has, capped
/// by `WTOOL_ISA` (`portable`, `avx2`, `avx512`). oneDNN is capped by the same variable.
enum _ISA: Int32, CaseIterable, Sendable {
    case portable = 0, avx2 = 1, avx512 = 2

    var name: String { String(cString: wt_isa_name(rawValue)) }

    /// Whether this CPU can run the level.
    var isSupported: Bool { wt_isa_supported(rawValue) != 0 }

    /// The level in use.
    static var current: _ISA { _ISA(rawValue: wt_isa_current()) ?? .portable }

    /// The level `WTOOL_ISA` asks for, if it names one.
    static var forced: _ISA? {
        guard let value = getenv("WTOOL_ISA") else { return nil }
        return _ISA(rawValue: wt_isa_parse(value))
    }

    /// Uses `level` from now on (tests); false when the CPU cannot run it.
    @discardableResult
    static func force(_ level: _ISA) -> Bool { wt_isa_force(level.rawValue) >= 0 }
}

extension _Epilogue {
    /// This epilogue in the C kernels' form, or nil when its activation is not one they compute
    /// (the Swift loops then run it).
    var cForm: wt_epilogue? {
        var e = wt_epilogue()
        e.bias = bias?.pointer
        e.scale = scale?.pointer
        e.shift = shift?.pointer
        switch activation {
        case .linear: e.activation = Int32(WT_ACT_LINEAR.rawValue)
        case .relu: e.activation = Int32(WT_ACT_RELU.rawValue)
        case .leakyReLU(let alpha):
            e.activation = Int32(WT_ACT_LEAKY.rawValue)
            e.alpha = alpha
        case .clippedReLU(6, 0, 0):
            e.activation = Int32(WT_ACT_CLIP.rawValue)
            e.beta = 6
        default: return nil
        }
        return e
    }
}
