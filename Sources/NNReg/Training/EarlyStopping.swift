/// Keras 3 EarlyStopping's decision rule, one epoch at a time
/// (keras/src/callbacks/early_stopping.py and monitor_callback.py).
///
/// - An improvement is `current + min_delta < best` in min mode (`current - min_delta >
///   best` in max mode); the first monitored epoch always improves.
/// - `wait` counts epochs since the last improvement; it resets only when the value also
///   beats `baseline` (when one is set), so a baseline never reached stops the run after
///   `patience` epochs.
/// - Training stops when wait >= patience, never on the first epoch; epochs before
///   `start_from_epoch` are not monitored.
/// - With restore_best_weights the best epoch's weights are restored whenever training
///   ends, early stop or not (the first monitored epoch's weights until one improves).
public struct EarlyStopping: Equatable {
    /// `mode` must be resolved (min or max): see `MonitorMode.resolved(for:)`.
    public let monitor: String
    public let minDelta: Double
    public let patience: Int
    public let mode: MonitorMode
    public let baseline: Double?
    public let restoreBestWeights: Bool
    public let startFromEpoch: Int

    public private(set) var wait = 0
    public private(set) var best: Double?
    /// 0-based epoch of `best` (or of the first snapshot), nil before any.
    public private(set) var bestEpoch: Int?
    public private(set) var stoppedEpoch: Int?

    public init(
        monitor: String, minDelta: Double = 0, patience: Int = 0, mode: MonitorMode, baseline: Double? = nil,
        restoreBestWeights: Bool = false, startFromEpoch: Int = 0
    ) {
        self.monitor = monitor
        precondition(mode != .auto, "resolve the monitor mode first")
        self.minDelta = abs(minDelta)
        self.patience = patience
        self.mode = mode
        self.baseline = baseline
        self.restoreBestWeights = restoreBestWeights
        self.startFromEpoch = startFromEpoch
    }

    /// What one epoch decided.
    public struct Decision: Equatable {
        public var monitored: Bool
        public var improved: Bool
        /// Save the current weights as the best (restore_best_weights).
        public var snapshot: Bool
        public var stop: Bool
        public var wait: Int
    }

    func isImprovement(_ value: Double, over reference: Double?) -> Bool {
        mode.isImprovement(value, over: reference, minDelta: minDelta)
    }

    /// Feeds the monitored value of 0-based `epoch`.
    public mutating func update(epoch: Int, value: Double) -> Decision {
        var d = Decision(monitored: false, improved: false, snapshot: false, stop: false, wait: wait)
        guard epoch >= startFromEpoch, !value.isNaN else { return d }
        d.monitored = true
        if restoreBestWeights && bestEpoch == nil {
            bestEpoch = epoch
            d.snapshot = true
        }
        wait += 1
        if isImprovement(value, over: best) {
            best = value
            bestEpoch = epoch
            d.improved = true
            d.snapshot = restoreBestWeights
            if baseline == nil || isImprovement(value, over: baseline) { wait = 0 }
            d.wait = wait
            return d
        }
        d.wait = wait
        if wait >= patience && epoch > 0 {
            stoppedEpoch = epoch
            d.stop = true
        }
        return d
    }

    /// The state a resumed run needs, as numbers.
    public var state: [String: Double] {
        var s: [String: Double] = ["wait": Double(wait)]
        if let best { s["best"] = best }
        if let bestEpoch { s["best_epoch"] = Double(bestEpoch) }
        return s
    }

    public mutating func restore(_ s: [String: Double]) {
        wait = Int(s["wait"] ?? 0)
        best = s["best"]
        bestEpoch = s["best_epoch"].map { Int($0) }
    }
}

/// early_stopping as a training callback: feeds the rule each epoch's monitored value,
/// keeps the best epoch's weights for restore_best_weights (a copy allocated once), and
/// puts them back when training ends.
final class EarlyStoppingCallback: TrainingCallback {
    let spec: EarlyStoppingSpec
    private(set) var rule: EarlyStopping
    /// The best epoch's weights, when restore_best_weights.
    private let bestWeights: [Tensor]?

    init(_ spec: EarlyStoppingSpec, network: Sequential) {
        self.spec = spec
        rule = EarlyStopping(
            monitor: spec.monitor, minDelta: spec.minDelta, patience: spec.patience,
            mode: spec.mode.resolved(for: spec.monitor), baseline: spec.baseline,
            restoreBestWeights: spec.restoreBestWeights, startFromEpoch: spec.startFromEpoch)
        bestWeights = spec.restoreBestWeights ? network.namedParameters.map { $0.parameter.value.clone() } : nil
    }

    var stateKey: String? { "early_stopping" }

    func epochEnd(_ epoch: Int, _ run: TrainingContext) throws -> Bool {
        guard let value = run.record[spec.monitor] else {
            throw SpecError(path: "early_stopping.monitor", message: "\"\(spec.monitor)\" is not in the history")
        }
        let d = rule.update(epoch: epoch, value: value)
        if d.snapshot, let bestWeights {
            for (w, (_, p)) in zip(bestWeights, run.network.namedParameters) { w.copy(from: p.value) }
        }
        if !d.monitored {
            run.notes.append("early stopping: not monitored before epoch \(spec.startFromEpoch + 1)")
        } else if d.improved {
            run.notes.append("\(spec.monitor) improved to \(format(value)) (wait 0/\(spec.patience))")
        } else {
            run.notes.append(
                "\(spec.monitor) \(format(value)) did not improve on \(format(rule.best ?? value)) by min_delta "
                    + "\(spec.minDelta) (wait \(d.wait)/\(spec.patience))")
        }
        if d.stop {
            let best = rule.bestEpoch.map { " (best \(format(rule.best ?? .nan)) at epoch \($0 + 1))" } ?? ""
            run.stopReason = "early stopping: \(spec.monitor) did not improve for \(d.wait) epochs\(best)"
            run.record.notes["event"] = "early stop"
        }
        if let bestWeights {
            run.bestEpoch = rule.bestEpoch
            run.modelFileUpdate = (rule.bestEpoch == epoch, bestWeights)
        }
        return d.stop
    }

    func trainEnd(_ run: TrainingContext) throws {
        guard let bestWeights, rule.bestEpoch != nil else { return }
        for (w, (_, p)) in zip(bestWeights, run.network.namedParameters) { p.value.copy(from: w) }
        run.reporter.message(
            "restored the weights of epoch \(run.bestEpoch.map { $0 + 1 } ?? 0) (restore_best_weights)")
    }

    var state: JSON { .numbers(rule.state) }

    /// The rule's counters, and the best weights back from model.safetensors.
    func restore(_ state: JSON, _ run: TrainingContext) throws {
        rule.restore(state.numbers)
        guard let bestWeights, rule.bestEpoch != nil else { return }
        let path = run.folder + "/model.safetensors"
        let file = try SafeTensors.read(path)
        for (w, (name, _)) in zip(bestWeights, run.network.namedParameters) {
            guard let t = file[name] else { throw DataError("\(path) lacks \(name)") }
            w.copy(from: t)
        }
    }

    private func format(_ v: Double) -> String { String(format: "%.4f", v) }
}

extension JSON {
    /// {"name": number, ...} in name order: a callback's counters.
    static func numbers(_ values: [String: Double]) -> JSON {
        .object(.init(values.sorted { $0.key < $1.key }.map { ($0.key, JSON.number($0.value)) }))
    }

    /// The numbers of an object (missing or non-numeric members are left out).
    var numbers: [String: Double] {
        var out: [String: Double] = [:]
        for (key, value) in objectValue ?? .init() { out[key] = value.doubleValue }
        return out
    }
}
