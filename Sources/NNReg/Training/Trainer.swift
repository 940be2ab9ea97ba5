import Dispatch

/// A model, its optimizer and metrics: runs training epochs (evaluation is the Model's).
///
/// The order of the samples is `shuffle`'s (`ShuffleOrder`), and every random
/// draw that depends on a sample (dropout masks, noise, augmentation) from a generator
/// keyed by (seed, epoch, sample) (`SampleKeys`), so an epoch's result depends only on the
/// weights and optimizer state it starts from: a run resumed at an epoch boundary repeats
/// the uninterrupted run bit for bit (for the same thread count and ranks).
///
/// Data parallelism (`communicator` of N ranks, mpirun): `batchSize` stays the global
/// batch; each rank computes its share of every batch (`Communicator.share`), and one
/// all-reduce per step adds up the gradients, loss sums and stop votes (`StepReduction`);
/// batch normalization uses global-batch statistics (`GlobalBatch`). Every rank then takes
/// the same optimizer step and sees the same epoch results.
public final class Trainer {
    public let model: Model
    public let optimizer: Optimizer
    public let metrics: [Metric]
    public var batchSize: Int { model.batchSize }
    public let shuffle: ShuffleOrder
    public let seed: UInt64
    /// Per-class loss weights (Keras class_weight), indexed by class id.
    public var classWeights: [Float]?
    /// Learning rate for an optimizer step (0-based iteration), for per-step schedules.
    public var learningRateAtStep: ((Int) -> Float)?
    /// Polled after every batch; true (on any rank) stops the epoch (Ctrl-C).
    public var shouldStop: () -> Bool = { false }
    /// Called after every training batch with (batch index, batches, running loss).
    public var onBatch: ((Int, Int, Double) -> Void)?
    /// On-the-fly augmentation of the training batches (built over the training data).
    public var augmentation: AugmentedBatches? {
        didSet { augmentation?.share = { [communicator] in communicator.share(of: $0) } }
    }
    /// The penalty part (weight plus activity penalties) of the loss the last completed
    /// `trainEpoch` returned, averaged over its samples as that loss is; the rest of the loss
    /// is the data loss.
    public private(set) var epochPenalty = 0.0
    /// The ranks this trainer's steps span (one process unless under mpirun).
    public var communicator: Communicator { reduction.communicator }
    /// Training steps taken, and the seconds they took (forward, backward, all-reduce, update).
    public private(set) var steps = 0
    public private(set) var stepSeconds = 0.0

    private let gradient: Tensor
    private let reduction: StepReduction
    private let globalBatch: GlobalBatch
    private var permutation: [Int32] = []
    private var batch: BatchBuffer?

    /// Trains `model` in batches of its `batchSize`, over `communicator`'s ranks.
    public init(
        model: Model, optimizer: Optimizer, metrics: [Metric], shuffle: ShuffleOrder = .everyEpoch, seed: UInt64,
        communicator: Communicator = SingleProcess()
    ) {
        self.model = model
        self.optimizer = optimizer
        self.metrics = metrics
        self.shuffle = shuffle
        self.seed = seed
        gradient = Tensor(shape: [model.network.maxBatch] + model.outputShape)
        reduction = StepReduction(communicator: communicator, parameters: model.network.trainableParameters)
        globalBatch = GlobalBatch(communicator: communicator)
        if communicator.size > 1 { model.network.attach(globalBatch) }
        optimizer.prepare(model.network.trainableParameters)
    }

    /// Runs 0-based `epoch` over `data`; returns the epoch's mean loss and metrics, in
    /// Keras history order: loss, then each metric by name.
    /// Throws `TrainingError.nonFinite` when a batch's loss is NaN or infinite, and
    /// `.interrupted` when `shouldStop` turns true; the weights are then not usable.
    public func trainEpoch(_ data: DataSource, epoch: Int) throws -> [(String, Double)] {
        for layer in model.network.layers { layer.beginEpoch(epoch) }
        let n = data.count
        // The order depends on the epoch alone (identity, then shuffled), never on earlier epochs.
        if permutation.count != n { permutation = [Int32](repeating: 0, count: n) }
        for i in 0..<n { permutation[i] = Int32(i) }
        var rng = RNG(seed: seed, stream: UInt64(epoch))
        switch shuffle {
        case .none: break
        case .everyEpoch: rng.shuffle(&permutation)
        case .fixed:
            var once = RNG(seed: seed, stream: ShuffleOrder.fixedStream)
            once.shuffle(&permutation)
        }
        if batch == nil || Array(batch!.x.shape.dropFirst()) != data.sampleShape {
            batch = BatchBuffer(like: data, maxBatch: batchSize)
        }
        let batch = batch!
        for m in metrics { m.reset() }
        let batches = (n + batchSize - 1) / batchSize
        var lossSum = 0.0, penaltySum = 0.0, seen = 0
        try permutation.withUnsafeBufferPointer { order in
            func step(_ b: Int, _ x: Tensor, _ y: Tensor) throws {
                let rows = b * batchSize..<min((b + 1) * batchSize, n)
                rng.keys = SampleKeys(
                    seed: seed, epoch: epoch, batch: b,
                    samples: order.baseAddress! + communicator.share(of: rows).lowerBound)
                let started = DispatchTime.now().uptimeNanoseconds
                let (loss, penalty) = try trainStep(x, y, globalRows: rows.count, rng: &rng, epoch: epoch, batch: b)
                stepSeconds += Double(DispatchTime.now().uptimeNanoseconds - started) * 1e-9
                steps += 1
                lossSum += loss * Double(rows.count)
                penaltySum += penalty * Double(rows.count)
                seen += rows.count
                onBatch?(b, batches, lossSum / Double(seen))
            }
            if let augmentation {
                // Batches gathered and augmented on a worker thread, one step ahead.
                try augmentation.forEachBatch(epoch: epoch, order: order) { b, x, y in
                    try data.checkRead()
                    try step(b, x, y)
                }
                return
            }
            // The epoch's batches, announced so that a source reading from disk reads ahead.
            let pass = DataPass(order: order, batches: batches) { [communicator, batchSize] b in
                communicator.share(of: b * batchSize..<min((b + 1) * batchSize, n))
            }
            data.beginPass(pass)
            defer { data.endPass() }
            for b in 0..<batches {
                let mine = pass.rows(b)
                batch.gather(data, indices: order, from: mine.lowerBound, to: mine.upperBound)
                try data.checkRead()
                try step(b, batch.x, batch.y)
            }
        }
        reduction.sum(metrics)
        epochPenalty = penaltySum / Double(n)
        return [("loss", lossSum / Double(n))] + metrics.map { ($0.name, $0.result()) }
    }

    /// One optimizer step on this rank's rows `x`, `y` of a batch of `globalRows` rows;
    /// returns the batch's mean loss and its penalty part (the same on every rank).
    private func trainStep(
        _ x: Tensor, _ y: Tensor, globalRows: Int, rng: inout RNG, epoch: Int, batch b: Int
    ) throws -> (loss: Double, penalty: Double) {
        let network = model.network, count = x.shape[0]
        globalBatch.rows = globalRows
        if let classWeights, let buffer = batch { buffer.setWeights(targets: y, classWeights: classWeights) }
        let weights = classWeights == nil ? nil : UnsafePointer(batch!.weights.data)
        let out = network.forward(x, training: true, rng: &rng)
        gradient.setBatch(count)
        let value = model.loss.compute(output: out, target: y, weights: weights, gradient: gradient)
        // This rank's share of the global batch's mean loss: its gradient scaled by rows / global rows.
        if count != globalRows {
            let g = gradient.data, share = Float(count) / Float(globalRows)
            for i in 0..<gradient.count { g[i] *= share }
        }
        let predictions = network.activate(out)
        for m in metrics { m.update(output: predictions, target: y, weights: weights) }
        network.backwardData(gradient)
        let summed = reduction.sum(
            dataLoss: count == 0 ? 0 : Double(value) * Double(count), penalty: Double(network.activityPenalty),
            stop: shouldStop())
        network.addWeightPenaltyGradients()
        let penalty = summed.penalty + Double(network.weightPenalty())
        let total = summed.dataLoss / Double(globalRows) + penalty
        guard total.isFinite else { throw TrainingError.nonFinite(epoch: epoch, batch: b, value: total) }
        if summed.stop { throw TrainingError.interrupted(epoch: epoch) }
        if let schedule = learningRateAtStep { optimizer.learningRate = schedule(optimizer.iterations) }
        optimizer.step()
        network.applyConstraints()
        return (total, penalty)
    }
}

/// The order the samples are trained in each epoch (`training.shuffle`).
public enum ShuffleOrder: Sendable {
    /// File order.
    case none
    /// One shuffled order, drawn from the seed, repeated every epoch: what Keras's
    /// `fit(x, y, shuffle=True)` does on arrays once a global seed is set (the seeded
    /// `tf.random.shuffle` in its re-iterated tf.data pipeline restarts every epoch,
    /// tensorflow/tensorflow#26179).
    case fixed
    /// A new order every epoch, from (seed, epoch): what Keras's image_dataset_from_directory
    /// does (`reshuffle_each_iteration`), and `fit` without a global seed.
    case everyEpoch

    /// The stream of the fixed order's generator (apart from every epoch's).
    static let fixedStream: UInt64 = 0xF1ED_0DE5
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
