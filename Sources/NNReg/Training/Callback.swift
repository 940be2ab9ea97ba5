import Foundation

/// Something that acts at the boundaries of training (Keras's `Callback`): early stopping,
/// learning-rate schedules, checkpoints, the run folder's files, progress. Each owns its
/// state, and saves and restores it for `--resume` through `state` / `restore`.
protocol TrainingCallback: AnyObject {
    /// The key of its state in last.safetensors' "callbacks" metadata; nil: it keeps none.
    var stateKey: String? { get }
    /// Before the first epoch (after a resume has restored the state).
    func trainBegin(_ run: TrainingContext) throws
    /// Before 0-based `epoch`.
    func epochBegin(_ epoch: Int, _ run: TrainingContext)
    /// After `epoch`, whose record is `run.record`; returns true to stop training.
    func epochEnd(_ epoch: Int, _ run: TrainingContext) throws -> Bool
    /// After the last epoch.
    func trainEnd(_ run: TrainingContext) throws
    var state: JSON { get }
    func restore(_ state: JSON, _ run: TrainingContext) throws
}

extension TrainingCallback {
    var stateKey: String? { nil }
    func trainBegin(_ run: TrainingContext) throws {}
    func epochBegin(_ epoch: Int, _ run: TrainingContext) {}
    func epochEnd(_ epoch: Int, _ run: TrainingContext) throws -> Bool { false }
    func trainEnd(_ run: TrainingContext) throws {}
    var state: JSON { .null }
    func restore(_ state: JSON, _ run: TrainingContext) throws {}
}

/// What the callbacks of one model's training share.
final class TrainingContext {
    let spec: Spec
    /// The run folder, whose manifest lists what this run writes.
    let files: RunFolder
    /// Where this model's files go in it: "" for a run, "members/k/" for an ensemble member.
    let prefix: String
    /// The folder this model's files go to (an ensemble member's own folder).
    var folder: String { files.path + (prefix.isEmpty ? "" : "/" + prefix.dropLast()) }
    /// The run folder `--resume` reads: `files.path`, except on mpirun ranks other than 0,
    /// which write to a scratch folder and read rank 0's (a shared file system).
    var resumePath: String?
    /// The folder this model's `--resume` files are read from.
    var resumeFolder: String { (resumePath ?? files.path) + (prefix.isEmpty ? "" : "/" + prefix.dropLast()) }
    let trainer: Trainer
    let reporter: Reporter
    /// Metadata every weights file carries (the resolved spec, input shape, scaling), made once.
    let metadata: [String: String]
    /// Tensors every weights file carries besides the weights (normalization and
    /// augmentation statistics).
    let statistics: [(name: String, tensor: Tensor)]
    var history: [HistoryRecord] = []
    /// Notes on the epoch for its progress line, from the callbacks that decided something.
    var notes: [String] = []
    /// Why training ended, for metrics.json.
    var stopReason = ""
    /// The 0-based epoch whose weights model.safetensors holds, when it holds the best one.
    var bestEpoch: Int?
    /// Whether model.safetensors is rewritten after this epoch, and with which weights (nil:
    /// the current ones). Reset to (true, nil) before each epoch; early stopping's
    /// restore_best_weights and checkpoint's save_best_only change it.
    var modelFileUpdate: (due: Bool, weights: [Tensor]?) = (true, nil)

    init(
        spec: Spec, files: RunFolder, prefix: String, trainer: Trainer, reporter: Reporter,
        metadata: [String: String], statistics: [(name: String, tensor: Tensor)]
    ) {
        self.spec = spec
        self.files = files
        self.prefix = prefix
        self.trainer = trainer
        self.reporter = reporter
        self.metadata = metadata
        self.statistics = statistics
    }

    var network: Sequential { trainer.model.network }
    var optimizer: Optimizer { trainer.optimizer }
    var epochs: Int { spec.training.epochs }

    /// The last epoch's record.
    var record: HistoryRecord {
        get { history[history.count - 1] }
        set { history[history.count - 1] = newValue }
    }

    /// The path of this model's file `name`, claimed in the run folder's manifest first.
    func claim(_ name: String) throws -> String {
        try files.claim(prefix + name)
        return folder + "/" + name
    }

    /// The weights as weights files name them, with the statistics.
    func weightTensors(_ weights: [Tensor]? = nil) -> [(name: String, tensor: Tensor)] {
        let named = network.namedParameters
        let values = weights ?? named.map(\.parameter.value)
        return zip(named, values).map { ($0.name, $1) } + statistics
    }
}

/// One model's training: the epoch loop, its record of each epoch, and the callbacks.
final class TrainingLoop {
    let run: TrainingContext
    let callbacks: [TrainingCallback]

    init(_ run: TrainingContext, callbacks: [TrainingCallback]) {
        self.run = run
        self.callbacks = callbacks
    }

    /// Trains from epoch `start` (0, or the epochs a resume restored) to training.epochs.
    func fit(_ train: DataSource, validation: DataSource?, from start: Int) throws {
        for c in callbacks { try c.trainBegin(run) }
        var epoch = start
        while epoch < run.epochs {
            run.notes = []
            run.modelFileUpdate = (true, nil)
            for c in callbacks { c.epochBegin(epoch, run) }
            let started = Date().timeIntervalSince1970
            let trained: [(String, Double)]
            do {
                trained = try run.trainer.trainEpoch(train, epoch: epoch)
            } catch {
                run.reporter.endBar()  // the caller reports what was kept
                throw error
            }
            var record = HistoryRecord(epoch: epoch + 1, values: trained)
            record.ranks = run.trainer.communicator.size
            if let validation {
                record.values += run.trainer.model.evaluate(validation, metrics: run.trainer.metrics)
                    .map { ("val_" + $0.0, $0.1) }
                try validation.checkRead()
            }
            record["learning_rate"] = Double("\(run.optimizer.learningRate)")
            record["seconds"] = Date().timeIntervalSince1970 - started
            record.diagnostics = diagnostics(record)
            run.history.append(record)
            var stop = false
            for c in callbacks { stop = try c.epochEnd(epoch, run) || stop }
            try saveResumeState(epochs: epoch + 1)
            epoch += 1
            if stop { break }
        }
        if run.stopReason.isEmpty { run.stopReason = "completed \(run.epochs) epochs" }
        for c in callbacks { try c.trainEnd(run) }
    }

    /// What shows regularization at work: val_loss - loss (the generalization gap, and the
    /// same for each metric), the training loss split into "data_loss" and "penalty" (the
    /// weight and activity penalties; data_loss = loss - penalty), and the L2 norm of every
    /// trainable weight.
    func diagnostics(_ record: HistoryRecord) -> [(name: String, value: Double)] {
        var out: [(name: String, value: Double)] = []
        for (name, value) in record.values where !name.hasPrefix("val_") {
            if let v = record["val_" + name] { out.append(("gap_" + name, v - value)) }
        }
        if let loss = record["loss"] {
            let penalty = run.trainer.epochPenalty
            out += [("data_loss", loss - penalty), ("penalty", penalty)]
        }
        for (name, p) in run.network.namedParameters where p.trainable {
            out.append(("norm." + name, Double(Regularizer(l2: 1).penalty(p.value)).squareRoot()))
        }
        return out
    }

    /// last.safetensors, written last after every epoch: the weights, the optimizer's state,
    /// the callbacks' state and the epochs done, everything `restore` needs.
    func saveResumeState(epochs done: Int) throws {
        var meta = run.metadata
        meta[ModelFile.Key.epochs] = String(done)
        meta.merge(ModelFile.optimizerMetadata(run.optimizer)) { $1 }
        meta[ModelFile.Key.callbacks] = callbackState.compact()
        try SafeTensors.write(
            tensors: run.weightTensors() + ModelFile.optimizerTensors(model: run.network, optimizer: run.optimizer),
            metadata: meta, to: try run.claim("last.safetensors"))
    }

    /// The callbacks' state for last.safetensors: each under its key, then the best epoch.
    var callbackState: JSON {
        var parts: [(String, JSON)] = callbacks.compactMap { c in c.stateKey.map { ($0, c.state) } }
            .filter { $0.1 != .null }
        if let b = run.bestEpoch { parts.append(("best_epoch", JSON(b))) }
        return .object(.init(parts))
    }

    /// Continues the run in the folder: loads last.safetensors (weights, optimizer and
    /// callback state, epochs completed) and the history of those epochs; returns that count.
    func restore() throws -> Int {
        let folder = run.resumeFolder
        let path = folder + "/last.safetensors"
        let file = try SafeTensors.read(path)
        guard let saved = file.metadata[ModelFile.Key.spec],
            var savedSpec = try? Spec.parse(saved, baseDirectory: "/")
        else {
            throw DataError("\(path): metadata \"\(ModelFile.Key.spec)\" is missing or not a valid spec")
        }
        savedSpec.training.epochs = run.spec.training.epochs
        savedSpec.output = run.spec.output
        savedSpec.training.ranks = run.spec.training.ranks  // a run resumes on any number of ranks
        if savedSpec.resolvedJSON() != run.spec.resolvedJSON() {
            throw DataError(
                "\(path) was written for a different spec; resume needs the same spec (only --epochs, output and the ranks may change)"
            )
        }
        try ModelFile.loadWeights(file, into: run.network, path: path)
        try ModelFile.loadOptimizer(file, into: run.optimizer, model: run.network, path: path)
        guard let doneText = file.metadata[ModelFile.Key.epochs], let done = Int(doneText), done >= 0 else {
            throw DataError("\(path): metadata \"\(ModelFile.Key.epochs)\" is missing or not a count of epochs")
        }
        do {
            run.history = Array(try RunFiles.readHistory(folder + "/history.json").prefix(done))
        } catch let error as FileIOError {
            throw DataError("\(error.path): \(error.reason); --resume needs the run's history")
        }
        guard run.history.count == done else {
            throw DataError("\(folder)/history.json has \(run.history.count) epochs but last.safetensors \(done)")
        }
        if let text = file.metadata[ModelFile.Key.callbacks] {
            guard let state = (try? JSON.parse(text))?.objectValue else {
                throw DataError("\(path): metadata \"\(ModelFile.Key.callbacks)\" is not a JSON object")
            }
            run.bestEpoch = state["best_epoch"]?.intValue
            for c in callbacks {
                if let key = c.stateKey { try c.restore(state[key] ?? .null, run) }
            }
        }
        run.reporter.message("resuming \(folder) after epoch \(done)")
        return done
    }
}
