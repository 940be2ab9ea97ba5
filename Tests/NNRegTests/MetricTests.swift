import Foundation
import XCTest
@testable import NNReg

/// Keras reference cases written by tools/reference/metrics.py.
private struct MetricFixture: Decodable {
    struct Case: Decodable {
        let name, metric, kerasClass, oracle: String
        let k: Int?
        let split: Int
        let output, target: [[Float]]
        let weights: [Float]?
        let result: Double
    }
    let keras, tensorflow: String
    let cases: [Case]

    static func load() throws -> MetricFixture {
        let url = try XCTUnwrap(
            Bundle.module.url(forResource: "metrics", withExtension: "json", subdirectory: "Fixtures"))
        let decoder = JSONDecoder()
        decoder.keyDecodingStrategy = .convertFromSnakeCase
        return try decoder.decode(MetricFixture.self, from: Data(contentsOf: url))
    }
}

private func tensor(_ rows: ArraySlice<[Float]>) -> Tensor {
    Tensor(shape: [rows.count, rows.first?.count ?? 0], values: rows.flatMap { $0 })
}

/// Feeds rows [0, split) then [split, N) to `metric`.
private func stream(_ metric: Metric, output: [[Float]], target: [[Float]], weights: [Float]?, split: Int) {
    for rows in [0..<split, split..<output.count] {
        let o = tensor(output[rows]), t = tensor(target[rows])
        if let w = weights.map({ Array($0[rows]) }) {
            w.withUnsafeBufferPointer { metric.update(output: o, target: t, weights: $0.baseAddress) }
        } else {
            metric.update(output: o, target: t, weights: nil)
        }
    }
}

final class MetricTests: XCTestCase {
    /// Oracle: Keras 3.15.1 / TF 2.21 metric objects streamed over the same two batches
    /// (metrics.json; each case names its Keras class); tolerance 1e-6 absolute (Keras
    /// accumulates in float32). Each metric first sees a junk batch and is reset.
    func testEveryMetricMatchesKerasOverTwoBatches() throws {
        let fixture = try MetricFixture.load()
        XCTAssertGreaterThan(fixture.cases.count, 60)
        for c in fixture.cases {
            let metric: Metric
            if let k = c.k {
                metric = MeanMetric(name: c.metric, kind: .topKAccuracy(k: k))
            } else {
                metric = makeMetric(c.metric)
            }
            XCTAssertEqual(metric.name, c.metric)
            let junk = c.output.map { $0.map { 1 - $0 } }
            stream(metric, output: junk, target: c.target, weights: nil, split: 1)
            metric.reset()
            stream(metric, output: c.output, target: c.target, weights: c.weights, split: c.split)
            XCTAssertEqual(metric.result(), c.result, accuracy: 1e-6, "\(c.name) (Keras \(c.kerasClass))")
        }
    }

    /// Oracle: the definition itself; exact.
    func testUnknownNameIsASpecErrorAndEmptyMetricIsZero() throws {
        XCTAssertEqual(
            specError(minimalSpec(training: #""loss": "mse", "metrics": ["f1"]"#)),
            #"training.metrics[0]: unknown metric "f1"; expected one of "accuracy", "binary_accuracy", "#
                + #""top_k_accuracy", "mse", "mae", "precision", "recall", "auc""#)
        for name in MetricRegistry.names {
            XCTAssertEqual(makeMetric(name).result(), 0, name)
            XCTAssertEqual(makeMetric(name).name, name)
        }
        XCTAssertEqual(MonitorMode.auto.resolved(for: "val_auc"), .max)
        XCTAssertEqual(MonitorMode.auto.resolved(for: "mae"), .min)
    }

    /// Oracle: Keras's unoptimised confusion-matrix path (metrics_utils.py: a prediction
    /// counts as positive at threshold t when p > t, for every t), written naively here,
    /// against the bucketed `AUC`, on random weighted predictions; tolerance 1e-12.
    func testBucketedAUCMatchesThresholdLoop() {
        var rng = RNG(seed: 5)
        let n = 1000, thresholds = 200
        let output = Tensor(shape: [n, 1]), target = Tensor(shape: [n, 1])
        var weights = [Float](repeating: 0, count: n)
        for i in 0..<n {
            target[i] = rng.uniform() < 0.3 ? 1 : 0
            output[i] = min(max(0.35 * target[i] + 0.8 * rng.uniform() - 0.05, 0), 1)
            weights[i] = rng.uniform(0, 2)
        }
        let auc = AUC()
        weights.withUnsafeBufferPointer { auc.update(output: output, target: target, weights: $0.baseAddress) }

        var cuts: [Double] = [-1e-7]
        for i in 1..<thresholds - 1 { cuts.append(Double(i) / Double(thresholds - 1)) }
        cuts.append(1 + 1e-7)
        var tpr = [Double](), fpr = [Double]()
        let positives = (0..<n).reduce(0.0) { $0 + Double(target[$1] * weights[$1]) }
        let negatives = (0..<n).reduce(0.0) { $0 + Double((1 - target[$1]) * weights[$1]) }
        for cut in cuts {
            var tp = 0.0, fp = 0.0
            for i in 0..<n where Double(output[i]) > cut {
                if target[i] == 1 { tp += Double(weights[i]) } else { fp += Double(weights[i]) }
            }
            tpr.append(tp / positives)
            fpr.append(fp / negatives)
        }
        var area = 0.0
        for i in 0..<thresholds - 1 { area += (fpr[i] - fpr[i + 1]) * (tpr[i] + tpr[i + 1]) / 2 }
        XCTAssertEqual(auc.result(), area, accuracy: 1e-12)
        XCTAssert(area > 0.6 && area < 1, "the data should be informative, got \(area)")
    }
}
