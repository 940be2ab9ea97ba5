/// Samples and targets held in memory, row-major, ready for batching.
public final class Dataset {
    /// x: (N, sampleShape...)
    public let x: Tensor
    /// y: (N, T): class ids (T = 1) for sparse labels, one-hot or values otherwise.
    public let y: Tensor
    /// Optional row labels for predictions (e.g. timestamps of a series).
    public var rowNames: [String]?

    public var count: Int { x.shape[0] }
    public var sampleShape: [Int] { Array(x.shape.dropFirst()) }
    public var targetWidth: Int { y.shape.count > 1 ? y.shape[1] : 1 }

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

/// Reusable batch buffers filled from a dataset by row index: no allocation per batch.
public final class BatchBuffer {
    public let x: Tensor
    public let y: Tensor
    public let weights: Tensor

    public init(like data: Dataset, maxBatch: Int) {
        x = Tensor(shape: [maxBatch] + data.sampleShape)
        y = Tensor(shape: [maxBatch] + Array(data.y.shape.dropFirst()))
        weights = Tensor(shape: [maxBatch])
    }

    /// Copies rows indices[start..<end] of `data` into the buffers.
    public func gather(_ data: Dataset, indices: UnsafeBufferPointer<Int32>, from start: Int, to end: Int) {
        let n = end - start
        x.setBatch(n)
        y.setBatch(n)
        let px = data.x.sampleSize, py = data.y.sampleSize
        let sx = data.x.data, sy = data.y.data, dx = x.data, dy = y.data
        for row in 0..<n {
            let i = Int(indices[start + row])
            (dx + row * px).update(from: sx + i * px, count: px)
            (dy + row * py).update(from: sy + i * py, count: py)
        }
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

    /// Copies the contiguous rows start..<end (evaluation order).
    public func slice(_ data: Dataset, from start: Int, to end: Int) {
        let n = end - start
        x.setBatch(n)
        y.setBatch(n)
        let px = data.x.sampleSize, py = data.y.sampleSize
        x.data.update(from: data.x.data + start * px, count: n * px)
        y.data.update(from: data.y.data + start * py, count: n * py)
    }
}
