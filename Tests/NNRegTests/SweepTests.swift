import XCTest

@testable import NNReg

/// Sweep files: validation, grid and random expansion, halving budgets, the objective's
/// aggregation over seeds and which configurations halving keeps.
final class SweepTests: XCTestCase {
    private var folder: URL!

    override func setUpWithError() throws {
        folder = FileManager.default.temporaryDirectory.appendingPathComponent("nnreg-sweep-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        let spec = minimalSpec(
            layers: #"{"type": "dense", "units": 4}, {"type": "dropout", "rate": 0.2}, {"type": "dense", "units": 1}"#,
            training: #""loss": "mse", "epochs": 10"#, data: #""train": "train.csv", "validation_split": 0.2"#)
        try spec.write(to: folder.appendingPathComponent("base.json"), atomically: true, encoding: .utf8)
    }

    override func tearDownWithError() throws { try? FileManager.default.removeItem(at: folder) }

    private func write(_ sweep: String) throws -> String {
        let file = folder.appendingPathComponent("sweep.json").path
        try #"{"spec": "base.json", \#(sweep)}"#.write(toFile: file, atomically: true, encoding: .utf8)
        return file
    }

    private func load(_ sweep: String) throws -> SweepSpec { try SweepSpec.load(path: try write(sweep)) }

    private func error(_ sweep: String) -> String {
        do {
            _ = try SweepRun(sweepFile: try write(sweep), options: SweepOptions(executable: "nnreg"), reporter: quiet)
            return "no error"
        } catch {
            return "\(error)"
        }
    }

    private let quiet = Reporter(quiet: true, json: false)

    func testDefaultsAndGridOrder() throws {
        let sweep = try load(#""parameters": {"a.x": [1, 2], "b": ["u", "v", "w"]}"#)
        XCTAssertEqual(sweep.method, .grid)
        XCTAssertEqual(sweep.monitor, "val_loss")
        XCTAssertEqual(sweep.outputDir, folder.appendingPathComponent("sweeps/sweep").path)
        let configs = sweep.configurations(seed: 1)
        XCTAssertEqual(configs.map(\.id), ["c00", "c01", "c02", "c03", "c04", "c05"])
        XCTAssertEqual(
            configs.map { $0.values.map(\.value) }, [[1, "u"], [1, "v"], [1, "w"], [2, "u"], [2, "v"], [2, "w"]])
        XCTAssertEqual(configs[4].overrides.map(\.text), [#"a.x=2"#, #"b="v""#])
    }

    func testVariantsAreNamedSetsAppliedTogether() throws {
        let sweep = try load(
            #""parameters": {"technique": {"variants": {"baseline": {}, "smooth": {"training.label_smoothing": 0.1, "#
                + #""model.layers[1].rate": 0.5}}}, "seed_like": [1, 2]}"#)
        let configs = sweep.configurations(seed: 1)
        XCTAssertEqual(
            configs.map { $0.values.map(\.value) },
            [["baseline", 1], ["baseline", 2], ["smooth", 1], ["smooth", 2]])
        XCTAssertEqual(configs[0].overrides.map(\.text), ["seed_like=1"])
        XCTAssertEqual(
            configs[3].overrides.map(\.text),
            ["training.label_smoothing=0.1", "model.layers[1].rate=0.5", "seed_like=2"])
    }

    func testRandomDrawsStayInTheirRangesAndFollowTheSeed() throws {
        let sweep = try load(
            #""method": "random", "trials": 40, "parameters": {"r": {"uniform": [0.1, 0.5]}, "#
                + #""lr": {"log_uniform": [1e-5, 1e-2]}, "u": {"int_uniform": [8, 10]}, "l": [null, "x"]}"#)
        let configs = sweep.configurations(seed: 7)
        XCTAssertEqual(configs.count, 40)
        XCTAssertEqual(configs, sweep.configurations(seed: 7))
        XCTAssertNotEqual(configs, sweep.configurations(seed: 8))
        for c in configs {
            let v = c.values.map(\.value)
            XCTAssertTrue((0.1...0.5).contains(v[0].doubleValue!))
            XCTAssertTrue((1e-5...1e-2).contains(v[1].doubleValue!))
            XCTAssertTrue([8, 9, 10].contains(v[2].intValue!))
            XCTAssertTrue([.null, "x"].contains(v[3]))
            XCTAssertEqual(String(v[0].doubleValue!).count <= 5, true, "3 significant digits: \(v[0])")
        }
        XCTAssertEqual(Set(configs.map { $0.values[2].value.intValue! }).count, 3, "every integer is drawn")
        let logs = configs.map { log10($0.values[1].value.doubleValue!) }
        XCTAssertTrue(logs.contains { $0 < -4 } && logs.contains { $0 > -3 }, "log-uniform covers the decades")
    }

    func testErrorsNameTheKey() {
        XCTAssertEqual(
            error(#""parameters": {}"#).contains("parameters: expected an object with at least one PATH"), true)
        XCTAssertTrue(error(#""parameters": {"a": []}"#).contains("parameters.a: expected at least one value"))
        XCTAssertTrue(error(#""parameters": {"a[x]": [1]}"#).contains("expected [index]"))
        XCTAssertTrue(
            error(#""parameters": {"a": {"log_uniform": [0, 1]}}, "method": "random", "trials": 2"#).contains(
                "parameters.a.log_uniform: needs low > 0"))
        XCTAssertTrue(error(#""parameters": {"a": [1]}, "trials": 3"#).contains("trials: is for method \"random\""))
        XCTAssertTrue(error(#""parameters": {"a": [1]}, "halving": {"eta": 1}"#).contains("halving.eta"))
        XCTAssertTrue(error(#""parameters": {"a": [1]}, "colour": 1"#).contains("colour"))
        XCTAssertTrue(
            error(#""parameters": {"model.layers[1].rate": [0.5]}, "objective": {"monitor": "val_accuracy"}"#).contains(
                "objective.monitor"))
        XCTAssertTrue(
            error(#""parameters": {"model.layers[1].rate": [0.5, 2]}"#).contains(
                "configuration c01 (model.layers[1].rate=2)"))
        XCTAssertTrue(
            error(#""parameters": {"model.layers[1].rate": [0.5]}, "halving": {"min_epochs": 10}"#).contains(
                "halving.min_epochs: is 10 but the spec trains 10 epochs"))
        XCTAssertTrue(error(#""parameters": {"seed": [1, 2]}"#).contains("seed: the sweep sets this itself"))
        XCTAssertTrue(
            error(#""parameters": {"t": {"variants": {"a": {"output.dir": "x"}}}}"#).contains(
                "output.dir: the sweep sets this itself"))
        XCTAssertTrue(
            error(#""parameters": {"t": {"variants": {}}}"#).contains("parameters.t.variants: expected an object"))
        XCTAssertTrue(
            error(#""parameters": {"t": {"variants": {"a": 1}}}"#).contains("parameters.t.variants.a: expected"))
        XCTAssertTrue(
            error(#""parameters": {"t": {"variants": {"a": {"model.layers[7].rate": 0.1}}}}"#).contains(
                "configuration c00 (t=\"a\")"))
    }

    /// A sweep of 6 dropout rates x seeds 1, 2 whose trials kept the given val_loss each
    /// (metrics.json's validation loss), trial by trial; nil: the trial has no value.
    private func run(halving: String = "null", _ values: [Double?]) throws -> SweepRun {
        let file = try write(
            #""parameters": {"model.layers[1].rate": [0.1, 0.2, 0.3, 0.4, 0.5, 0.6]}, "seeds": [1, 2], "halving": "#
                + halving)
        let run = try SweepRun(sweepFile: file, options: SweepOptions(executable: "nnreg"), reporter: quiet)
        for (trial, value) in zip(run.trials, values) {
            run.outcomes[trial.id] = RunRecord(
                path: trial.id, history: [HistoryRecord(epoch: 1, values: [("val_loss", 0)])],
                validation: value.map { [("loss", $0)] } ?? [], epochsRun: 1, stopReason: "completed")
        }
        return run
    }

    func testBudgetsOfTheRungs() throws {
        XCTAssertEqual(try run([]).budgets, [10])
        XCTAssertEqual(try run(halving: #"{"min_epochs": 2, "eta": 3}"#, []).budgets, [2, 6, 10])
        XCTAssertEqual(try run(halving: #"{"min_epochs": 1, "eta": 2}"#, []).budgets, [1, 2, 4, 8, 10])
        XCTAssertEqual(try run(halving: #"{"min_epochs": 4, "eta": 3}"#, []).budgets, [4, 10])
    }

    func testObjectiveIsTheMeanOverSeedsOfTheKeptWeightsValidationValue() throws {
        let r = try run([0.5, 0.4, nil, 0.7] + Array(repeating: 1, count: 8))
        let all = try XCTUnwrap(r.objective(r.configs[0]))
        XCTAssertEqual(all.mean, (0.5 + 0.4) / 2, accuracy: 1e-15)
        XCTAssertEqual(all.std, (0.005 as Double).squareRoot(), accuracy: 1e-15, "sample std of 0.5 and 0.4")
        XCTAssertEqual(all.count, 2)
        let one = try XCTUnwrap(r.objective(r.configs[1]))
        XCTAssertEqual([one.mean, one.std, Double(one.count)], [0.7, 0, 1], "a seed without a value is left out")
        XCTAssertEqual(
            r.outcomes["c00-s1"]?.objective("val_loss"), 0.5, "metrics.json's value, not the history's (0)")
    }

    func testAnEnsemblesObjectiveIsItsAveragedPredictions() {
        let ensemble = RunRecord(
            path: "e", history: [], validation: [("loss", 0.3), ("accuracy", 0.9)], epochsRun: 5,
            stopReason: "completed 5 epochs")
        XCTAssertEqual(ensemble.objective("val_accuracy"), 0.9)
        XCTAssertEqual(ensemble.objective("val_loss"), 0.3)
        XCTAssertNil(ensemble.objective("val_auc"))
        XCTAssertNil(
            RunRecord(path: "n", history: [], validation: [("loss", .nan)], epochsRun: 1).objective("val_loss"))
    }

    func testHalvingKeepsTheBestThirdByTheObjective() throws {
        // Configuration k's seeds keep val_loss 0.5 - k/100, except c00's second seed.
        var values: [Double?] = []
        for k in 0..<6 { values += [0.5 - Double(k) / 100, k == 0 ? 0.01 : 0.5 - Double(k) / 100] }
        let r = try run(halving: #"{"min_epochs": 2, "eta": 3}"#, values)
        let (kept, dropped) = r.halve(r.configs)
        XCTAssertEqual(kept.map(\.id), ["c00", "c05"])
        XCTAssertEqual(dropped.map(\.id), ["c04", "c03", "c02", "c01"])
        XCTAssertEqual(r.halve(Array(r.configs.prefix(2))).kept.map(\.id), ["c00"], "at least one")
        // A configuration without values ranks last.
        r.outcomes["c00-s1"] = nil
        r.outcomes["c00-s2"] = nil
        XCTAssertEqual(r.rank(r.configs).map(\.id), ["c05", "c04", "c03", "c02", "c01", "c00"])
    }

    /// A resumed sweep continues the configurations sweep.json recorded, not a new choice.
    func testARecordedRungDecisionIsKept() throws {
        var values: [Double?] = []
        for k in 0..<6 { values += [0.5 - Double(k) / 100, 0.5 - Double(k) / 100] }
        let fresh = try run(halving: #"{"min_epochs": 2, "eta": 3}"#, values)
        XCTAssertEqual(fresh.survivors(of: fresh.configs, rung: 0).map(\.id), ["c05", "c04"])
        XCTAssertEqual(fresh.rungs, [["c05", "c04"]], "the decision is recorded")
        let resumed = try run(halving: #"{"min_epochs": 2, "eta": 3}"#, values)
        resumed.rungs = [["c01", "c02"]]
        XCTAssertEqual(resumed.survivors(of: resumed.configs, rung: 0).map(\.id), ["c01", "c02"])
        XCTAssertEqual(
            resumed.survivors(of: resumed.configs.filter { ["c01", "c02"].contains($0.id) }, rung: 1).map(\.id), ["c02"]
        )
        XCTAssertEqual(resumed.rungs.count, 2)
    }
}
