import Foundation

/// OpenBLAS starts a worker thread per extra core while it is loaded, before `main`, and each one
/// spins in `sched_yield` for its first ~0.1 s (2^28 TSC cycles, OpenBLAS's THREAD_TIMEOUT) waiting
/// for work. Commands that never multiply matrices stop them at once: on a VGG16 convert through
/// the isolated child, the parent's spinning worker competed with the child for the two cores.
/// OpenBLAS restarts its workers by itself if a BLAS call comes later (`exec_blas` re-runs
/// `blas_thread_init`, as after a fork), so this is safe anywhere.
enum BLASThreads {
    static func stopIdleWorkers() {
        // dlsym: a build without OpenBLAS's thread server lacks the symbol and is left alone.
        guard let shutdown = dlsym(nil, "blas_thread_shutdown_") else { return }
        typealias Entry = @convention(c) () -> Int32
        _ = unsafeBitCast(shutdown, to: Entry.self)()
    }
}
