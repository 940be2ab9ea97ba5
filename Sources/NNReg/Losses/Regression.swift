import Foundation

/// Mean squared error, Keras `mean_squared_error`: l_i = mean_k (output - target)^2.
public struct MeanSquaredError: Loss {
    public let name = "mean_squared_error"

    public init() {}

    // output: (N, K), target: (N, K) -> mean loss; gradient: (N, K)
    public func compute(output: Tensor, target: Tensor, weights: UnsafePointer<Float>?, gradient: Tensor?) -> Float {
        reduceErrors(output: output, target: target, weights: weights, gradient: gradient) { e in
            (e * e, 2 * e)
        }
    }
}

/// Mean absolute error, Keras `mean_absolute_error`: l_i = mean_k |output - target|.
///
/// At a zero error the gradient is 0, as TensorFlow's (sign(0) = 0).
public struct MeanAbsoluteError: Loss {
    public let name = "mean_absolute_error"

    public init() {}

    // output: (N, K), target: (N, K) -> mean loss; gradient: (N, K)
    public func compute(output: Tensor, target: Tensor, weights: UnsafePointer<Float>?, gradient: Tensor?) -> Float {
        reduceErrors(output: output, target: target, weights: weights, gradient: gradient) { e in
            (abs(e), e > 0 ? 1 : (e < 0 ? -1 : 0))
        }
    }
}

/// Huber loss, Keras `huber`: per element 0.5 e^2 when |e| <= delta, else
/// delta (|e| - 0.5 delta); l_i is the mean over the last axis.
///
/// The derivative (e clipped to [-delta, delta]) is continuous, so the kinks need no
/// convention; it is 0 at e = 0, as TensorFlow's.
public struct Huber: Loss {
    public let name = "huber"
    public let delta: Float

    public init(delta: Float = 1) {
        precondition(delta > 0 && delta.isFinite, "huber delta must be > 0, got \(delta)")
        self.delta = delta
    }

    // output: (N, K), target: (N, K) -> mean loss; gradient: (N, K)
    public func compute(output: Tensor, target: Tensor, weights: UnsafePointer<Float>?, gradient: Tensor?) -> Float {
        let d = Double(delta)
        return reduceErrors(output: output, target: target, weights: weights, gradient: gradient) { e in
            abs(e) <= d ? (0.5 * e * e, e) : (d * abs(e) - 0.5 * d * d, e > 0 ? d : -d)
        }
    }
}

extension MeanSquaredError {
    static let registration = LossType(
        schema: Schema("mean_squared_error", [], doc: "mean of (output - target)²"), aliases: ["mse"],
        make: { _ in MeanSquaredError() })
}

extension MeanAbsoluteError {
    static let registration = LossType(
        schema: Schema("mean_absolute_error", [], doc: "mean of |output - target|"), aliases: ["mae"],
        make: { _ in MeanAbsoluteError() })
}

extension Huber {
    static let registration = LossType(
        schema: Schema(
            "huber",
            [Option("delta", .number(.positive), default: 1, doc: "where the loss turns from squared to linear")],
            doc: "squared error below delta, linear above"),
        make: { Huber(delta: $0.delta) })
}
