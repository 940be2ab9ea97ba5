/// Input scaling fitted on the training split only and stored with the model.
///
/// Applied in order: x *= rescale; then "featurewise" (x - mean_j) / (std_j + 1e-6) per
/// feature with statistics of the training split, or "samplewise" (x - mean) / (std + 1e-6)
/// per sample (the epsilon of Keras's ImageDataGenerator).
public struct Normalizer: Equatable {
    public enum Mode: String, Sendable, CaseIterable { case none, featurewise, samplewise }
    public static let epsilon: Float = 1e-6

    public var rescale: Float
    public var mode: Mode
    /// Featurewise statistics (one per element of a sample), empty otherwise.
    public var mean: [Float] = []
    public var std: [Float] = []

    public init(rescale: Float = 1, mode: Mode = .none) {
        self.rescale = rescale
        self.mode = mode
    }

    /// Fits featurewise statistics on raw (not yet rescaled) training inputs `x`;
    /// `rescale` is applied while accumulating, in Double.
    public mutating func fit(_ x: Tensor) {
        fit(count: x.shape[0], width: x.sampleSize) { i, row in
            row.update(from: x.data + i * x.sampleSize, count: x.sampleSize)
        }
    }

    /// Fits featurewise statistics on the raw samples of `store` (the same sums as for a
    /// Float32 tensor of them).
    public mutating func fit(_ store: SampleStore) {
        fit(count: store.count, width: store.sampleSize) { i, row in store.copy(i, to: row) }
    }

    /// Fits featurewise statistics on `n` raw samples of `d` values, sample i written
    /// into a scratch row by `sample(i, row)`, visited in order 0..<n: one pass, so a
    /// source too large for memory is fitted while it streams by.
    public mutating func fit(count n: Int, width d: Int, sample: (Int, UnsafeMutablePointer<Float>) throws -> Void)
        rethrows
    {
        guard mode == .featurewise else { return }
        var s = [Double](repeating: 0, count: d), s2 = [Double](repeating: 0, count: d)
        let row = UnsafeMutablePointer<Float>.allocate(capacity: max(d, 1))
        defer { row.deallocate() }
        for i in 0..<n {
            try sample(i, row)
            for j in 0..<d {
                let v = Double(row[j] * rescale)
                s[j] += v
                s2[j] += v * v
            }
        }
        mean = s.map { Float($0 / Double(max(n, 1))) }
        std = (0..<d).map { j in
            let m = s[j] / Double(max(n, 1))
            return Float(max(s2[j] / Double(max(n, 1)) - m * m, 0).squareRoot())
        }
    }

    /// Transforms x in place.
    public func apply(_ x: Tensor) {
        let n = x.shape[0], d = x.sampleSize
        let p = x.data
        if rescale != 1 { for i in 0..<x.count { p[i] *= rescale } }
        switch mode {
        case .none: break
        case .featurewise:
            precondition(mean.count == d, "featurewise statistics for \(mean.count) features, data has \(d)")
            for i in 0..<n {
                let row = p + i * d
                for j in 0..<d { row[j] = (row[j] - mean[j]) / (std[j] + Normalizer.epsilon) }
            }
        case .samplewise:
            for i in 0..<n {
                let row = p + i * d
                let (m, sd) = meanAndStd(row, count: d)
                for j in 0..<d { row[j] = (row[j] - Float(m)) / (sd + Normalizer.epsilon) }
            }
        }
    }
}

/// Seeded hold-out of `fraction` of `count` rows. With class ids it is stratified: each
/// class gives round(fraction * its size) rows. Both index lists keep the original order.
public func splitIndices(count: Int, fraction: Double, classes: [Int]?, rng: inout RNG) -> (train: [Int], held: [Int]) {
    guard fraction > 0 else { return (Array(0..<count), []) }
    var isHeld = [Bool](repeating: false, count: count)
    var groups: [Int: [Int]] = [:]
    if let classes {
        for i in 0..<count { groups[classes[i], default: []].append(i) }
    } else {
        groups[0] = Array(0..<count)
    }
    for key in groups.keys.sorted() {
        var members = groups[key]!
        rng.shuffle(&members)
        let take = Int((fraction * Double(members.count)).rounded())
        for i in members.prefix(take) { isHeld[i] = true }
    }
    return ((0..<count).filter { !isHeld[$0] }, (0..<count).filter { isHeld[$0] })
}

/// Keras class_weight "balanced": n_samples / (n_classes * count of class c).
public func balancedClassWeights(classes: [Int], classCount: Int) -> [Float] {
    var counts = [Int](repeating: 0, count: classCount)
    for c in classes where c >= 0 && c < classCount { counts[c] += 1 }
    return counts.map { $0 == 0 ? 0 : Float(classes.count) / Float(classCount * $0) }
}

/// The mean (in Double) and standard deviation of x[0..<count], as samplewise
/// standardization computes them: sums in Double, variance E[x²] - E[x]², clamped at 0.
@inline(__always)
func meanAndStd(_ x: UnsafePointer<Float>, count d: Int) -> (mean: Double, std: Float) {
    var s = 0.0, s2 = 0.0
    for j in 0..<d {
        s += Double(x[j])
        s2 += Double(x[j]) * Double(x[j])
    }
    let m = s / Double(d)
    return (m, Float(max(s2 / Double(d) - m * m, 0).squareRoot()))
}
