import Dispatch

/// The worker threads of the training step.
///
/// OpenBLAS splits one product over its own threads; the layers whose work is mostly
/// outside sgemm (conv2d's im2col and col2im, pooling) instead split the batch into
/// `threads` contiguous shards and run one shard per thread, each calling a
/// single-threaded OpenBLAS. No thread then waits for another product to start, and the
/// memory-bound passes run on every core. Shards and their order depend only on the
/// thread count, so the same count gives bit-identical results.
public enum Parallel {
    /// The worker count: OpenBLAS's thread count (`BLAS.setThreads`), 1 inside `run`.
    public static var threads: Int { BLAS.threads }

    /// How many shards a batch of `n` samples splits into: one per thread, at most `n`.
    static func shards(batch n: Int) -> Int { max(1, min(threads, n)) }

    /// Shard `s` of `shards` contiguous shards of 0..<n (sizes differ by at most 1).
    static func shard(_ s: Int, of shards: Int, count n: Int) -> Range<Int> {
        (n * s / shards)..<(n * (s + 1) / shards)
    }

    /// Calls `body(s)` for s in 0..<shards, one thread each, with OpenBLAS single-threaded
    /// meanwhile. Returns when all have finished.
    static func run(shards: Int, _ body: (Int) -> Void) {
        guard shards > 1 else { return body(0) }
        let blasThreads = BLAS.threads
        BLAS.setThreads(1)
        DispatchQueue.concurrentPerform(iterations: shards, execute: body)
        BLAS.setThreads(blasThreads)
    }

    /// Calls `body(s)` for every sample s of a batch of `n`, one shard of samples per thread
    /// (OpenBLAS single-threaded meanwhile); each sample's output must be its own.
    static func forEachSample(_ n: Int, _ body: (Int) -> Void) {
        let shards = shards(batch: n)
        run(shards: shards) { k in
            for s in shard(k, of: shards, count: n) { body(s) }
        }
    }
}
