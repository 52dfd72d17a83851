import Dispatch
import Synchronization
import XCTest
@testable import Runtime

/// The persistent pool behind `_Parallel`: every task of every region runs exactly once, regions
/// follow each other without losing or repeating work, and nested or concurrent callers (which
/// the pool turns away and run inline) still get all their tasks done.
final class WorkerPoolTests: XCTestCase {
    func testEveryTaskRunsExactlyOnceAcrossManyRegions() {
        let pool = _WorkerPool.shared(threads: 3)
        for tasks in [2, 3, 5, 17, 64, 1000] {
            for _ in 0..<200 {
                let counts = UnsafeMutableBufferPointer<Int>.allocate(capacity: tasks)
                counts.initialize(repeating: 0)
                defer { counts.deallocate() }
                pool.run(tasks: tasks) { counts[$0] += 1 }   // each index is touched by one task
                XCTAssertEqual(counts.filter { $0 != 1 }.count, 0, "\(tasks) tasks")
            }
        }
    }

    func testRegionsAfterTheWorkersFellAsleepStillComplete() {
        let pool = _WorkerPool.shared(threads: 2)
        let total = Atomic<Int>(0)
        for _ in 0..<5 {
            usleep(2_000)   // longer than the spin: the worker is on the condition variable
            pool.run(tasks: 8) { _ in total.add(1, ordering: .relaxed) }
        }
        XCTAssertEqual(total.load(ordering: .relaxed), 40)
    }

    func testNestedAndConcurrentCallersRunInline() {
        let parallel = _Parallel(workers: 2, minimumWork: 1)
        let total = Atomic<Int>(0)
        DispatchQueue.concurrentPerform(iterations: 4) { _ in
            for _ in 0..<50 {
                parallel.forEachRange(10, workPerItem: 100) { outer in
                    parallel.forEachRange(10, workPerItem: 100) { inner in
                        total.add(outer.count * inner.count, ordering: .relaxed)
                    }
                }
            }
        }
        XCTAssertEqual(total.load(ordering: .relaxed), 4 * 50 * 100)
    }
}
