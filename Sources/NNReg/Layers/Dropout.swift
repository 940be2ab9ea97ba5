/// The dropout family: noise that exists only in training; identity at inference.
///
/// Every variant is y = x * m + o with a per-step multiplier m (and offset o), so the
/// backward pass is dx = dy * m for all of them. Keras 3 definitions
/// (keras/src/layers/regularization/*.py):
/// - dropout: m = keep / (1 - rate), keep ~ Bernoulli(1 - rate), broadcast over
///   `noise_shape` (nil entries take the input's size);
/// - spatial_dropout2d: dropout with noise shape (N, 1, 1, C) on (N, H, W, C);
/// - gaussian_noise: m = 1, o ~ N(0, stddev^2);
/// - gaussian_dropout: m ~ N(1, rate / (1 - rate));
/// - alpha_dropout: dropped units take SELU's saturation value alpha', then the affine
///   a*x + b keeps mean and variance (Klambauer et al. 2017).
public final class NoiseLayer: Layer {
    public enum Noise: Equatable, Sendable {
        case dropout(rate: Float, noiseShape: [Int?]?)
        case spatialDropout2D(rate: Float)
        case gaussianNoise(stddev: Float)
        case gaussianDropout(rate: Float)
        case alphaDropout(rate: Float, noiseShape: [Int?]?)
    }

    public let noise: Noise
    public var needsInputGradient = true
    public var parameters: [Parameter] { [] }
    public var kind: String {
        switch noise {
        case .dropout: return "dropout"
        case .spatialDropout2D: return "spatial_dropout2d"
        case .gaussianNoise: return "gaussian_noise"
        case .gaussianDropout: return "gaussian_dropout"
        case .alphaDropout: return "alpha_dropout"
        }
    }

    /// Keras's per-layer `seed`: the layer draws from its own generator, derived per
    /// epoch so resumed runs repeat; nil uses the run's generator.
    public let seed: UInt64?
    private var ownRNG: RNG?
    private var inputShape: [Int] = []
    private var m: Tensor!
    /// The shape m is drawn in and broadcast from (noise_shape; (null, 1, 1, null) for
    /// spatial dropout; nil entries take the input's size); nil: one draw per element.
    private let maskShape: [Int?]?
    /// One draw per element of `maskShape`, before broadcasting; broadcastMask's strides
    /// and coordinates (sized at build, so a step allocates nothing).
    private var draws: Tensor?
    private var drawStrides: [Int] = []
    private var coordinate: [Int] = []
    private var o: Tensor?
    private var y: Tensor!
    private var dx: Tensor!
    private var active = false

    /// The Keras noise_shape, when the variant takes one.
    private var noiseShape: [Int?]? {
        switch noise {
        case .dropout(_, let s), .alphaDropout(_, let s): return s
        default: return nil
        }
    }

    public init(_ noise: Noise, seed: UInt64? = nil) {
        self.noise = noise
        self.seed = seed
        self.ownRNG = seed.map { RNG(seed: $0) }
        switch noise {
        case .dropout(_, let shape), .alphaDropout(_, let shape): maskShape = shape
        case .spatialDropout2D: maskShape = [nil, 1, 1, nil]
        default: maskShape = nil
        }
    }

    public func beginEpoch(_ epoch: Int) {
        if let seed { ownRNG = RNG(seed: seed, stream: UInt64(epoch)) }
    }

    public func build(inputShape: [Int], maxBatch: Int, rng: inout RNG) throws -> [Int] {
        self.inputShape = inputShape
        if case .spatialDropout2D = noise, inputShape.count != 3 {
            throw ShapeError("spatial_dropout2d needs (height, width, channels) inputs, got \(inputShape)")
        }
        if let shape = noiseShape, shape.count != inputShape.count + 1 {
            throw ShapeError(
                "noise_shape \(shape.map { $0.map(String.init) ?? "null" }) must have \(inputShape.count + 1) entries (batch first) for input shape \(inputShape)"
            )
        }
        if let shape = noiseShape {
            // Keras broadcasts the mask: each entry is null, 1, or the input's size there.
            for (d, entry) in shape.enumerated() {
                guard let e = entry, e != 1 else { continue }
                guard d > 0, e == inputShape[d - 1] else {
                    let text = shape.map { $0.map(String.init) ?? "null" }.joined(separator: ", ")
                    let expected = d == 0 ? "null or 1 (the batch axis)" : "null, 1 or \(inputShape[d - 1])"
                    throw ShapeError("noise_shape [\(text)]: entry \(d) must be \(expected), got \(e)")
                }
            }
        }
        m = Tensor(shape: [maxBatch] + inputShape)
        if maskShape != nil {
            draws = Tensor(shape: [maxBatch] + inputShape)  // a mask shape never exceeds the input's
            drawStrides = Array(repeating: 0, count: inputShape.count + 1)
            coordinate = drawStrides
        }
        y = Tensor(shape: [maxBatch] + inputShape)
        dx = Tensor(shape: [maxBatch] + inputShape)
        switch noise {
        case .gaussianNoise, .alphaDropout: o = Tensor(shape: [maxBatch] + inputShape)
        default: break
        }
        return inputShape
    }

    public func forward(_ x: Tensor, training: Bool, rng: inout RNG) -> Tensor {
        active = training
        guard training else { return x }
        if var own = ownRNG, let seed {
            // The layer's own seed replaces the run's in the sample keys (the same on every rank).
            own.keys = rng.keys.map { SampleKeys(seed: seed, epoch: $0.epoch, batch: $0.batch, samples: $0.samples) }
            fill(x, rng: &own)
            ownRNG = own
        } else {
            fill(x, rng: &rng)
        }
        y.setBatch(x.shape[0])
        let yp = y.data, xp = x.data, mp = m.data
        if let o {
            let op = o.data
            for i in 0..<x.count { yp[i] = xp[i] * mp[i] + op[i] }
        } else {
            for i in 0..<x.count { yp[i] = xp[i] * mp[i] }
        }
        return y
    }

    public func backward(_ dy: Tensor) -> Tensor? {
        guard needsInputGradient else { return nil }
        guard active else { return dy }
        dx.setBatch(dy.shape[0])
        let d = dx.data, g = dy.data, mp = m.data
        for i in 0..<dy.count { d[i] = g[i] * mp[i] }
        return dx
    }

    /// Draws this step's m (and o) for a batch shaped like x: each sample's values from its
    /// own generator (`RNG.perSample`), so a sample's mask does not depend on its batch.
    private func fill(_ x: Tensor, rng: inout RNG) {
        let n = x.shape[0], count = x.count
        m.setBatch(n)
        o?.setBatch(n)
        let mp = m.data
        switch noise {
        case .dropout(let rate, _):
            let keep = 1 - rate, scale = 1 / keep
            if maskShape != nil {
                broadcastMask(x.shape, rng: &rng) { g in g.uniform() < keep ? scale : 0 }
            } else {
                rng.dropoutMask(mp, rows: n, width: x.sampleSize, rate: rate)
            }
        case .spatialDropout2D(let rate):
            let keep = 1 - rate, scale = 1 / keep
            broadcastMask(x.shape, rng: &rng) { g in g.uniform() < keep ? scale : 0 }
        case .gaussianNoise(let stddev):
            let op = o!.data
            perSample(n, count, &rng) { g, i in
                mp[i] = 1
                op[i] = stddev * g.normal()
            }
        case .gaussianDropout(let rate):
            let std = (rate / (1 - rate)).squareRoot()
            perSample(n, count, &rng) { g, i in mp[i] = 1 + std * g.normal() }
        case .alphaDropout(let rate, _):
            let alphaP = -Activation.seluAlpha * Activation.seluScale
            let a = 1 / ((1 - rate) * (1 + rate * alphaP * alphaP)).squareRoot()
            let b = -a * alphaP * rate
            let op = o!.data
            if maskShape != nil {
                broadcastMask(x.shape, rng: &rng) { g in g.uniform() >= rate ? 1 : 0 }
            } else {
                perSample(n, count, &rng) { g, i in mp[i] = g.uniform() >= rate ? 1 : 0 }
            }
            for i in 0..<count {
                let kept = mp[i] != 0
                mp[i] = kept ? a : 0
                op[i] = kept ? b : a * alphaP + b
            }
        }
    }

    /// Calls `body(g, i)` for every element i of n samples of count / n values, with the
    /// generator g of i's sample.
    @inline(__always)
    private func perSample(_ n: Int, _ count: Int, _ rng: inout RNG, _ body: (inout RNG, Int) -> Void) {
        let generators = rng.perSample(), per = n == 0 ? 0 : count / n
        for s in 0..<n {
            var g = generators[s]
            for i in (s * per)..<((s + 1) * per) { body(&g, i) }
        }
    }

    /// Fills m by drawing one value per element of `maskShape` and broadcasting it over
    /// `shape` (dimensions of size 1 in the mask shape are shared). Each sample's draws come
    /// from its own generator; a mask shared by the batch (batch entry 1) from the batch's.
    private func broadcastMask(_ shape: [Int], rng: inout RNG, draw: (inout RNG) -> Float) {
        let rank = shape.count, sizes = maskShape!
        var stride = 1
        for d in (0..<rank).reversed() {
            let size = sizes[d] ?? shape[d]
            drawStrides[d] = size == 1 ? 0 : stride
            stride *= size
        }
        let values = draws!.data
        if sizes[0] == 1 {
            var g = rng.perBatch()
            for i in 0..<stride { values[i] = draw(&g) }
        } else {
            let generators = rng.perSample(), per = shape[0] == 0 ? 0 : stride / shape[0]
            for s in 0..<shape[0] {
                var g = generators[s]
                for i in (s * per)..<((s + 1) * per) { values[i] = draw(&g) }
            }
        }
        let total = shape.reduce(1, *), mp = m.data
        drawStrides.withUnsafeBufferPointer { strides in
            coordinate.withUnsafeMutableBufferPointer { coord in
                coord.update(repeating: 0)
                var idx = 0
                for i in 0..<total {
                    mp[i] = values[idx]
                    stepRowMajor(coord, shape, strides, offset: &idx)
                }
            }
        }
    }
}

/// Steps `coord` to the next index of `shape` in row-major order (an odometer) and moves
/// `offset` with it by `strides` per axis: the offset of a broadcast draw (dropout's noise
/// shape) or of a norm group (Constraint), for each element in storage order.
@inline(__always)
func stepRowMajor(
    _ coord: UnsafeMutableBufferPointer<Int>, _ shape: [Int], _ strides: UnsafeBufferPointer<Int>, offset: inout Int
) {
    var d = shape.count - 1
    while d >= 0 {
        coord[d] += 1
        offset += strides[d]
        if coord[d] < shape[d] { return }
        offset -= strides[d] * coord[d]
        coord[d] = 0
        d -= 1
    }
}

extension NoiseLayer {
    private static let rate = Option("rate", .number(.fraction), doc: "fraction of inputs dropped")

    static let dropout = LayerType(
        Schema(
            "dropout", [rate, LayerOptions.noiseShape, LayerOptions.seed],
            doc: "sets a random fraction of inputs to 0 in training, scaling the rest by 1/(1 - rate)"),
        make: { s in NoiseLayer(.dropout(rate: s.float("rate"), noiseShape: s.noiseShape()), seed: s.seed()) })

    static let spatialDropout2D = LayerType(
        Schema(
            "spatial_dropout2d", [rate, LayerOptions.seed],
            doc: "dropout of whole feature maps (N, H, W, C): one draw per sample and channel"),
        make: { s in NoiseLayer(.spatialDropout2D(rate: s.float("rate")), seed: s.seed()) })

    static let gaussianNoise = LayerType(
        Schema(
            "gaussian_noise",
            [Option("stddev", .number(.nonNegative), doc: "standard deviation of the added noise"), LayerOptions.seed],
            doc: "adds N(0, stddev²) noise in training"),
        make: { s in NoiseLayer(.gaussianNoise(stddev: s.float("stddev")), seed: s.seed()) })

    static let gaussianDropout = LayerType(
        Schema(
            "gaussian_dropout", [rate, LayerOptions.seed],
            doc: "multiplies inputs by N(1, rate / (1 - rate)) noise in training"),
        make: { s in NoiseLayer(.gaussianDropout(rate: s.float("rate")), seed: s.seed()) })

    static let alphaDropout = LayerType(
        Schema(
            "alpha_dropout", [rate, LayerOptions.noiseShape, LayerOptions.seed],
            doc: "dropout that keeps SELU's mean and variance (self-normalizing networks)"),
        make: { s in NoiseLayer(.alphaDropout(rate: s.float("rate"), noiseShape: s.noiseShape()), seed: s.seed()) })
}
