import Dispatch
import Foundation

/// Augmented training batches, each prepared on a background thread while the trainer
/// runs the step before it.
///
/// A batch is: rows order[b * batchSize ..< ...] of a source's x (N, H, W, C) (or flat rows
/// read as images of `imageShape`) and y (N, K), or this rank's `share` of them under mpirun,
/// filled into a preallocated slot by the source (`DataSource.fill`: compact samples made
/// Float32 and normalized), each image augmented (`Augmenter.augment`: draw, apply,
/// standardize), then `Augmenter.mix` on inputs and targets. Each image draws from a
/// generator keyed by (seed, epoch, its sample) (`SampleKeys`), the mix from
/// `RNG(seed: seed, stream: AugmentedBatches.stream(epoch: e, batch: b))`,
/// so batches do not depend on timing, threads, ranks, or on which batches were made before:
/// the background path and `prepare` give the same bits.
///
/// Double buffering: two slots and, per slot, a "free" and a "ready" semaphore. The worker
/// fills slot b % 2 once it is free and signals it ready; the caller's `body` uses slot
/// b % 2 while the worker fills the other. After the first batch of a size has been seen,
/// nothing allocates per batch (the worker thread and semaphores are made once per epoch).
public final class AugmentedBatches {
    /// The images and targets batches are drawn from.
    public let source: DataSource
    public let batchSize: Int
    public let seed: UInt64
    /// [H, W, C] of each row of x.
    public let imageShape: [Int]
    /// The rows of a batch (global rows start..<end) this process computes: all of them,
    /// or under mpirun the rank's share (`Communicator.share`), set by the trainer.
    public var share: (Range<Int>) -> Range<Int> = { $0 }
    public private(set) var augmenter: Augmenter
    /// Two (x, y) slots of batchSize rows.
    private let slots: [(x: Tensor, y: Tensor)]
    /// The worker's scratch (the caller's, in `prepare`).
    private let workspace = AugmentationWorkspace()

    /// The source's samples are (H, W, C), or flat rows (D) with `imageShape` [H, W, C]
    /// (e.g. a CSV of pixels); the batches keep the source's shape. Fits `augmenter` on the
    /// source first when it needs featurewise statistics and has none for this image shape
    /// (Keras: datagen.fit(x_train)).
    public init(source: DataSource, batchSize: Int, augmenter: Augmenter, seed: UInt64, imageShape: [Int]? = nil) {
        let probe = Tensor(shape: [1] + source.sampleShape)
        let (h, w, c) = Augmenter.imageShape(probe, imageShape)
        self.imageShape = [h, w, c]
        precondition(batchSize > 0, "batch size must be positive, got \(batchSize)")
        self.source = source
        self.batchSize = batchSize
        self.seed = seed
        var a = augmenter
        if a.needsFit && a.statistics.sampleShape != [h, w, c] { a.fit(source.gatherAll(), imageShape: [h, w, c]) }
        self.augmenter = a
        let yShape = source.y.shape.count > 1 ? Array(source.y.shape.dropFirst()) : [1]
        slots = (0..<2).map { _ in
            (Tensor(shape: [batchSize] + source.sampleShape), Tensor(shape: [batchSize] + yShape))
        }
    }

    /// Batches of images x (N, H, W, C) (or flat rows with `imageShape`) and targets y (N, K),
    /// held as they are.
    public convenience init(
        x: Tensor, y: Tensor, batchSize: Int, augmenter: Augmenter, seed: UInt64, imageShape: [Int]? = nil
    ) {
        precondition(y.shape[0] == x.shape[0], "\(x.shape[0]) images but \(y.shape[0]) targets")
        self.init(
            source: Dataset(x: x, y: y), batchSize: batchSize, augmenter: augmenter, seed: seed, imageShape: imageShape)
    }

    /// Batches in an epoch of `rows` rows.
    public func batchCount(rows: Int) -> Int { (rows + batchSize - 1) / batchSize }

    /// The RNG stream of batch b of epoch e: a tag in the top 16 bits, the epoch in the
    /// next 24, the batch in the low 24 (distinct from the trainer's per-epoch streams).
    public static func stream(epoch: Int, batch: Int) -> UInt64 {
        (0x4147 << 48) | (UInt64(truncatingIfNeeded: epoch) & 0xFF_FFFF) << 24
            | (UInt64(truncatingIfNeeded: batch) & 0xFF_FFFF)
    }

    /// Synchronously prepares batch `b` of epoch `epoch` (rows order[b*batchSize ..< ...])
    /// into `bx` (batchSize, H, W, C) and `by` (batchSize, K), setting their batch size.
    /// Uses the worker's scratch: not while `forEachBatch` runs.
    public func prepare(epoch: Int, batch b: Int, order: UnsafeBufferPointer<Int32>, x bx: Tensor, y by: Tensor) {
        prepare(epoch: epoch, batch: b, order: order, x: bx, y: by, workspace: workspace)
    }

    private func prepare(
        epoch: Int, batch b: Int, order: UnsafeBufferPointer<Int32>, x bx: Tensor, y by: Tensor,
        workspace: AugmentationWorkspace
    ) {
        let start = b * batchSize, end = min(start + batchSize, order.count)
        precondition(start < end, "batch \(b) is past the \(order.count) rows")
        // This rank's rows; all of them when mixing, which pairs rows across the batch.
        let mine = share(start..<end), rows = augmenter.mixes ? start..<end : mine
        let px = bx.sampleSize, py = by.sampleSize
        source.fill(x: bx, y: by, indices: UnsafeBufferPointer(rebasing: order[rows]))
        var rng = RNG(seed: seed, stream: AugmentedBatches.stream(epoch: epoch, batch: b))
        if let first = order.baseAddress {
            rng.keys = SampleKeys(seed: seed, epoch: epoch, batch: b, samples: first + rows.lowerBound)
        }
        augmenter.augment(bx, imageShape: imageShape, rng: &rng, workspace: workspace)
        augmenter.mix(x: bx, y: by, imageShape: imageShape, rng: &rng, workspace: workspace)
        if rows != mine {
            // Keep this rank's rows of the mixed batch.
            let skip = mine.lowerBound - rows.lowerBound
            bx.data.update(from: bx.data + skip * px, count: mine.count * px)
            by.data.update(from: by.data + skip * py, count: mine.count * py)
            bx.setBatch(mine.count)
            by.setBatch(mine.count)
        }
    }

    /// Calls `body(b, x, y)` for each batch of the epoch in order, on the calling thread,
    /// while a worker thread prepares the next batch. The tensors are valid only during
    /// the call. When `body` throws, the worker is stopped and joined before this rethrows;
    /// `order` must stay valid until this returns. `background: false` prepares each batch
    /// on the calling thread instead (same bits).
    public func forEachBatch(
        epoch: Int, order: UnsafeBufferPointer<Int32>, background: Bool = true,
        _ body: (_ batch: Int, _ x: Tensor, _ y: Tensor) throws -> Void
    ) rethrows {
        let batches = batchCount(rows: order.count)
        guard batches > 0 else { return }
        // The source reads ahead the rows `prepare` fills, in this order.
        let (size, mixes, share, n) = (batchSize, augmenter.mixes, share, order.count)
        source.beginPass(
            DataPass(order: order, batches: batches) { b in
                let rows = b * size..<min((b + 1) * size, n)
                return mixes ? rows : share(rows)
            })
        defer { source.endPass() }
        guard background else {
            for b in 0..<batches {
                prepare(epoch: epoch, batch: b, order: order, x: slots[0].x, y: slots[0].y)
                try body(b, slots[0].x, slots[0].y)
            }
            return
        }
        let run = EpochRun(order: order)
        let worker = Thread { [self] in
            defer { run.done.signal() }
            for b in 0..<batches {
                let slot = b % 2
                run.free[slot].wait()
                if run.isCancelled { return }
                prepare(
                    epoch: epoch, batch: b, order: run.order, x: slots[slot].x, y: slots[slot].y,
                    workspace: workspace)
                run.ready[slot].signal()
            }
        }
        worker.name = "nnreg-augment"
        worker.start()
        defer {
            run.cancel()
            run.free[0].signal()
            run.free[1].signal()
            run.done.wait()
        }
        for b in 0..<batches {
            let slot = b % 2
            run.ready[slot].wait()
            try body(b, slots[slot].x, slots[slot].y)
            run.free[slot].signal()
        }
    }

    /// `forEachBatch` with the order as an array.
    public func forEachBatch(
        epoch: Int, order: [Int32], background: Bool = true,
        _ body: (_ batch: Int, _ x: Tensor, _ y: Tensor) throws -> Void
    ) rethrows {
        try order.withUnsafeBufferPointer { try forEachBatch(epoch: epoch, order: $0, background: background, body) }
    }
}

/// One epoch's handshake between the caller and the worker.
private final class EpochRun: @unchecked Sendable {
    /// Slot s may be (re)filled; both start free. (Created at 0 and signalled, so that a
    /// cancelled epoch never disposes of a semaphore below its initial value, which
    /// libdispatch treats as a crash.)
    let free = [DispatchSemaphore(value: 0), DispatchSemaphore(value: 0)]
    /// Slot s holds a finished batch.
    let ready = [DispatchSemaphore(value: 0), DispatchSemaphore(value: 0)]
    /// Signalled when the worker exits.
    let done = DispatchSemaphore(value: 0)
    private let lock = NSLock()
    private var cancelled = false
    /// The epoch's row order (the caller keeps it alive until the worker is joined).
    let order: UnsafeBufferPointer<Int32>

    init(order: UnsafeBufferPointer<Int32>) {
        self.order = order
        free[0].signal()
        free[1].signal()
    }

    var isCancelled: Bool {
        lock.lock()
        defer { lock.unlock() }
        return cancelled
    }

    func cancel() {
        lock.lock()
        cancelled = true
        lock.unlock()
    }
}
