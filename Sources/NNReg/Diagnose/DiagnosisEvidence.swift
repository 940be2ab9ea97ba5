import Foundation

/// What a run's history and outcome show about its fit: sentences for the report, and the
/// facts the suggestions are chosen and ranked by.
///
/// Epochs are 1-based, as history.json numbers them. The "held" epoch is the one whose
/// weights model.safetensors holds: metrics.json's best_epoch, else the last.
struct HistoryEvidence {
    private(set) var lines: [String] = []
    /// The epoch of the lowest val_loss, when val_loss rose after it while the training
    /// loss kept falling.
    private(set) var overfittingAfter: Int?
    /// The training loss was lowest at the last epoch, at least 1% below its value a
    /// quarter of the epochs (at least one) before.
    private(set) var stillImproving = false
    /// The training loss rose by more than 1% from one epoch to the next in the second
    /// half of training (steps that overshoot).
    private(set) var lossRose = false
    /// The weights' total L2 norm at the held epoch over the first epoch's.
    private(set) var normGrowth: Double?
    /// The penalty's share of the training loss at the held epoch.
    private(set) var penaltyShare: Double?
    /// Training ran all training.epochs.
    private(set) var ranToLimit = false
    /// Early stopping ended training.
    private(set) var earlyStopped = false
    let heldEpoch: Int?
    private let history: [HistoryRecord]

    init(_ facts: DiagnosisFacts) {
        history = facts.history
        heldEpoch = facts.outcome?.bestEpoch ?? facts.history.last?.epoch
        readLossTrend()
        inferenceMode(facts)
        validationTurn()
        weightNorms()
        penaltySplit(facts)
        stopping(facts)
    }

    private func record(_ epoch: Int?) -> HistoryRecord? { history.first { $0.epoch == epoch } }

    private static func diagnostic(_ r: HistoryRecord, _ name: String) -> Double? {
        r.diagnostics.first { $0.name == name }?.value
    }

    private mutating func readLossTrend() {
        let losses = history.compactMap { $0["loss"] }.filter(\.isFinite)
        guard losses.count >= 2, let last = losses.last else { return }
        let earlier = losses[losses.count - 1 - max(1, losses.count / 4)]
        stillImproving = last < earlier * 0.99 && last <= losses.min()!
        lossRose = (losses.count / 2..<losses.count).contains { $0 > 0 && losses[$0] > losses[$0 - 1] * 1.01 }
    }

    /// The training error the history recorded at the held epoch (dropout and noise on,
    /// weights moving) beside the one measured in inference mode.
    private mutating func inferenceMode(_ facts: DiagnosisFacts) {
        guard let held = record(heldEpoch) else { return }
        let recorded =
            facts.isClassifier
            ? held["accuracy"].map { 1 - $0 } : (HistoryEvidence.diagnostic(held, "data_loss") ?? held["loss"])
        guard let recorded, recorded.isFinite else { return }
        lines.append(
            "the history's training error at epoch \(held.epoch) was \(Diagnosis.format(recorded)) (training mode: averaged over the epoch's batches as the weights changed, dropout and noise on); in inference mode it is \(Diagnosis.format(facts.trainError))"
        )
    }

    /// Where val_loss turned up while the training loss kept falling.
    private mutating func validationTurn() {
        let points = history.compactMap { r -> (epoch: Int, loss: Double, val: Double)? in
            guard let loss = r["loss"], let val = r["val_loss"], loss.isFinite, val.isFinite else { return nil }
            return (r.epoch, loss, val)
        }
        guard points.count >= 2, let last = points.last else {
            if points.isEmpty { lines.append("the history has no val_loss to compare with the training loss") }
            return
        }
        let best = points.min { $0.val < $1.val }!
        let lowest = "val_loss was lowest at epoch \(best.epoch) (\(Diagnosis.format(best.val)))"
        let losses = "(\(Diagnosis.format(best.loss)) to \(Diagnosis.format(last.loss)))"
        if best.epoch == last.epoch {
            lines.append(
                "val_loss was lowest at the last epoch (\(last.epoch), \(Diagnosis.format(last.val))): validation had not turned up yet"
            )
        } else if last.val <= best.val * 1.02 {
            lines.append(
                lowest
                    + " and within 2% of that at epoch \(last.epoch) (\(Diagnosis.format(last.val))): it levelled off")
        } else if last.loss < best.loss {
            overfittingAfter = best.epoch
            lines.append(
                lowest
                    + " and rose to \(Diagnosis.format(last.val)) by epoch \(last.epoch) while the training loss kept falling \(losses): overfitting set in after epoch \(best.epoch)"
            )
        } else {
            lines.append(
                lowest
                    + " and rose to \(Diagnosis.format(last.val)) by epoch \(last.epoch); the training loss did not fall after epoch \(best.epoch) \(losses)"
            )
        }
    }

    /// The trend of the weights' L2 norms (diagnostics "norm.*"): first epoch to the held one.
    private mutating func weightNorms() {
        func norms(_ r: HistoryRecord) -> [(name: String, value: Double)] {
            r.diagnostics.filter { $0.name.hasPrefix("norm.") && $0.value.isFinite }
        }
        func total(_ r: HistoryRecord) -> Double { norms(r).reduce(0) { $0 + $1.value * $1.value }.squareRoot() }
        guard let first = history.first, let held = record(heldEpoch), held.epoch != first.epoch,
            !norms(first).isEmpty, total(first) > 0
        else { return }
        let growth = total(held) / total(first)
        normGrowth = growth
        var line =
            "the weights' total L2 norm went from \(Diagnosis.format(total(first))) at epoch \(first.epoch) to \(Diagnosis.format(total(held))) at epoch \(held.epoch) (x\(String(format: "%.2f", growth)))"
        if let last = history.last, last.epoch != held.epoch {
            line += ", \(Diagnosis.format(total(last))) at the last epoch"
        }
        let start = Dictionary(norms(first).map { ($0.name, $0.value) }, uniquingKeysWith: { a, _ in a })
        let grown = norms(held).compactMap { n in start[n.name].map { (n.name, $0, n.value) } }
            .max { $0.2 - $0.1 < $1.2 - $1.1 }
        if let (name, from, to) = grown, to > from {
            line +=
                "; \(name.dropFirst("norm.".count)) grew most (\(Diagnosis.format(from)) to \(Diagnosis.format(to)))"
        }
        lines.append(line)
    }

    /// How much of the training loss is penalty (diagnostics "penalty", "data_loss").
    private mutating func penaltySplit(_ facts: DiagnosisFacts) {
        guard let held = record(heldEpoch), let loss = held["loss"], loss.isFinite else { return }
        guard let penalty = HistoryEvidence.diagnostic(held, "penalty") else {
            lines.append("history.json has no \"penalty\" diagnostic (written before nnreg recorded the loss split)")
            return
        }
        if penalty == 0 {
            lines.append("the training loss has no penalty part (no weight or activity regularizer)")
            return
        }
        let share = loss > 0 ? penalty / loss : 1
        penaltyShare = share
        let percent = share < 0.01 ? "under 1%" : "\(Int((share * 100).rounded()))%"
        lines.append(
            "the penalty (weight and activity regularizers) is \(percent) of the training loss at epoch \(held.epoch) (\(Diagnosis.format(penalty)) of \(Diagnosis.format(loss)))"
                + (share >= 0.25 ? ": the regularizers weigh as much as fitting the data" : ""))
    }

    /// Whether early stopping, restore_best_weights or save_best_only acted.
    private mutating func stopping(_ facts: DiagnosisFacts) {
        let epochs = facts.spec.training.epochs
        guard let outcome = facts.outcome else {
            ranToLimit = history.count >= epochs
            lines.append(
                "metrics.json is missing: the run did not finish; model.safetensors holds epoch \(history.last?.epoch ?? 0), its last completed one"
            )
            return
        }
        if outcome.earlyStopped {
            earlyStopped = true
            let why = outcome.stopReason.dropFirst("early stopping".count).drop { $0 == ":" || $0 == " " }
            lines.append("early stopping ended training after epoch \(outcome.epochsRun) of \(epochs): \(why)")
        } else if outcome.epochsRun >= epochs {
            ranToLimit = true
            var line = "training ran all \(epochs) epochs (training.epochs)"
            if stillImproving { line += " with the training loss still falling" }
            if let es = facts.spec.earlyStopping {
                line += "; early stopping (\(es.monitor), patience \(es.patience)) did not trigger"
            } else {
                line += "; no early stopping"
            }
            lines.append(line)
        } else {
            lines.append("training ended after epoch \(outcome.epochsRun) of \(epochs): \(outcome.stopReason)")
        }
        if let best = outcome.bestEpoch, best != outcome.epochsRun {
            let source =
                facts.spec.earlyStopping?.restoreBestWeights == true
                ? "restore_best_weights" : "checkpoint.save_best_only"
            lines.append("\(source): model.safetensors holds epoch \(best), not the last (\(outcome.epochsRun))")
        }
    }
}
