import Foundation

// Precision, recall and AUC as Keras 3 computes them (keras/src/metrics/confusion_metrics.py
// and metrics_utils.py, multi_label=False): every output element is one binary
// prediction, so a (N, K) output with a (N, K) target is flattened into N*K
// predictions, each carrying its sample's weight (micro-averaged one-vs-rest). A label
// is positive when the target is non-zero.
//
// Class-id targets (N, 1) with K > 1 outputs: Keras raises a shape error. nnreg uses
// the equivalent one-hot target instead, so a sparse and a categorical model with the
// same predictions report the same numbers.

/// Calls `body(prediction, isPositive, weight)` for each of the N*K binary predictions.
@inline(__always)
func forEachBinaryPrediction(
    output: Tensor, target: Tensor, weights: UnsafePointer<Float>?, metric: String,
    _ body: (Float, Bool, Double) -> Void
) {
    let n = output.shape[0], k = output.sampleSize, t = target.sampleSize
    let sparse = t == 1 && k > 1
    precondition(
        target.shape[0] == n && (sparse || t == k),
        "target \(target.shape) does not match output \(output.shape) (\(metric))")
    let o = output.data, y = target.data
    for i in 0..<n {
        let w = weights.map { Double($0[i]) } ?? 1
        for j in 0..<k {
            let positive = sparse ? y[i] == Float(j) : y[i * k + j] != 0
            body(o[i * k + j], positive, w)
        }
    }
}

/// Precision or recall at one threshold, from the weighted confusion counts of the binary
/// predictions (a prediction is positive when > threshold). `Precision` and `Recall` are
/// this with their names, defaults and ratio.
public class ThresholdMetric: Metric {
    enum Ratio {
        /// TP / (TP + FP)
        case precision
        /// TP / (TP + FN)
        case recall
    }

    public let name: String
    public let threshold: Float
    let ratio: Ratio
    private var truePositives = 0.0
    private var falsePositives = 0.0
    private var falseNegatives = 0.0

    init(name: String, threshold: Float, ratio: Ratio) {
        self.name = name
        self.threshold = threshold
        self.ratio = ratio
    }

    public func reset() {
        truePositives = 0
        falsePositives = 0
        falseNegatives = 0
    }

    // output: (N, K), target: (N, K) or (N, 1) class ids
    public func update(output: Tensor, target: Tensor, weights: UnsafePointer<Float>?) {
        forEachBinaryPrediction(output: output, target: target, weights: weights, metric: name) { p, positive, w in
            if p > threshold {
                if positive { truePositives += w } else { falsePositives += w }
            } else if positive {
                falseNegatives += w
            }
        }
    }

    public func result() -> Double {
        let total = truePositives + (ratio == .precision ? falsePositives : falseNegatives)
        return total == 0 ? 0 : truePositives / total
    }

    public var sums: [Double] {
        get { [truePositives, falsePositives, falseNegatives] }
        set { (truePositives, falsePositives, falseNegatives) = (newValue[0], newValue[1], newValue[2]) }
    }
}

/// Keras `Precision` at threshold 0.5: TP / (TP + FP), a prediction positive when > threshold.
public final class Precision: ThresholdMetric {
    public init(name: String = "precision", threshold: Float = 0.5) {
        super.init(name: name, threshold: threshold, ratio: .precision)
    }
}

/// Keras `Recall` at threshold 0.5: TP / (TP + FN), a prediction positive when > threshold.
public final class Recall: ThresholdMetric {
    public init(name: String = "recall", threshold: Float = 0.5) {
        super.init(name: name, threshold: threshold, ratio: .recall)
    }
}

/// Keras `AUC` with its defaults: ROC curve, 200 evenly spaced thresholds
/// {-eps, 1/199, ..., 198/199, 1 + eps}, trapezoidal ("interpolation") summation.
///
/// As Keras's bucketed path: a prediction is clipped to [0, 1] and counted in bucket
/// max(ceil(p * 199) - 1, 0) (in float32), so it is above thresholds 0...bucket; TP and
/// FP at threshold i are the weighted positives and negatives in buckets >= i. Then
/// AUC = sum_i (FPR_i - FPR_i+1) (TPR_i + TPR_i+1) / 2. With no positives or no
/// negatives the rates are 0, as Keras's divide_no_nan makes them.
public final class AUC: Metric {
    public let name: String
    public let numThresholds: Int
    /// Weighted positive (negative) labels per bucket: positives[b] counts predictions in bucket b.
    private let positives: UnsafeMutablePointer<Double>
    private let negatives: UnsafeMutablePointer<Double>

    public init(name: String = "auc", numThresholds: Int = 200) {
        precondition(numThresholds > 1, "AUC num_thresholds must be > 1, got \(numThresholds)")
        self.name = name
        self.numThresholds = numThresholds
        positives = .allocate(capacity: numThresholds)
        negatives = .allocate(capacity: numThresholds)
        positives.initialize(repeating: 0, count: numThresholds)
        negatives.initialize(repeating: 0, count: numThresholds)
    }

    deinit {
        positives.deallocate()
        negatives.deallocate()
    }

    public func reset() {
        positives.update(repeating: 0, count: numThresholds)
        negatives.update(repeating: 0, count: numThresholds)
    }

    public var sums: [Double] {
        get {
            Array(UnsafeBufferPointer(start: positives, count: numThresholds))
                + Array(UnsafeBufferPointer(start: negatives, count: numThresholds))
        }
        set {
            positives.update(from: newValue, count: numThresholds)
            negatives.update(from: Array(newValue[numThresholds...]), count: numThresholds)
        }
    }

    // output: (N, K) in [0, 1], target: (N, K) or (N, 1) class ids
    public func update(output: Tensor, target: Tensor, weights: UnsafePointer<Float>?) {
        let scale = Float(numThresholds - 1)
        forEachBinaryPrediction(output: output, target: target, weights: weights, metric: name) { p, positive, w in
            guard !p.isNaN else { return }
            let bucket = max(Int((min(max(p, 0), 1) * scale).rounded(.up)) - 1, 0)
            if positive { positives[bucket] += w } else { negatives[bucket] += w }
        }
    }

    public func result() -> Double {
        var totalPositive = 0.0, totalNegative = 0.0
        for b in 0..<numThresholds {
            totalPositive += positives[b]
            totalNegative += negatives[b]
        }
        func rate(_ count: Double, _ total: Double) -> Double { total == 0 ? 0 : count / total }
        // Walk thresholds from the highest down, accumulating TP and FP.
        var tp = positives[numThresholds - 1], fp = negatives[numThresholds - 1]
        var tpr = rate(tp, totalPositive), fpr = rate(fp, totalNegative)
        var area = 0.0
        for i in stride(from: numThresholds - 2, through: 0, by: -1) {
            tp += positives[i]
            fp += negatives[i]
            let lowerTPR = rate(tp, totalPositive), lowerFPR = rate(fp, totalNegative)
            area += (lowerFPR - fpr) * (lowerTPR + tpr) / 2
            tpr = lowerTPR
            fpr = lowerFPR
        }
        return area
    }
}

extension Precision {
    static let registration = MetricType(
        name: "precision", higherIsBetter: true, doc: "true positives / predicted positives (outputs > 0.5)",
        make: { Precision(name: $0) })
}

extension Recall {
    static let registration = MetricType(
        name: "recall", higherIsBetter: true, doc: "true positives / actual positives (outputs > 0.5)",
        make: { Recall(name: $0) })
}

extension AUC {
    static let registration = MetricType(
        name: "auc", higherIsBetter: true, doc: "area under the ROC curve (200 thresholds, as Keras)",
        make: { AUC(name: $0) })
}
