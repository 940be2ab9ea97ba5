import Foundation

/// What limits a trained model (`nnreg diagnose`): too little capacity, too little
/// generalization, both, or neither.
public enum Verdict: String, Sendable, CaseIterable {
    case highBias = "high_bias"
    case highVariance = "high_variance"
    case highBiasAndVariance = "high_bias_and_variance"
    case goodFit = "good_fit"

    init(highBias: Bool, highVariance: Bool) {
        switch (highBias, highVariance) {
        case (true, true): self = .highBiasAndVariance
        case (true, false): self = .highBias
        case (false, true): self = .highVariance
        case (false, false): self = .goodFit
        }
    }

    var hasHighBias: Bool { self == .highBias || self == .highBiasAndVariance }
    var hasHighVariance: Bool { self == .highVariance || self == .highBiasAndVariance }
}

/// One change to try: a technique of the regularization toolbox, why it fits this run, and
/// the `--set PATH=VALUE` arguments (without "--set") that make it for the run's spec.
public struct Suggestion: Equatable, Sendable {
    /// "dropout", "l2", "bigger_model", ... (docs/spec.md, "nnreg diagnose", lists them).
    public var technique: String
    /// One line: why this run calls for it.
    public var reason: String
    /// Each a valid `--set` for the run's spec.json; empty when the change lies outside the
    /// spec (more data).
    public var sets: [String]

    public init(technique: String, reason: String, sets: [String]) {
        self.technique = technique
        self.reason = reason
        self.sets = sets
    }

    var json: JSON {
        ["technique": .string(technique), "reason": .string(reason), "set": .array(sets.map(JSON.string))]
    }
}

/// How training ended, from the run's metrics.json.
public struct RunOutcome: Equatable, Sendable {
    public var epochsRun: Int
    /// The 1-based epoch whose weights model.safetensors holds when it holds the best one
    /// (restore_best_weights, save_best_only); nil: the last epoch's.
    public var bestEpoch: Int?
    /// metrics.json's stop_reason: "completed 10 epochs", "early stopping: ...".
    public var stopReason: String
    /// A time series' validation skill against the persistence forecast (metrics.json's
    /// "validation" "skill"); nil for other data.
    public var validationSkill: Double?

    public init(epochsRun: Int, bestEpoch: Int?, stopReason: String, validationSkill: Double? = nil) {
        self.epochsRun = epochsRun
        self.bestEpoch = bestEpoch
        self.stopReason = stopReason
        self.validationSkill = validationSkill
    }

    /// From metrics.json's document; nil when it has no integer "epochs_run".
    public init?(metrics: JSON) {
        guard let object = metrics.objectValue, let epochs = object["epochs_run"]?.intValue else { return nil }
        self.init(
            epochsRun: epochs, bestEpoch: object["best_epoch"]?.intValue,
            stopReason: object["stop_reason"]?.stringValue ?? "",
            validationSkill: object["validation"]?.objectValue?["skill"]?.doubleValue)
    }

    var earlyStopped: Bool { stopReason.hasPrefix("early stopping") }
}

/// What diagnose measured and read about a run: everything a `Diagnosis` is made from, so
/// the verdict, evidence and suggestions are a pure function of it (tests build it by hand).
public struct DiagnosisFacts {
    /// The run's resolved spec (spec.json); suggestions are `--set` lines for it.
    public var spec: Spec
    /// One sample's shape as the model takes it: rank 3 means images.
    public var inputShape: [Int]
    /// 1 - accuracy for a classifier, else the data loss (without penalties), both measured
    /// in inference mode on the training split.
    public var trainError: Double
    /// The same on the validation split.
    public var validationError: Double
    public var trainSamples: Int
    public var validationSamples: Int
    /// --baseline-error: the error a human or the best known model reaches; nil: not given.
    public var baselineError: Double?
    /// The loss of always predicting the training targets' mean, on the training split: the
    /// scale of regression thresholds (unused for classifiers).
    public var constantPredictorError: Double
    /// history.json's epochs.
    public var history: [HistoryRecord]
    /// metrics.json's outcome; nil when the run did not finish (no metrics.json).
    public var outcome: RunOutcome?

    public init(
        spec: Spec, inputShape: [Int], trainError: Double, validationError: Double, trainSamples: Int,
        validationSamples: Int, baselineError: Double?, constantPredictorError: Double = 1,
        history: [HistoryRecord], outcome: RunOutcome?
    ) {
        self.spec = spec
        self.inputShape = inputShape
        self.trainError = trainError
        self.validationError = validationError
        self.trainSamples = trainSamples
        self.validationSamples = validationSamples
        self.baselineError = baselineError
        self.constantPredictorError = constantPredictorError
        self.history = history
        self.outcome = outcome
    }

    public var isClassifier: Bool { spec.training.loss.isCrossentropy }
}

/// The thresholds above which avoidable bias or variance counts as high (docs/spec.md).
public enum DiagnosisThresholds {
    /// Classification: 0.05 of error rate (5 percentage points), for bias and for variance.
    public static let classification = 0.05
    /// Regression: this fraction of the constant predictor's loss (for mse, a model that
    /// explains less than 90% of the targets' variance has high bias).
    public static let regressionFraction = 0.1

    /// The threshold for `facts`' errors.
    public static func threshold(_ facts: DiagnosisFacts) -> Double {
        facts.isClassifier ? classification : regressionFraction * max(facts.constantPredictorError, 1e-12)
    }
}

/// `nnreg diagnose`'s report: the verdict from the measured errors, the evidence in the
/// history, and ranked suggestions with `--set` lines for the run's spec.
///
/// avoidable bias = training error - baseline (0 when not given), variance = validation
/// error - training error; each is high above `DiagnosisThresholds.threshold` (a training
/// error that is not a number counts as high bias).
public struct Diagnosis {
    public let verdict: Verdict
    public let trainError: Double
    public let validationError: Double
    public let baselineError: Double?
    public let avoidableBias: Double
    public let variance: Double
    /// The level above which avoidable bias or variance is high.
    public let threshold: Double
    public let evidence: [String]
    /// Best first; empty for a good fit.
    public let suggestions: [Suggestion]

    public init(_ facts: DiagnosisFacts) {
        trainError = facts.trainError
        validationError = facts.validationError
        baselineError = facts.baselineError
        avoidableBias = facts.trainError - (facts.baselineError ?? 0)
        variance = facts.validationError - facts.trainError
        threshold = DiagnosisThresholds.threshold(facts)
        verdict = Verdict(highBias: !(avoidableBias <= threshold), highVariance: variance > threshold)
        let history = HistoryEvidence(facts)
        let forecast = Diagnosis.forecastCheck(facts)
        evidence =
            Diagnosis.errorLines(facts, bias: avoidableBias, variance: variance, threshold: threshold)
            + history.lines + (forecast.map { [$0.evidence] } ?? [])
        suggestions =
            (forecast?.suggestion.map { [$0] } ?? [])
            + SuggestionRanking(facts, history: history).suggestions(for: verdict)
    }

    /// A forecast that loses to persistence (negative validation skill): the evidence, and,
    /// when the model learns levels, the suggestion to learn changes instead, which is what a
    /// trending series needs (a model of levels scaled on the training part cannot
    /// extrapolate beyond it). Nil for other runs and for positive skill.
    static func forecastCheck(_ facts: DiagnosisFacts) -> (evidence: String, suggestion: Suggestion?)? {
        guard let sequence = facts.spec.data.sequence, let skill = facts.outcome?.validationSkill, skill < 0
        else { return nil }
        let evidence =
            "validation skill \(format(skill)) < 0: the model forecasts worse than the persistence forecast (next value = last value)"
        guard sequence.targetTransform == .none else { return (evidence, nil) }
        return (
            evidence,
            Suggestion(
                technique: "target_transform",
                reason:
                    "learn the changes, not the levels: a model of levels cannot follow a trend beyond the training range, and predicting the next change starts every forecast from the last value",
                sets: ["data.sequence.target_transform=difference"])
        )
    }

    /// The document `nnreg diagnose --json` prints.
    public var json: JSON {
        .object(
            .init([
                ("verdict", .string(verdict.rawValue)),
                ("train_error", .number(trainError)),
                ("validation_error", .number(validationError)),
                ("baseline_error", baselineError.map(JSON.number) ?? .null),
                ("avoidable_bias", .number(avoidableBias)),
                ("variance", .number(variance)),
                ("evidence", .array(evidence.map(JSON.string))),
                ("suggestions", .array(suggestions.map(\.json))),
            ]))
    }

    /// The evidence of the verdict itself: how each quantity compares with the threshold.
    static func errorLines(_ facts: DiagnosisFacts, bias: Double, variance: Double, threshold: Double) -> [String] {
        let kind = facts.isClassifier ? "error (1 - accuracy)" : "error (\(facts.spec.training.loss.name), no penalty)"
        let baseline =
            facts.baselineError.map { "the baseline \(Diagnosis.format($0))" } ?? "a baseline of 0 (not given)"
        func judged(_ value: Double) -> String {
            value > threshold || value.isNaN
                ? "above the threshold \(Diagnosis.format(threshold)): high"
                : "within the threshold \(Diagnosis.format(threshold))"
        }
        var lines = [
            "training \(kind) \(Diagnosis.format(facts.trainError)) on \(facts.trainSamples) samples, measured in inference mode; validation \(Diagnosis.format(facts.validationError)) on \(facts.validationSamples) samples",
            "avoidable bias \(Diagnosis.format(bias)) = training error - \(baseline): \(judged(bias))",
            "variance \(Diagnosis.format(variance)) = validation error - training error: \(judged(variance))",
        ]
        if !facts.isClassifier {
            lines.append(
                "regression thresholds are \(Int(DiagnosisThresholds.regressionFraction * 100))% of \(Diagnosis.format(facts.constantPredictorError)), the loss of always predicting the training targets' mean"
            )
        } else if facts.validationSamples > 0 && facts.validationSamples < 200 {
            lines.append(
                "the validation split has \(facts.validationSamples) samples: one sample moves its error by \(Diagnosis.format(1 / Double(facts.validationSamples)))"
            )
        }
        return lines
    }
}

extension Diagnosis {
    /// A number as the report prints it: 4 decimals, or 4 significant digits when small.
    public static func format(_ v: Double) -> String {
        if !v.isFinite { return "\(v)" }
        return abs(v) >= 1e-3 || v == 0 ? String(format: "%.4f", v) : String(format: "%.3e", v)
    }
}
