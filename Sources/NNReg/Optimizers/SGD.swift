/// Stochastic gradient descent with optional (Nesterov) momentum, as Keras 3's SGD.
///
/// Slot: "momentum", only when momentum != 0 (Keras builds none otherwise).
public final class SGD: KerasOptimizer {
    public let momentum: Float
    public let nesterov: Bool

    public init(_ config: OptimizerConfig) {
        momentum = config.momentum
        nesterov = config.nesterov
        super.init(name: "sgd", config: config, slotNames: config.momentum != 0 ? ["momentum"] : [])
    }

    override func update(
        _ w: UnsafeMutablePointer<Float>, _ g: UnsafePointer<Float>, _ clip: GradientClip,
        _ slots: [Tensor], offset: Int, count: Int
    ) {
        if momentum == 0 {
            SGD.plainStep(w, g, clip, count: count, lr: learningRate)
        } else {
            SGD.momentumStep(
                w, g, clip, slots[0].data + offset, count: count, lr: learningRate, momentum: momentum,
                nesterov: nesterov)
        }
    }

    /// w -= lr * g (keras/src/optimizers/sgd.py, update_step without momentum).
    static func plainStep(
        _ w: UnsafeMutablePointer<Float>, _ g: UnsafePointer<Float>, _ clip: GradientClip,
        count: Int, lr: Float
    ) {
        for j in 0..<count { w[j] -= clip(g[j]) * lr }
    }

    /// m = momentum * m - lr * g; then w += m, or with Nesterov
    /// w += momentum * m - lr * g (keras/src/optimizers/sgd.py, update_step).
    static func momentumStep(
        _ w: UnsafeMutablePointer<Float>, _ g: UnsafePointer<Float>, _ clip: GradientClip,
        _ m: UnsafeMutablePointer<Float>, count: Int, lr: Float, momentum: Float, nesterov: Bool
    ) {
        for j in 0..<count {
            let gj = clip(g[j])
            m[j] = m[j] * momentum - gj * lr
            w[j] += nesterov ? m[j] * momentum - gj * lr : m[j]
        }
    }
}

extension SGD {
    static let registration = OptimizerType(
        schema: OptimizerRegistry.schema(
            "sgd", learningRate: 0.01,
            [
                Option("momentum", .number(.unit), default: 0, doc: "velocity kept between steps"),
                Option("nesterov", .bool, default: false, doc: "Nesterov momentum"),
            ],
            doc: "stochastic gradient descent with optional (Nesterov) momentum"),
        make: { SGD($0) })
}
