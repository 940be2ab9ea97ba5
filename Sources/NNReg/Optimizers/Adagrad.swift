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
