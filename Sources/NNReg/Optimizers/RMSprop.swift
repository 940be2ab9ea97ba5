/// RMSprop, plain or centered, with optional momentum, as Keras 3's RMSprop.
///
/// Slots, in Keras's order: "velocity"; "momentum" when momentum > 0;
/// "average_gradient" when centered. Epsilon is added inside the square root.
public final class RMSprop: KerasOptimizer {
    public let rho: Float
    public let momentum: Float
    public let epsilon: Float
    public let centered: Bool
    /// 1 - rho, rounded as Keras rounds it (`pythonComplement`).
    private let oneMinusRho: Float

    public init(_ config: OptimizerConfig) {
        rho = config.rho
        momentum = config.momentum
        epsilon = config.epsilon
        centered = config.centered
        oneMinusRho = KerasOptimizer.pythonComplement(config.rho)
        var names = ["velocity"]
        if config.momentum > 0 { names.append("momentum") }
        if config.centered { names.append("average_gradient") }
        super.init(name: "rmsprop", config: config, slotNames: names)
    }

    override func update(
        _ w: UnsafeMutablePointer<Float>, _ g: UnsafePointer<Float>, _ clip: GradientClip,
        _ slots: [Tensor], offset: Int, count: Int
    ) {
        let v = slots[0].data + offset
        let mom = momentum > 0 ? slots[1].data + offset : nil
        let avg = centered ? slots[slots.count - 1].data + offset : nil
        RMSprop.step(
            w, g, clip, velocity: v, momentumSlot: mom, averageGradient: avg, count: count,
            lr: learningRate, rho: rho, oneMinusRho: oneMinusRho, momentum: momentum, epsilon: epsilon)
    }

    /// v = rho * v + (1 - rho) * g^2
    /// centered: a = rho * a + (1 - rho) * g; d = v - a^2 + eps; else d = v + eps
    /// inc = lr * g / sqrt(d)
    /// with momentum: mom = momentum * mom + inc; w -= mom; else w -= inc
    /// (keras/src/optimizers/rmsprop.py, update_step).
    static func step(
        _ w: UnsafeMutablePointer<Float>, _ g: UnsafePointer<Float>, _ clip: GradientClip,
        velocity v: UnsafeMutablePointer<Float>, momentumSlot mom: UnsafeMutablePointer<Float>?,
        averageGradient a: UnsafeMutablePointer<Float>?, count: Int,
        lr: Float, rho: Float, oneMinusRho: Float, momentum: Float, epsilon: Float
    ) {
        for j in 0..<count {
            let gj = clip(g[j])
            v[j] = rho * v[j] + oneMinusRho * (gj * gj)
            var d = v[j] + epsilon
            if let a {
                a[j] = rho * a[j] + oneMinusRho * gj
                d = v[j] - a[j] * a[j] + epsilon
            }
            let inc = lr * gj / d.squareRoot()
            if let mom {
                mom[j] = momentum * mom[j] + inc
                w[j] -= mom[j]
            } else {
                w[j] -= inc
            }
        }
    }
}

extension RMSprop {
    static let registration = OptimizerType(
        schema: OptimizerRegistry.schema(
            "rmsprop",
            [
                Option("rho", .number(.fraction), default: 0.9, doc: "decay of the mean squared gradient"),
                Option("momentum", .number(.unit), default: 0, doc: "velocity kept between steps"),
                OptimizerRegistry.epsilon,
                Option(
                    "centered", .bool, default: false, doc: "divide by the gradient's variance, not its mean square"),
            ],
            doc: "divides each step by a running root mean square of the gradients (Keras compile's default)"),
        make: { RMSprop($0) })
}
