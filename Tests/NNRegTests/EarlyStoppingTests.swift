import XCTest
@testable import NNReg

/// Oracle: Keras 3.15.1 EarlyStopping fed the same values
/// (Fixtures/early_stopping.json, made by tools/reference/early_stopping.py). Exact match.
final class EarlyStoppingTests: XCTestCase {
    struct Fixture: Decodable {
        struct Case: Decodable {
            struct Step: Decodable {
                let epoch: Int
                let wait: Int
                let stop: Bool
            }
            let name: String
            let monitor: String
            let values: [Double]
            let patience: Int?
            let min_delta: Double?
            let baseline: Double?
            let start_from_epoch: Int?
            let mode: String?
            let restore_best_weights: Bool?
            let log: [Step]
            let epochs_run: Int
            let weights_from_epoch: Int
        }
        let cases: [Case]
    }

    func testDecisionsMatchKeras() throws {
        let url = try XCTUnwrap(
            Bundle.module.url(forResource: "early_stopping", withExtension: "json", subdirectory: "Fixtures"))
        let fixture = try JSONDecoder().decode(Fixture.self, from: Data(contentsOf: url))
        XCTAssertEqual(fixture.cases.count, 10)
        for c in fixture.cases {
            let mode = (c.mode.flatMap(MonitorMode.init(rawValue:)) ?? .auto).resolved(for: c.monitor)
            var es = EarlyStopping(
                monitor: c.monitor, minDelta: c.min_delta ?? 0, patience: c.patience ?? 0, mode: mode,
                baseline: c.baseline, restoreBestWeights: c.restore_best_weights ?? false,
                startFromEpoch: c.start_from_epoch ?? 0)
            var weightsEpoch = -1, snapshot = -1
            var run = 0
            for (epoch, value) in c.values.enumerated() {
                weightsEpoch = epoch
                let d = es.update(epoch: epoch, value: value)
                if d.snapshot { snapshot = epoch }
                guard epoch < c.log.count else {
                    return XCTFail("\(c.name): Keras stopped at epoch \(c.log.count - 1)")
                }
                XCTAssertEqual(d.wait, c.log[epoch].wait, "\(c.name) epoch \(epoch) wait")
                XCTAssertEqual(d.stop, c.log[epoch].stop, "\(c.name) epoch \(epoch) stop")
                run += 1
                if d.stop { break }
            }
            XCTAssertEqual(run, c.epochs_run, c.name)
            let restored = es.restoreBestWeights && snapshot >= 0 ? snapshot : weightsEpoch
            XCTAssertEqual(restored, c.weights_from_epoch, "\(c.name) restored weights")
        }
    }

    func testStateRoundTripsForResume() {
        var a = EarlyStopping(monitor: "val_loss", patience: 3, mode: .min)
        _ = a.update(epoch: 0, value: 1)
        _ = a.update(epoch: 1, value: 2)
        var b = EarlyStopping(monitor: "val_loss", patience: 3, mode: .min)
        b.restore(a.state)
        XCTAssertEqual(a.update(epoch: 2, value: 1.5), b.update(epoch: 2, value: 1.5))
        XCTAssertEqual(a, b)
    }
}
