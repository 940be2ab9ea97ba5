import Foundation

/// A metric streamed over batches, as a Keras `Metric`: `reset`, `update` per batch,
/// `result` for everything seen since the reset.
///
/// `update` receives what the model outputs (probabilities for a classifier with a
/// softmax or sigmoid output) and allocates nothing. With sample weights it behaves
/// as a Keras `weighted_metrics` entry, without as a plain `metrics` entry.
public protocol Metric: AnyObject {
    /// The name in history and metrics.json: the spec's string, as Keras names it.
    var name: String { get }
    func reset()
    /// output: (N, K), target: (N, T) with T = 1 for class ids, else T = K; weights: N or nil.
    func update(output: Tensor, target: Tensor, weights: UnsafePointer<Float>?)
    /// The metric over every sample since the last reset; 0 before any (Keras's divide_no_nan).
    func result() -> Double
    /// The running sums `result` is computed from, which add up over disjoint parts of the
    /// data: under mpirun the ranks' sums are added (`Communicator.allreduceSum`) and set back.
    var sums: [Double] { get set }
}

/// Keras's `MeanMetricWrapper`: the weighted mean over samples of a per-sample value,
/// sum_i w_i v_i / sum_i w_i, where v_i is the mean over the sample's K outputs.
public final class MeanMetric: Metric {
    /// The per-sample value, one case per Keras metric function.
    public enum Kind: Equatable, Sendable {
        /// Keras 3's "accuracy" string (compile_utils.get_metric): binary accuracy when the
        /// output has one column, sparse categorical accuracy for (N, 1) targets and K > 1,
        /// else categorical accuracy, whatever the loss. So a one-output regression gets
        /// binary accuracy (target == (output > 0.5)), and a multi-label sigmoid output
        /// gets categorical (argmax) accuracy, as in Keras.
        case accuracy
        /// target == (output > threshold ? 1 : 0), elementwise.
        case binaryAccuracy(threshold: Float)
        /// argmax(target) == argmax(output), the first index winning ties.
        case categoricalAccuracy
        /// target == argmax(output).
        case sparseCategoricalAccuracy
        /// nnreg's "top_k_accuracy": sparse for (N, 1) targets and K > 1, else categorical.
        case topKAccuracy(k: Int)
        /// The class argmax(target) is in the top k of the output.
        case topKCategoricalAccuracy(k: Int)
        /// The class id target is in the top k of the output.
        case sparseTopKCategoricalAccuracy(k: Int)
        case meanSquaredError
        case meanAbsoluteError
    }

    public let name: String
    public let kind: Kind
    private var total = 0.0
    private var count = 0.0

    public init(name: String, kind: Kind) {
        switch kind {
        case .topKAccuracy(let k), .topKCategoricalAccuracy(let k), .sparseTopKCategoricalAccuracy(let k):
            precondition(k >= 1, "top-k accuracy needs k >= 1, got \(k) (\(name))")
        default: break
        }
        self.name = name
        self.kind = kind
    }

    public func reset() {
        total = 0
        count = 0
    }

    // output: (N, K), target: (N, T)
    public func update(output: Tensor, target: Tensor, weights: UnsafePointer<Float>?) {
        let n = output.shape[0], k = output.sampleSize, t = target.sampleSize
        precondition(target.shape[0] == n, "target \(target.shape) does not match output \(output.shape)")
        let resolved = resolve(outputWidth: k, targetWidth: t)
        switch resolved {
        case .sparseCategoricalAccuracy, .sparseTopKCategoricalAccuracy:
            precondition(t == 1, "\(name) needs (N, 1) class-id targets, got \(target.shape)")
        default:
            precondition(t == k, "target \(target.shape) does not match output \(output.shape) (\(name))")
        }
        for i in 0..<n {
            let w = weights.map { Double($0[i]) } ?? 1
            let v = Self.sampleValue(resolved, output.data + i * k, target.data + i * t, k)
            total += w * v
            count += w
        }
    }

    public func result() -> Double { count == 0 ? 0 : total / count }

    public var sums: [Double] {
        get { [total, count] }
        set { (total, count) = (newValue[0], newValue[1]) }
    }

    /// The concrete kind for these shapes (only "accuracy" and "top_k_accuracy" depend on them).
    private func resolve(outputWidth k: Int, targetWidth t: Int) -> Kind {
        switch kind {
        case .accuracy:
            if k == 1 { return .binaryAccuracy(threshold: 0.5) }
            return t == 1 ? .sparseCategoricalAccuracy : .categoricalAccuracy
        case .topKAccuracy(let topK):
            return t == 1 && k > 1 ? .sparseTopKCategoricalAccuracy(k: topK) : .topKCategoricalAccuracy(k: topK)
        default:
            return kind
        }
    }

    /// v_i for one sample: o the K outputs, t the target row.
    @inline(__always)
    private static func sampleValue(
        _ kind: Kind, _ o: UnsafePointer<Float>, _ t: UnsafePointer<Float>, _ k: Int
    ) -> Double {
        switch kind {
        case .binaryAccuracy(let threshold):
            var hits = 0
            for j in 0..<k where t[j] == (o[j] > threshold ? 1 : 0) { hits += 1 }
            return Double(hits) / Double(k)
        case .categoricalAccuracy:
            return argmax(t, k) == argmax(o, k) ? 1 : 0
        case .sparseCategoricalAccuracy:
            return t[0] == Float(argmax(o, k)) ? 1 : 0
        case .topKCategoricalAccuracy(let topK):
            return inTopK(o, k, target: argmax(t, k), topK) ? 1 : 0
        case .sparseTopKCategoricalAccuracy(let topK):
            let c = t[0]
            return c >= 0 && c < Float(k) && inTopK(o, k, target: Int(c), topK) ? 1 : 0
        case .meanSquaredError:
            var sum = 0.0
            for j in 0..<k {
                let e = Double(o[j]) - Double(t[j])
                sum += e * e
            }
            return sum / Double(k)
        case .meanAbsoluteError:
            var sum = 0.0
            for j in 0..<k { sum += abs(Double(o[j]) - Double(t[j])) }
            return sum / Double(k)
        case .accuracy, .topKAccuracy:
            preconditionFailure("\(kind) is resolved before use")
        }
    }
}

/// The index of the largest of x[0..<k], the first one on ties (as tf.argmax).
@inline(__always)
func argmax(_ x: UnsafePointer<Float>, _ k: Int) -> Int {
    var best = 0
    for j in 1..<max(k, 1) where x[j] > x[best] { best = j }
    return best
}

/// TensorFlow's in_top_k: true when fewer than k classes score strictly higher than the
/// target, so ties at the boundary count as in; false when a score is not finite.
@inline(__always)
func inTopK(_ x: UnsafePointer<Float>, _ k: Int, target: Int, _ topK: Int) -> Bool {
    let score = x[target]
    guard score.isFinite else { return false }
    var higher = 0
    for j in 0..<k {
        guard x[j].isFinite else { return false }
        if x[j] > score { higher += 1 }
    }
    return higher < topK
}

extension MeanMetric {
    static let registrations = [
        MetricType(
            name: "accuracy", higherIsBetter: true,
            doc:
                "share of right predictions: binary (one output), sparse (class-id targets) or categorical, as Keras resolves it",
            make: { MeanMetric(name: $0, kind: .accuracy) }),
        MetricType(
            name: "binary_accuracy", higherIsBetter: true, doc: "share of outputs on the right side of 0.5",
            make: { MeanMetric(name: $0, kind: .binaryAccuracy(threshold: 0.5)) }),
        MetricType(
            name: "top_k_accuracy", higherIsBetter: true,
            doc: "share of samples whose class is among the 5 highest outputs",
            make: { MeanMetric(name: $0, kind: .topKAccuracy(k: 5)) }),
        MetricType(
            name: "mse", higherIsBetter: false, doc: "mean squared error",
            make: { MeanMetric(name: $0, kind: .meanSquaredError) }),
        MetricType(
            name: "mae", higherIsBetter: false, doc: "mean absolute error",
            make: { MeanMetric(name: $0, kind: .meanAbsoluteError) }),
    ]
}
