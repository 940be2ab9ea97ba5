import Foundation

/// Command-line overrides of a spec for `nnreg train`.
public struct TrainOptions {
    public var output: String?
    public var epochs: Int?
    public var seed: UInt64?
    public var resume = false
    /// Replace a finished or interrupted run in the output folder instead of refusing.
    public var overwrite = false
    /// Write TensorBoard event files (sets output.tensorboard).
    public var tensorboard = false
    /// The sweep process that started this run: when it is no longer the parent (it was
    /// killed), training stops as on Ctrl-C, leaving a run the sweep's --resume continues.
    public var sweepParent: Int32?
    /// The ranks of an mpirun job (`currentCommunicator()`), or one process.
    public var communicator: Communicator = SingleProcess()
    public init() {}
}

/// Set by SIGINT; the trainer polls it after every batch.
nonisolated(unsafe) var interruptRequested = false

/// `nnreg train`: trains the spec's model (or ensemble), writing the run folder as it goes.
///
/// Files are rewritten atomically after every epoch, history first and last.safetensors
/// last, so an interruption at any point leaves a folder `--resume` can continue: it
/// reloads last.safetensors (weights, optimizer state, callback state, epochs completed)
/// and keeps the history of those epochs. Every epoch's randomness is derived from
/// (seed, epoch), so the resumed history equals the uninterrupted one.
///
/// Under mpirun every rank runs this with the same spec; rank 0's initial (or resumed)
/// weights are broadcast, each rank trains on its share of every batch (`Trainer`), and
/// only rank 0 writes the run folder and prints: the other ranks write to a scratch
/// folder they delete, and read rank 0's folder to resume. A run resumes on any number
/// of ranks. An ensemble's members are spread over the ranks instead (`spreadsMembers`).
public final class TrainingRun {
    public let experiment: Experiment
    public let folder: String
    let options: TrainOptions
    /// The ranks, their all-reduces counted under mpirun (`communicationSummary`).
    let communicator: Communicator
    let reporter: Reporter
    /// What every weights file of the run carries (`Experiment.weightsMetadata`), made once.
    let metadata: [String: String]
    var spec: Spec { experiment.spec }

    public init(spec: Spec, options: TrainOptions, reporter: Reporter) throws {
        var spec = spec
        if let e = options.epochs {
            guard e > 0 else { throw SpecError(path: "--epochs", message: "must be a positive integer, got \(e)") }
            spec.training.epochs = e
        }
        if let s = options.seed { spec.seed = s }
        if let o = options.output { spec.output.dir = o }
        if options.tensorboard { spec.output.tensorboard = true }
        spec.training.ranks = options.communicator.size
        communicator = options.communicator.size > 1 ? CommunicationLog(options.communicator) : options.communicator
        self.options = options
        self.reporter = reporter
        if options.communicator.isRoot {
            folder = spec.output.dir
            try RunFolder.check(folder, resume: options.resume, overwrite: options.overwrite)
        } else {
            folder = TrainingRun.scratchFolder(rank: options.communicator.rank)
        }
        experiment = try Experiment(spec: spec)
        metadata = experiment.weightsMetadata()
    }

    /// Trains every member, evaluates, writes metrics.json; returns that document.
    public func run() throws -> JSON {
        Parallel.setThreads(spec.training.threads ?? ProcessInfo.processInfo.activeProcessorCount)
        let root = communicator.isRoot
        if root { for note in experiment.notes { reporter.note(note) } }
        let files = try RunFolder.open(folder, resume: options.resume && root, overwrite: options.overwrite || !root)
        defer { if !root { try? FileManager.default.removeItem(atPath: folder) } }
        // Every member is made (and, resuming, restored) before a file is written, so a
        // run folder that cannot be resumed is left exactly as it was.
        let count = spec.training.ensembleMembers
        var members: [(loop: TrainingLoop, start: Int)] = []
        for k in 0..<count {
            let loop = try makeLoop(member: k, files: files, prefix: count == 1 ? "" : "members/\(k)/")
            if !root { loop.run.resumePath = spec.output.dir }
            members.append((loop, try start(loop, member: k)))
        }
        try files.write(spec.resolvedJSON().pretty() + "\n", to: "spec.json")
        if let names = experiment.classNames ?? defaultClassNames() {
            try files.write(JSON.array(names.map(JSON.string)).pretty() + "\n", to: "classes.json")
        }
        try writeFileLists(files)
        interruptRequested = false
        signal(SIGINT) { _ in interruptRequested = true }
        defer { signal(SIGINT, SIG_DFL) }
        for (k, member) in members.enumerated() where owner(of: k) == communicator.rank {
            if count > 1 { reporter.message("member \(k + 1)/\(count) (seed \(spec.seed &+ UInt64(k)))") }
            try member.loop.fit(experiment.train, validation: experiment.validation, from: member.start)
        }
        if spreadsMembers { try gatherMembers(members.map(\.loop), files) }
        let document = evaluate(members.map(\.loop))
        for part in [experiment.validation, experiment.test].compactMap({ $0 }) { try part.checkRead() }
        if root { noteSubstitutedFiles() }
        if count > 1 { try writeEnsembleWeights(members.map(\.loop), files) }
        try writeForecastPlot(Ensemble(members.map(\.loop.run.trainer.model)), files)
        try files.write(document.pretty() + "\n", to: "metrics.json")
        if root, let summary = communicationSummary(members.map(\.loop.run.trainer)) { reporter.message(summary) }
        return document
    }

    /// Streamed image folders under data.on_bad_file "skip": the files trained as black
    /// images because they could not be decoded, in a note.
    func noteSubstitutedFiles() {
        let streams = [experiment.train, experiment.validation, experiment.test].compactMap {
            ($0 as? SampleStream)?.reader as? StreamedImages
        }
        let files = Set(streams.flatMap { $0.substituted.map(\.path) }).sorted()
        guard !files.isEmpty else { return }
        reporter.note(
            "data.on_bad_file \"skip\" with streamed images: \(files.count) file\(files.count == 1 ? "" : "s") could not "
                + "be decoded and trained as black images: \(files.prefix(3).joined(separator: ", "))"
                + (files.count > 3 ? ", ..." : ""))
    }

    /// Under mpirun: what the steps all-reduced and the share of step time it took, e.g.
    /// "2 ranks: 1,250 steps, 0.41 MB all-reduced per step in 3 calls, 1.2 of 9.8 ms per step (12%)".
    func communicationSummary(_ trainers: [Trainer]) -> String? {
        guard let log = communicator as? CommunicationLog, !spreadsMembers else { return nil }
        let steps = trainers.reduce(0) { $0 + $1.steps }, seconds = trainers.reduce(0) { $0 + $1.stepSeconds }
        guard steps > 0 else { return nil }
        let perStep = Double(log.bytes) / Double(steps) / 1e6, calls = Double(log.calls) / Double(steps)
        return String(
            format: "%d ranks: %@ steps, %.3f MB all-reduced per step in %.0f calls, %.2f of %.2f ms per step (%.0f%%)",
            log.size, steps.formatted(), perStep, calls, log.seconds / Double(steps) * 1e3,
            seconds / Double(steps) * 1e3, log.seconds / seconds * 100)
    }

    /// forecast.svg of a time series: the test part's forecasts (the validation part's
    /// without one) beside the actual values and persistence (`ForecastPlot`).
    func writeForecastPlot(_ ensemble: Ensemble, _ files: RunFolder) throws {
        guard let s = experiment.sequence,
            let (name, part) = s.test.map({ ("test", $0) }) ?? s.validation.map({ ("validation", $0) })
        else { return }
        let series = ForecastPlot.series(part, predictions: ensemble.predict(part), scaler: s.scaler)
        try files.write(
            ForecastPlot.svg(series, title: spec.name, part: name, target: s.scaler.targetName), to: "forecast.svg")
    }
    /// Member `k`'s model, optimizer and callbacks, in the order they act after each epoch:
    /// decisions (early stopping, the learning rate), then the files (history, checkpoints,
    /// model.safetensors), then the progress line.
    func makeLoop(member k: Int, files: RunFolder, prefix: String) throws -> TrainingLoop {
        let training = spec.training
        let trainer = Trainer(
            model: try experiment.makeModel(member: k), optimizer: makeOptimizer(training.optimizer),
            metrics: experiment.makeMetrics(),
            shuffle: training.shuffleOrder(imageFolder: experiment.data?.train.files != nil),
            seed: spec.seed &+ UInt64(k),
            communicator: spreadsMembers ? SingleProcess() : communicator)
        trainer.classWeights = experiment.classWeights
        trainer.augmentation = experiment.augmentedBatches(member: k)
        let parent = options.sweepParent
        trainer.shouldStop = { interruptRequested || parent.map { getppid() != $0 } == true }
        let run = TrainingContext(
            spec: spec, files: files, prefix: prefix, trainer: trainer, reporter: reporter, metadata: metadata,
            statistics: ModelFile.statistics(normalizer: experiment.normalizer, augmenter: experiment.augmenter))
        var callbacks: [TrainingCallback] = []
        if let es = spec.earlyStopping { callbacks.append(EarlyStoppingCallback(es, network: trainer.model.network)) }
        if let schedule = training.lrSchedule {
            callbacks.append(LearningRateCallback(schedule, initial: training.optimizer.learningRate))
        }
        callbacks.append(HistoryFilesCallback())
        if spec.output.tensorboard { callbacks.append(TensorBoardCallback()) }
        if let c = spec.checkpoint {
            callbacks.append(
                CheckpointCallback(c, earlyStoppingDecides: spec.earlyStopping?.restoreBestWeights == true))
        }
        callbacks += [ModelFileCallback(), ProgressCallback()]
        return TrainingLoop(run, callbacks: callbacks)
    }

    /// Image folders: split.csv lists every file with its split (train and validation never
    /// overlap silently), skipped_files.csv the files on_bad_file "skip" left out.
    func writeFileLists(_ files: RunFolder) throws {
        guard let data = experiment.data, data.train.files != nil else { return }
        var split = "split,file,label\n", skipped = "split,file,reason\n"
        // Parts split off the training source carry its skipped list too: list each file once.
        var listed = Set<String>()
        for (name, part) in [("train", data.train), ("validation", data.validation), ("test", data.test)] {
            guard let part else { continue }
            for (i, f) in (part.files ?? []).enumerated() { split += "\(name),\(csvField(f)),\(Int(part.labels[i]))\n" }
            for s in part.skipped where listed.insert(s.path).inserted {
                skipped += "\(name),\(csvField(s.path)),\(csvField(s.reason))\n"
            }
        }
        try files.write(split, to: "split.csv")
        if !listed.isEmpty { try files.write(skipped, to: "skipped_files.csv") }
    }

    /// Class names for a classifier whose labels were numbers: "0", "1", ...
    func defaultClassNames() -> [String]? {
        guard experiment.isClassifier else { return nil }
        return (0..<max(experiment.outputShape.last ?? 1, 2)).map(String.init)
    }

    /// metrics.json: test and validation results, epochs, stop reason; for an ensemble
    /// the averaged prediction's results plus each member's. A time series' results are
    /// on levels, with the naive baselines (`ForecastEvaluation`).
    func evaluate(_ members: [TrainingLoop]) -> JSON {
        let ensemble = Ensemble(members.map(\.run.trainer.model))
        let forecast = experiment.forecastEvaluation
        func section(_ data: DataSource?) -> JSON {
            data.map { JSON.metrics(ensemble.evaluate($0, metrics: experiment.makeMetrics(), forecast: forecast)) }
                ?? .null
        }
        let first = members[0].run
        var doc: [(String, JSON)] = [
            ("test", section(experiment.test)),
            ("validation", section(experiment.validation)),
            ("epochs_run", JSON(first.history.count)),
            ("best_epoch", first.bestEpoch.map { JSON($0 + 1) } ?? .null),
            ("stop_reason", .string(first.stopReason)),
            ("ranks", JSON(communicator.size)),
        ]
        if members.count > 1 {
            let each = members.enumerated().map { k, loop -> JSON in
                let run = loop.run
                return .object(
                    .init([
                        ("seed", JSON(Int(spec.seed &+ UInt64(k)))),
                        (
                            "test",
                            experiment.test.map {
                                JSON.metrics(
                                    Ensemble([run.trainer.model]).evaluate(
                                        $0, metrics: experiment.makeMetrics(), forecast: forecast))
                            } ?? .null
                        ),
                        ("epochs_run", JSON(run.history.count)),
                        ("best_epoch", run.bestEpoch.map { JSON($0 + 1) } ?? .null),
                        ("stop_reason", .string(run.stopReason)),
                    ]))
            }
            doc.append(("members", .array(each)))
        }
        return .object(.init(doc))
    }

    /// model.safetensors of an ensemble: every member's weights, prefixed "members.k.".
    func writeEnsembleWeights(_ members: [TrainingLoop], _ files: RunFolder) throws {
        var tensors: [(name: String, tensor: Tensor)] = []
        for (k, loop) in members.enumerated() {
            tensors += loop.run.network.namedParameters.map { ("members.\(k)." + $0.name, $0.parameter.value) }
        }
        tensors += members[0].run.statistics
        var meta = metadata
        meta[ModelFile.Key.members] = String(members.count)
        try files.claim("model.safetensors")
        try SafeTensors.write(tensors: tensors, metadata: meta, to: folder + "/model.safetensors")
    }
}

extension JSON {
    /// {"loss": ..., "accuracy": ...} from named values.
    static func metrics(_ values: [(String, Double)]) -> JSON {
        .object(.init(values.map { ($0.0, $0.1.isFinite ? JSON.number($0.1) : .null) }))
    }
}
