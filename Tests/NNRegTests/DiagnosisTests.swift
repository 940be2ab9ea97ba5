import XCTest

@testable import NNReg

/// `Diagnosis` as a pure function of hand-made facts: verdicts, thresholds, evidence read
/// from histories, and which suggestions come in which order.
final class DiagnosisTests: XCTestCase {
    /// A spec of `layers` (JSON list items) with `sections` (top-level JSON members).
    func spec(
        _ layers: String =
            #"{"type": "dense", "units": 32, "activation": "relu"}, {"type": "dense", "units": 3, "activation": "softmax"}"#,
        loss: String = #""sparse_categorical_crossentropy""#, training: String = "", _ sections: String = ""
    ) throws -> Spec {
        try Spec.parse(
            """
            {"data": {"train": "/x.csv", "validation_split": 0.2}, "model": {"layers": [\(layers)]},
             "training": {"loss": \(loss), "epochs": 10 \(training)} \(sections)}
            """, baseDirectory: "/")
    }

    /// Epochs with the given training and validation losses, and `norms` of one kernel.
    func history(loss: [Double], val: [Double], norms: [Double] = [], penalty: [Double] = []) -> [HistoryRecord] {
        loss.indices.map { i in
            var r = HistoryRecord(epoch: i + 1, values: [("loss", loss[i]), ("val_loss", val[i])])
            if i < norms.count { r.diagnostics.append(("norm.layers.0.dense.kernel", norms[i])) }
            if i < penalty.count { r.diagnostics += [("data_loss", loss[i] - penalty[i]), ("penalty", penalty[i])] }
            return r
        }
    }

    func facts(
        _ spec: Spec, train: Double, validation: Double, baseline: Double? = nil, scale: Double = 1,
        history: [HistoryRecord] = [], outcome: RunOutcome? = nil, inputShape: [Int] = [4]
    ) -> DiagnosisFacts {
        DiagnosisFacts(
            spec: spec, inputShape: inputShape, trainError: train, validationError: validation, trainSamples: 240,
            validationSamples: 60, baselineError: baseline, constantPredictorError: scale, history: history,
            outcome: outcome ?? RunOutcome(epochsRun: history.count, bestEpoch: nil, stopReason: "completed"))
    }

    func techniques(_ d: Diagnosis) -> [String] { d.suggestions.map(\.technique) }

    func testClassificationVerdictsUseFivePointsOfError() throws {
        let s = try spec()
        XCTAssertEqual(Diagnosis(facts(s, train: 0.0, validation: 0.2)).verdict, .highVariance)
        XCTAssertEqual(Diagnosis(facts(s, train: 0.2, validation: 0.22)).verdict, .highBias)
        XCTAssertEqual(Diagnosis(facts(s, train: 0.2, validation: 0.3)).verdict, .highBiasAndVariance)
        XCTAssertEqual(Diagnosis(facts(s, train: 0.02, validation: 0.06)).verdict, .goodFit)
        XCTAssertEqual(Diagnosis(facts(s, train: 0.2, validation: 0.22, baseline: 0.18)).verdict, .goodFit)
        XCTAssertEqual(Diagnosis(facts(s, train: .nan, validation: .nan)).verdict, .highBias)
        let d = Diagnosis(facts(s, train: 0.2, validation: 0.22, baseline: 0.18))
        XCTAssertEqual(d.avoidableBias, 0.02, accuracy: 1e-12)
        XCTAssertEqual(d.variance, 0.02, accuracy: 1e-12)
        XCTAssertEqual(d.threshold, 0.05)
    }

    func testRegressionThresholdsAreATenthOfTheConstantPredictorsLoss() throws {
        let s = try spec(
            #"{"type": "dense", "units": 8, "activation": "relu"}, {"type": "dense", "units": 1}"#, loss: #""mse""#)
        XCTAssertEqual(Diagnosis(facts(s, train: 0.4, validation: 0.45, scale: 5)).verdict, .goodFit)
        XCTAssertEqual(Diagnosis(facts(s, train: 0.4, validation: 0.45, scale: 2)).verdict, .highBias)
        XCTAssertEqual(Diagnosis(facts(s, train: 0.1, validation: 0.9, scale: 5)).verdict, .highVariance)
        XCTAssertEqual(Diagnosis(facts(s, train: 0.4, validation: 0.45, scale: 2)).threshold, 0.2, accuracy: 1e-12)
        XCTAssertTrue(
            Diagnosis(facts(s, train: 0.4, validation: 0.45, scale: 2)).evidence.contains {
                $0.contains("10% of 2.0000")
            })
    }

    func testTheJSONDocumentHasTheContractsKeysInOrder() throws {
        let d = Diagnosis(facts(try spec(), train: 0.0, validation: 0.2))
        let object = try XCTUnwrap(d.json.objectValue)
        XCTAssertEqual(
            object.keys,
            [
                "verdict", "train_error", "validation_error", "baseline_error", "avoidable_bias", "variance",
                "evidence", "suggestions",
            ])
        XCTAssertEqual(object["verdict"], "high_variance")
        XCTAssertEqual(object["baseline_error"], .null)
        let first = try XCTUnwrap(object["suggestions"]?.arrayValue?.first?.objectValue)
        XCTAssertEqual(first.keys, ["technique", "reason", "set"])
        XCTAssertEqual(
            Diagnosis(facts(try spec(), train: 0.0, validation: 0.2, baseline: 0.01)).json.objectValue?[
                "baseline_error"], 0.01)
    }

    func testValidationTurningUpIsEvidenceAndPutsEarlyStoppingFirst() throws {
        let h = history(loss: [1, 0.6, 0.4, 0.3, 0.2], val: [1.1, 0.8, 0.7, 0.75, 0.9])
        let d = Diagnosis(facts(try spec(), train: 0.0, validation: 0.2, history: h))
        XCTAssertTrue(d.evidence.contains { $0.hasSuffix("overfitting set in after epoch 3") }, "\(d.evidence)")
        XCTAssertEqual(techniques(d).first, "early_stopping")
        let set = try XCTUnwrap(d.suggestions.first?.sets.first)
        XCTAssertTrue(set.hasPrefix("early_stopping={"), set)
        // Still falling: no turn, and early stopping takes its ordinary place.
        let falling = Diagnosis(
            facts(try spec(), train: 0.0, validation: 0.2, history: history(loss: [1, 0.5, 0.3], val: [1, 0.8, 0.7])))
        XCTAssertTrue(falling.evidence.contains { $0.contains("had not turned up yet") }, "\(falling.evidence)")
        XCTAssertEqual(techniques(falling).first, "dropout")
    }

    func testGrowingWeightNormsPutL2AheadOfDropout() throws {
        let flat = history(loss: [1, 0.5, 0.3], val: [1, 0.8, 0.7], norms: [3, 3.2, 3.5])
        XCTAssertEqual(
            techniques(Diagnosis(facts(try spec(), train: 0, validation: 0.2, history: flat))).prefix(2),
            ["dropout", "l2"])
        let grown = history(loss: [1, 0.5, 0.3], val: [1, 0.8, 0.7], norms: [3, 6, 9])
        let d = Diagnosis(facts(try spec(), train: 0, validation: 0.2, history: grown))
        XCTAssertEqual(techniques(d).prefix(3), ["l2", "max_norm", "dropout"])
        XCTAssertTrue(
            d.evidence.contains { $0.contains("from 3.0000 at epoch 1 to 9.0000 at epoch 3 (x3.00)") }, "\(d.evidence)")
    }

    func testAHeavyPenaltyPutsLessWeightPenaltyFirst() throws {
        let s = try spec(
            #"{"type": "dense", "units": 32, "activation": "relu", "kernel_regularizer": {"l2": 1.0}}, {"type": "dense", "units": 3, "activation": "softmax"}"#
        )
        let h = history(loss: [1.2, 1.1, 1.1], val: [1.2, 1.1, 1.1], penalty: [0.5, 0.6, 0.6])
        let d = Diagnosis(facts(s, train: 0.5, validation: 0.52, history: h))
        XCTAssertEqual(d.verdict, .highBias)
        XCTAssertEqual(techniques(d).first, "less_weight_penalty")
        XCTAssertEqual(d.suggestions.first?.sets, ["model.layers[0].kernel_regularizer.l2=0.1"])
        XCTAssertTrue(d.evidence.contains { $0.contains("is 55% of the training loss at epoch 3") }, "\(d.evidence)")
    }

    func testStillImprovingAtTheEpochLimitAsksForMoreEpochsAndLargerSteps() throws {
        let s = try spec(training: #", "optimizer": {"type": "adam", "learning_rate": 0.001}"#)
        let h = history(
            loss: Array(stride(from: 1.0, to: 0.5, by: -0.05)), val: Array(stride(from: 1.0, to: 0.5, by: -0.05)))
        XCTAssertEqual(h.count, 10)
        let d = Diagnosis(facts(s, train: 0.3, validation: 0.31, history: h))
        XCTAssertEqual(techniques(d).first, "more_epochs")
        XCTAssertEqual(d.suggestions.first?.sets, ["training.epochs=20"])
        XCTAssertEqual(
            d.suggestions.first { $0.technique == "learning_rate" }?.sets, ["training.optimizer.learning_rate=0.003"])
        XCTAssertTrue(
            d.evidence.contains {
                $0.hasPrefix(
                    "training ran all 10 epochs (training.epochs) with the training loss still falling; no early stopping"
                )
            }, "\(d.evidence)")
        // Stopped early: no more epochs; a loss that rose late asks for smaller steps.
        let bumpy = history(loss: [1, 0.8, 0.7, 0.75, 0.72], val: [1, 0.8, 0.7, 0.75, 0.72])
        let stopped = RunOutcome(
            epochsRun: 5, bestEpoch: nil, stopReason: "early stopping: val_loss did not improve for 2 epochs")
        let e = Diagnosis(facts(s, train: 0.3, validation: 0.31, history: bumpy, outcome: stopped))
        XCTAssertFalse(techniques(e).contains("more_epochs"))
        XCTAssertEqual(
            e.suggestions.first { $0.technique == "learning_rate" }?.sets, ["training.optimizer.learning_rate=0.000333"]
        )
        XCTAssertTrue(
            e.evidence.contains(
                "early stopping ended training after epoch 5 of 10: val_loss did not improve for 2 epochs"),
            "\(e.evidence)")
    }

    func testRestoredWeightsAndAMissingMetricsFileAreEvidence() throws {
        let h = history(loss: [1, 0.6, 0.4, 0.3], val: [1.1, 0.8, 0.9, 1.0])
        let restored = RunOutcome(
            epochsRun: 4, bestEpoch: 2, stopReason: "early stopping: val_loss did not improve for 2 epochs")
        let s = try spec(
            #"{"type": "dense", "units": 3, "activation": "softmax"}"#,
            #", "early_stopping": {"patience": 2, "restore_best_weights": true}"#)
        let d = Diagnosis(facts(s, train: 0, validation: 0.2, history: h, outcome: restored))
        XCTAssertTrue(
            d.evidence.contains("restore_best_weights: model.safetensors holds epoch 2, not the last (4)"),
            "\(d.evidence)")
        XCTAssertFalse(techniques(d).contains("early_stopping"), "already there, restoring the best weights")
        var unfinished = facts(s, train: 0, validation: 0.2, history: h)
        unfinished.outcome = nil
        XCTAssertTrue(Diagnosis(unfinished).evidence.contains { $0.hasPrefix("metrics.json is missing") })
    }

    func testTechniquesAtTheirExtremeAreLeftOut() throws {
        let s = try spec(
            #"{"type": "dense", "units": 2, "activation": "relu", "kernel_regularizer": {"l1": 0.01, "l2": 0.01}, "kernel_constraint": {"max_norm": 3}}, {"type": "dropout", "rate": 0.5}, {"type": "gaussian_noise", "stddev": 0.5}, {"type": "dense", "units": 3, "activation": "softmax"}"#,
            loss: #"{"type": "sparse_categorical_crossentropy", "label_smoothing": 0.1}"#,
            training: #", "ensemble": {"members": 3}"#,
            #", "early_stopping": {"restore_best_weights": true}"#)
        let d = Diagnosis(facts(s, train: 0, validation: 0.2))
        XCTAssertEqual(techniques(d), ["more_data"])
        let cnn =
            #"{"type": "conv2d", "filters": 4, "kernel_size": 3}, {"type": "flatten"}, {"type": "dense", "units": 3, "activation": "softmax"}"#
        let plain = Diagnosis(facts(try spec(cnn), train: 0, validation: 0.2, inputShape: [8, 8, 1]))
        XCTAssertEqual(techniques(plain).first, "augmentation", "images without augmentation")
        let augmented = try spec(cnn, #", "augmentation": {"horizontal_flip": true}"#)
        XCTAssertFalse(
            techniques(Diagnosis(facts(augmented, train: 0, validation: 0.2, inputShape: [8, 8, 1]))).contains(
                "augmentation"))
    }

    func testAGoodFitHasNoSuggestionsAndBothProblemsNeverConflict() throws {
        XCTAssertEqual(Diagnosis(facts(try spec(), train: 0.01, validation: 0.03)).suggestions, [])
        let s = try spec(
            #"{"type": "dense", "units": 32, "activation": "relu", "kernel_regularizer": {"l2": 0.001}}, {"type": "dropout", "rate": 0.3}, {"type": "dense", "units": 3, "activation": "softmax"}"#
        )
        let both = techniques(Diagnosis(facts(s, train: 0.2, validation: 0.4)))
        XCTAssertEqual(both.first, "bigger_model")
        XCTAssertTrue(both.contains("dropout") && both.contains("l2"), "\(both)")
        XCTAssertFalse(both.contains { $0.hasPrefix("less_") || $0 == "smaller_model" }, "\(both)")
        let bias = techniques(Diagnosis(facts(s, train: 0.2, validation: 0.22)))
        XCTAssertEqual(Set(bias), ["bigger_model", "less_weight_penalty", "less_dropout"])
    }

    func testAModelWithoutAHiddenLayerGetsOneInsertedAsAWholeLayerList() throws {
        let s = try spec(#"{"type": "dense", "units": 3, "activation": "softmax"}"#)
        let d = Diagnosis(facts(s, train: 0.3, validation: 0.3))
        XCTAssertEqual(
            d.suggestions.first?.sets,
            [
                #"model.layers=[{"type": "dense", "units": 64, "activation": "relu"}, {"type": "dense", "units": 3, "activation": "softmax"}]"#
            ])
    }

    /// A forecast worse than persistence is flagged, and a model of levels is told to learn
    /// changes with a `--set` that loads; one that already learns changes gets no such line.
    func testNegativeSkillSuggestsLearningChanges() throws {
        func sequenceSpec(_ transform: String) throws -> Spec {
            try Spec.parse(
                """
                {"data": {"train": "/series.csv", "validation_split": 0.2, "test_split": 0.1,
                          "sequence": {"window": 4, "target_transform": "\(transform)"}},
                 "model": {"layers": [{"type": "lstm", "units": 4}, {"type": "dense", "units": 1}]},
                 "training": {"loss": "mse", "epochs": 10}}
                """, baseDirectory: "/")
        }
        let levels = try sequenceSpec("none")
        let losing = RunOutcome(epochsRun: 10, bestEpoch: nil, stopReason: "completed", validationSkill: -40)
        let d = Diagnosis(facts(levels, train: 0.01, validation: 0.5, scale: 1, outcome: losing))
        XCTAssertTrue(d.evidence.contains { $0.hasPrefix("validation skill -40.0000 < 0: the model forecasts worse") })
        XCTAssertEqual(d.suggestions.first?.technique, "target_transform")
        XCTAssertEqual(d.suggestions.first?.sets, ["data.sequence.target_transform=difference"])
        var json = levels.resolvedJSON()
        for set in d.suggestions[0].sets { json = try SpecOverride(set).apply(to: json) }
        XCTAssertEqual(try Spec.parse(json.compact(), baseDirectory: "/").data.sequence?.targetTransform, .difference)
        // Positive skill, or a model that learns changes already: no target_transform line.
        let winning = RunOutcome(epochsRun: 10, bestEpoch: nil, stopReason: "completed", validationSkill: 0.3)
        XCTAssertFalse(
            techniques(Diagnosis(facts(levels, train: 0.01, validation: 0.5, outcome: winning))).contains(
                "target_transform"))
        let changes = Diagnosis(facts(try sequenceSpec("difference"), train: 0.01, validation: 0.5, outcome: losing))
        XCTAssertFalse(techniques(changes).contains("target_transform"))
        XCTAssertTrue(changes.evidence.contains { $0.hasPrefix("validation skill") })
        XCTAssertEqual(
            RunOutcome(metrics: try JSON.parse(#"{"epochs_run": 3, "validation": {"loss": 1, "skill": -2.5}}"#))?
                .validationSkill, -2.5)
    }
}
