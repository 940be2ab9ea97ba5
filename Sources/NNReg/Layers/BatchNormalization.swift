/// Batch normalization (Ioffe & Szegedy 2015, "Batch Normalization: Accelerating Deep
/// Network Training by Reducing Internal Covariate Shift"), Keras 3 semantics.
///
/// x: (N, d1, ..., dk) -> y: same shape. Per channel c of `axis` (Keras axis, default -1),
/// over the M values of every other axis (batch included):
/// - training: mean_c and the biased variance var_c = (1/M) sum (x - mean_c)^2 of the
///   batch; then moving_mean <- moving_mean * momentum + mean_c * (1 - momentum), and
///   moving_variance likewise with the same biased var_c (Keras 3 BatchNormalization.call;
///   the fixture from tools/reference/normalization.py shows the 1/M variance);
/// - inference: mean_c, var_c = moving_mean_c, moving_variance_c;
/// - y = gamma_c * (x - mean_c) / sqrt(var_c + epsilon) + beta_c.
/// gamma (scale) and beta (center) are trainable (C); moving_mean and moving_variance (C)
/// are stored state (`trainable: false`), saved in checkpoints under their names.
public final class BatchNormalization: NormalizationLayer, GlobalBatchLayer {
    public let kind = "batch_normalization"
    /// Under data parallelism: the statistics are the global batch's (the ranks' sums added
    /// up, two all-reduces forward and one backward), so N ranks match one process.
    public var globalBatch: GlobalBatch?
    public let options: NormalizationOptions
    public let momentum: Float
    public let movingMeanInitializer: Initializer
    public let movingVarianceInitializer: Initializer
    public var needsInputGradient = true

    public var gamma: Parameter? { input.weights.gamma }
    public var beta: Parameter? { input.weights.beta }
    public private(set) var movingMean: Parameter!
    public private(set) var movingVariance: Parameter!
    /// Keras weight order: gamma, beta, moving_mean, moving_variance.
    public var parameters: [Parameter] { input.weights.parameters + [movingMean, movingVariance] }

    private var input: NormalizedInput!
    private var rstd: Tensor!  // (C) 1 / sqrt(var + epsilon) the last forward used
    private var mean: Scratch<Double>!  // (C) the mean the last forward used (batch or moving)
    private var sums: ChannelSums!
    private var reductionScratch: Scratch<Double>!  // (2C) the backward sums, reduced together
    private var affine: ChannelAffine!
    private var usedBatchStatistics = false

    public convenience init(
        axis: Int = -1, momentum: Float = 0.99, epsilon: Float = 1e-3, center: Bool = true, scale: Bool = true,
        betaInitializer: Initializer = .zeros, gammaInitializer: Initializer = .ones,
        movingMeanInitializer: Initializer = .zeros, movingVarianceInitializer: Initializer = .ones
    ) {
        self.init(
            options: NormalizationOptions(
                axis: axis, epsilon: epsilon, center: center, scale: scale, betaInitializer: betaInitializer,
                gammaInitializer: gammaInitializer),
            momentum: momentum, movingMeanInitializer: movingMeanInitializer,
            movingVarianceInitializer: movingVarianceInitializer)
    }

    init(
        options: NormalizationOptions, momentum: Float, movingMeanInitializer: Initializer = .zeros,
        movingVarianceInitializer: Initializer = .ones
    ) {
        precondition(momentum >= 0 && momentum <= 1, "batch_normalization momentum must be in [0, 1], got \(momentum)")
        self.options = options.checked("batch_normalization")
        self.momentum = momentum
        self.movingMeanInitializer = movingMeanInitializer
        self.movingVarianceInitializer = movingVarianceInitializer
    }

    public func build(inputShape: [Int], maxBatch: Int, rng: inout RNG) throws -> [Int] {
        input = try NormalizedInput(kind, options, inputShape: inputShape, maxBatch: maxBatch, rng: &rng)
        let view = input.view, c = view.channels
        movingMean = Parameter(
            name: "moving_mean", shape: [c], initializer: movingMeanInitializer, rng: &rng, trainable: false)
        movingVariance = Parameter(
            name: "moving_variance", shape: [c], initializer: movingVarianceInitializer, rng: &rng, trainable: false)
        rstd = Tensor(shape: [c])
        mean = Scratch(c, 0)
        sums = ChannelSums(view)
        reductionScratch = Scratch(2 * c, 0)
        affine = ChannelAffine(view)
        return inputShape
    }

    public func forward(_ x: Tensor, training: Bool, rng: inout RNG) -> Tensor {
        let n = input.begin(x, kind)
        let view = input.view, xhat = input.xhat, y = input.y, weights = input.weights
        let c = view.channels, outer = n * view.outerPerSample
        let rp = rstd.data, mu = mean.data
        usedBatchStatistics = training
        if training {
            // Two passes (tf.nn.moments): the mean, then the biased variance around it.
            let m = Double((globalBatch?.rows ?? n) * view.outerPerSample * view.inner)
            sums.sum(x.data, times: nil, outer: outer)
            allreduce(sums.sumA)
            for ch in 0..<c { mu[ch] = sums.sumA.data[ch] / m }
            sums.sumOfSquares(x.data, around: mu, outer: outer)
            allreduce(sums.sumA)
            let mmp = movingMean.value.data, mvp = movingVariance.value.data
            for ch in 0..<c {
                let variance = sums.sumA.data[ch] / m
                rp[ch] = Float(1 / (variance + Double(epsilon)).squareRoot())
                mmp[ch] = mmp[ch] * momentum + Float(mu[ch]) * (1 - momentum)
                mvp[ch] = mvp[ch] * momentum + Float(variance) * (1 - momentum)
            }
        } else {
            let mmp = movingMean.value.data, mvp = movingVariance.value.data
            for ch in 0..<c {
                mu[ch] = Double(mmp[ch])
                rp[ch] = 1 / (mvp[ch] + epsilon).squareRoot()
            }
        }
        // xhat = x * rstd - mean * rstd (tf.nn.batch_normalization's form), y = gamma xhat + beta.
        for ch in 0..<c { affine.set(ch, a: rp[ch], b: Float(-mu[ch]) * rp[ch]) }
        affine.apply(x.data, nil, into: xhat.data, outer: outer)
        let gp = weights.gammaValues, bp = weights.betaValues
        for ch in 0..<c { affine.set(ch, a: gp[ch], b: bp[ch]) }
        affine.apply(xhat.data, nil, into: y.data, outer: outer)
        return y
    }

    /// Training: dx = gamma * rstd / M * (M dy - sum(dy) - xhat * sum(dy * xhat)), the
    /// gradient through the batch mean and variance. Inference: dx = gamma * rstd * dy.
    /// Both: dgamma = sum(dy * xhat), dbeta = sum(dy), per channel.
    public func backward(_ dy: Tensor) -> Tensor? {
        let view = input.view, xhat = input.xhat, dx = input.dx, weights = input.weights
        let n = dy.shape[0]
        let c = view.channels, outer = n * view.outerPerSample
        sums.sum(dy.data, times: xhat.data, outer: outer)
        let sDy = sums.sumA.data, sDyH = sums.sumB.data
        weights.setGradients(sums)  // this rank's part: the trainer adds up the gradients
        guard needsInputGradient else { return nil }
        if usedBatchStatistics { allreduce(sums.sumA, sums.sumB) }
        dx.setBatch(n)
        let gp = weights.gammaValues, rp = rstd.data
        let m = Double((usedBatchStatistics ? globalBatch?.rows ?? n : n) * view.outerPerSample * view.inner)
        for ch in 0..<c {
            let k = gp[ch] * rp[ch]
            if usedBatchStatistics {
                affine.set(ch, a: k, b: -k * Float(sDy[ch] / m), d: -k * Float(sDyH[ch] / m))
            } else {
                affine.set(ch, a: k, b: 0)
            }
        }
        affine.apply(dy.data, usedBatchStatistics ? UnsafePointer(xhat.data) : nil, into: dx.data, outer: outer)
        return dx
    }
}

extension BatchNormalization {
    /// Adds up per-channel sums over the ranks (nothing without a global batch). Two
    /// scratch arrays of C sums are reduced as one buffer of 2C when both are given.
    private func allreduce(_ a: Scratch<Double>, _ b: Scratch<Double>? = nil) {
        guard let communicator = globalBatch?.communicator, communicator.size > 1 else { return }
        let c = a.count
        if let b {
            // sumB follows sumA in the reduction: copy through the scratch's tail, no allocation.
            reductionScratch.data.update(from: a.data, count: c)
            (reductionScratch.data + c).update(from: b.data, count: c)
            communicator.allreduceSum(UnsafeMutableBufferPointer(start: reductionScratch.data, count: 2 * c))
            a.data.update(from: reductionScratch.data, count: c)
            b.data.update(from: reductionScratch.data + c, count: c)
        } else {
            communicator.allreduceSum(UnsafeMutableBufferPointer(start: a.data, count: c))
        }
    }

    static let registration = LayerType(
        LayerOptions.normalization(
            "batch_normalization", axisDoc: "the feature axis (normalized per index of it)",
            [Option("momentum", .number(.unit), default: 0.99, doc: "of the moving mean and variance")],
            doc: "normalizes with the batch's statistics in training, moving averages at inference"),
        make: { s in BatchNormalization(options: NormalizationOptions(s), momentum: s.float("momentum")) },
        size: { s, input in LayerOptions.normalizationSize(s, input: input, perChannel: 4) })
}
