import Foundation

/// Nadam (Adam with Nesterov momentum and Dozat's momentum schedule), as Keras 3's Nadam.
///
/// Slots: "momentum", "velocity". Scalar state: "u_product", the running product of
/// the momentum schedule u_1 * ... * u_t (a float32 variable in Keras, starting at 1).
public final class Nadam: KerasOptimizer {
    public let beta1: Float
    public let beta2: Float
    public let epsilon: Float
    /// u_1 * ... * u_t after the last step.
    private var uProduct: Float = 1
    /// Per-step coefficients: m_hat = mCoefficient * m + gCoefficient * g,
    /// v_hat = v / vCorrection.
    private var mCoefficient: Float = 0
    private var gCoefficient: Float = 0
    private var vCorrection: Float = 1

    public init(_ config: OptimizerConfig) {
        beta1 = config.beta1
        beta2 = config.beta2
        epsilon = config.epsilon
        super.init(name: "nadam", config: config, slotNames: ["momentum", "velocity"])
    }

    override public var scalars: [String: Double] {
        get { ["u_product": Double(uProduct)] }
        set { uProduct = newValue["u_product"].map(Float.init) ?? 1 }
    }

    /// u_t = beta1 * (1 - 0.5 * 0.96^t); u_product_t = u_product_{t-1} * u_t,
    /// updated once per step before any variable (keras/src/optimizers/nadam.py,
    /// _backend_update_step); m_hat = u_{t+1} * m / (1 - u_product_t * u_{t+1})
    /// + (1 - u_t) * g / (1 - u_product_t); v_hat = v / (1 - beta2^t) (update_step).
    override func beginStep(t: Int) {
        let decay: Float = 0.96
        let ut = beta1 * (1 - 0.5 * pow(decay, Float(t)))
        let utNext = beta1 * (1 - 0.5 * pow(decay, Float(t + 1)))
        uProduct = uProduct * ut
        mCoefficient = utNext / (1 - uProduct * utNext)
        gCoefficient = (1 - ut) / (1 - uProduct)
        vCorrection = 1 - pow(beta2, Float(t))
    }

    override func update(
        _ w: UnsafeMutablePointer<Float>, _ g: UnsafePointer<Float>, _ clip: GradientClip,
        _ slots: [Tensor], offset: Int, count: Int
    ) {
        Nadam.step(
            w, g, clip, m: slots[0].data + offset, v: slots[1].data + offset, count: count, lr: learningRate,
            beta1: beta1, beta2: beta2, epsilon: epsilon,
            mCoefficient: mCoefficient, gCoefficient: gCoefficient, vCorrection: vCorrection)
    }

    /// m += (g - m) * (1 - beta1); v += (g^2 - v) * (1 - beta2);
    /// m_hat = mCoefficient * m + gCoefficient * g; v_hat = v / vCorrection;
    /// w -= m_hat * lr / (sqrt(v_hat) + eps) (keras/src/optimizers/nadam.py, update_step).
    /// Unlike Adam, Keras's Nadam casts beta1 and beta2 to float32 before taking
    /// 1 - beta, so plain Float arithmetic matches it.
    static func step(
        _ w: UnsafeMutablePointer<Float>, _ g: UnsafePointer<Float>, _ clip: GradientClip,
        m: UnsafeMutablePointer<Float>, v: UnsafeMutablePointer<Float>, count: Int, lr: Float,
        beta1: Float, beta2: Float, epsilon: Float,
        mCoefficient: Float, gCoefficient: Float, vCorrection: Float
    ) {
        for j in 0..<count {
            let gj = clip(g[j])
            m[j] += (gj - m[j]) * (1 - beta1)
            v[j] += (gj * gj - v[j]) * (1 - beta2)
            let mHat = mCoefficient * m[j] + gCoefficient * gj
            let vHat = v[j] / vCorrection
            w[j] -= mHat * lr / (vHat.squareRoot() + epsilon)
        }
    }
}

extension Nadam {
    static let registration = OptimizerType(
        schema: OptimizerRegistry.schema(
            "nadam", OptimizerRegistry.betas + [OptimizerRegistry.epsilon], doc: "Adam with Nesterov momentum"),
        make: { Nadam($0) })
}
