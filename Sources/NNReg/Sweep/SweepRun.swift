import Foundation

/// Command-line options of `nnreg sweep`.
public struct SweepOptions {
    /// The sweep folder (default: the sweep file's output.dir).
    public var output: String?
    /// Trials trained at once, each in its own process.
    public var jobs = 1
    public var resume = false
    public var overwrite = false
    /// `--set`s applied to the base spec of every trial.
    public var sets: [SpecOverride] = []
    /// The nnreg executable the trials run.
    public var executable: String
    /// Under mpirun, the ranks (`RemoteTrials`): this one (rank 0) schedules, and the others
    /// train trials too. One process otherwise.
    public var communicator: Communicator = SingleProcess()

    public init(executable: String) { self.executable = executable }
}

/// Set by SIGINT during a sweep; no new trial starts once it is.
nonisolated(unsafe) var sweepInterrupted = false

/// `nnreg sweep`: trains every configuration once per seed, each trial a `nnreg train`
/// process writing its run folder trials/<id>/, `jobs` at a time, then ranks the
/// configurations by the mean over seeds of the objective (its best value over the
/// epochs, validation data only).
///
/// With halving, every configuration first trains `min_epochs`; at each rung the best
/// 1/eta (at least one) go on, from their own last.safetensors, to eta times the epochs,
/// until the spec's epochs. A trial whose early stopping ended it stays as it is.
///
/// Every trial trains with a fixed thread count (the spec's training.threads, else the
/// cores divided among the jobs, recorded in sweep.json), and its randomness comes from its
/// seed alone, so its results do not depend on `jobs` or on the order trials finish.
/// `--resume` skips finished trials and continues interrupted ones from their checkpoints.
public final class SweepRun {
    public let sweep: SweepSpec
    /// The base spec, with the `--set`s.
    public let base: Spec
    public let configs: [SweepConfig]
    public let seeds: [UInt64]
    public let folder: String
    /// The objective's direction, made concrete.
    public let mode: MonitorMode
    let options: SweepOptions
    let reporter: Reporter
    /// The worker threads of each trial; nil when the spec sets them.
    private(set) var threads: Int?
    /// Each trial's run folder results, by id, once it finished a stage.
    var outcomes: [String: RunRecord] = [:]
    /// The rank that trained each trial's last stage (0 outside mpirun), for trials.csv.
    var trialRanks: [String: Int] = [:]
    /// Trials whose training failed, with the message.
    private(set) var failures: [String: String] = [:]
    /// Configurations halving stopped, with the epochs they had trained.
    private(set) var pruned: [String: Int] = [:]
    /// The configurations each finished halving rung kept, as sweep.json records them, so
    /// that a resumed sweep continues the same ones.
    var rungs: [[String]] = []
    /// What the trials of one rung share while they run, behind `lock`: the processes, the
    /// first bad-input message, how many finished.
    private var running: [Process] = []
    private var childError: String?
    private var finished = 0
    private let lock = NSLock()

    public init(sweepFile: String, options: SweepOptions, reporter: Reporter) throws {
        var sweep = try SweepSpec.load(path: sweepFile)
        if let output = options.output {
            guard !output.isEmpty else { throw DataError("--output is empty; give the sweep folder's path") }
            sweep.outputDir = Spec.resolvePath(output, from: FileManager.default.currentDirectoryPath)
        }
        self.sweep = sweep
        self.options = options
        self.reporter = reporter
        folder = sweep.outputDir
        base = try Spec.load(path: sweep.spec, overrides: options.sets)
        try base.checkMonitor(sweep.monitor, at: "objective.monitor", final: true)
        mode = sweep.mode.resolved(for: sweep.monitor)
        if let h = sweep.halving, h.minEpochs >= base.training.epochs {
            throw SpecError(
                path: "halving.min_epochs",
                message: "is \(h.minEpochs) but the spec trains \(base.training.epochs) epochs; halving needs fewer")
        }
        seeds = sweep.seeds ?? [base.seed]
        configs = sweep.configurations(seed: base.seed)
        for config in configs {
            if let own = config.overrides.first(where: { ["seed", "output", "output.dir"].contains($0.path) }) {
                throw SpecError(
                    path: "parameters",
                    message: "\(own.path): the sweep sets this itself (use \"seeds\" and \"output\")")
            }
            do {
                _ = try Spec.load(path: sweep.spec, overrides: options.sets + config.overrides)
            } catch let error as SpecError {
                let values = config.values.map { "\($0.path)=\($0.value.compact())" }.joined(separator: ", ")
                throw SpecError(path: "parameters", message: "configuration \(config.id) (\(values)): \(error)")
            }
        }
        // The cores are split among the trials that train at once on this machine (each rank
        // on it trains `jobs` under mpirun: OMPI_COMM_WORLD_LOCAL_SIZE ranks share the machine).
        let cores = ProcessInfo.processInfo.activeProcessorCount
        let local = ProcessInfo.processInfo.environment["OMPI_COMM_WORLD_LOCAL_SIZE"].flatMap { Int($0) } ?? 1
        let perMachine = max(options.jobs, 1) * (options.communicator.size > 1 ? max(local, 1) : 1)
        threads = base.training.threads == nil ? max(1, cores / perMachine) : nil
        try RunFolder.check(folder, resume: options.resume, overwrite: options.overwrite, kind: .sweep)
    }

    /// Every trial, configuration by configuration, seeds in the given order.
    public var trials: [Trial] { configs.flatMap { c in seeds.map { Trial(config: c, seed: $0) } } }

    /// What sweep.json records: the sweep file resolved, the `--set`s on the base spec, the
    /// trials' thread count, and the configurations each finished halving rung kept.
    /// `--resume` needs the same sweep and `--set`s, and keeps the rest.
    var record: JSON {
        [
            "sweep": sweep.resolvedJSON, "set": .array(options.sets.map { .string($0.text) }),
            "threads": threads.map { JSON($0) } ?? .null,
            "rungs": .array(rungs.map { .array($0.map(JSON.string)) }),
        ]
    }

    /// The epochs of each rung: halving's min_epochs, times eta, ... up to the spec's epochs;
    /// without halving one rung of the spec's epochs.
    public var budgets: [Int] {
        let epochs = base.training.epochs
        guard let h = sweep.halving else { return [epochs] }
        var out: [Int] = []
        var b = h.minEpochs
        while b < epochs {
            out.append(b)
            b = b > epochs / h.eta ? epochs : b * h.eta
        }
        return out + [epochs]
    }

    /// Trains the sweep, writes the sweep folder's tables; returns the --json document.
    public func run() throws -> JSON {
        let files = try RunFolder.open(folder, resume: options.resume, overwrite: options.overwrite, kind: .sweep)
        if options.resume { try restoreRecord() }
        try files.write(record.pretty() + "\n", to: "sweep.json")
        for trial in trials { try files.claim("trials/\(trial.id)/") }
        sweepInterrupted = false
        signal(SIGINT) { _ in sweepInterrupted = true }
        defer { signal(SIGINT, SIG_DFL) }
        let remote = options.communicator.size > 1 ? RemoteTrials(options.communicator) : nil
        defer { remote?.stop() }
        var alive = configs
        for (rung, budget) in budgets.enumerated() {
            if budgets.count > 1 {
                reporter.message("rung \(rung + 1)/\(budgets.count): \(alive.count) configurations, \(budget) epochs")
            }
            try train(alive.flatMap { c in seeds.map { Trial(config: c, seed: $0) } }, epochs: budget, remote: remote)
            if sweepInterrupted {
                try writeTables(files)
                throw TrainingError.interrupted(epoch: 0)
            }
            guard rung < budgets.count - 1 else { break }
            let recorded = rung < rungs.count
            let kept = survivors(of: alive, rung: rung)
            for c in alive where !kept.contains(c) { pruned[c.id] = budget }
            alive = kept
            if !recorded { try files.write(record.pretty() + "\n", to: "sweep.json") }
        }
        return try writeTables(files)
    }

    /// The mean over seeds of a configuration's objective (each trial's as of the stage it
    /// last finished), and the sample standard deviation; nil when no seed has a value.
    func objective(_ config: SweepConfig) -> (mean: Double, std: Double, count: Int)? {
        let values = seeds.compactMap { outcomes[Trial(config: config, seed: $0).id]?.objective(sweep.monitor) }
        guard !values.isEmpty else { return nil }
        let mean = values.reduce(0, +) / Double(values.count)
        let spread =
            values.count > 1 ? values.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / Double(values.count - 1) : 0
        return (mean, spread.squareRoot(), values.count)
    }

    /// The configurations that go on after halving rung `rung`: those sweep.json recorded
    /// (a resumed sweep continues exactly the ones it chose), else `halve`'s choice, which
    /// is then recorded.
    func survivors(of alive: [SweepConfig], rung: Int) -> [SweepConfig] {
        if rung < rungs.count { return alive.filter { rungs[rung].contains($0.id) } }
        let kept = halve(alive).kept
        rungs.append(kept.map(\.id))
        return kept
    }

    /// A halving rung's decision, once `alive` trained the rung's epochs: the best 1/eta of
    /// them (at least one) go on; the rest stop.
    func halve(_ alive: [SweepConfig]) -> (kept: [SweepConfig], dropped: [SweepConfig]) {
        let ranked = rank(alive)
        let keep = max(1, alive.count / (sweep.halving?.eta ?? 1))
        return (Array(ranked.prefix(keep)), Array(ranked.dropFirst(keep)))
    }

    /// `configs` best first by their objective (those without one last, ties in file order).
    func rank(_ configs: [SweepConfig]) -> [SweepConfig] {
        let scored = configs.enumerated().map { ($0.offset, $0.element, objective($0.element)?.mean) }
        return scored.sorted { a, b in
            switch (a.2, b.2) {
            case (let x?, let y?) where x != y: return mode == .max ? x > y : x < y
            case (.some, nil): return true
            case (nil, .some): return false
            default: return a.0 < b.0
            }
        }.map(\.1)
    }

    /// sweep.json of the run being resumed must record the same sweep; its thread count
    /// is kept, so resumed trials train exactly as they began.
    private func restoreRecord() throws {
        let file = folder + "/sweep.json"
        let saved = try RunRecord.readJSON(file)
        guard saved.objectValue?["sweep"] == record.objectValue?["sweep"],
            saved.objectValue?["set"] == record.objectValue?["set"]
        else {
            throw DataError(
                "\(file) records a different sweep (file or --set); --resume needs the same, or start over with --overwrite"
            )
        }
        threads = saved.objectValue?["threads"]?.intValue
        rungs = saved.objectValue?["rungs"]?.arrayValue?.map { $0.arrayValue?.compactMap(\.stringValue) ?? [] } ?? []
    }
}

extension SweepRun {
    /// Trains `trials` up to `epochs` each, `jobs` processes at a time, and under mpirun one
    /// at a time on each other rank (`remote`), whichever is free first. A trial that has
    /// trained that far, or ended on its own, is left as it is; one with a checkpoint
    /// continues from it. A child's bad-input error (exit status 2) stops the sweep with
    /// its message; a failure while training marks the trial failed and the sweep goes on.
    func train(_ trials: [Trial], epochs: Int, remote: RemoteTrials? = nil) throws {
        let process = TrainProcess(
            executable: options.executable, spec: sweep.spec, sets: options.sets, threads: threads, name: base.name)
        let gate = DispatchSemaphore(value: max(options.jobs, 1))
        let group = DispatchGroup()
        (childError, finished) = (nil, 0)
        let started = Date()
        func collectRemote() {
            for done in remote?.finished() ?? [] {
                record(done.trial, rank: done.rank, done.result, of: trials.count, since: started)
            }
        }
        for trial in trials {
            let path = folder + "/trials/" + trial.id
            if let outcome = try RunRecord.finished(path), outcome.epochsRun >= epochs || outcome.endedEarly {
                lock.withLock {
                    outcomes[trial.id] = outcome
                    finished += 1
                }
                continue
            }
            // A free slot: one of this process's `jobs`, or another rank.
            var rank = 0
            if let remote {
                while gate.wait(timeout: .now()) == .timedOut {
                    if let r = remote.reserve() {
                        rank = r
                        break
                    }
                    collectRemote()
                    usleep(2000)
                }
            } else {
                gate.wait()
            }
            guard !sweepInterrupted, lock.withLock({ childError == nil }) else {
                if rank == 0 { gate.signal() } else { remote?.release(rank) }
                break
            }
            RunFolder.waitForLock(path)  // a trial a killed sweep left behind finishes its batch first
            let resume = FileManager.default.fileExists(atPath: path + "/last.safetensors")
            let arguments = process.arguments(trial, folder: path, epochs: epochs, resume: resume)
            if let remote, rank > 0 {
                remote.start(trial, on: rank, arguments: arguments)
                continue
            }
            group.enter()
            Thread.detachNewThread { [self] in
                defer {
                    gate.signal()
                    group.leave()
                }
                let result = process.run(arguments) { child in lock.withLock { running.append(child) } }
                record(trial, rank: 0, result, of: trials.count, since: started)
            }
        }
        // Ctrl-C reaches the trials too (one process group); a SIGINT sent to the sweep alone is passed on.
        var passedOn = false
        while true {
            let localDone = group.wait(timeout: .now() + (remote == nil ? 0.2 : 0.002)) == .success
            collectRemote()
            if sweepInterrupted && !passedOn {
                lock.withLock { for child in running where child.isRunning { child.interrupt() } }
                passedOn = true
            }
            if localDone && remote?.busy != true { break }
            if localDone { usleep(2000) }
        }
        if let childError { throw DataError(childError) }
    }

    /// Records how `trial` ended (trained on `rank`): its outcome, a failure, a bad-input
    /// error or an interrupt, and prints its progress line.
    private func record(_ trial: Trial, rank: Int, _ result: TrainProcess.Result, of total: Int, since started: Date) {
        let outcome = try? RunRecord.finished(folder + "/trials/" + trial.id)
        lock.withLock {
            running.removeAll { !$0.isRunning }
            switch result.status {
            case 0: failures[trial.id] = nil
            case 2: childError = childError ?? "trial \(trial.id): \(result.message)"
            case 130: sweepInterrupted = true
            default:
                failures[trial.id] = result.message.isEmpty ? "exit status \(result.status)" : result.message
            }
            if let outcome { outcomes[trial.id] = outcome }
            trialRanks[trial.id] = rank
            finished += 1
            if result.status != 130 && result.status != 2 {
                reporter.message(progressLine(trial, done: finished, of: total, since: started))
            }
        }
    }

    /// "[3/27] c02-s1: val_accuracy 0.8123 (best c01-s1 0.8210) · 1m20s left".
    private func progressLine(_ trial: Trial, done: Int, of total: Int, since started: Date) -> String {
        func value(_ id: String) -> Double? {
            outcomes[id]?.objective(sweep.monitor)
        }
        var line = "[\(done)/\(total)] \(trial.id): "
        if let failure = failures[trial.id] {
            line += "failed: " + (failure.split(separator: "\n").last.map(String.init) ?? failure)
        } else {
            line += "\(sweep.monitor) " + (value(trial.id).map { String(format: "%.4f", $0) } ?? "n/a")
        }
        let finished = outcomes.keys.compactMap { id in value(id).map { (id, $0) } }
        let sign = mode == .max ? -1.0 : 1.0
        if let best = finished.min(by: { (sign * $0.1, $0.0) < (sign * $1.1, $1.0) }) {
            line += String(format: " (best %@ %.4f)", best.0, best.1)
        }
        let elapsed = Date().timeIntervalSince(started)
        if done < total { line += " · " + duration(elapsed / Double(done) * Double(total - done)) + " left" }
        return line
    }
}

/// 75 -> "1m15s", 3700 -> "1h01m".
func duration(_ seconds: Double) -> String {
    let s = Int(seconds.rounded())
    if s >= 3600 { return String(format: "%dh%02dm", s / 3600, s % 3600 / 60) }
    return s >= 60 ? "\(s / 60)m\(String(format: "%02d", s % 60))s" : "\(s)s"
}
