/// Gradient clipping for one parameter, applied to each gradient element as the
/// update reads it, so clipping neither copies nor overwrites `Parameter.grad`.
///
/// Keras 3 (keras/src/optimizers/base_optimizer.py, _clip_gradients) clips with at
/// most one of: clipnorm (g * c / max(||g||, c), per variable, no epsilon: TF's
/// tf.clip_by_norm), global_clipnorm (g * c * min(1/||all g||, 1/c)), clipvalue
/// (clip(g, -c, c)).
struct GradientClip {
    /// Factor from clipnorm or global_clipnorm; 1 when neither is set.
    var scale: Float = 1
    /// Elementwise bound from clipvalue; infinity when it is not set.
    var limit: Float = .infinity

    @inline(__always)
    func callAsFunction(_ g: Float) -> Float { min(max(g * scale, -limit), limit) }
}

/// What every Keras 3 optimizer does around its update, shared by the concrete ones.
///
/// One `step()` follows keras/src/optimizers/base_optimizer.py (apply,
/// _backend_apply_gradients): clip the gradients, apply decoupled weight decay
/// (w -= w * weight_decay * lr, _apply_weight_decay), run the per-parameter
/// update with t = iterations + 1, then count the iteration. Subclasses name their
/// slots as Keras names its optimizer variables ("momentum", "velocity", ...) and
/// implement `update` over raw pointers. Non-trainable parameters get no slots and
/// are skipped. Nothing here allocates after `prepare`.
public class KerasOptimizer: Optimizer {
    public let name: String
    public var learningRate: Float
    public var iterations = 0
    /// Scalar state besides `iterations`; none unless a subclass has some.
    public var scalars: [String: Double] {
        get { [:] }
        set {}
    }

    /// Decoupled weight decay; nil when off.
    let weightDecay: Float?
    /// Clipping thresholds, each nil unless set and > 0 (Keras ignores the others).
    let clipnorm: Float?
    let clipvalue: Float?
    let globalClipnorm: Float?
    /// Per-parameter slots, in the order Keras builds them.
    let slotNames: [String]
    /// The value slots start from (Adagrad's initial_accumulator_value; else 0).
    let slotInitialValue: Float

    /// The parameters given to `prepare`, in order.
    private(set) var params: [Parameter] = []
    /// state[i][k] is slot `slotNames[k]` of `params[i]`; empty when it is not trainable.
    private(set) var state: [[Tensor]] = []

    init(name: String, config: OptimizerConfig, slotNames: [String], slotInitialValue: Float = 0) {
        func positive(_ x: Float?) -> Float? { x.flatMap { $0 > 0 ? $0 : nil } }
        self.name = name
        self.learningRate = config.learningRate
        self.weightDecay = config.weightDecay
        self.clipnorm = positive(config.clipnorm)
        self.clipvalue = positive(config.clipvalue)
        self.globalClipnorm = positive(config.globalClipnorm)
        self.slotNames = slotNames
        self.slotInitialValue = slotInitialValue
    }

    public func prepare(_ params: [Parameter]) {
        self.params = params
        state = params.map { p in
            guard p.trainable else { return [] }
            return slotNames.map { _ in
                let t = Tensor(shape: p.value.shape)
                t.fill(slotInitialValue)
                return t
            }
        }
    }

    public func step() {
        let t = iterations + 1
        beginStep(t: t)
        let globalScale = globalClipnorm.map { c in
            let norm = globalGradientNorm()
            // Keras's formula; a non-finite norm makes the scale NaN, as in Keras.
            return c * min(1 / norm, 1 / c) + (norm - norm)
        }
        let lr = learningRate
        for i in params.indices {
            let p = params[i]
            guard p.trainable else { continue }
            let n = p.value.count
            precondition(p.grad.count == n, "\(p.name): gradient has \(p.grad.count) elements, value \(n)")
            var clip = GradientClip()
            if let c = clipnorm {
                clip.scale = c / max(Self.norm(p.grad.data, count: n), c)
            } else if let s = globalScale {
                clip.scale = s
            } else if let c = clipvalue {
                clip.limit = c
            }
            // Elementwise, so split into one shard of elements per worker thread.
            Parallel.forEachShard(of: n, grain: 1 << 14) { r in
                let w = p.value.data + r.lowerBound
                if let wd = weightDecay {
                    for j in 0..<r.count { w[j] -= w[j] * wd * lr }
                }
                update(w, p.grad.data + r.lowerBound, clip, state[i], offset: r.lowerBound, count: r.count)
            }
        }
        iterations = t
    }

    public func slots(of index: Int) -> [(name: String, tensor: Tensor)] {
        precondition(state.indices.contains(index), "no parameter \(index); prepare was given \(state.count)")
        return Array(zip(slotNames, state[index])).map { (name: $0.0, tensor: $0.1) }
    }

    /// Computes per-step scalars before any parameter is updated; `t` is the step
    /// being taken (Keras's iterations + 1).
    func beginStep(t: Int) {}

    /// Updates `count` elements of one parameter: `w` and `g` point at them, `slots` are
    /// the parameter's state tensors in `slotNames` order, whose elements from `offset`
    /// on correspond, and `clip` must be applied to every `g[j]`.
    func update(
        _ w: UnsafeMutablePointer<Float>, _ g: UnsafePointer<Float>, _ clip: GradientClip,
        _ slots: [Tensor], offset: Int, count: Int
    ) {
        fatalError("\(type(of: self)) must override update")
    }

    /// 1 - x as Keras computes it where x is a Python-float hyperparameter (Adam's
    /// `1 - self.beta_2`): in double precision from the decimal the user wrote, then
    /// rounded to float32. For beta_2 = 0.999 this differs from the float32
    /// 1 - 0.999 by 1.3e-5 relative. The decimal is recovered as the shortest one
    /// that reads back as `x` (`Float.description`), which is what a spec gives.
    static func pythonComplement(_ x: Float) -> Float {
        Float(1 - (Double(x.description) ?? Double(x)))
    }

    /// L2 norm of `count` elements, summed in Double.
    static func norm(_ x: UnsafePointer<Float>, count: Int) -> Float {
        var sum = 0.0
        for j in 0..<count { sum += Double(x[j]) * Double(x[j]) }
        return Float(sum.squareRoot())
    }

    /// L2 norm of all trainable gradients together (Keras global_norm).
    private func globalGradientNorm() -> Float {
        var sum = 0.0
        for p in params where p.trainable {
            let g = p.grad.data
            for j in 0..<p.grad.count { sum += Double(g[j]) * Double(g[j]) }
        }
        return Float(sum.squareRoot())
    }
}
