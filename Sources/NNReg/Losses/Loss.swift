/// A loss: the mean over the batch of weight * per-sample loss, and its gradient.
///
/// Reduction is Keras's "sum_over_batch_size": sum_i(w_i * l_i) / N, with w_i = 1
/// when no sample weights are given. Implementations live beside this file, one per
/// family; `makeLoss` maps a spec name to one.
public protocol Loss {
    /// The Keras name, e.g. "sparse_categorical_crossentropy".
    var name: String { get }
    /// output: (N, K) model outputs (logits when the loss was made `fromLogits`),
    /// target: (N, T) with T = 1 for sparse class ids, else T = K; weights: N or nil.
    /// Returns the mean loss; when `gradient` is given, writes dLoss/doutput (N, K) there.
    func compute(output: Tensor, target: Tensor, weights: UnsafePointer<Float>?, gradient: Tensor?) -> Float
}

/// The reduction every loss shares: sum_i `weightedRowLoss(i, w_i, dout)` / N in Double,
/// with w_i = 1 without sample weights. `dout` is the gradient shaped like `output` (nil
/// without one); each row writes its own part. An empty batch gives 0 (Keras divides with
/// divide_no_nan).
@inline(__always)
func meanOverBatch(
    output: Tensor, weights: UnsafePointer<Float>?, gradient: Tensor?,
    _ weightedRowLoss: (_ row: Int, _ weight: Double, _ dout: UnsafeMutablePointer<Float>?) -> Double
) -> Float {
    let n = output.shape[0]
    let dout = gradient.map { prepareGradient($0, like: output) }
    if n == 0 { return 0 }
    var total = 0.0
    for i in 0..<n {
        let w = weights.map { Double($0[i]) } ?? 1
        total += weightedRowLoss(i, w, dout)
    }
    return Float(total / Double(n))
}

/// The elementwise losses (regression, binary crossentropy): l_i = mean_k f(o_ik, t_ik),
/// loss = sum_i w_i l_i / N, accumulated in Double. `f` returns the element loss and its
/// derivative with respect to the output o.
@inline(__always)
func reduceElementwise(
    output: Tensor, target: Tensor, weights: UnsafePointer<Float>?, gradient: Tensor?,
    _ f: (_ output: Double, _ target: Double) -> (loss: Double, dloss: Double)
) -> Float {
    let n = output.shape[0], k = output.sampleSize
    precondition(target.count == output.count, "target \(target.shape) does not match output \(output.shape)")
    let out = output.data, tgt = target.data
    return meanOverBatch(output: output, weights: weights, gradient: gradient) { i, w, dout in
        let scale = w / Double(n * k)
        var sum = 0.0
        for j in i * k..<(i + 1) * k {
            let (l, dl) = f(Double(out[j]), Double(tgt[j]))
            sum += l
            dout?[j] = Float(scale * dl)
        }
        return w * sum / Double(k)
    }
}

/// `reduceElementwise` of a function of the error e = output - target (the regression losses).
@inline(__always)
func reduceErrors(
    output: Tensor, target: Tensor, weights: UnsafePointer<Float>?, gradient: Tensor?,
    _ f: (_ error: Double) -> (loss: Double, dloss: Double)
) -> Float {
    reduceElementwise(output: output, target: target, weights: weights, gradient: gradient) { o, t in f(o - t) }
}

/// Shapes `gradient` like `output` and returns its storage.
@inline(__always)
func prepareGradient(_ gradient: Tensor, like output: Tensor) -> UnsafeMutablePointer<Float> {
    if gradient.shape != output.shape { gradient.reshape(output.shape) }
    return gradient.data
}
