import Foundation

/// The worker threads of the training step.
///
/// nnreg does its own threading and keeps OpenBLAS single-threaded: layers split their
/// work into one contiguous shard per thread (a batch's samples or rows, or a kernel's
/// columns) and run every shard's products, copies and elementwise passes on its own
/// thread. Measured on 2 cores, OpenBLAS's own threads spent about a quarter of the CNN
/// step waiting for the next product (`sched_yield`) while im2col, pooling and the
/// elementwise passes ran on one core. Shards depend only on the thread count, so the same
/// count gives bit-identical results.
public enum Parallel {
    /// The worker count (default: all cores).
    nonisolated(unsafe) public private(set) static var threads = ProcessInfo.processInfo.activeProcessorCount

    private static let pool = WorkerPool()

    /// Sets the worker count, and makes OpenBLAS single-threaded.
    public static func setThreads(_ n: Int) {
        threads = max(1, n)
        BLAS.setThreads(1)
    }

    /// How many shards `n` items split into: one per thread, at most `n`.
    static func shards(_ n: Int) -> Int { max(1, min(threads, n)) }

    /// Shard `s` of `shards` contiguous shards of 0..<n (sizes differ by at most 1).
    static func shard(_ s: Int, of shards: Int, count n: Int) -> Range<Int> {
        (n * s / shards)..<(n * (s + 1) / shards)
    }

    /// Calls `body(s)` for s in 0..<shards, one thread each, with OpenBLAS single-threaded
    /// meanwhile. Returns when all have finished.
    static func run(shards: Int, _ body: (Int) -> Void) {
        guard shards > 1 else { return body(0) }
        let blasThreads = BLAS.threads
        if blasThreads != 1 { BLAS.setThreads(1) }
        pool.run(shards: shards, body)
        if blasThreads != 1 { BLAS.setThreads(blasThreads) }
    }

    /// Calls `body(range)` for each shard of 0..<n, one thread each, in shards of at
    /// least `grain` items (one shard when n < 2 * grain).
    static func forEachShard(of n: Int, grain: Int = 1, _ body: (Range<Int>) -> Void) {
        let shards = shards(n / grain)
        run(shards: shards) { s in body(shard(s, of: shards, count: n)) }
    }

    /// Calls `body(s)` for every sample s of a batch of `n`, one shard of samples per thread;
    /// each sample's output must be its own.
    static func forEachSample(_ n: Int, _ body: (Int) -> Void) {
        forEachShard(of: n) { samples in
            for s in samples { body(s) }
        }
    }
}
