import Foundation

extension DiagnosisFacts {
    /// Reads the run folder `run` that `nnreg train` wrote and measures its errors.
    ///
    /// The data are read again from spec.json (the splits are seeded, so the training split
    /// is the one training used), the weights from model.safetensors, and both splits are
    /// evaluated in inference mode: a classifier's error is 1 - accuracy (whatever the spec's
    /// metrics), a regression's is the spec's loss without weight penalties. The history is
    /// history.json (an ensemble's: its first member's); the outcome metrics.json, when the
    /// run finished. Errors name the file and what to do (`DataError`, `SpecError`: exit 2).
    public init(run: String, baselineError: Double?) throws {
        var isFolder: ObjCBool = false
        guard FileManager.default.fileExists(atPath: run, isDirectory: &isFolder) else {
            throw DataError("\(run): no such run folder; give the folder nnreg train wrote (output.dir, or --output)")
        }
        let manager = FileManager.default
        guard isFolder.boolValue, manager.fileExists(atPath: run + "/spec.json") else {
            throw DataError(
                "\(run) is not a run folder (it has no spec.json); give the folder nnreg train wrote (output.dir, or --output)"
            )
        }
        guard manager.fileExists(atPath: run + "/model.safetensors") else {
            throw DataError(
                "\(run)/model.safetensors is missing: the run has no trained weights yet; train it (or continue it with --resume) first"
            )
        }
        let spec = try Spec.load(path: run + "/spec.json")
        if let baselineError {
            guard baselineError.isFinite && baselineError >= 0 else {
                throw SpecError(path: "--baseline-error", message: "must be a number >= 0, got \(baselineError)")
            }
            if spec.training.loss.isCrossentropy && baselineError > 1 {
                throw SpecError(
                    path: "--baseline-error",
                    message: "is an error rate (1 - accuracy) for this classifier: at most 1, got \(baselineError)")
            }
        }
        let experiment = try Experiment(spec: spec)
        guard let validation = experiment.validation else {
            throw DataError(
                "\(run): the run has no validation data, and diagnose compares training and validation error; train with data.validation or --set data.validation_split=0.2"
            )
        }
        let saved = try SavedModel(location: run)
        guard saved.inputShape == experiment.inputShape else {
            throw DataError(
                "\(run)/model.safetensors takes inputs of shape \(saved.inputShape), spec.json's data have \(experiment.inputShape)"
            )
        }
        let train = experiment.inferenceTrainingData()
        func error(_ data: DataSource) -> Double {
            if spec.training.loss.isCrossentropy {
                return 1 - saved.ensemble.evaluate(data, metrics: [makeMetric("accuracy")])[1].1
            }
            return saved.ensemble.evaluate(data, metrics: [], withPenalty: false)[0].1
        }
        self.init(
            spec: spec, inputShape: experiment.inputShape, trainError: error(train),
            validationError: error(validation), trainSamples: train.count, validationSamples: validation.count,
            baselineError: baselineError,
            constantPredictorError: DiagnosisFacts.constantPredictorLoss(train, loss: spec.training.loss),
            history: try DiagnosisFacts.history(run), outcome: try DiagnosisFacts.outcome(run))
    }

    /// The loss of predicting every target as the mean of `data`'s targets.
    static func constantPredictorLoss(_ data: DataSource, loss: LossConfig) -> Double {
        let y = data.y, width = y.sampleSize, n = data.count
        guard n > 0, !loss.isCrossentropy else { return 1 }
        var mean = [Double](repeating: 0, count: width)
        for i in 0..<n { for j in 0..<width { mean[j] += Double(y[i * width + j]) } }
        let constant = Tensor(shape: y.shape)
        for i in 0..<n { for j in 0..<width { constant[i * width + j] = Float(mean[j] / Double(n)) } }
        return Double(makeLoss(loss).compute(output: constant, target: y, weights: nil, gradient: nil))
    }

    /// history.json, or for an ensemble its first member's (members/0/history.json).
    static func history(_ run: String) throws -> [HistoryRecord] {
        for path in [run + "/history.json", run + "/members/0/history.json"]
        where FileManager.default.fileExists(atPath: path) {
            return try RunFiles.readHistory(path)
        }
        throw DataError("\(run)/history.json is missing; diagnose reads the run's history from it")
    }

    /// metrics.json's outcome; nil when the run did not finish (no metrics.json).
    static func outcome(_ run: String) throws -> RunOutcome? {
        let path = run + "/metrics.json"
        guard FileManager.default.fileExists(atPath: path) else { return nil }
        let json: JSON
        do {
            json = try JSON.parse(bytes: try readFileBytes(path))
        } catch let error as JSONSyntaxError {
            throw DataError("\(path): not valid JSON: \(error.description)")
        }
        guard let outcome = RunOutcome(metrics: json) else {
            throw DataError("\(path): no \"epochs_run\"; it is not the metrics.json nnreg train writes")
        }
        return outcome
    }
}
