import XCTest
import Synchronization

@testable import NNReg

final class ParallelTests: XCTestCase {
    /// Shards cover 0..<n contiguously, in order, sizes differing by at most 1.
    func testShardsCoverTheRangeInOrder() {
        for n in 0..<20 {
            for shards in 1...4 {
                let ranges = (0..<shards).map { Parallel.shard($0, of: shards, count: n) }
                XCTAssertEqual(ranges.first?.lowerBound, 0)
                XCTAssertEqual(ranges.last?.upperBound, n)
                for (a, b) in zip(ranges, ranges.dropFirst()) { XCTAssertEqual(a.upperBound, b.lowerBound) }
                XCTAssertLessThanOrEqual(ranges.map(\.count).max()! - ranges.map(\.count).min()!, 1)
            }
        }
    }

    /// Every shard of every job runs exactly once, and the job has finished when `run`
    /// returns: 5,000 jobs of 1-4 shards, back to back (the workers spin between them),
    /// then after a pause long enough for them to fall asleep.
    func testEveryShardRunsOnceBeforeRunReturns() {
        let pool = WorkerPool()
        let counts = UnsafeMutableBufferPointer<Int>.allocate(capacity: 4)
        defer { counts.deallocate() }
        func check(_ job: Int) {
            let shards = job % 4 + 1
            counts.initialize(repeating: 0)
            pool.run(shards: shards) { s in counts[s] += 1 }
            XCTAssertEqual(Array(counts), (0..<4).map { $0 < shards ? 1 : 0 }, "job \(job)")
        }
        for job in 0..<5_000 { check(job) }
        Thread.sleep(forTimeInterval: 0.2)
        for job in 0..<100 { check(job) }
    }

    /// A `run` inside a shard (a nested job) runs its shards on the calling thread.
    func testNestedRunRunsSerially() {
        let pool = WorkerPool()
        let total = Atomic<Int>(0)
        pool.run(shards: 2) { _ in
            pool.run(shards: 3) { s in total.add(s + 1, ordering: .relaxed) }
        }
        XCTAssertEqual(total.load(ordering: .relaxed), 12)
    }
}
