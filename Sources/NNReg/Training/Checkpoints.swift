import Foundation

/// The "checkpoint" section (Keras ModelCheckpoint): checkpoints/epoch-NNNN.safetensors
/// every save_freq epochs (only improving ones with save_best_only), the newest `keep`
/// kept; with save_best_only (and no restore_best_weights, which decides instead)
/// model.safetensors holds the best epoch.
final class CheckpointCallback: TrainingCallback {
    let spec: CheckpointSpec
    let mode: MonitorMode
    /// Whether early stopping's restore_best_weights decides what model.safetensors holds.
    let earlyStoppingDecides: Bool
    private var best: Double?

    init(_ spec: CheckpointSpec, earlyStoppingDecides: Bool) {
        self.spec = spec
        mode = spec.mode.resolved(for: spec.monitor)
        self.earlyStoppingDecides = earlyStoppingDecides
    }

    var stateKey: String? { "checkpoint" }

    func epochEnd(_ epoch: Int, _ run: TrainingContext) throws -> Bool {
        var improved = false
        if let value = run.record[spec.monitor], mode.isImprovement(value, over: best) {
            best = value
            improved = true
        }
        if (epoch + 1) % spec.saveEveryEpochs == 0 && (!spec.saveBestOnly || improved) {
            try write(epoch, run)
        }
        if spec.saveBestOnly && !earlyStoppingDecides {
            run.modelFileUpdate = (improved, nil)
            if improved { run.bestEpoch = epoch }
        }
        return false
    }

    /// checkpoints/epoch-NNNN.safetensors, then the oldest beyond `keep` deleted (of those
    /// the manifest lists: nnreg's own).
    private func write(_ epoch: Int, _ run: TrainingContext) throws {
        let name = String(format: "checkpoints/epoch-%04d.safetensors", epoch + 1)
        try SafeTensors.write(tensors: run.weightTensors(), metadata: run.metadata, to: try run.claim(name))
        guard let keep = spec.keep else { return }
        let fm = FileManager.default
        let ours = run.files.claimed(startingWith: run.prefix + "checkpoints/").sorted()
            .filter { fm.fileExists(atPath: run.files.path + "/" + $0) }
        for old in ours.dropLast(keep) { try fm.removeItem(atPath: run.files.path + "/" + old) }
    }

    var state: JSON { best.map { .numbers(["best": $0]) } ?? .null }

    func restore(_ state: JSON, _ run: TrainingContext) throws { best = state.numbers["best"] }
}

/// model.safetensors after every epoch that calls for it (`TrainingContext.modelFileUpdate`).
final class ModelFileCallback: TrainingCallback {
    func epochEnd(_ epoch: Int, _ run: TrainingContext) throws -> Bool {
        let (due, weights) = run.modelFileUpdate
        if due {
            try SafeTensors.write(
                tensors: run.weightTensors(weights), metadata: run.metadata, to: try run.claim("model.safetensors"))
        }
        return false
    }
}
