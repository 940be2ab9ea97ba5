/// Normalization layers: batch_normalization and layer_normalization, as Keras 3 computes
/// them (keras/src/layers/normalization/, ops.moments, tf.nn.batch_normalization).
///
/// Both view a sample around one axis as (outer, C, inner): C is the size of `axis`,
/// inner the product of the dimensions after it, outer those before it (batch included).
/// Statistics are accumulated in Double; stored tensors are Float.

/// The (outer, C, inner) view of an input around one Keras axis (batch counted as axis 0).
struct AxisView {
    /// Size of the axis.
    let channels: Int
    /// Elements after the axis (1 for the last axis).
    let inner: Int
    /// Elements before the axis within one sample (so outer = N * outerPerSample).
    let outerPerSample: Int

    /// Resolves `axis` (negative counts from the end) against `inputShape` (no batch
    /// dimension); the batch axis itself cannot be normalized over per index.
    init(_ kind: String, axis: Int, inputShape: [Int]) throws {
        let rank = inputShape.count + 1
        let a = axis < 0 ? axis + rank : axis
        guard rank >= 2, a >= 1, a < rank else {
            let shape = "(None" + inputShape.map { ", \($0)" }.joined() + ")"
            throw ShapeError("\(kind) axis \(axis) is not a feature axis of input shape \(shape); "
                + "use 1...\(rank - 1) or -\(rank - 1)...-1 (the batch axis 0 cannot be one)")
        }
        channels = inputShape[a - 1]
        inner = inputShape[a...].reduce(1, *)
        outerPerSample = inputShape[..<(a - 1)].reduce(1, *)
    }
}

/// A fixed-size scratch array of non-Float values (Double sums, Int32 indices), allocated
/// once at build.
final class Scratch<Element> {
    let data: UnsafeMutablePointer<Element>
    let count: Int
    init(_ count: Int, _ value: Element) {
        self.count = count
        data = .allocate(capacity: max(count, 1))
        data.initialize(repeating: value, count: max(count, 1))
    }
    deinit { data.deallocate() }
}

/// Per-channel sums over an (outer, C, inner) tensor, done contiguously: each row of
/// W = C * inner elements is added into per-position accumulators (a loop that
/// vectorizes for any axis), which are then folded over `inner` into channels.
struct ChannelSums {
    let view: AxisView
    /// (W) per-position accumulators.
    let a: Scratch<Double>, b: Scratch<Double>
    /// (C) the folded sums.
    let sumA: Scratch<Double>, sumB: Scratch<Double>

    init(_ view: AxisView) {
        self.view = view
        let w = view.channels * view.inner
        a = Scratch(w, 0)
        b = Scratch(w, 0)
        sumA = Scratch(view.channels, 0)
        sumB = Scratch(view.channels, 0)
    }

    /// sumA[c] = sum of u, and sumB[c] = sum of u * v when v is given, over channel c.
    func sum(_ u: UnsafePointer<Float>, times v: UnsafePointer<Float>?, outer: Int) {
        let w = view.channels * view.inner, ap = a.data, bp = b.data
        ap.update(repeating: 0, count: w)
        bp.update(repeating: 0, count: w)
        for o in 0..<outer {
            let ur = u + o * w
            if let v {
                let vr = v + o * w
                for k in 0..<w {
                    ap[k] += Double(ur[k])
                    bp[k] += Double(ur[k]) * Double(vr[k])
                }
            } else {
                for k in 0..<w { ap[k] += Double(ur[k]) }
            }
        }
        fold()
    }

    /// sumA[c] = sum of (u - center_c)^2 over channel c.
    func sumOfSquares(_ u: UnsafePointer<Float>, around center: UnsafePointer<Double>, outer: Int) {
        let inner = view.inner, w = view.channels * inner, ap = a.data, cp = b.data
        // b holds each position's center first, so the row loop stays contiguous.
        for k in 0..<w { cp[k] = center[k / inner] }
        ap.update(repeating: 0, count: w)
        for o in 0..<outer {
            let ur = u + o * w
            for k in 0..<w {
                let d = Double(ur[k]) - cp[k]
                ap[k] += d * d
            }
        }
        cp.update(repeating: 0, count: w)
        fold()
    }

    private func fold() {
        let inner = view.inner, ap = a.data, bp = b.data, sa = sumA.data, sb = sumB.data
        for ch in 0..<view.channels {
            var x = 0.0, y = 0.0
            for k in (ch * inner)..<((ch + 1) * inner) {
                x += ap[k]
                y += bp[k]
            }
            sa[ch] = x
            sb[ch] = y
        }
    }
}

/// Writes out[o, c, i] = a_c * u[o, c, i] + b_c (+ d_c * v[o, c, i] when v is given).
/// Per-channel coefficients are expanded to per-position arrays (W) first, so the row
/// loop is contiguous for any axis.
struct ChannelAffine {
    let view: AxisView
    let a: Tensor, b: Tensor, d: Tensor  // (W)

    init(_ view: AxisView) {
        self.view = view
        let w = view.channels * view.inner
        a = Tensor(shape: [w])
        b = Tensor(shape: [w])
        d = Tensor(shape: [w])
    }

    /// Sets the coefficients of channel c (for every inner position).
    @inline(__always)
    func set(_ ch: Int, a av: Float, b bv: Float, d dv: Float = 0) {
        let start = ch * view.inner
        for k in start..<(start + view.inner) {
            a[k] = av
            b[k] = bv
            d[k] = dv
        }
    }

    func apply(_ u: UnsafePointer<Float>, _ v: UnsafePointer<Float>?, into out: UnsafeMutablePointer<Float>, outer: Int) {
        let w = view.channels * view.inner, ap = a.data, bp = b.data, dp = d.data
        for o in 0..<outer {
            let ur = u + o * w, orow = out + o * w
            if let v {
                let vr = v + o * w
                for k in 0..<w { orow[k] = ap[k] * ur[k] + bp[k] + dp[k] * vr[k] }
            } else {
                for k in 0..<w { orow[k] = ap[k] * ur[k] + bp[k] }
            }
        }
    }
}

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
public final class BatchNormalization: Layer {
    public let kind = "batch_normalization"
    public let axis: Int
    public let momentum: Float
    public let epsilon: Float
    public let center: Bool
    public let scale: Bool
    public let betaInitializer: Initializer
    public let gammaInitializer: Initializer
    public let movingMeanInitializer: Initializer
    public let movingVarianceInitializer: Initializer
    public var needsInputGradient = true

    public private(set) var gamma: Parameter?
    public private(set) var beta: Parameter?
    public private(set) var movingMean: Parameter!
    public private(set) var movingVariance: Parameter!
    /// Keras weight order: gamma, beta, moving_mean, moving_variance.
    public var parameters: [Parameter] { [gamma, beta].compactMap { $0 } + [movingMean, movingVariance] }

    private var view: AxisView!
    private var xhat: Tensor!  // (x - mean) * rstd from the last forward
    private var rstd: Tensor!  // (C) 1 / sqrt(var + epsilon) the last forward used
    private var mean: Scratch<Double>!  // (C) the mean the last forward used (batch or moving)
    private var y: Tensor!
    private var dx: Tensor!
    private var sums: ChannelSums!
    private var affine: ChannelAffine!
    private var ones: Tensor!  // (C) gamma when scale is off; zeros: beta when center is off
    private var zeros: Tensor!
    private var usedBatchStatistics = false

    public init(
        axis: Int = -1, momentum: Float = 0.99, epsilon: Float = 1e-3, center: Bool = true, scale: Bool = true,
        betaInitializer: Initializer = .zeros, gammaInitializer: Initializer = .ones,
        movingMeanInitializer: Initializer = .zeros, movingVarianceInitializer: Initializer = .ones
    ) {
        precondition(momentum >= 0 && momentum <= 1, "batch_normalization momentum must be in [0, 1], got \(momentum)")
        precondition(epsilon > 0, "batch_normalization epsilon must be positive, got \(epsilon)")
        self.axis = axis
        self.momentum = momentum
        self.epsilon = epsilon
        self.center = center
        self.scale = scale
        self.betaInitializer = betaInitializer
        self.gammaInitializer = gammaInitializer
        self.movingMeanInitializer = movingMeanInitializer
        self.movingVarianceInitializer = movingVarianceInitializer
    }

    public func build(inputShape: [Int], maxBatch: Int, rng: inout RNG) throws -> [Int] {
        view = try AxisView(kind, axis: axis, inputShape: inputShape)
        let c = view.channels
        if scale {
            let g = Parameter(name: "gamma", shape: [c])
            gammaInitializer.fill(g.value, rng: &rng)
            gamma = g
        }
        if center {
            let b = Parameter(name: "beta", shape: [c])
            betaInitializer.fill(b.value, rng: &rng)
            beta = b
        }
        movingMean = Parameter(name: "moving_mean", shape: [c], trainable: false)
        movingMeanInitializer.fill(movingMean.value, rng: &rng)
        movingVariance = Parameter(name: "moving_variance", shape: [c], trainable: false)
        movingVarianceInitializer.fill(movingVariance.value, rng: &rng)
        xhat = Tensor(shape: [maxBatch] + inputShape)
        y = Tensor(shape: [maxBatch] + inputShape)
        dx = Tensor(shape: [maxBatch] + inputShape)
        rstd = Tensor(shape: [c])
        mean = Scratch(c, 0)
        sums = ChannelSums(view)
        affine = ChannelAffine(view)
        ones = Tensor(shape: [c])
        ones.fill(1)
        zeros = Tensor(shape: [c])
        return inputShape
    }

    public func forward(_ x: Tensor, training: Bool, rng: inout RNG) -> Tensor {
        precondition(x.sampleSize == xhat.sampleSize, "batch_normalization expects samples like \(xhat.shape.dropFirst()), got \(x.shape)")
        let n = x.shape[0]
        let c = view.channels, outer = n * view.outerPerSample
        xhat.setBatch(n)
        y.setBatch(n)
        let rp = rstd.data, mu = mean.data
        usedBatchStatistics = training
        if training {
            // Two passes (tf.nn.moments): the mean, then the biased variance around it.
            let m = Double(outer * view.inner)
            sums.sum(x.data, times: nil, outer: outer)
            for ch in 0..<c { mu[ch] = sums.sumA.data[ch] / m }
            sums.sumOfSquares(x.data, around: mu, outer: outer)
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
        let gp = (gamma?.value ?? ones).data, bp = (beta?.value ?? zeros).data
        for ch in 0..<c { affine.set(ch, a: gp[ch], b: bp[ch]) }
        affine.apply(xhat.data, nil, into: y.data, outer: outer)
        return y
    }

    /// Training: dx = gamma * rstd / M * (M dy - sum(dy) - xhat * sum(dy * xhat)), the
    /// gradient through the batch mean and variance. Inference: dx = gamma * rstd * dy.
    /// Both: dgamma = sum(dy * xhat), dbeta = sum(dy), per channel.
    public func backward(_ dy: Tensor) -> Tensor? {
        let n = dy.shape[0]
        let c = view.channels, outer = n * view.outerPerSample
        sums.sum(dy.data, times: xhat.data, outer: outer)
        let sDy = sums.sumA.data, sDyH = sums.sumB.data
        if let beta { for ch in 0..<c { beta.grad[ch] = Float(sDy[ch]) } }
        if let gamma { for ch in 0..<c { gamma.grad[ch] = Float(sDyH[ch]) } }
        guard needsInputGradient else { return nil }
        dx.setBatch(n)
        let gp = (gamma?.value ?? ones).data, rp = rstd.data
        let m = Double(outer * view.inner)
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

/// Layer normalization (Ba, Kiros & Hinton 2016, "Layer Normalization"), Keras 3 semantics
/// (ops.layer_normalization): each sample is normalized over one axis (default -1), with
/// the biased variance, the same in training and inference.
///
/// x: (N, d1, ..., dk) -> y: same shape. For every position g of the other axes, over
/// the C values of `axis`: y = gamma_c * (x - mean_g) / sqrt(var_g + epsilon) + beta_c.
/// gamma (scale) and beta (center): (C), trainable. Keras 3's epsilon default is 1e-3.
public final class LayerNormalization: Layer {
    public let kind = "layer_normalization"
    public let axis: Int
    public let epsilon: Float
    public let center: Bool
    public let scale: Bool
    public let betaInitializer: Initializer
    public let gammaInitializer: Initializer
    public var needsInputGradient = true

    public private(set) var gamma: Parameter?
    public private(set) var beta: Parameter?
    public var parameters: [Parameter] { [gamma, beta].compactMap { $0 } }

    private var view: AxisView!
    private var xhat: Tensor!
    private var rstd: Tensor!  // (N * outerPerSample * inner): one per normalized group
    private var y: Tensor!
    private var dx: Tensor!
    private var sums: ChannelSums!  // per-feature sums for dgamma, dbeta
    private var ones: Tensor!  // (C) gamma when scale is off; zeros: beta when center is off
    private var zeros: Tensor!

    public init(
        axis: Int = -1, epsilon: Float = 1e-3, center: Bool = true, scale: Bool = true,
        betaInitializer: Initializer = .zeros, gammaInitializer: Initializer = .ones
    ) {
        precondition(epsilon > 0, "layer_normalization epsilon must be positive, got \(epsilon)")
        self.axis = axis
        self.epsilon = epsilon
        self.center = center
        self.scale = scale
        self.betaInitializer = betaInitializer
        self.gammaInitializer = gammaInitializer
    }

    public func build(inputShape: [Int], maxBatch: Int, rng: inout RNG) throws -> [Int] {
        view = try AxisView(kind, axis: axis, inputShape: inputShape)
        let c = view.channels
        if scale {
            let g = Parameter(name: "gamma", shape: [c])
            gammaInitializer.fill(g.value, rng: &rng)
            gamma = g
        }
        if center {
            let b = Parameter(name: "beta", shape: [c])
            betaInitializer.fill(b.value, rng: &rng)
            beta = b
        }
        xhat = Tensor(shape: [maxBatch] + inputShape)
        y = Tensor(shape: [maxBatch] + inputShape)
        dx = Tensor(shape: [maxBatch] + inputShape)
        rstd = Tensor(shape: [maxBatch, view.outerPerSample * view.inner])
        sums = ChannelSums(view)
        ones = Tensor(shape: [c])
        ones.fill(1)
        zeros = Tensor(shape: [c])
        return inputShape
    }

    public func forward(_ x: Tensor, training: Bool, rng: inout RNG) -> Tensor {
        precondition(x.sampleSize == xhat.sampleSize, "layer_normalization expects samples like \(xhat.shape.dropFirst()), got \(x.shape)")
        let n = x.shape[0]
        let c = view.channels, inner = view.inner, outer = n * view.outerPerSample
        xhat.setBatch(n)
        y.setBatch(n)
        rstd.setBatch(n)
        let xp = x.data, hp = xhat.data, yp = y.data, rp = rstd.data
        let gp = (gamma?.value ?? ones).data, bp = (beta?.value ?? zeros).data
        let count = Double(c), eps = Double(epsilon)
        for o in 0..<outer {
            for i in 0..<inner {
                // The group: C values starting at base, `inner` apart.
                let base = o * c * inner + i
                var s = 0.0
                for ch in 0..<c { s += Double(xp[base + ch * inner]) }
                let mu = s / count
                var q = 0.0
                for ch in 0..<c {
                    let d = Double(xp[base + ch * inner]) - mu
                    q += d * d
                }
                let r = Float(1 / (q / count + eps).squareRoot()), shift = Float(-mu) * r
                rp[o * inner + i] = r
                for ch in 0..<c {
                    let k = base + ch * inner
                    let h = xp[k] * r + shift  // ops.layer_normalization: x * inv - mean * inv
                    hp[k] = h
                    yp[k] = gp[ch] * h + bp[ch]
                }
            }
        }
        return y
    }

    /// Per group, with dxhat = gamma * dy:
    /// dx = rstd / C * (C dxhat - sum(dxhat) - xhat * sum(dxhat * xhat));
    /// dgamma_c = sum over groups of dy * xhat, dbeta_c = sum of dy.
    public func backward(_ dy: Tensor) -> Tensor? {
        let n = dy.shape[0]
        let c = view.channels, inner = view.inner, outer = n * view.outerPerSample
        let gp = dy.data, hp = xhat.data
        if gamma != nil || beta != nil {
            sums.sum(gp, times: hp, outer: outer)
            if let beta { for ch in 0..<c { beta.grad[ch] = Float(sums.sumA.data[ch]) } }
            if let gamma { for ch in 0..<c { gamma.grad[ch] = Float(sums.sumB.data[ch]) } }
        }
        guard needsInputGradient else { return nil }
        dx.setBatch(n)
        let dp = dx.data, rp = rstd.data
        let gammaP = (gamma?.value ?? ones).data
        let count = Float(c)
        for o in 0..<outer {
            for i in 0..<inner {
                let base = o * c * inner + i
                var a: Float = 0, b: Float = 0
                for ch in 0..<c {
                    let k = base + ch * inner
                    let d = gammaP[ch] * gp[k]
                    a += d
                    b += d * hp[k]
                }
                let r = rp[o * inner + i], meanA = a / count, meanB = b / count
                for ch in 0..<c {
                    let k = base + ch * inner
                    dp[k] = r * (gammaP[ch] * gp[k] - meanA - hp[k] * meanB)
                }
            }
        }
        return dx
    }
}

extension BatchNormalization {
    static let registration = LayerType(
        Schema(
            "batch_normalization",
            [
                Option("axis", .anyInt, default: -1, doc: "the feature axis (normalized per index of it)"),
                Option("momentum", .number(.unit), default: 0.99, doc: "of the moving mean and variance"),
                Option("epsilon", .number(.positive), default: 0.001, doc: "added to the variance"),
            ] + LayerOptions.normalization,
            doc: "normalizes with the batch's statistics in training, moving averages at inference"),
        make: { s in
            BatchNormalization(
                axis: s.int("axis"), momentum: s.float("momentum"), epsilon: s.float("epsilon"),
                center: s.bool("center"), scale: s.bool("scale"), betaInitializer: s.initializer("beta_initializer"),
                gammaInitializer: s.initializer("gamma_initializer"))
        })
}

extension LayerNormalization {
    static let registration = LayerType(
        Schema(
            "layer_normalization",
            [
                Option("axis", .anyInt, default: -1, doc: "the axis normalized over, per sample"),
                Option("epsilon", .number(.positive), default: 0.001, doc: "added to the variance"),
            ] + LayerOptions.normalization,
            doc: "normalizes each sample over its feature axis"),
        make: { s in
            LayerNormalization(
                axis: s.int("axis"), epsilon: s.float("epsilon"), center: s.bool("center"), scale: s.bool("scale"),
                betaInitializer: s.initializer("beta_initializer"), gammaInitializer: s.initializer("gamma_initializer"))
        })
}
