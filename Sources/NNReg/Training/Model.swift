/// A network with what it takes to use it: the loss it is judged by, the input scaling
/// fitted on its training data, and its class names. Training (`Trainer`), evaluate,
/// predict and ensembles all work on a Model.
public final class Model {
    public let network: Sequential
    /// The loss the network trains with: on logits when its output softmax or sigmoid was
    /// fused into the loss (`ModelBuilder.fuseOutputActivation`).
    public let loss: Loss
    /// The spec's loss, on probabilities: what an ensemble's averaged prediction is judged by.
    public let lossConfig: LossConfig
    /// Input scaling fitted on the training split.
    public let normalizer: Normalizer
    /// Class names in id order, for classifiers.
    public let classNames: [String]?
    /// Rows per forward pass in `predict` and `evaluate`: training's batch size, so the
    /// sums (and the reported numbers) are those of training's own evaluation.
    public let batchSize: Int

    /// A built network judged by `loss` (its output softmax or sigmoid is fused into a
    /// crossentropy on probabilities); `network.maxBatch` must be at least `batchSize`.
    public init(
        network: Sequential, loss: LossConfig, batchSize: Int, normalizer: Normalizer = Normalizer(),
        classNames: [String]? = nil
    ) {
        precondition(batchSize <= network.maxBatch, "batch size \(batchSize) vs model capacity \(network.maxBatch)")
        self.network = network
        lossConfig = loss
        self.loss = makeLoss(ModelBuilder.fuseOutputActivation(network, loss: loss))
        self.batchSize = batchSize
        self.normalizer = normalizer
        self.classNames = classNames
    }

    /// Builds the spec's layers for `inputShape` (no batch axis), initialised from `seed`.
    public convenience init(spec: Spec, inputShape: [Int], seed: UInt64, normalizer: Normalizer, classNames: [String]?)
        throws
    {
        var rng = RNG(seed: seed)
        let batch = spec.training.batchSize
        self.init(
            network: try ModelBuilder.build(spec.model.layers, inputShape: inputShape, maxBatch: batch, rng: &rng),
            loss: spec.training.loss, batchSize: batch, normalizer: normalizer, classNames: classNames)
    }

    public var inputShape: [Int] { network.inputShape }
    public var outputShape: [Int] { network.outputShape }
    public var outputWidth: Int { network.outputShape.last ?? 1 }

    /// Outputs for every row of `data` (probabilities for classifiers): (N, outputShape...).
    public func predict(_ data: DataSource) -> Tensor {
        let result = Tensor(shape: [data.count] + outputShape)
        forEachBatch(data) { start, batch in
            let p = network.predict(batch.x)
            (result.data + start * p.sampleSize).update(from: p.data, count: p.count)
        }
        return result
    }

    /// Rewrites a batch before it is judged: `output` (the network's outputs for rows
    /// `first`..<`first` + n of the data) and `target` (their targets), in place. A
    /// forecast under a target transform becomes levels this way (`ForecastEvaluation`).
    public typealias Judged = (_ first: Int, _ output: Tensor, _ target: Tensor) -> Void

    /// Loss (with the weight penalties, as Keras reports it, unless `withPenalty` is false:
    /// the data loss alone) and `metrics` on `data`, in inference mode:
    /// [("loss", l), (metric name, value)...]. `judged` rewrites each batch's outputs and
    /// targets before they are compared.
    public func evaluate(_ data: DataSource, metrics: [Metric], withPenalty: Bool = true, judged: Judged? = nil)
        -> [(String, Double)]
    {
        for m in metrics { m.reset() }
        var lossSum = 0.0
        var rng = RNG(seed: 0)
        forEachBatch(data) { first, batch in
            let out = network.forward(batch.x, training: false, rng: &rng)
            judged?(first, out, batch.y)
            let n = Double(batch.x.shape[0])
            lossSum += Double(loss.compute(output: out, target: batch.y, weights: nil, gradient: nil)) * n
            let predictions = network.activate(out)
            for m in metrics { m.update(output: predictions, target: batch.y, weights: nil) }
        }
        let penalty = withPenalty ? Double(network.weightPenalty()) : 0
        return [("loss", lossSum / Double(max(data.count, 1)) + penalty)] + metrics.map { ($0.name, $0.result()) }
    }

    /// Calls `body(first row, batch)` for `data`'s rows in order, `batchSize` at a time.
    private func forEachBatch(_ data: DataSource, _ body: (Int, BatchBuffer) -> Void) {
        let batch = BatchBuffer(like: data, maxBatch: batchSize)
        let order = (0..<data.count).map(Int32.init)
        order.withUnsafeBufferPointer { order in
            let (n, size) = (data.count, batchSize)
            data.beginPass(
                DataPass(order: order, batches: (n + size - 1) / size) { b in b * size..<min((b + 1) * size, n) })
            defer { data.endPass() }
            var start = 0
            while start < data.count {
                let end = min(start + batchSize, data.count)
                batch.gather(data, indices: order, from: start, to: end)
                body(start, batch)
                start = end
            }
        }
    }
}

/// Models trained with seeds seed, seed + 1, ...: their predicted probabilities (outputs)
/// averaged, for evaluate and predict.
public final class Ensemble {
    public let members: [Model]

    public init(_ members: [Model]) {
        precondition(!members.isEmpty, "an ensemble needs a member")
        self.members = members
    }

    /// The mean of the members' predictions: (N, outputs).
    public func predict(_ data: DataSource) -> Tensor {
        let sum = members[0].predict(data)
        for m in members.dropFirst() {
            let p = m.predict(data)
            for i in 0..<sum.count { sum[i] += p[i] }
        }
        let k = Float(members.count)
        for i in 0..<sum.count { sum[i] /= k }
        return sum
    }

    /// Loss and metrics of the averaged prediction; one member is evaluated as itself (its
    /// loss with its weight penalties unless `withPenalty` is false; an average has none).
    /// `judged`: as `Model.evaluate`, on every row at once.
    public func evaluate(
        _ data: DataSource, metrics: [Metric], withPenalty: Bool = true, judged: Model.Judged? = nil
    ) -> [(String, Double)] {
        if members.count == 1 {
            return members[0].evaluate(data, metrics: metrics, withPenalty: withPenalty, judged: judged)
        }
        let p = predict(data)
        let y = Tensor(shape: data.y.shape, values: data.y.array)
        judged?(0, p, y)
        let value = makeLoss(members[0].lossConfig).compute(output: p, target: y, weights: nil, gradient: nil)
        for m in metrics {
            m.reset()
            m.update(output: p, target: y, weights: nil)
        }
        return [("loss", Double(value))] + metrics.map { ($0.name, $0.result()) }
    }

    /// The weight penalty `evaluate`'s loss holds: a single member's (as Keras reports
    /// it); none for the averaged prediction of several.
    public var weightPenalty: Double { members.count == 1 ? Double(members[0].network.weightPenalty()) : 0 }
}
