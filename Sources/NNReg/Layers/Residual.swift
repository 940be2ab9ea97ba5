/// A residual block y = x + f(x) (He, Zhang, Ren & Sun 2016, "Deep Residual Learning for
/// Image Recognition"), f being its sub-layers in sequence, with stochastic depth
/// (Huang, Sun, Liu, Sedra & Weinberger 2016, "Deep Networks with Stochastic Depth").
///
/// x: (N, ...) -> y: (N, ...); f must keep the shape.
/// Stochastic depth with survival probability p, per sample and with inverted scaling,
/// as torchvision.ops.StochasticDepth(p = 1 - survival, mode="row") and timm's DropPath do:
///   training:  y_n = x_n + f(x)_n * m_n / p,  m_n ~ Bernoulli(p), one draw per sample;
///   inference: y = x + f(x).
/// E[training output] = inference output, like the paper's rule (per mini-batch draws,
/// y = x + p f(x) at inference), but inference needs no p. p = 1 is a plain residual and
/// draws nothing. The branch is computed for every sample (its batch statistics see the
/// whole batch); a dropped sample only gets no gradient through it.
///
/// Parameters keep their sub-layer's names under a prefix, "layers.{j}.{kind}.{name}", so
/// a model's weight names stay unique ("layers.3.residual.layers.0.dense.kernel"); the
/// sub-layers' activity penalties and `beginEpoch` pass through this block.
public final class Residual: Layer, GlobalBatchLayer {
    public let kind = "residual"
    public let layers: [Layer]
    /// Under data parallelism: the sub-layers' activity penalties divide by its rows.
    public var globalBatch: GlobalBatch?
    public let survivalProbability: Float
    /// Forwarded to the first sub-layer: its dx is only needed when this block's is.
    public var needsInputGradient = true {
        didSet { layers.first?.needsInputGradient = needsInputGradient }
    }
    public var parameters: [Parameter] { layers.flatMap(\.parameters) }
    public var namedParameters: [(name: String, parameter: Parameter)] {
        layers.enumerated().flatMap { j, layer in
            layer.namedParameters.map { ("layers.\(j).\(layer.kind).\($0.name)", $0.parameter) }
        }
    }
    /// The sub-layers' activity penalties (each divided by the batch size) of the last
    /// training forward pass.
    public private(set) var innerActivityPenalty: Float = 0

    private var x: Tensor!  // last input (owned by the previous layer)
    private var outputs: [Tensor?] = []  // sub-layer outputs of the last forward
    private var scale: Tensor!  // (N) this step's branch multiplier per sample: 0, 1/p or 1
    private var y: Tensor!
    private var dBranch: Tensor!
    private var dx: Tensor!
    private var trainingStep = false

    public init(layers: [Layer], survivalProbability: Float = 1) {
        precondition(
            survivalProbability > 0 && survivalProbability <= 1,
            "residual survival_probability must be in (0, 1], got \(survivalProbability)")
        self.layers = layers
        self.survivalProbability = survivalProbability
    }

    public func beginEpoch(_ epoch: Int) {
        for layer in layers { layer.beginEpoch(epoch) }
    }

    public func build(inputShape: [Int], maxBatch: Int, rng: inout RNG) throws -> [Int] {
        guard !layers.isEmpty else { throw ShapeError("residual needs at least one layer in its branch") }
        var shape = inputShape
        for (j, layer) in layers.enumerated() {
            do {
                shape = try layer.build(inputShape: shape, maxBatch: maxBatch, rng: &rng)
            } catch let e as ShapeError {
                throw ShapeError("layers[\(j)]: \(e.description)")
            }
        }
        guard shape == inputShape else {
            func show(_ s: [Int]) -> String { "(None" + s.map { ", \($0)" }.joined() + ")" }
            throw ShapeError(
                "residual branch output shape \(show(shape)) does not match its input shape "
                    + "\(show(inputShape)); x + f(x) needs equal shapes")
        }
        layers[0].needsInputGradient = needsInputGradient
        outputs = Array(repeating: nil, count: layers.count)
        scale = Tensor(shape: [maxBatch])
        y = Tensor(shape: [maxBatch] + inputShape)
        dBranch = Tensor(shape: [maxBatch] + inputShape)
        dx = Tensor(shape: [maxBatch] + inputShape)
        return inputShape
    }

    public func forward(_ x: Tensor, training: Bool, rng: inout RNG) -> Tensor {
        precondition(
            x.sampleSize == y.sampleSize, "residual expects samples like \(y.shape.dropFirst()), got \(x.shape)")
        self.x = x
        trainingStep = training
        let n = x.shape[0], per = x.sampleSize
        scale.setBatch(n)
        let sp = scale.data
        if training && survivalProbability < 1 {
            let p = survivalProbability, kept = 1 / p
            let generators = rng.perSample()
            for s in 0..<n {
                var g = generators[s]
                sp[s] = g.uniform() < p ? kept : 0
            }
        } else {
            scale.fill(1)
        }
        var h = x
        innerActivityPenalty = 0
        let rows = Float(globalBatch?.rows ?? n)
        for j in layers.indices {
            let layer = layers[j]
            h = layer.forward(h, training: training, rng: &rng)
            outputs[j] = h
            if training {
                if let reg = layer.activityRegularizer { innerActivityPenalty += reg.penalty(h) / rows }
                innerActivityPenalty += layer.innerActivityPenalty
            }
        }
        y.setBatch(n)
        let xp = x.data, fp = h.data, yp = y.data
        for s in 0..<n {
            let m = sp[s], start = s * per
            for i in start..<(start + per) { yp[i] = xp[i] + m * fp[i] }
        }
        return y
    }

    /// dx = dy + df/dx^T (dy * m / p): the skip path plus the branch's backward pass fed
    /// with the scaled dy (and each sub-layer's activity-penalty gradient, as Sequential
    /// adds them).
    public func backward(_ dy: Tensor) -> Tensor? {
        let n = dy.shape[0], per = dy.sampleSize
        dBranch.setBatch(n)
        let gp = dy.data, bp = dBranch.data, sp = scale.data
        for s in 0..<n {
            let m = sp[s], start = s * per
            for i in start..<(start + per) { bp[i] = m * gp[i] }
        }
        var g: Tensor? = dBranch
        for j in layers.indices.reversed() {
            guard let d = g else { break }
            let layer = layers[j]
            if trainingStep, let reg = layer.activityRegularizer, let out = outputs[j] {
                let rows = Float(globalBatch?.rows ?? n)
                Regularizer(l1: reg.l1 / rows, l2: reg.l2 / rows).addGradient(out, into: d)
            }
            g = layer.backward(d)
        }
        guard needsInputGradient else { return nil }
        guard let branchDx = g else { preconditionFailure("residual: the branch returned no input gradient") }
        dx.setBatch(n)
        let dp = dx.data, fp = branchDx.data
        for i in 0..<dy.count { dp[i] = gp[i] + fp[i] }
        return dx
    }
}

extension Residual {
    static let registration = LayerType(
        Schema(
            "residual",
            [
                Option("layers", .layers, doc: "the block: its output is added to its input"),
                Option(
                    "survival_probability", .number(Interval(lower: 0, lowerClosed: false, upper: 1)), default: 1,
                    doc: "chance the block runs in a training step (stochastic depth); 1: a plain residual block"),
            ],
            doc: "x + block(x), with optional stochastic depth"),
        make: { s in
            Residual(
                layers: try s.layers().map(LayerRegistry.make), survivalProbability: s.float("survival_probability"))
        },
        size: { s, input in
            var shape = input, parameters = 0.0, activations = LayerSize.count(input)
            for sub in s.layers() {
                let size = try LayerRegistry.size(sub, input: shape)
                (shape, parameters, activations) = (
                    size.output, parameters + size.parameters, activations + size.activations
                )
            }
            return LayerSize(output: input, parameters: parameters, activations: activations)
        })
}
