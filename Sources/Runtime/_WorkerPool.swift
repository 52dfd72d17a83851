#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Synchronization

/// Persistent worker threads for `_Parallel`: a parallel region costs about a microsecond instead
/// of `DispatchQueue.concurrentPerform`'s 10–17 µs (measured on this machine: two 5 µs halves
/// took 15 µs through GCD, the second thread starting late). A conv base at batch 1 has a few
/// hundred regions per image (ResNet50: ~340), so this is milliseconds per image.
///
/// The calling thread takes tasks too. Between regions the workers spin for about 50 µs (the
/// gap between two kernels), then sleep on a condition variable, so an idle pool costs nothing.
/// One region at a time: a caller that finds the pool busy (another executor on another thread,
/// or a nested call) runs its tasks itself.
final class _WorkerPool: @unchecked Sendable {
    /// Pools by thread count, created on first use and kept for the process.
    static func shared(threads: Int) -> _WorkerPool {
        registry.withLock { pools in
            if let pool = pools[threads] { return pool }
            let pool = _WorkerPool(threads: threads)
            pools[threads] = pool
            return pool
        }
    }
    private static let registry = Mutex<[Int: _WorkerPool]>([:])

    /// Threads including the caller.
    let threads: Int

    private let busy = Atomic<Bool>(false)
    /// Bumped (releasing) when a region starts; sleeping or spinning workers wake on a change.
    private let generation = Atomic<Int>(0)
    /// The current region's tasks: `generation << 32 | taskCount << 16 | next task`. A worker
    /// claims a task with a compare-and-swap that also checks the generation and the count, so a
    /// late worker can never take a task of a region it has not seen, nor one that is not there.
    private let ticket = Atomic<Int>(0)
    private let unfinished = Atomic<Int>(0)
    private let sleepers = Atomic<Int>(0)
    /// The current region's body: written before `ticket` is published, read only by a thread
    /// holding a claimed task (the region cannot end, so it cannot change, before that task does).
    private var body: ((Int) -> Void)?

    private let mutex = UnsafeMutablePointer<pthread_mutex_t>.allocate(capacity: 1)
    private let condition = UnsafeMutablePointer<pthread_cond_t>.allocate(capacity: 1)

    /// How long a worker spins before it sleeps, in nanoseconds. Timed with the monotonic clock
    /// (read every 256 spins), not counted in iterations: the 20,000 loads meant as ~50 µs took
    /// 8.4 µs on an AVX-512 EPYC, shorter than the gaps between a small model's kernels, so the
    /// workers slept and each region paid a futex wake-up (MobileNetV2 at batch 1: 10-20% of its
    /// time; 50, 150 and 10 µs measured, 50 kept).
    private static let spinNanoseconds: UInt64 = 50_000

    private static func monotonicNanoseconds() -> UInt64 {
        var now = timespec()
        clock_gettime(CLOCK_MONOTONIC, &now)
        return UInt64(now.tv_sec) &* 1_000_000_000 &+ UInt64(now.tv_nsec)
    }

    private init(threads: Int) {
        self.threads = max(threads, 1)
        pthread_mutex_init(mutex, nil)
        pthread_cond_init(condition, nil)
        for _ in 1..<self.threads {
            let context = Unmanaged.passRetained(self).toOpaque()
            var thread = pthread_t()
            let started = pthread_create(&thread, nil, { raw in
                let pool = Unmanaged<_WorkerPool>.fromOpaque(raw!).takeRetainedValue()
                pool.workerLoop()
                return nil
            }, context)
            if started == 0 { pthread_detach(thread) } else { Unmanaged<_WorkerPool>.fromOpaque(context).release() }
        }
    }

    /// Calls `body(i)` for every `i` in `0..<tasks`, spread over the pool's threads and the
    /// caller; returns when all have finished.
    func run(tasks: Int, _ body: (Int) -> Void) {
        guard tasks > 1, tasks < 1 << 16, threads > 1,
              busy.compareExchange(expected: false, desired: true, ordering: .acquiring).exchanged else {
            for i in 0..<tasks { body(i) }
            return
        }
        withoutActuallyEscaping(body) { body in
            self.body = body
            unfinished.store(tasks, ordering: .relaxed)
            let next = generation.load(ordering: .relaxed) + 1
            ticket.store((next & 0x7fff_ffff) << 32 | tasks << 16, ordering: .releasing)
            generation.store(next, ordering: .sequentiallyConsistent)   // pairs with a sleeper's check
            if sleepers.load(ordering: .sequentiallyConsistent) > 0 {
                pthread_mutex_lock(mutex)
                pthread_cond_broadcast(condition)
                pthread_mutex_unlock(mutex)
            }
            work(generation: next)
            // Workers may still be finishing the tasks they took.
            while unfinished.load(ordering: .acquiring) > 0 {}
            self.body = nil
        }
        busy.store(false, ordering: .releasing)
    }

    /// Claims and runs tasks of region `generation` until none are left.
    private func work(generation: Int) {
        let tag = (generation & 0x7fff_ffff) << 32
        var t = ticket.load(ordering: .acquiring)
        while true {
            let count = (t >> 16) & 0xffff, index = t & 0xffff
            guard t & ~0xffff_ffff == tag, index < count else { return }
            let (exchanged, original) = ticket.compareExchange(expected: t, desired: t + 1, ordering: .acquiring)
            guard exchanged else { t = original; continue }
            body?(index)
            unfinished.subtract(1, ordering: .releasing)
            t = ticket.load(ordering: .acquiring)
        }
    }

    private func workerLoop() {
        var seen = generation.load(ordering: .acquiring)
        while true {
            var current = generation.load(ordering: .acquiring)
            if current == seen {
                let deadline = Self.monotonicNanoseconds() &+ Self.spinNanoseconds
                var spins = 0
                while current == seen {
                    spins &+= 1
                    if spins & 255 == 0, Self.monotonicNanoseconds() >= deadline { break }
                    current = generation.load(ordering: .acquiring)
                }
            }
            if current == seen {
                pthread_mutex_lock(mutex)
                sleepers.add(1, ordering: .sequentiallyConsistent)
                current = generation.load(ordering: .sequentiallyConsistent)
                while current == seen {
                    pthread_cond_wait(condition, mutex)
                    current = generation.load(ordering: .acquiring)
                }
                sleepers.subtract(1, ordering: .relaxed)
                pthread_mutex_unlock(mutex)
            }
            seen = current
            // A late worker finds the region's tasks all taken, or a newer generation in the
            // ticket, and goes back to waiting.
            work(generation: current)
        }
    }
}
