import Foundation

/// Learning-rate schedules (training.lr_schedule), each starting from the optimizer's
/// learning_rate.
///
/// Per-step schedules follow Keras 3 LearningRateSchedule (keras/src/optimizers/schedules/
/// learning_rate_schedule.py), evaluated at the optimizer's iteration count before each step:
/// - exponential_decay: lr0 * decay_rate^(step / decay_steps) (floored with staircase);
/// - cosine_decay: lr0 * ((1 - alpha) * 0.5 (1 + cos(pi * min(step, decay_steps) / decay_steps)) + alpha);
///   with a warmup target, first a linear ramp from lr0 to the target over warmup_steps,
///   then the cosine from the target.
/// Per-epoch ones:
/// - step_decay (the classic LearningRateScheduler recipe, not a Keras class):
///   lr0 * drop^floor(epoch / epochs_drop);
/// - reduce_on_plateau: Keras ReduceLROnPlateau, see `PlateauReducer`.
public enum LearningRateSchedule: Equatable, Sendable {
    case exponentialDecay(decaySteps: Int, decayRate: Float, staircase: Bool)
    case cosineDecay(decaySteps: Int, alpha: Float, warmupTarget: Float?, warmupSteps: Int)
    case stepDecay(drop: Float, epochsDrop: Int)
    case reduceOnPlateau(PlateauReducer)

    /// The rate for 0-based optimizer `step` from the optimizer's `initial` rate, for
    /// per-step schedules; nil otherwise.
    public func rate(atStep step: Int, initial: Float) -> Float? {
        switch self {
        case let .exponentialDecay(decaySteps, decayRate, staircase):
            var p = Double(step) / Double(decaySteps)
            if staircase { p = p.rounded(.down) }
            return Float(Double(initial) * pow(Double(decayRate), p))
        case let .cosineDecay(decaySteps, alpha, warmupTarget, warmupSteps):
            func cosine(_ step: Int, from lr: Float) -> Float {
                let done = Double(step) / Double(decaySteps)
                let c = 0.5 * (1 + cos(Double.pi * done))
                return Float(Double(lr) * ((1 - Double(alpha)) * c + Double(alpha)))
            }
            guard let target = warmupTarget else { return cosine(min(step, decaySteps), from: initial) }
            let s = min(step, decaySteps + warmupSteps)
            if s < warmupSteps { return (target - initial) * Float(s) / Float(warmupSteps) + initial }
            return cosine(s - warmupSteps, from: target)
        default:
            return nil
        }
    }

    /// The rate for 0-based `epoch` from `initial`, for step_decay; nil otherwise.
    public func rate(atEpoch epoch: Int, initial: Float) -> Float? {
        guard case let .stepDecay(drop, epochsDrop) = self else { return nil }
        return Float(Double(initial) * pow(Double(drop), Double(epoch / epochsDrop)))
    }
}

// MARK: - Spec forms

extension LearningRateSchedule {
    /// One schema per schedule, Keras 3 defaults (keras/src/optimizers/schedules,
    /// keras/src/callbacks/reduce_lr_on_plateau.py).
    static let variants = Variants(
        noun: "lr_schedule type",
        [
            Schema(
                "exponential_decay",
                [
                    Option("decay_steps", .positiveInt, doc: "optimizer steps per factor of decay_rate"),
                    Option("decay_rate", .number(.positive), doc: "the rate is multiplied by this every decay_steps"),
                    Option("staircase", .bool, default: false, doc: "decay in whole steps of decay_steps"),
                ],
                doc: "learning_rate * decay_rate^(step / decay_steps), per optimizer step"),
            Schema(
                "step_decay",
                [
                    Option(
                        "drop", .number(Interval(lower: 0, lowerClosed: false, upper: 1)), default: 0.5,
                        doc: "factor applied every epochs_drop epochs"),
                    Option("epochs_drop", .positiveInt, default: 10, doc: "epochs between drops"),
                ],
                doc: "learning_rate * drop^floor(epoch / epochs_drop), per epoch"),
            Schema(
                "cosine_decay",
                [
                    Option("decay_steps", .positiveInt, doc: "optimizer steps of the cosine"),
                    Option("alpha", .number(.unit), default: 0, doc: "the final rate as a fraction of the peak"),
                    Option(
                        "warmup_target", .nullable(.number(.positive)), default: nil,
                        doc: "peak reached by a linear warmup first; null: no warmup"),
                    Option("warmup_steps", .count, default: 0, doc: "optimizer steps of the warmup"),
                ],
                doc: "cosine decay from the peak to alpha * peak over decay_steps, after an optional warmup"),
            Schema(
                "reduce_on_plateau",
                [
                    Option("monitor", .string, default: "val_loss", doc: "the history value watched"),
                    Option("factor", .number(.openUnit), default: 0.1, doc: "the rate is multiplied by this"),
                    Option("patience", .count, default: 10, doc: "epochs without improvement before a reduction"),
                    Option(
                        "mode", .mode, default: "auto", doc: "\"min\", \"max\", or \"auto\" (from the monitor's name)"),
                    Option("min_delta", .number(.nonNegative), default: 0.0001, doc: "smallest change that counts"),
                    Option("cooldown", .count, default: 0, doc: "epochs to wait after a reduction"),
                    Option("min_lr", .number(.nonNegative), default: 0, doc: "the rate never goes below this"),
                ],
                doc: "multiplies the rate by factor when the monitor stops improving (Keras ReduceLROnPlateau)"),
        ])

    /// From a validated lr_schedule object.
    init(_ view: OptionsView) {
        switch view.string("type") {
        case "exponential_decay":
            self = .exponentialDecay(
                decaySteps: view.int("decay_steps"), decayRate: view.float("decay_rate"),
                staircase: view.bool("staircase"))
        case "step_decay":
            self = .stepDecay(drop: view.float("drop"), epochsDrop: view.int("epochs_drop"))
        case "cosine_decay":
            self = .cosineDecay(
                decaySteps: view.int("decay_steps"), alpha: view.float("alpha"),
                warmupTarget: view.optionalDouble("warmup_target").map(Float.init),
                warmupSteps: view.int("warmup_steps"))
        default:
            let monitor = view.string("monitor")
            self = .reduceOnPlateau(
                PlateauReducer(
                    monitor: monitor, factor: view.float("factor"), patience: view.int("patience"),
                    mode: (view.choice("mode") as MonitorMode).resolved(for: monitor),
                    minDelta: view.double("min_delta"),
                    cooldown: view.int("cooldown"), minLR: view.float("min_lr")))
        }
    }
}

/// Keras 3 ReduceLROnPlateau (keras/src/callbacks/reduce_lr_on_plateau.py): after
/// `patience` epochs without an improvement of more than `min_delta`, multiply the
/// rate by `factor` (not below `min_lr`), then wait `cooldown` epochs before counting again.
public struct PlateauReducer: Equatable, Sendable {
    public var monitor: String
    public var factor: Float
    public var patience: Int
    public var mode: MonitorMode
    public var minDelta: Double
    public var cooldown: Int
    public var minLR: Float

    public private(set) var wait = 0
    public private(set) var cooldownCounter = 0
    public private(set) var best: Double?

    public init(
        monitor: String = "val_loss", factor: Float = 0.1, patience: Int = 10, mode: MonitorMode,
        minDelta: Double = 1e-4, cooldown: Int = 0, minLR: Float = 0
    ) {
        self.monitor = monitor
        self.factor = factor
        self.patience = patience
        self.mode = mode
        self.minDelta = abs(minDelta)
        self.cooldown = cooldown
        self.minLR = minLR
    }

    /// Feeds one epoch's monitored value; returns the new rate when it is reduced.
    public mutating func update(value: Double, learningRate lr: Float) -> Float? {
        guard !value.isNaN else { return nil }
        if cooldownCounter > 0 {
            cooldownCounter -= 1
            wait = 0
        }
        let improved = mode.isImprovement(value, over: best, minDelta: minDelta)
        if improved {
            best = value
            wait = 0
        } else if cooldownCounter == 0 {
            wait += 1
            if wait >= patience, lr > minLR {
                cooldownCounter = cooldown
                wait = 0
                return max(lr * factor, minLR)
            }
        }
        return nil
    }

    public var state: [String: Double] {
        var s = ["wait": Double(wait), "cooldown_counter": Double(cooldownCounter)]
        if let best { s["best"] = best }
        return s
    }

    public mutating func restore(_ s: [String: Double]) {
        wait = Int(s["wait"] ?? 0)
        cooldownCounter = Int(s["cooldown_counter"] ?? 0)
        best = s["best"]
    }
}

/// training.lr_schedule as a training callback: per-step schedules set the rate before
/// each optimizer step, step_decay before each epoch, reduce_on_plateau after it.
final class LearningRateCallback: TrainingCallback {
    private(set) var schedule: LearningRateSchedule
    /// The optimizer's learning_rate, where every schedule starts.
    let initial: Float

    init(_ schedule: LearningRateSchedule, initial: Float) {
        self.schedule = schedule
        self.initial = initial
    }

    var stateKey: String? { "reduce_on_plateau" }

    func trainBegin(_ run: TrainingContext) throws {
        guard schedule.rate(atStep: 0, initial: initial) != nil else { return }
        let (schedule, initial) = (self.schedule, self.initial)
        run.trainer.learningRateAtStep = { schedule.rate(atStep: $0, initial: initial)! }
    }

    func epochBegin(_ epoch: Int, _ run: TrainingContext) {
        if let lr = schedule.rate(atEpoch: epoch, initial: initial) { run.optimizer.learningRate = lr }
    }

    func epochEnd(_ epoch: Int, _ run: TrainingContext) throws -> Bool {
        guard case .reduceOnPlateau(var reducer) = schedule else { return false }
        guard let value = run.record[reducer.monitor] else {
            throw SpecError(
                path: "training.lr_schedule.monitor", message: "\"\(reducer.monitor)\" is not in the history")
        }
        if let lr = reducer.update(value: value, learningRate: run.optimizer.learningRate) {
            run.optimizer.learningRate = lr
            run.notes.append("learning rate reduced to \(lr)")
            run.record.notes["event"] = "lr reduced to \(lr)"
        }
        schedule = .reduceOnPlateau(reducer)
        return false
    }

    var state: JSON {
        guard case .reduceOnPlateau(let reducer) = schedule else { return .null }
        return .numbers(reducer.state)
    }

    func restore(_ state: JSON, _ run: TrainingContext) throws {
        guard case .reduceOnPlateau(var reducer) = schedule else { return }
        reducer.restore(state.numbers)
        schedule = .reduceOnPlateau(reducer)
    }
}
