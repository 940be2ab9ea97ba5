import Dispatch
import Foundation

/// The batches of one announced pass (`DataPass`), read by a background thread into a
/// ring of `slots` buffers ahead of the caller, who takes them in order (`take`).
///
/// Memory is `slots` batches of raw Float32 samples, whatever the data set's size. Slot
/// b % slots holds batch b: the reader waits until it is free, reads, and signals it
/// ready; `take` waits until it is ready, copies it out and frees it. A `take` of indices
/// other than the next announced batch's returns false (the caller reads them itself).
final class ReadAhead: @unchecked Sendable {
    private let pass: DataPass
    private let sampleSize: Int
    private let buffers: [UnsafeMutablePointer<Float>]
    /// Slot s may be (re)filled. (Created at 0 and signalled, as `AugmentedBatches` does, so a
    /// stopped pass never disposes of a semaphore below its initial value.)
    private let free: [DispatchSemaphore]
    private let ready: [DispatchSemaphore]
    private let done = DispatchSemaphore(value: 0)
    private let lock = NSLock()
    private var cancelled = false
    private var stopped = false
    /// The next batch `take` expects.
    private var next = 0

    /// Starts reading `pass`'s batches with `read(indices, into)` on a background thread.
    init(
        pass: DataPass, sampleSize: Int, slots: Int,
        read: @escaping (UnsafeBufferPointer<Int32>, UnsafeMutablePointer<Float>) -> Void
    ) {
        self.pass = pass
        self.sampleSize = sampleSize
        let rows = (0..<pass.batches).reduce(0) { max($0, pass.rows($1).count) }
        buffers = (0..<slots).map { _ in .allocate(capacity: max(rows * sampleSize, 1)) }
        free = (0..<slots).map { _ in DispatchSemaphore(value: 0) }
        ready = (0..<slots).map { _ in DispatchSemaphore(value: 0) }
        for s in free { s.signal() }
        let thread = Thread { [self] in
            defer { done.signal() }
            for b in 0..<pass.batches {
                let slot = b % buffers.count
                free[slot].wait()
                if isCancelled { return }
                read(pass.indices(b), buffers[slot])
                ready[slot].signal()
            }
        }
        thread.name = "nnreg-read-ahead"
        thread.start()
    }

    deinit {
        stop()
        for b in buffers { b.deallocate() }
    }

    private var isCancelled: Bool {
        lock.lock()
        defer { lock.unlock() }
        return cancelled
    }

    /// Copies the next announced batch into dst (rows x sampleSize) when `indices` are its
    /// indices; false otherwise (nothing is copied).
    func take(_ indices: UnsafeBufferPointer<Int32>, into dst: UnsafeMutablePointer<Float>) -> Bool {
        guard next < pass.batches else { return false }
        let expected = pass.indices(next)
        guard expected.baseAddress == indices.baseAddress && expected.count == indices.count else { return false }
        let slot = next % buffers.count
        ready[slot].wait()
        dst.update(from: buffers[slot], count: indices.count * sampleSize)
        free[slot].signal()
        next += 1
        return true
    }

    /// Stops the reader thread and waits for it (idempotent).
    func stop() {
        lock.lock()
        let already = stopped
        stopped = true
        cancelled = true
        lock.unlock()
        guard !already else { return }
        for s in free { s.signal() }
        done.wait()
    }
}
