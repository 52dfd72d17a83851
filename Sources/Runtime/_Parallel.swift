/// Splits kernel loops over the cores with a `_WorkerPool` (persistent threads; the caller takes
/// a share). OpenBLAS runs single-threaded inside the tasks (see `_BLAS`), so there is one set of
/// threads. A nested `forEachRange` runs on the calling thread.
struct _Parallel: Sendable {
    /// Number of concurrent tasks for big loops (the core count, or `ExecutorOptions.threads`).
    let workers: Int
    /// Below this many touched floats a loop runs on the calling thread: a dispatch round trip
    /// costs more than the work.
    let minimumWork: Int

    static let serial = _Parallel(workers: 1, minimumWork: .max)

    init(workers: Int, minimumWork: Int) {
        self.workers = max(workers, 1)
        self.minimumWork = minimumWork
        self.pool = _WorkerPool.shared(threads: max(workers, 1))
    }

    private let pool: _WorkerPool

    /// The product of work estimates, saturating instead of trapping (window sizes come from the
    /// graph and are not bounded by any weight).
    static func work(_ factors: Int...) -> Int {
        var total = 1
        for f in factors {
            let (p, overflow) = total.multipliedReportingOverflow(by: max(f, 0))
            if overflow { return .max }
            total = p
        }
        return total
    }

    /// Calls `body` on contiguous sub-ranges covering `0..<count`, concurrently when
    /// `count × workPerItem` is large enough.
    func forEachRange(_ count: Int, workPerItem: Int, _ body: (Range<Int>) -> Void) {
        guard count > 0 else { return }
        let (total, overflow) = count.multipliedReportingOverflow(by: max(workPerItem, 1))
        let byWork = overflow ? Int.max : total / max(minimumWork, 1)
        let tasks = min(count, workers, max(byWork, 1))
        if tasks <= 1 {
            body(0..<count)
            return
        }
        // The ranges are disjoint and `run` returns only when all are done, so the body and the
        // pointers it captures never outlive this call nor race on an element.
        pool.run(tasks: tasks) { task in
            let lower = count * task / tasks
            let upper = count * (task + 1) / tasks
            if lower < upper { body(lower..<upper) }
        }
    }
}
