import XCTest
@testable import NNReg

/// Oracle: Keras 3.15.1 schedules and ReduceLROnPlateau (Fixtures/schedules.json, made by
/// tools/reference/schedules.py). Tolerance: 1e-6 relative (Keras computes in float32).
final class ScheduleTests: XCTestCase {
    struct Fixture: Decodable {
        struct PerStep: Decodable {
            struct Args: Decodable {
                let initial: Float
                let decay_steps: Int
                let decay_rate: Float?
                let staircase: Bool?
                let alpha: Float?
            }
            let name: String
            let args: Args
            let steps: [Int]
            let rates: [Float]
        }
        struct Plateau: Decodable {
            struct Args: Decodable {
                let monitor: String
                let factor: Float
                let patience: Int
                let cooldown: Int?
                let min_lr: Float?
                let min_delta: Double?
                let mode: String?
            }
            let name: String
            let args: Args
            let values: [Double]
            let initial: Float
            let rates_after_epoch: [Float]
        }
        let per_step: [PerStep]
        let plateau: [Plateau]
    }

    func load() throws -> Fixture {
        let url = try XCTUnwrap(
            Bundle.module.url(forResource: "schedules", withExtension: "json", subdirectory: "Fixtures"))
        return try JSONDecoder().decode(Fixture.self, from: Data(contentsOf: url))
    }

    func testPerStepSchedulesMatchKeras() throws {
        let f = try load()
        XCTAssertEqual(f.per_step.count, 4)
        for c in f.per_step {
            let a = c.args
            let s: LearningRateSchedule =
                c.name.hasPrefix("exponential")
                ? .exponentialDecay(decaySteps: a.decay_steps, decayRate: a.decay_rate!, staircase: a.staircase!)
                : .cosineDecay(decaySteps: a.decay_steps, alpha: a.alpha!, warmupTarget: nil, warmupSteps: 0)
            for (step, want) in zip(c.steps, c.rates) {
                XCTAssertEqual(
                    try XCTUnwrap(s.rate(atStep: step, initial: a.initial)), want, accuracy: 1e-6 * want + 1e-9,
                    "\(c.name) step \(step)")
            }
        }
    }

    func testReduceOnPlateauMatchesKeras() throws {
        let f = try load()
        XCTAssertEqual(f.plateau.count, 3)
        for c in f.plateau {
            let a = c.args
            var r = PlateauReducer(
                monitor: a.monitor, factor: a.factor, patience: a.patience,
                mode: a.mode == "max" ? .max : .min, minDelta: a.min_delta ?? 1e-4,
                cooldown: a.cooldown ?? 0, minLR: a.min_lr ?? 0)
            var lr = c.initial
            for (epoch, value) in c.values.enumerated() {
                if let new = r.update(value: value, learningRate: lr) { lr = new }
                XCTAssertEqual(lr, c.rates_after_epoch[epoch], accuracy: 1e-6 * lr, "\(c.name) epoch \(epoch)")
            }
        }
    }

    func testStepDecay() {
        let s = LearningRateSchedule.stepDecay(drop: 0.5, epochsDrop: 10)
        XCTAssertEqual(s.rate(atEpoch: 0, initial: 0.1), 0.1)
        XCTAssertEqual(s.rate(atEpoch: 9, initial: 0.1), 0.1)
        XCTAssertEqual(s.rate(atEpoch: 10, initial: 0.1), 0.05)
        XCTAssertEqual(s.rate(atEpoch: 25, initial: 0.1), 0.025)
        XCTAssertNil(s.rate(atStep: 3, initial: 0.1))
    }
}
