import CBLAS
import Foundation

/// Makes OpenBLAS use the kernels the CPU supports when its own detection fails.
///
/// Debian's OpenBLAS 0.3.21 is built with `DYNAMIC_ARCH` and picks its kernels from the CPU model
/// number at load time. CPUs newer than the library (Emerald Rapids, model 207, on the
/// development machine) are unknown to it, and it falls back to the SSE3 "Prescott" kernels: SGEMM
/// runs 5–8× slower than with its AVX-512 "SkylakeX" kernels. OpenBLAS only looks at
/// `OPENBLAS_CORETYPE` while initialising, before any Swift code runs, so when the detected core is
/// the fallback, this sets that variable from the CPU's feature flags and re-runs OpenBLAS's
/// exported `gotoblas_dynamic_init` (found with `dlsym`; a build without dynamic dispatch lacks it
/// and is left alone). The variable is restored afterwards. It runs once per process, when the
/// first executor is created, before this runtime makes any BLAS call. A user's own
/// `OPENBLAS_CORETYPE` always wins.
enum _BLASCore {
    /// OpenBLAS's kernel family after the check, e.g. `SkylakeX`.
    static let name: String = configure()

    static var current: String {
        guard let p = openblas_get_corename() else { return "unknown" }
        return String(cString: p)
    }

    private static func configure() -> String {
        let detected = current
        let environment = ProcessInfo.processInfo.environment
        guard environment["OPENBLAS_CORETYPE"] == nil, ["Prescott", "Core2", "Penryn", "Nehalem"].contains(detected),
              let target = bestCore(flags: cpuFlags()), target != detected,
              let initialise = dlsym(nil, "gotoblas_dynamic_init"), let quit = dlsym(nil, "gotoblas_dynamic_quit")
        else { return detected }
        typealias Entry = @convention(c) () -> Void
        setenv("OPENBLAS_CORETYPE", target, 1)
        unsafeBitCast(quit, to: Entry.self)()
        unsafeBitCast(initialise, to: Entry.self)()
        unsetenv("OPENBLAS_CORETYPE")
        return current
    }

    /// The best OpenBLAS x86-64 kernel family for these `/proc/cpuinfo` flags, if better than SSE3.
    static func bestCore(flags: Set<String>) -> String? {
        if flags.isSuperset(of: ["avx512f", "avx512bw", "avx512vl", "avx512dq", "avx512cd"]) { return "SkylakeX" }
        if flags.isSuperset(of: ["avx2", "fma"]) { return "Haswell" }
        return nil
    }

    /// The CPU feature flags the kernel reports (it hides those the OS has not enabled).
    private static func cpuFlags() -> Set<String> {
        #if os(Linux) && arch(x86_64)
        guard let text = try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8),
              let line = text.split(separator: "\n").first(where: { $0.hasPrefix("flags") }),
              let colon = line.firstIndex(of: ":") else { return [] }
        return Set(line[line.index(after: colon)...].split(separator: " ").map(String.init))
        #else
        return []
        #endif
    }
}
