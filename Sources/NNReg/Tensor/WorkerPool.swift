import Foundation
import Synchronization

/// Persistent worker threads that run shards 1..<n of a job while the calling thread
/// runs shard 0; `Parallel.run` posts the training step's jobs through it.
///
/// The step posts jobs tens of microseconds apart, too short for GCD, whose workers were
/// measured waking too late to take their share (the caller ran most shards itself). So a
/// worker spins on the job counter for a while after each job, then sleeps on a condition
/// variable. The job counter and the shard count share one atomic word, so a worker always
/// sees a job's shard count with its number; the caller waits (spinning) until the shards
/// it handed out are done, so a job's body never outlives its call.
final class WorkerPool: @unchecked Sendable {
    /// (jobs posted << 16) | shards of the latest job.
    private let posted = Atomic<Int>(0)
    /// Shards of the current job that workers have not finished.
    private let pending = Atomic<Int>(0)
    /// A job is running (a nested or concurrent `run` runs its shards serially instead).
    private let busy = Atomic<Bool>(false)
    private let sleep = NSCondition()
    /// The current job; read only by the workers it involves, while the caller waits.
    private var job: ((Int) -> Void)?
    private var workers = 0
    /// Job-counter loads a worker spins for before sleeping (a few hundred microseconds:
    /// long enough to span the serial work between two jobs of a training step).
    private static let spins = 1 << 18

    /// Calls `body(s)` for s in 0..<shards, shard 0 on the calling thread and shard s on
    /// worker s; returns when all have finished.
    func run(shards: Int, _ body: (Int) -> Void) {
        guard shards > 1, shards < 1 << 16,
            busy.compareExchange(expected: false, desired: true, ordering: .acquiring).exchanged
        else {
            for s in 0..<shards { body(s) }
            return
        }
        while workers < shards - 1 {
            workers += 1
            let index = workers
            Thread { self.work(index) }.start()  // runs for the life of the process, holding the pool
        }
        withoutActuallyEscaping(body) { body in
            job = body
            pending.store(shards - 1, ordering: .relaxed)
            sleep.lock()
            let number = posted.load(ordering: .relaxed) >> 16 + 1
            posted.store(number << 16 | shards, ordering: .releasing)
            sleep.broadcast()
            sleep.unlock()
            body(0)
            // Spin for the other shards; yield the core if that takes long (another
            // process may hold it, with one of the workers waiting for it).
            var spun = 0
            while pending.load(ordering: .acquiring) > 0 {
                spun += 1
                if spun >= WorkerPool.spins { sched_yield() }
            }
            job = nil
        }
        busy.store(false, ordering: .releasing)
    }

    /// Worker `index`'s loop: wait for a job newer than the last one seen; run shard
    /// `index` when the job has that many shards.
    private func work(_ index: Int) {
        var seen = 0
        while true {
            var state = posted.load(ordering: .acquiring), spun = 0
            while state >> 16 == seen >> 16 {
                spun += 1
                if spun >= WorkerPool.spins {
                    sleep.lock()
                    while posted.load(ordering: .acquiring) >> 16 == seen >> 16 { sleep.wait() }
                    sleep.unlock()
                }
                state = posted.load(ordering: .acquiring)
            }
            seen = state
            if index < state & 0xFFFF {
                job!(index)
                pending.subtract(1, ordering: .releasing)
            }
        }
    }
}
