import Foundation

/// The regularization toolbox applied to one run: which techniques fit its verdict, with
/// `--set` lines computed from its spec, best first (docs/spec.md, "nnreg diagnose").
///
/// A technique already at its extreme is left out: dropout rates of 0.5 and more, L2 and
/// L1 factors of 0.01 and more, Gaussian noise of 0.5 and more, 4096 units, an existing
/// augmentation or max_norm constraint, an ensemble. Each candidate has a rank (lower
/// first) that the history's evidence can raise.
struct SuggestionRanking {
    let facts: DiagnosisFacts
    let history: HistoryEvidence
    let roles: LayerRoles

    init(_ facts: DiagnosisFacts, history: HistoryEvidence) {
        self.facts = facts
        self.history = history
        roles = LayerRoles(facts.spec)
    }

    /// High variance: regularize; high bias: add capacity and regularize less; both: the
    /// capacity first (bias before variance), then what reduces variance without adding
    /// bias, never both a bigger and a smaller model or more and less of one technique.
    func suggestions(for verdict: Verdict) -> [Suggestion] {
        switch verdict {
        case .goodFit: return []
        case .highVariance: return variance()
        case .highBias: return bias()
        case .highBiasAndVariance:
            return bias().filter { !$0.technique.hasPrefix("less_") }
                + variance().filter { $0.technique != "smaller_model" }
        }
    }

    /// Candidates sorted by rank (ties keep their order), absent ones dropped.
    func ranked(_ candidates: [(rank: Double, suggestion: Suggestion?)]) -> [Suggestion] {
        candidates.enumerated().sorted { ($0.element.rank, $0.offset) < ($1.element.rank, $1.offset) }
            .compactMap(\.element.suggestion)
    }

    var grew: Bool { (history.normGrowth ?? 1) >= 1.5 }

    // MARK: - High variance

    func variance() -> [Suggestion] {
        let turned = history.overfittingAfter != nil && facts.spec.earlyStopping == nil
        return ranked([
            (turned ? 0 : 3, earlyStopping()),
            (1, augmentation()),
            (2, dropout()),
            (grew ? 1.5 : 2.5, l2()),
            (grew ? 1.6 : 5, maxNorm()),
            (6, gaussianNoise()),
            (7, labelSmoothing()),
            (8, ensemble()),
            (9, smallerModel()),
            (10, l1()),
            (
                11,
                Suggestion(
                    technique: "more_data",
                    reason:
                        "collect more training samples (\(facts.trainSamples) now): variance shrinks as the training set grows",
                    sets: [])
            ),
        ])
    }

    func dropout() -> Suggestion? {
        let existing = roles.inputDropRates
        if !existing.isEmpty {
            let low = existing.filter { $0.rate < 0.5 }
            guard !low.isEmpty else { return nil }
            return Suggestion(
                technique: "dropout",
                reason: "raise dropout in " + low.map { roles.name($0.index) }.joined(separator: ", ")
                    + ": dropping more units in training keeps the network from relying on any one of them",
                sets: low.map { roles.set($0.index, $0.key, .number(min(0.5, rounded($0.rate + 0.2)))) })
        }
        let dense = roles.hidden.filter { roles.layers[$0].type == "dense" }
        guard let output = roles.output, output > 0 || !dense.isEmpty else { return nil }
        let positions = dense.isEmpty ? [output] : dense.map { $0 + 1 }
        return Suggestion(
            technique: "dropout",
            reason: "add dropout (rate 0.5) "
                + (dense.isEmpty
                    ? "before the output layer" : "after " + dense.map { roles.name($0) }.joined(separator: ", "))
                + ": the model has none, and dropping units in training keeps it from memorizing",
            sets: [roles.inserting(["type": "dropout", "rate": 0.5], before: positions)])
    }

    /// Raises (x10) or adds an `l1` or `l2` factor on the kernels of `layers`, up to 0.01.
    private func penaltySets(_ factor: String, start: Double, layers: [Int]) -> [String] {
        layers.compactMap { i in
            let current = roles.layers[i].value("kernel_regularizer").objectValue?[factor]?.doubleValue ?? 0
            guard current < 0.01 else { return nil }
            return roles.set(i, "kernel_regularizer." + factor, .number(current == 0 ? start : rounded(current * 10)))
        }
    }

    func l2() -> Suggestion? {
        let sets = penaltySets("l2", start: 0.001, layers: roles.penalized)
        guard !sets.isEmpty else { return nil }
        let why =
            grew
            ? "the weights' norm grew x\(String(format: "%.1f", history.normGrowth ?? 1)) in training; "
            : ""
        return Suggestion(
            technique: "l2",
            reason: why
                + "an L2 penalty (weight decay) on the kernels keeps the weights small, so the model cannot fit noise with large ones",
            sets: sets)
    }

    func l1() -> Suggestion? {
        guard facts.inputShape.count == 1, let first = roles.penalized.first, roles.layers[first].type == "dense",
            first == roles.layers.firstIndex(where: { $0.options["kernel_regularizer"] != nil })
        else { return nil }
        let sets = penaltySets("l1", start: 0.0001, layers: [first])
        guard !sets.isEmpty else { return nil }
        return Suggestion(
            technique: "l1",
            reason:
                "an L1 penalty on the first layer's kernel drives the weights of uninformative input columns to zero",
            sets: sets)
    }

    func maxNorm() -> Suggestion? {
        let axes: [String: JSON] = ["dense": 0, "conv1d": [0, 1], "conv2d": [0, 1, 2]]
        let free = roles.penalized.filter {
            axes[roles.layers[$0].type] != nil && roles.layers[$0].options["kernel_constraint"] == .null
        }
        guard !free.isEmpty else { return nil }
        return Suggestion(
            technique: "max_norm",
            reason:
                "cap each unit's incoming weights at norm 3 (the constraint dropout is usually paired with), so no weight grows to fit noise",
            sets: free.map {
                roles.set(
                    $0, "kernel_constraint", ["max_norm": ["max_value": 3, "axis": axes[roles.layers[$0].type]!]])
            })
    }

    func gaussianNoise() -> Suggestion? {
        let noises = roles.noises
        if noises.isEmpty {
            return Suggestion(
                technique: "gaussian_noise",
                reason:
                    "add Gaussian noise (stddev 0.1, in input units) to the inputs in training: the model must fit a neighbourhood of each sample, not the sample",
                sets: [roles.inserting(["type": "gaussian_noise", "stddev": 0.1], before: [0])])
        }
        let low = noises.filter { $0.stddev < 0.5 }
        guard !low.isEmpty else { return nil }
        return Suggestion(
            technique: "gaussian_noise",
            reason: "double the Gaussian noise of " + low.map { roles.name($0.index) }.joined(separator: ", "),
            sets: low.map { roles.set($0.index, "stddev", .number(min(0.5, rounded(max($0.stddev, 0.05) * 2)))) })
    }

    func augmentation() -> Suggestion? {
        guard facts.inputShape.count == 3, facts.spec.augmentation == nil else { return nil }
        return Suggestion(
            technique: "augmentation",
            reason:
                "the inputs are images: small random rotations, shifts and zooms show the model new variants of every training image each epoch",
            sets: [
                "augmentation="
                    + JSON.object(
                        .init([
                            ("rotation_range", 10), ("width_shift_range", 0.1), ("height_shift_range", 0.1),
                            ("zoom_range", 0.1),
                        ])
                    ).compact()
            ])
    }

    func earlyStopping() -> Suggestion? {
        let why =
            history.overfittingAfter.map { "val_loss was lowest at epoch \($0) and rose afterwards; " } ?? ""
        guard let es = facts.spec.earlyStopping else {
            return Suggestion(
                technique: "early_stopping",
                reason: why
                    + "early stopping ends training when val_loss stops improving and keeps the best epoch's weights",
                sets: [#"early_stopping={"monitor": "val_loss", "patience": 5, "restore_best_weights": true}"#])
        }
        guard !es.restoreBestWeights else { return nil }
        return Suggestion(
            technique: "early_stopping",
            reason: why + "restore_best_weights makes model.safetensors hold the best epoch, not the last",
            sets: ["early_stopping.restore_best_weights=true"])
    }

    func labelSmoothing() -> Suggestion? {
        let loss = facts.spec.training.loss
        guard loss.isCrossentropy, loss.labelSmoothing == 0 else { return nil }
        return Suggestion(
            technique: "label_smoothing",
            reason:
                "soften the targets (0.1): the model stops pushing its outputs to certainty on every training sample, mislabelled ones included",
            sets: ["training.loss.label_smoothing=0.1"])
    }

    func ensemble() -> Suggestion? {
        guard facts.spec.training.ensembleMembers == 1 else { return nil }
        return Suggestion(
            technique: "ensemble",
            reason:
                "average 5 models trained from seeds seed, seed + 1, ...: their individual overfitting partly cancels (5 times the training time)",
            sets: ["training.ensemble.members=5"])
    }

    func smallerModel() -> Suggestion? {
        let wide = roles.hidden.filter { roles.width($0)!.value > 2 }
        guard !wide.isEmpty else { return nil }
        return Suggestion(
            technique: "smaller_model",
            reason: "halve the width of " + wide.map { roles.name($0) }.joined(separator: ", ")
                + ": less capacity to memorize the \(facts.trainSamples) training samples",
            sets: wide.map { i in
                let (key, value) = roles.width(i)!
                return roles.set(i, key, JSON(value / 2))
            })
    }
}
