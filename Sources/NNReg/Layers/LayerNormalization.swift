/// Layer normalization (Ba, Kiros & Hinton 2016, "Layer Normalization"), Keras 3 semantics
/// (ops.layer_normalization): each sample is normalized over one axis (default -1), with
/// the biased variance, the same in training and inference.
///
/// x: (N, d1, ..., dk) -> y: same shape. For every position g of the other axes, over
/// the C values of `axis`: y = gamma_c * (x - mean_g) / sqrt(var_g + epsilon) + beta_c.
/// gamma (scale) and beta (center): (C), trainable. Keras 3's epsilon default is 1e-3.
public final class LayerNormalization: NormalizationLayer {
    public let kind = "layer_normalization"
    public let options: NormalizationOptions
    public var needsInputGradient = true

    public var gamma: Parameter? { input.weights.gamma }
    public var beta: Parameter? { input.weights.beta }
    public var parameters: [Parameter] { input.weights.parameters }

    private var input: NormalizedInput!
    private var rstd: Tensor!  // (N * outerPerSample * inner): one per normalized group
    private var sums: ChannelSums!  // per-feature sums for dgamma, dbeta

    public convenience init(
        axis: Int = -1, epsilon: Float = 1e-3, center: Bool = true, scale: Bool = true,
        betaInitializer: Initializer = .zeros, gammaInitializer: Initializer = .ones
    ) {
        self.init(
            options: NormalizationOptions(
                axis: axis, epsilon: epsilon, center: center, scale: scale, betaInitializer: betaInitializer,
                gammaInitializer: gammaInitializer))
    }

    init(options: NormalizationOptions) { self.options = options.checked("layer_normalization") }

    public func build(inputShape: [Int], maxBatch: Int, rng: inout RNG) throws -> [Int] {
        input = try NormalizedInput(kind, options, inputShape: inputShape, maxBatch: maxBatch, rng: &rng)
        let view = input.view
        rstd = Tensor(shape: [maxBatch, view.outerPerSample * view.inner])
        sums = ChannelSums(view)
        return inputShape
    }

    public func forward(_ x: Tensor, training: Bool, rng: inout RNG) -> Tensor {
        let n = input.begin(x, kind)
        let view = input.view, xhat = input.xhat, y = input.y, weights = input.weights
        let c = view.channels, inner = view.inner, outer = n * view.outerPerSample
        rstd.setBatch(n)
        let xp = x.data, hp = xhat.data, yp = y.data, rp = rstd.data
        let gp = weights.gammaValues, bp = weights.betaValues
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
        let view = input.view, xhat = input.xhat, dx = input.dx, weights = input.weights
        let n = dy.shape[0]
        let c = view.channels, inner = view.inner, outer = n * view.outerPerSample
        let gp = dy.data, hp = xhat.data
        if gamma != nil || beta != nil {
            sums.sum(gp, times: hp, outer: outer)
            weights.setGradients(sums)
        }
        guard needsInputGradient else { return nil }
        dx.setBatch(n)
        let dp = dx.data, rp = rstd.data
        let gammaP = weights.gammaValues
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

extension LayerNormalization {
    static let registration = LayerType(
        LayerOptions.normalization(
            "layer_normalization", axisDoc: "the axis normalized over, per sample",
            doc: "normalizes each sample over its feature axis"),
        make: { s in LayerNormalization(options: NormalizationOptions(s)) },
        size: { s, input in LayerOptions.normalizationSize(s, input: input, perChannel: 2) })
}
