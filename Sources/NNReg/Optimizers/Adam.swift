import Foundation

/// Adam, optionally AMSGrad, as Keras 3's Adam; also AdamW, which in Keras 3 is
/// Adam with decoupled weight decay on by default (keras/src/optimizers/adamw.py).
///
/// Slots, in Keras's order: "momentum", "velocity"; "velocity_hat" when amsgrad.
/// Epsilon is Kingma and Ba's "epsilon hat": added to sqrt(v) and not
/// bias-corrected, the bias corrections being folded into the step size.
public final class Adam: KerasOptimizer {
    public let beta1: Float
    public let beta2: Float
    public let epsilon: Float
    public let amsgrad: Bool
    /// 1 - beta1 and 1 - beta2, rounded as Keras rounds them (`pythonComplement`).
    private let oneMinusBeta1: Float
    private let oneMinusBeta2: Float
    /// lr * sqrt(1 - beta2^t) / (1 - beta1^t) for the step being taken.
    private var alpha: Float = 0

    /// Adam, or AdamW when `config.type` is "adamw".
    public init(_ config: OptimizerConfig) {
        beta1 = config.beta1
        beta2 = config.beta2
        epsilon = config.epsilon
        amsgrad = config.amsgrad
        oneMinusBeta1 = KerasOptimizer.pythonComplement(config.beta1)
        oneMinusBeta2 = KerasOptimizer.pythonComplement(config.beta2)
        super.init(
            name: config.type == "adamw" ? "adamw" : "adam", config: config,
            slotNames: config.amsgrad ? ["momentum", "velocity", "velocity_hat"] : ["momentum", "velocity"])
    }

    override func beginStep(t: Int) {
        let t = Float(t)
        alpha = learningRate * (1 - pow(beta2, t)).squareRoot() / (1 - pow(beta1, t))
    }

    override func update(
        _ w: UnsafeMutablePointer<Float>, _ g: UnsafePointer<Float>, _ clip: GradientClip,
        _ slots: [Tensor], offset: Int, count: Int
    ) {
        Adam.step(
            w, g, clip, m: slots[0].data + offset, v: slots[1].data + offset,
            vHat: amsgrad ? slots[2].data + offset : nil,
            count: count, alpha: alpha, oneMinusBeta1: oneMinusBeta1, oneMinusBeta2: oneMinusBeta2,
            epsilon: epsilon)
    }

    /// m += (g - m) * (1 - beta1); v += (g^2 - v) * (1 - beta2);
    /// amsgrad: vHat = max(vHat, v), used in place of v;
    /// w -= m * alpha / (sqrt(v) + eps), alpha = lr * sqrt(1 - beta2^t) / (1 - beta1^t)
    /// (keras/src/optimizers/adam.py, update_step).
    static func step(
        _ w: UnsafeMutablePointer<Float>, _ g: UnsafePointer<Float>, _ clip: GradientClip,
        m: UnsafeMutablePointer<Float>, v: UnsafeMutablePointer<Float>, vHat: UnsafeMutablePointer<Float>?,
        count: Int, alpha: Float, oneMinusBeta1: Float, oneMinusBeta2: Float, epsilon: Float
    ) {
        var j = 0
        if vHat == nil {
            // Fast path: 8 lanes at a time, the same operations per element as below.
            let b1 = F8(repeating: oneMinusBeta1), b2 = F8(repeating: oneMinusBeta2)
            let a = F8(repeating: alpha), eps = F8(repeating: epsilon)
            let scale = F8(repeating: clip.scale), hi = F8(repeating: clip.limit), lo = -hi
            let clipping = clip.scale != 1 || clip.limit != .infinity
            while j + 8 <= count {
                var gj = load8(g + j)
                if clipping {
                    gj *= scale
                    gj.replace(with: lo, where: gj .< lo)
                    gj.replace(with: hi, where: gj .> hi)
                }
                let mj = load8(m + j) + (gj - load8(m + j)) * b1
                let vj = load8(v + j) + (gj * gj - load8(v + j)) * b2
                store8(mj, m + j)
                store8(vj, v + j)
                store8(load8(w + j) - mj * a / (vj.squareRoot() + eps), w + j)
                j += 8
            }
        }
        while j < count {
            let gj = clip(g[j])
            m[j] += (gj - m[j]) * oneMinusBeta1
            v[j] += (gj * gj - v[j]) * oneMinusBeta2
            var vj = v[j]
            if let vHat {
                vHat[j] = max(vHat[j], vj)
                vj = vHat[j]
            }
            w[j] -= m[j] * alpha / (vj.squareRoot() + epsilon)
            j += 1
        }
    }
}

extension Adam {
    private static let options =
        OptimizerRegistry.betas + [
            OptimizerRegistry.epsilon,
            Option("amsgrad", .bool, default: false, doc: "use the maximum of past second moments (AMSGrad)"),
        ]

    static let registration = OptimizerType(
        schema: OptimizerRegistry.schema("adam", options, doc: "adaptive moment estimation (Kingma and Ba 2015)"),
        make: { Adam($0) })

    static let adamw = OptimizerType(
        schema: OptimizerRegistry.schema(
            "adamw", weightDecay: 0.004, options, doc: "Adam with decoupled weight decay (Loshchilov and Hutter 2019)"),
        make: { Adam($0) })
}
