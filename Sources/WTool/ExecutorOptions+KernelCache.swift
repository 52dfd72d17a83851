import FileSupport
import Foundation
import ModelIR
import Runtime

// Where the I/O leaf meets the model code, for the kernel cache. FileSupport imports no model code
// and the runtime knows no file, so the two conformances that connect them are declared here,
// once, in the module that depends on both.

/// A mapping is `PROT_READ` + `MAP_PRIVATE` and never written: its pages may be dropped and
/// re-read, and `sourceIdentity(of:)` names the bytes for kernel-cache keys.
extension MappedFile: FileBackedStorage {}

/// The `.wk` directory store behind ``ExecutorOptions/kernelCache``.
extension DiskKernelCache: KernelStore {}

extension ExecutorOptions {
    /// Options with the kernels kept in `kernelCache` (see ``kernelCache``).
    public init(threads: Int? = nil, convolution: ConvolutionAlgorithm = .auto, kernelCache: URL?) {
        self.init(threads: threads, convolution: convolution)
        self.kernelCache = kernelCache
    }

    /// A directory where Winograd-transformed kernels are kept between processes, so the next
    /// load maps them instead of transforming (VGG16: ~70 ms saved). Entries are keyed by the
    /// file the kernel is read from (device, inode, size, modification time, offset), so a
    /// changed or replaced model file never matches; kernels of graphs built in memory or read
    /// from an already unlinked file are not cached. The least recently used entries are removed
    /// beyond 4 GiB. Nil (the default) transforms at every load and writes nothing. Every entry
    /// carries an XXH64 of its floats, verified each time it is mapped: a damaged one is removed,
    /// transformed again and reported on stderr (`warning: kernel cache entry …`), never used. The
    /// directory is created 0700, and one (or an entry) not owned by you or writable by others is
    /// not used. Setting it sets ``kernelStore`` to that directory's store.
    public var kernelCache: URL? {
        get { (kernelStore as? DiskKernelCache).map { URL(fileURLWithPath: $0.directory) } }
        set { kernelStore = newValue.map { DiskKernelCache(directory: $0.path, warn: KernelCacheCheck.printWarning) } }
    }

    /// The kernel cache directory wtool uses when none is named: `option` if given (`none` for no
    /// cache), else `$WTOOL_KERNEL_CACHE`, else `$XDG_CACHE_HOME/wtool/kernels`, else
    /// `~/.cache/wtool/kernels`; nil when none applies.
    public static func kernelCacheDirectory(option: String?, environment: [String: String]) -> URL? {
        let chosen = option ?? environment["WTOOL_KERNEL_CACHE"].flatMap { $0.isEmpty ? nil : $0 }
        if let chosen { return chosen == "none" ? nil : URL(fileURLWithPath: chosen) }
        if let xdg = environment["XDG_CACHE_HOME"], xdg.hasPrefix("/") {
            return URL(fileURLWithPath: xdg).appendingPathComponent("wtool/kernels")
        }
        guard let home = environment["HOME"], !home.isEmpty else { return nil }
        return URL(fileURLWithPath: home).appendingPathComponent(".cache/wtool/kernels")
    }
}
