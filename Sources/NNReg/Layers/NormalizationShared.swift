/// What the normalization layers (BatchNormalization.swift, LayerNormalization.swift) share,
/// as Keras 3 computes them (keras/src/layers/normalization/, ops.moments, tf.nn.batch_normalization).
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
            throw ShapeError(
                "\(kind) axis \(axis) is not a feature axis of input shape \(shape); "
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

    func apply(_ u: UnsafePointer<Float>, _ v: UnsafePointer<Float>?, into out: UnsafeMutablePointer<Float>, outer: Int)
    {
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

/// gamma (scale) and beta (center) of a normalization layer: (C) each, trainable, either
/// one optional. Where one is off, `gammaValues` reads ones and `betaValues` zeros.
final class ScaleAndCenter {
    let gamma: Parameter?
    let beta: Parameter?
    private let ones: Tensor
    private let zeros: Tensor

    /// Creates gamma, then beta, each filled by its initializer.
    init(
        channels c: Int, scale: Bool, center: Bool, gammaInitializer: Initializer, betaInitializer: Initializer,
        rng: inout RNG
    ) {
        gamma = scale ? Parameter(name: "gamma", shape: [c], initializer: gammaInitializer, rng: &rng) : nil
        beta = center ? Parameter(name: "beta", shape: [c], initializer: betaInitializer, rng: &rng) : nil
        ones = Tensor(shape: [c])
        ones.fill(1)
        zeros = Tensor(shape: [c])
    }

    /// [gamma, beta] where present, in Keras's weight order.
    var parameters: [Parameter] { [gamma, beta].compactMap { $0 } }
    var gammaValues: UnsafeMutablePointer<Float> { (gamma?.value ?? ones).data }
    var betaValues: UnsafeMutablePointer<Float> { (beta?.value ?? zeros).data }

    /// dbeta_c = sum(dy), dgamma_c = sum(dy * xhat) per channel, from `sums.sum(dy, times: xhat)`.
    func setGradients(_ sums: ChannelSums) {
        if let beta { for ch in 0..<sums.view.channels { beta.grad[ch] = Float(sums.sumA.data[ch]) } }
        if let gamma { for ch in 0..<sums.view.channels { gamma.grad[ch] = Float(sums.sumB.data[ch]) } }
    }
}

/// The options both normalization layers take, as Keras 3 names them.
public struct NormalizationOptions: Sendable {
    let axis: Int
    let epsilon: Float
    let center, scale: Bool
    let betaInitializer, gammaInitializer: Initializer

    init(
        axis: Int, epsilon: Float, center: Bool, scale: Bool, betaInitializer: Initializer,
        gammaInitializer: Initializer
    ) {
        self.axis = axis
        self.epsilon = epsilon
        self.center = center
        self.scale = scale
        self.betaInitializer = betaInitializer
        self.gammaInitializer = gammaInitializer
    }

    /// From a validated batch_normalization or layer_normalization spec.
    init(_ s: LayerSpec) {
        self.init(
            axis: s.int("axis"), epsilon: s.float("epsilon"), center: s.bool("center"), scale: s.bool("scale"),
            betaInitializer: s.initializer("beta_initializer"), gammaInitializer: s.initializer("gamma_initializer"))
    }

    /// These options once epsilon is checked (positive); `kind` names the layer.
    func checked(_ kind: String) -> NormalizationOptions {
        precondition(epsilon > 0, "\(kind) epsilon must be positive, got \(epsilon)")
        return self
    }
}

/// A normalization layer (batch, layer): its options, and what it builds from them.
public protocol NormalizationLayer: Layer {
    var options: NormalizationOptions { get }
}

extension NormalizationLayer {
    public var axis: Int { options.axis }
    public var epsilon: Float { options.epsilon }
    public var center: Bool { options.center }
    public var scale: Bool { options.scale }
    public var betaInitializer: Initializer { options.betaInitializer }
    public var gammaInitializer: Initializer { options.gammaInitializer }
}

/// What both normalization layers build for an input shape: the axis view, gamma and beta
/// (drawn from the generator in that order), and xhat, y and dx buffers of the input's shape.
struct NormalizedInput {
    let view: AxisView
    let weights: ScaleAndCenter
    let xhat: Tensor  // (x - mean) * rstd from the last forward
    let y: Tensor
    let dx: Tensor

    init(_ kind: String, _ options: NormalizationOptions, inputShape: [Int], maxBatch: Int, rng: inout RNG) throws {
        view = try AxisView(kind, axis: options.axis, inputShape: inputShape)
        weights = ScaleAndCenter(
            channels: view.channels, scale: options.scale, center: options.center,
            gammaInitializer: options.gammaInitializer, betaInitializer: options.betaInitializer, rng: &rng)
        xhat = Tensor(shape: [maxBatch] + inputShape)
        y = Tensor(shape: [maxBatch] + inputShape)
        dx = Tensor(shape: [maxBatch] + inputShape)
    }

    /// Before a forward pass: checks x's values per sample, sizes xhat and y for x's batch;
    /// returns the batch size.
    func begin(_ x: Tensor, _ kind: String) -> Int {
        precondition(
            x.sampleSize == xhat.sampleSize, "\(kind) expects samples like \(xhat.shape.dropFirst()), got \(x.shape)")
        xhat.setBatch(x.shape[0])
        y.setBatch(x.shape[0])
        return x.shape[0]
    }
}
