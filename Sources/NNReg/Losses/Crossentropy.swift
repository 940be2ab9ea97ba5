import Foundation

// Crossentropies as Keras 3 computes them (keras/src/losses/losses.py and
// keras/src/backend/tensorflow/nn.py). From logits they use a stable log-sigmoid or
// log-softmax; from probabilities they clip to [epsilon, 1 - epsilon] with Keras's
// epsilon 1e-7, and the gradient is 0 where the clip is active, as TensorFlow's.

/// Keras's `backend.epsilon()` as the float32 clip bounds TensorFlow uses.
let probabilityFloor = Double(Float(1e-7))
let probabilityCeiling = Double(Float(1 - 1e-7))

/// The options every crossentropy takes, as Keras names them.
public struct CrossentropyOptions: Sendable {
    /// The output is logits, not probabilities.
    public let fromLogits: Bool
    /// Targets are smoothed toward uniform by this fraction, in [0, 1].
    public let labelSmoothing: Float

    public init(fromLogits: Bool, labelSmoothing: Float) {
        precondition((0...1).contains(labelSmoothing), "label_smoothing must be in [0, 1], got \(labelSmoothing)")
        self.fromLogits = fromLogits
        self.labelSmoothing = labelSmoothing
    }
}

/// A crossentropy loss (binary, categorical, sparse categorical) with its options.
public protocol CrossentropyLoss: Loss {
    var options: CrossentropyOptions { get }
    init(options: CrossentropyOptions)
}

extension CrossentropyLoss {
    public var fromLogits: Bool { options.fromLogits }
    public var labelSmoothing: Float { options.labelSmoothing }

    public init(fromLogits: Bool = false, labelSmoothing: Float = 0) {
        self.init(options: CrossentropyOptions(fromLogits: fromLogits, labelSmoothing: labelSmoothing))
    }

    /// The loss as specs name it, with Keras's from_logits and label_smoothing.
    static func registration(_ name: String, doc: String) -> LossType {
        LossType(
            schema: Schema(name, LossRegistry.crossentropyOptions, doc: doc),
            make: { Self(fromLogits: $0.fromLogits, labelSmoothing: $0.labelSmoothing) })
    }
}

/// Binary crossentropy, Keras `binary_crossentropy`: l_i = mean_k of
/// -(t log p + (1 - t) log(1 - p)), with t smoothed to t (1 - ls) + 0.5 ls.
public struct BinaryCrossentropy: CrossentropyLoss {
    public let name = "binary_crossentropy"
    public let options: CrossentropyOptions

    public init(options: CrossentropyOptions) { self.options = options }

    // output: (N, K) probabilities or logits, target: (N, K) in [0, 1] -> mean loss; gradient: (N, K)
    public func compute(output: Tensor, target: Tensor, weights: UnsafePointer<Float>?, gradient: Tensor?) -> Float {
        let ls = Double(labelSmoothing), logits = fromLogits
        return reduceElementwise(output: output, target: target, weights: weights, gradient: gradient) { x, target in
            let t = target * (1 - ls) + 0.5 * ls
            if logits {
                // max(x, 0) - x t + log(1 + e^-|x|), TensorFlow's sigmoid_cross_entropy_with_logits
                return (max(x, 0) - x * t + log1p(exp(-abs(x))), sigmoid(x) - t)
            }
            let p = min(max(x, probabilityFloor), probabilityCeiling)
            return (-(t * log(p) + (1 - t) * log(1 - p)), p == x ? (1 - t) / (1 - p) - t / p : 0)
        }
    }
}

/// Categorical crossentropy, Keras `categorical_crossentropy`: l_i = -sum_k t_k log p_k
/// for one-hot targets, smoothed to t (1 - ls) + ls / K.
///
/// From probabilities, Keras first rescales each row to sum 1, then clips:
/// p_k = clip(o_k / sum_j o_j). The gradient flows through that rescaling.
public struct CategoricalCrossentropy: CrossentropyLoss {
    public let name = "categorical_crossentropy"
    public let options: CrossentropyOptions

    public init(options: CrossentropyOptions) { self.options = options }

    // output: (N, K) probabilities or logits, target: (N, K) one-hot -> mean loss; gradient: (N, K)
    public func compute(output: Tensor, target: Tensor, weights: UnsafePointer<Float>?, gradient: Tensor?) -> Float {
        precondition(target.count == output.count, "target \(target.shape) does not match output \(output.shape)")
        return classCrossentropy(
            output: output, target: target, sparse: false, weights: weights, gradient: gradient,
            options: options, probabilities: normalizedCrossentropy)
    }
}

/// Sparse categorical crossentropy, Keras `sparse_categorical_crossentropy`, with
/// targets (N, 1) holding class ids as Floats.
///
/// From probabilities, Keras clips first and renormalises after (it feeds
/// log(clip(p)) to a softmax crossentropy), unlike `CategoricalCrossentropy`:
/// l_i = log(sum_j clip(o_j)) - log(clip(o_c)).
///
/// Keras 3's SparseCategoricalCrossentropy has no label_smoothing. nnreg accepts one and
/// applies it to the equivalent one-hot target, t_j = (j == c)(1 - ls) + ls / K, inside
/// the same formula; with ls = 0 this is exactly Keras's loss.
public struct SparseCategoricalCrossentropy: CrossentropyLoss {
    public let name = "sparse_categorical_crossentropy"
    public let options: CrossentropyOptions

    public init(options: CrossentropyOptions) { self.options = options }

    // output: (N, K) probabilities or logits, target: (N, 1) class ids -> mean loss; gradient: (N, K)
    public func compute(output: Tensor, target: Tensor, weights: UnsafePointer<Float>?, gradient: Tensor?) -> Float {
        precondition(
            target.count == output.shape[0], "sparse target \(target.shape) must be (N, 1) for output \(output.shape)")
        return classCrossentropy(
            output: output, target: target, sparse: true, weights: weights, gradient: gradient,
            options: options, probabilities: clippedLogCrossentropy)
    }
}

/// The categorical and the sparse crossentropy, row by row: row i's smoothed target (its
/// one-hot row, or with `sparse` its class id), then its loss from logits by the log-softmax
/// form or from probabilities by `probabilities`, each scaled by w_i / N.
@inline(__always)
func classCrossentropy(
    output: Tensor, target: Tensor, sparse: Bool, weights: UnsafePointer<Float>?, gradient: Tensor?,
    options: CrossentropyOptions,
    probabilities: (UnsafePointer<Float>, Int, TargetRow, UnsafeMutablePointer<Float>?, _ scale: Double) -> Double
) -> Float {
    let n = output.shape[0], k = output.sampleSize
    let keep = 1 - Double(options.labelSmoothing), spread = Double(options.labelSmoothing) / Double(k)
    return meanOverBatch(output: output, weights: weights, gradient: gradient) { i, w, dout in
        let x = output.data + i * k, dx = dout.map { $0 + i * k }
        let smoothed: TargetRow
        if sparse {
            let id = target[i]
            precondition(
                id >= 0 && id < Float(k) && id.rounded() == id, "class id must be an integer in [0, \(k)), got \(id)")
            smoothed = TargetRow(oneHot: nil, classId: Int(id), keep: keep, spread: spread)
        } else {
            smoothed = TargetRow(oneHot: target.data + i * k, classId: 0, keep: keep, spread: spread)
        }
        let l =
            options.fromLogits
            ? softmaxCrossentropy(logits: x, k, smoothed, dx, scale: w / Double(n))
            : probabilities(x, k, smoothed, dx, w / Double(n))
        return w * l
    }
}

// MARK: - One row of K classes

/// A smoothed target row, t_j (1 - ls) + ls / K, read from a one-hot row or from a
/// class id (then t_j = (j == classId)).
struct TargetRow {
    let oneHot: UnsafePointer<Float>?
    let classId: Int
    let keep: Double
    let spread: Double

    @inline(__always)
    subscript(j: Int) -> Double {
        let t = oneHot.map { Double($0[j]) } ?? (j == classId ? 1 : 0)
        return t * keep + spread
    }
}

/// Logistic sigmoid without overflow.
@inline(__always)
func sigmoid(_ x: Double) -> Double {
    x >= 0 ? 1 / (1 + exp(-x)) : exp(x) / (1 + exp(x))
}

/// sum_j t_j (logsumexp(x) - x_j), the stable log-softmax form; writes
/// dx_j = scale (softmax_j sum(t) - t_j), the exact derivative.
@inline(__always)
func softmaxCrossentropy(
    logits x: UnsafePointer<Float>, _ k: Int, _ t: TargetRow,
    _ dx: UnsafeMutablePointer<Float>?, scale: Double
) -> Double {
    var m = -Double.infinity
    for j in 0..<k { m = max(m, Double(x[j])) }
    var sumExp = 0.0
    for j in 0..<k { sumExp += exp(Double(x[j]) - m) }
    let lse = m + log(sumExp)
    var loss = 0.0, tsum = 0.0
    for j in 0..<k {
        let tj = t[j]
        loss += tj * (lse - Double(x[j]))
        tsum += tj
    }
    if let dx {
        for j in 0..<k { dx[j] = Float(scale * (exp(Double(x[j]) - lse) * tsum - t[j])) }
    }
    return loss
}

/// Keras's categorical formula from probabilities: q = clip(o / sum(o)),
/// loss -sum_j t_j log q_j. With g_j = -t_j / q_j where the clip is inactive (else 0),
/// dx_k = scale (g_k - sum_j g_j o_j / s) / s, s = sum(o).
@inline(__always)
func normalizedCrossentropy(
    probabilities o: UnsafePointer<Float>, _ k: Int, _ t: TargetRow,
    _ dx: UnsafeMutablePointer<Float>?, scale: Double
) -> Double {
    var s = 0.0
    for j in 0..<k { s += Double(o[j]) }
    var loss = 0.0, dot = 0.0
    for j in 0..<k {
        let q = Double(o[j]) / s
        let qc = min(max(q, probabilityFloor), probabilityCeiling)
        loss -= t[j] * log(qc)
        if qc == q { dot -= t[j] / qc * q }
    }
    if let dx {
        for j in 0..<k {
            let q = Double(o[j]) / s
            let qc = min(max(q, probabilityFloor), probabilityCeiling)
            let g = qc == q ? -t[j] / qc : 0
            dx[j] = Float(scale * (g - dot) / s)
        }
    }
    return loss
}

/// Keras's sparse formula from probabilities: z = log(clip(o)), loss
/// sum_j t_j (logsumexp(z) - z_j) = log(S) sum(t) - sum_j t_j log(clip(o_j)), S = sum_j clip(o_j);
/// dx_j = scale (sum(t) / S - t_j / clip(o_j)) where the clip is inactive, else 0.
@inline(__always)
func clippedLogCrossentropy(
    probabilities o: UnsafePointer<Float>, _ k: Int, _ t: TargetRow,
    _ dx: UnsafeMutablePointer<Float>?, scale: Double
) -> Double {
    var s = 0.0, loss = 0.0, tsum = 0.0
    for j in 0..<k {
        let p = min(max(Double(o[j]), probabilityFloor), probabilityCeiling)
        s += p
        loss -= t[j] * log(p)
        tsum += t[j]
    }
    loss += tsum * log(s)
    if let dx {
        for j in 0..<k {
            let x = Double(o[j])
            let p = min(max(x, probabilityFloor), probabilityCeiling)
            dx[j] = Float(p == x ? scale * (tsum / s - t[j] / p) : 0)
        }
    }
    return loss
}

extension BinaryCrossentropy {
    static let registration = registration(
        "binary_crossentropy", doc: "for 0/1 targets and a sigmoid output (one unit, or several independent labels)")
}

extension CategoricalCrossentropy {
    static let registration = registration(
        "categorical_crossentropy", doc: "for one-hot targets and a softmax output (labels are one-hot encoded for it)")
}

extension SparseCategoricalCrossentropy {
    static let registration = registration(
        "sparse_categorical_crossentropy", doc: "for class-id targets and a softmax output")
}
