/// Adagrad, as Keras 3's Adagrad.
///
/// Slot: "accumulator", starting at initial_accumulator_value. Epsilon is added
/// inside the square root.
public final class Adagrad: KerasOptimizer {
    public let epsilon: Float

    public init(_ config: OptimizerConfig) {
        epsilon = config.epsilon
        super.init(
            name: "adagrad", config: config, slotNames: ["accumulator"],
            slotInitialValue: config.initialAccumulatorValue)
    }

    override func update(
        _ w: UnsafeMutablePointer<Float>, _ g: UnsafePointer<Float>, _ clip: GradientClip,
        _ slots: [Tensor], offset: Int, count: Int
    ) {
        Adagrad.step(w, g, clip, accumulator: slots[0].data + offset, count: count, lr: learningRate, epsilon: epsilon)
    }

    /// acc += g^2; w -= lr * g / sqrt(acc + eps) (keras/src/optimizers/adagrad.py, update_step).
    static func step(
        _ w: UnsafeMutablePointer<Float>, _ g: UnsafePointer<Float>, _ clip: GradientClip,
        accumulator acc: UnsafeMutablePointer<Float>, count: Int, lr: Float, epsilon: Float
    ) {
        for j in 0..<count {
            let gj = clip(g[j])
            acc[j] += gj * gj
            w[j] -= lr * gj / (acc[j] + epsilon).squareRoot()
        }
    }
}

extension Adagrad {
    static let registration = OptimizerType(
        schema: OptimizerRegistry.schema(
            "adagrad",
            [
                Option(
                    "initial_accumulator_value", .number(.nonNegative), default: 0.1,
                    doc: "starting value of the squared-gradient sums"),
                OptimizerRegistry.epsilon,
            ],
            doc: "per-weight rates from the sum of all squared gradients so far"),
        make: { Adagrad($0) })
}
