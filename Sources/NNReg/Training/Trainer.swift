/// A model, its optimizer and metrics: runs training epochs (evaluation is the Model's).
///
/// Each epoch draws all its randomness (shuffle order, dropout masks) from
/// `RNG(seed:stream: epoch)`, so an epoch's result depends only on the weights and
/// optimizer state it starts from: a run resumed at an epoch boundary repeats the
/// uninterrupted run bit for bit (for the same thread count).
public final class Trainer {
    public let model: Model
    public let optimizer: Optimizer
    public let metrics: [Metric]
    public var batchSize: Int { model.batchSize }
    public let shuffle: Bool
    public let seed: UInt64
    /// Per-class loss weights (Keras class_weight), indexed by class id.
    public var classWeights: [Float]?
    /// Learning rate for an optimizer step (0-based iteration), for per-step schedules.
    public var learningRateAtStep: ((Int) -> Float)?
    /// Polled after every batch; true stops the epoch (Ctrl-C).
    public var shouldStop: () -> Bool = { false }
    /// Called after every training batch with (batch index, batches, running loss).
    public var onBatch: ((Int, Int, Double) -> Void)?
    /// On-the-fly augmentation of the training batches (built over the training data).
    public var augmentation: AugmentedBatches?
    /// The penalty part (weight plus activity penalties) of the loss the last completed
    /// `trainEpoch` returned, averaged over its samples as that loss is; the rest of the loss
    /// is the data loss.
    public private(set) var epochPenalty = 0.0

    private let gradient: Tensor
    private var permutation: [Int32] = []
    private var batch: BatchBuffer?

    /// Trains `model` in batches of its `batchSize`.
    public init(model: Model, optimizer: Optimizer, metrics: [Metric], shuffle: Bool = true, seed: UInt64) {
        self.model = model
        self.optimizer = optimizer
        self.metrics = metrics
        self.shuffle = shuffle
        self.seed = seed
        gradient = Tensor(shape: [model.network.maxBatch] + model.outputShape)
        optimizer.prepare(model.network.trainableParameters)
    }

    /// Runs 0-based `epoch` over `data`; returns the epoch's mean loss and metrics, in
    /// Keras history order: loss, then each metric by name.
    /// Throws `TrainingError.nonFinite` when a batch's loss is NaN or infinite, and
    /// `.interrupted` when `shouldStop` turns true; the weights are then not usable.
    public func trainEpoch(_ data: DataSource, epoch: Int) throws -> [(String, Double)] {
        let network = model.network, loss = model.loss
        var rng = RNG(seed: seed, stream: UInt64(epoch))
        for layer in network.layers { layer.beginEpoch(epoch) }
        let n = data.count
        // The order depends on the epoch alone (identity, then shuffled), never on earlier epochs.
        if permutation.count != n { permutation = [Int32](repeating: 0, count: n) }
        for i in 0..<n { permutation[i] = Int32(i) }
        if shuffle { rng.shuffle(&permutation) }
        if batch == nil || Array(batch!.x.shape.dropFirst()) != data.sampleShape {
            batch = BatchBuffer(like: data, maxBatch: batchSize)
        }
        let batch = batch!
        for m in metrics { m.reset() }
        let batches = (n + batchSize - 1) / batchSize
        var lossSum = 0.0
        var penaltySum = 0.0
        var seen = 0
        func step(_ b: Int, _ x: Tensor, _ y: Tensor) throws {
            let count = x.shape[0]
            if let classWeights { batch.setWeights(targets: y, classWeights: classWeights) }
            let weights = classWeights == nil ? nil : UnsafePointer(batch.weights.data)
            let out = network.forward(x, training: true, rng: &rng)
            gradient.setBatch(count)
            let value = loss.compute(output: out, target: y, weights: weights, gradient: gradient)
            let penalty = Double(network.weightPenalty() + network.activityPenalty)
            let total = Double(value) + penalty
            guard total.isFinite else { throw TrainingError.nonFinite(epoch: epoch, batch: b, value: total) }
            let predictions = network.activate(out)
            for m in metrics { m.update(output: predictions, target: y, weights: weights) }
            network.backward(gradient)
            if let schedule = learningRateAtStep { optimizer.learningRate = schedule(optimizer.iterations) }
            optimizer.step()
            network.applyConstraints()
            lossSum += total * Double(count)
            penaltySum += penalty * Double(count)
            seen += count
            onBatch?(b, batches, lossSum / Double(seen))
            if shouldStop() { throw TrainingError.interrupted(epoch: epoch) }
        }
        try permutation.withUnsafeBufferPointer { order in
            if let augmentation {
                // Batches gathered and augmented on a worker thread, one step ahead.
                try augmentation.forEachBatch(epoch: epoch, order: order) { b, x, y in try step(b, x, y) }
                return
            }
            for b in 0..<batches {
                let start = b * batchSize, end = min(start + batchSize, n)
                batch.gather(data, indices: order, from: start, to: end)
                try step(b, batch.x, batch.y)
            }
        }
        epochPenalty = penaltySum / Double(n)
        return [("loss", lossSum / Double(n))] + metrics.map { ($0.name, $0.result()) }
    }
}

public enum TrainingError: Error, CustomStringConvertible {
    case nonFinite(epoch: Int, batch: Int, value: Double)
    case interrupted(epoch: Int)

    public var description: String {
        switch self {
        case let .nonFinite(epoch, batch, value):
            return
                "loss became \(value) at epoch \(epoch + 1), batch \(batch + 1); lower the learning rate, add clipnorm, or check the data for extreme values"
        case let .interrupted(epoch):
            return "interrupted during epoch \(epoch + 1)"
        }
    }
}
