/// Where training and evaluation take their samples from: how many, the shape of one,
/// their targets, and a batch of them filled on request. The training loop, evaluate and
/// predict see nothing else, so a source can hold its samples in any form.
///
/// Sources: `Dataset` (CSV rows and image-folder pixels, held in memory) and
/// `SequenceSplit` (windows over a series, cut out of its rows as batches are filled).
public protocol DataSource: AnyObject {
    var count: Int { get }
    /// One sample's shape, without the batch axis.
    var sampleShape: [Int] { get }
    /// y: (N, T): class ids (T = 1) for sparse labels, one-hot or values otherwise.
    var y: Tensor { get }
    /// Names of the rows for predictions (a series' timestamps); nil: numbered.
    var rowNames: [String]? { get }
    /// Copies samples `indices` into x: (n, sampleShape...) and their targets into
    /// y: (n, T), n = indices.count, setting both tensors' batch size. Allocates nothing.
    func fill(x: Tensor, y: Tensor, indices: UnsafeBufferPointer<Int32>)
    /// Announces a pass: the batches `fill` will be asked for next, in order, so that a
    /// source reading from disk reads them ahead (`SampleStream`). Ended by `endPass`.
    /// Sources in memory ignore it; `fill` must give the same bits with or without it.
    func beginPass(_ pass: DataPass)
    /// Ends the pass `beginPass` announced (stops reading ahead).
    func endPass()
    /// Throws the first error met reading samples since the last check (an image file that
    /// cannot be decoded, named), so that the caller stops as a loading error would.
    func checkRead() throws
}

/// One pass over a source as its caller will `fill` batches: batch b (0..<batches) is rows
/// order[rows(b)]. The trainer, the augmentation pipeline and evaluation describe their
/// passes this way, so a streaming source reads ahead in the very order they use.
public struct DataPass {
    public let order: UnsafeBufferPointer<Int32>
    public let batches: Int
    public let rows: (Int) -> Range<Int>

    public init(order: UnsafeBufferPointer<Int32>, batches: Int, rows: @escaping (Int) -> Range<Int>) {
        self.order = order
        self.batches = batches
        self.rows = rows
    }

    /// Batch b's indices.
    public func indices(_ b: Int) -> UnsafeBufferPointer<Int32> { UnsafeBufferPointer(rebasing: order[rows(b)]) }
}

extension DataSource {
    public func beginPass(_ pass: DataPass) {}
    public func endPass() {}
    public func checkRead() throws {}

    public var targetWidth: Int { y.shape.count > 1 ? y.shape[1] : 1 }

    /// Every sample as `fill` makes it, in order, in one Float32 tensor (N, sampleShape...):
    /// for what needs the whole set at once (ZCA statistics), not for training.
    public func gatherAll() -> Tensor {
        let x = Tensor(shape: [count] + sampleShape)
        let order = (0..<count).map(Int32.init)
        order.withUnsafeBufferPointer {
            fill(x: x, y: Tensor(shape: [count] + Array(y.shape.dropFirst())), indices: $0)
        }
        return x
    }

    /// Copies the targets of `indices` into y (the part of `fill` every source shares).
    func fillTargets(_ out: Tensor, indices: UnsafeBufferPointer<Int32>) {
        out.setBatch(indices.count)
        let py = y.sampleSize, sy = y.data, dy = out.data
        for (row, i) in indices.enumerated() { (dy + row * py).update(from: sy + Int(i) * py, count: py) }
    }
}

/// Samples and targets held in memory: the samples compact (`SampleStore`), made Float32
/// a batch at a time as they are gathered, with data.rescale and normalization (and the
/// augmentation's standardization, for validation and test) applied to that batch.
public final class Dataset: DataSource {
    /// The raw samples (N, sampleShape...).
    public let samples: SampleStore
    /// y: (N, T): class ids (T = 1) for sparse labels, one-hot or values otherwise.
    public let y: Tensor
    /// Applied to each gathered batch (`Normalizer.apply`, as to the whole set before).
    public let normalizer: Normalizer
    /// Applied to each gathered batch after `normalizer`: spec.augmentation's elementwise
    /// standardization (not ZCA, whose batched product would round differently).
    public let standardizer: Augmenter?
    /// Optional row labels for predictions (e.g. timestamps of a series).
    public var rowNames: [String]?
    private let workspace = AugmentationWorkspace()

    public var count: Int { samples.count }
    public var sampleShape: [Int] { samples.sampleShape }

    public func fill(x out: Tensor, y outY: Tensor, indices: UnsafeBufferPointer<Int32>) {
        samples.gather(indices, into: out)
        normalizer.apply(out)
        standardizer?.standardize(out, imageShape: samples.sampleShape, workspace: workspace)
        fillTargets(outY, indices: indices)
    }

    /// `samples` with targets `y`, normalized (then standardized) batch by batch.
    public init(samples: SampleStore, y: Tensor, normalizer: Normalizer = Normalizer(), standardizer: Augmenter? = nil)
    {
        precondition(samples.count == y.shape[0], "\(samples.count) samples but \(y.shape[0]) targets")
        precondition(
            standardizer.map { !$0.zcaWhitening && samples.sampleShape.count == 3 } ?? true,
            "standardize at gather: (H, W, C) samples and no ZCA")
        self.samples = samples
        self.y = y
        self.normalizer = normalizer
        self.standardizer = standardizer
    }

    /// Float32 samples x: (N, sampleShape...) taken as they are, and targets y.
    public convenience init(x: Tensor, y: Tensor) {
        self.init(samples: SampleStore(x), y: y)
    }
}

/// Reusable batch buffers filled from a source by row index: no allocation per batch.
public final class BatchBuffer {
    public let x: Tensor
    public let y: Tensor
    public let weights: Tensor
    public init(like data: DataSource, maxBatch: Int) {
        x = Tensor(shape: [maxBatch] + data.sampleShape)
        y = Tensor(shape: [maxBatch] + Array(data.y.shape.dropFirst()))
        weights = Tensor(shape: [maxBatch])
    }

    /// Copies rows indices[start..<end] of `data` into the buffers.
    public func gather(_ data: DataSource, indices: UnsafeBufferPointer<Int32>, from start: Int, to end: Int) {
        data.fill(x: x, y: y, indices: UnsafeBufferPointer(rebasing: indices[start..<end]))
    }

    /// Per-sample loss weights (Keras class_weight) for the rows of `targets`: by class id
    /// (sparse targets) or by the largest entry (one-hot or mixed targets).
    public func setWeights(targets: Tensor, classWeights: [Float]) {
        let n = targets.shape[0], py = targets.sampleSize, t0 = targets.data
        weights.setBatch(n)
        for row in 0..<n {
            let t = t0 + row * py
            var cls = 0
            if py == 1 {
                cls = Int(t[0])
            } else {
                cls = argmax(t, py)
            }
            weights[row] = cls >= 0 && cls < classWeights.count ? classWeights[cls] : 1
        }
    }
}
