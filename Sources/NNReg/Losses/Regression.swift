import Foundation

/// Mean squared error, Keras `mean_squared_error`: l_i = mean_k (output - target)^2.
public struct MeanSquaredError: Loss {
    public let name = "mean_squared_error"

    public init() {}

    // output: (N, K), target: (N, K) -> mean loss; gradient: (N, K)
    public func compute(output: Tensor, target: Tensor, weights: UnsafePointer<Float>?, gradient: Tensor?) -> Float {
        reduceElementwise(output: output, target: target, weights: weights, gradient: gradient) { e in
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
        reduceElementwise(output: output, target: target, weights: weights, gradient: gradient) { e in
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
        return reduceElementwise(output: output, target: target, weights: weights, gradient: gradient) { e in
            abs(e) <= d ? (0.5 * e * e, e) : (d * abs(e) - 0.5 * d * d, e > 0 ? d : -d)
        }
    }
}

/// The shared reduction of the regression losses: l_i = mean_k f(e_ik) with
/// e = output - target, loss = sum_i w_i l_i / N, accumulated in Double.
/// `f` returns the element loss and its derivative with respect to e.
@inline(__always)
func reduceElementwise(
    output: Tensor, target: Tensor, weights: UnsafePointer<Float>?, gradient: Tensor?,
    _ f: (Double) -> (loss: Double, dloss: Double)
) -> Float {
    let n = output.shape[0], k = output.sampleSize
    precondition(target.count == output.count, "target \(target.shape) does not match output \(output.shape)")
    let out = output.data, tgt = target.data
    let dout = gradient.map { prepareGradient($0, like: output) }
    if n == 0 { return 0 }  // Keras divides with divide_no_nan
    var total = 0.0
    for i in 0..<n {
        let w = weights.map { Double($0[i]) } ?? 1
        let scale = w / Double(n * k)
        var sum = 0.0
        for j in i * k..<(i + 1) * k {
            let (l, dl) = f(Double(out[j]) - Double(tgt[j]))
            sum += l
            dout?[j] = Float(scale * dl)
        }
        total += w * sum / Double(k)
    }
    return Float(total / Double(n))
}

/// Shapes `gradient` like `output` and returns its storage.
@inline(__always)
func prepareGradient(_ gradient: Tensor, like output: Tensor) -> UnsafeMutablePointer<Float> {
    if gradient.shape != output.shape { gradient.reshape(output.shape) }
    return gradient.data
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
            "huber", [Option("delta", .number(.positive), default: 1, doc: "where the loss turns from squared to linear")],
            doc: "squared error below delta, linear above"),
        make: { Huber(delta: $0.delta) })
}
