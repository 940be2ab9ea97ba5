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
}

extension DataSource {
    public var targetWidth: Int { y.shape.count > 1 ? y.shape[1] : 1 }

    /// Copies the targets of `indices` into y (the part of `fill` every source shares).
    func fillTargets(_ out: Tensor, indices: UnsafeBufferPointer<Int32>) {
        out.setBatch(indices.count)
        let py = y.sampleSize, sy = y.data, dy = out.data
        for (row, i) in indices.enumerated() { (dy + row * py).update(from: sy + Int(i) * py, count: py) }
    }
}

/// Samples and targets held in memory, row-major, ready for batching.
public final class Dataset: DataSource {
    /// x: (N, sampleShape...)
    public let x: Tensor
    /// y: (N, T): class ids (T = 1) for sparse labels, one-hot or values otherwise.
    public let y: Tensor
    /// Optional row labels for predictions (e.g. timestamps of a series).
    public var rowNames: [String]?

    public var count: Int { x.shape[0] }
    public var sampleShape: [Int] { Array(x.shape.dropFirst()) }

    public func fill(x out: Tensor, y outY: Tensor, indices: UnsafeBufferPointer<Int32>) {
        out.setBatch(indices.count)
        let px = x.sampleSize, sx = x.data, dx = out.data
        for (row, i) in indices.enumerated() { (dx + row * px).update(from: sx + Int(i) * px, count: px) }
        fillTargets(outY, indices: indices)
    }

    public init(x: Tensor, y: Tensor) {
        precondition(x.shape[0] == y.shape[0], "\(x.shape[0]) samples but \(y.shape[0]) targets")
        self.x = x
        self.y = y
    }

    /// The rows at `indices`, in that order (copies).
    public func subset(_ indices: [Int]) -> Dataset {
        let sx = Tensor(shape: [indices.count] + sampleShape)
        let sy = Tensor(shape: [indices.count] + Array(y.shape.dropFirst()))
        let px = x.sampleSize, py = y.sampleSize
        for (row, i) in indices.enumerated() {
            (sx.data + row * px).update(from: x.data + i * px, count: px)
            (sy.data + row * py).update(from: y.data + i * py, count: py)
        }
        let d = Dataset(x: sx, y: sy)
        if let names = rowNames { d.rowNames = indices.map { names[$0] } }
        return d
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
