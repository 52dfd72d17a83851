import Dispatch

/// Splits non-BLAS kernel loops over the cores with `DispatchQueue.concurrentPerform`.
///
/// BLAS calls never run inside `forEachRange`: OpenBLAS has its own threads, and nesting the two
/// would put four busy threads on two cores.
struct _Parallel: Sendable {
    /// Number of concurrent tasks for big loops (the core count, or `ExecutorOptions.threads`).
    let workers: Int
    /// Below this many touched floats a loop runs on the calling thread: a dispatch round trip
    /// costs more than the work.
    let minimumWork: Int

    static let serial = _Parallel(workers: 1, minimumWork: .max)

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
        // The ranges are disjoint and `concurrentPerform` returns only when all are done, so the
        // body and the pointers it captures never outlive this call nor race on an element.
        withoutActuallyEscaping(body) { body in
            let shared = _UncheckedSendable(body)
            DispatchQueue.concurrentPerform(iterations: tasks) { task in
                let lower = count * task / tasks
                let upper = count * (task + 1) / tasks
                if lower < upper { shared.value(lower..<upper) }
            }
        }
    }
}

/// Hands a value to `concurrentPerform`'s `@Sendable` closure; see `forEachRange` for why it is safe.
private struct _UncheckedSendable<Value>: @unchecked Sendable {
    let value: Value
    init(_ value: Value) { self.value = value }
}
