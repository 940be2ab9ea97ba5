import Foundation
import XCTest

/// Bad specs, data and models: exit 2, one message on stderr naming the place, nothing on
/// stdout, and no run folder created.
final class BadInputTests: CLITestCase {
    /// Runs `arguments` and checks the contract for input errors; `fragments` must appear in the message.
    func assertInputError(
        _ arguments: [String], _ fragments: [String], file: StaticString = #filePath, line: UInt = #line
    ) throws {
        let o = try Child(arguments, in: dir).finish(timeout: 60, file: file, line: line)
        XCTAssertEqual(o.status, 2, "\(arguments): \(o.stderr)", file: file, line: line)
        XCTAssertFalse(o.signalled, file: file, line: line)
        XCTAssertEqual(o.stdout, "", "\(arguments)", file: file, line: line)
        XCTAssertTrue(o.stderr.hasPrefix("error: "), "\(arguments): \(o.stderr)", file: file, line: line)
        XCTAssertEqual(o.stderr.filter { $0 == "\n" }.count, 1, "one line: \(o.stderr)", file: file, line: line)
        for fragment in fragments {
            XCTAssertTrue(
                o.stderr.contains(fragment), "\(arguments): \(o.stderr)\nlacks: \(fragment)", file: file, line: line)
        }
        XCTAssertFalse(exists("run"), "\(arguments) left a run folder", file: file, line: line)
    }

    /// `train` and `validate` both refuse the spec with the same message.
    func assertBadSpec(_ spec: String, _ fragments: [String], file: StaticString = #filePath, line: UInt = #line) throws
    {
        try assertInputError(["train", spec], fragments, file: file, line: line)
        try assertInputError(["validate", spec], fragments, file: file, line: line)
    }

    func layers(_ spec: inout [String: Any], _ edit: (inout [[String: Any]]) -> Void) {
        var model = spec["model"] as! [String: Any]
        var layers = model["layers"] as! [[String: Any]]
        edit(&layers)
        model["layers"] = layers
        spec["model"] = model
    }

    func data(_ spec: inout [String: Any], _ key: String, _ value: Any) {
        var data = spec["data"] as! [String: Any]
        data[key] = value
        spec["data"] = data
    }

    func testUnknownKeySuggestsTheName() throws {
        let spec = try tinySpec { s in self.layers(&s) { $0[0]["unit"] = $0[0].removeValue(forKey: "units") } }
        try assertBadSpec(spec, [#"model.layers[0].unit: unknown key; did you mean "units"?"#])
    }

    func testDropoutRateOutOfRange() throws {
        let spec = try tinySpec { s in self.layers(&s) { $0[1]["rate"] = 1.5 } }
        try assertBadSpec(spec, ["model.layers[1].rate: must be in [0, 1), got 1.5"])
    }

    func testUnknownLayerType() throws {
        let spec = try tinySpec { s in self.layers(&s) { $0[1]["type"] = "dropot" } }
        try assertBadSpec(spec, [#"model.layers[1].type: unknown layer type "dropot"; did you mean "dropout"?"#])
    }

    func testJSONSyntaxErrorHasLineAndColumn() throws {
        try write("syntax.json", "{\"name\": \"x\",\n  \"seed\": 1,,\n}\n")
        try assertBadSpec("syntax.json", ["syntax.json: line 2, column 13: expected a string key, got ','"])
    }

    func testRaggedCSVRowNamesFileAndLine() throws {
        let rows = try String(contentsOfFile: Paths.tiny("train.csv"), encoding: .utf8).split(separator: "\n")
        try write("ragged.csv", (rows[0..<5] + ["1,2,3"] + rows[5..<60]).joined(separator: "\n") + "\n")
        let spec = try tinySpec { self.data(&$0, "train", "ragged.csv") }
        try assertBadSpec(spec, ["ragged.csv:6: expected 7 fields, got 3"])
    }

    func testNonNumericCellNamesFileLineAndColumn() throws {
        let rows = try String(contentsOfFile: Paths.tiny("train.csv"), encoding: .utf8).split(separator: "\n")
        try write("cells.csv", (rows[0..<5] + ["1,2,abc,4,5,6,0"] + rows[5..<60]).joined(separator: "\n") + "\n")
        let spec = try tinySpec { self.data(&$0, "train", "cells.csv") }
        try assertBadSpec(spec, [#"cells.csv:6:3: "abc" is not a number (column "f3")"#])
    }

    func testMissingDataFile() throws {
        let spec = try tinySpec { self.data(&$0, "train", "nope.csv") }
        try assertBadSpec(spec, ["nope.csv: cannot read"])
    }

    func testMissingLabelColumn() throws {
        let spec = try tinySpec { self.data(&$0, "label", "lbl") }
        try assertBadSpec(
            spec, [#"train.csv: no column "lbl"; the columns are "f1", "f2", "f3", "f4", "f5", "f6", "label""#])
    }

    /// Label 2 with a 2-unit softmax. (The first 2 in train.csv is on line 6.)
    func testClassLabelOutOfRange() throws {
        let spec = try tinySpec { s in self.layers(&s) { $0[2]["units"] = 2 } }
        try assertBadSpec(spec, ["train.csv", "is not a class id in 0..<2 (the last layer has 2 units)"])
    }

    func testUnknownMonitor() throws {
        let spec = try tinySpec { s in
            var e = s["early_stopping"] as! [String: Any]
            e["monitor"] = "val_los"
            s["early_stopping"] = e
        }
        try assertBadSpec(spec, [#"early_stopping.monitor: unknown monitor "val_los"; did you mean "val_loss"?"#])
    }

    func testZeroEpochs() throws {
        let spec = try tinySpec()
        try assertInputError(["train", spec, "--epochs", "0"], ["--epochs: must be a positive integer, got 0"])
    }

    func testEvaluateAndPredictNeedAModel() throws {
        let test = Paths.tiny("test.csv")
        try assertInputError(
            ["evaluate", "--model", "nothere", "--data", test], ["nothere: no such run folder or model file"])
        try assertInputError(
            ["predict", "--model", "nothere", "--data", test], ["nothere: no such run folder or model file"])

        try FileManager.default.createDirectory(atPath: path("fake"), withIntermediateDirectories: false)
        try write("fake/model.safetensors", "hello, I am not a model\n")
        for model in ["fake", "fake/model.safetensors"] {
            for command in ["evaluate", "predict"] {
                try assertInputError(
                    [command, "--model", model, "--data", test],
                    ["fake/model.safetensors: not a valid safetensors file"])
            }
        }
    }

    func testEvaluateWithDataThatDoesNotFit() throws {
        try tinySpec()
        XCTAssertEqual(try nnreg("train", "tiny.json", "--epochs", "1", "--quiet", "--output", "model").status, 0)
        try assertInputError(
            ["evaluate", "--model", "model", "--data", Paths.tiny("regression.csv")],
            [#"regression.csv: no column "label""#])
        try assertInputError(["evaluate", "--model", "model", "--data", "missing.csv"], ["missing.csv: cannot read"])
    }

    /// NaN, infinities and values past a documented bound, from flags or a spec: exit 2
    /// naming the flag or the path, never a trap.
    func testNonFiniteAndHugeNumbersAreRejectedByName() throws {
        let images = Paths.repo.appendingPathComponent("Tests/NNRegTests/Fixtures/images/folder").path
        for (flag, value, expected) in [
            ("--rotation-range", "nan", "--rotation-range: must be in [0, 360], got nan"),
            ("--rotation-range", "1e308", "--rotation-range: must be in [0, 360]"),
            ("--shear-range", "inf", "--shear-range: must be in [0, 360], got inf"),
            ("--width-shift-range", "1e308", "--width-shift-range: must be in [0, 100000]"),
            ("--zoom-range", "inf", "--zoom-range"),
            ("--channel-shift-range", "inf", "--channel-shift-range: must be in [0, 1000000], got inf"),
        ] {
            try assertInputError(["augment", images, "--output", "run", flag, value], [expected])
        }
        let spec = try tinySpec { s in
            s["augmentation"] = ["rotation_range": 1e308]
            s["model"] = ["input_shape": [2, 3, 1], "layers": [["type": "flatten"], ["type": "dense", "units": 3]]]
        }
        try assertBadSpec(spec, ["augmentation.rotation_range: must be in [0, 360], got 1e+308"])
        let learning = try tinySpec { s in
            var training = s["training"] as! [String: Any]
            training["optimizer"] = ["type": "adam", "learning_rate": 1e300]
            s["training"] = training
        }
        try assertBadSpec(learning, ["training.optimizer.learning_rate: must be within float range"])
    }

    func testMalformedFlagValueIsBadUsage() throws {
        let images = Paths.repo.appendingPathComponent("Tests/NNRegTests/Fixtures/images/folder").path
        try assertInputError(
            ["augment", images, "--output", "run", "--brightness-range", "abc"],
            ["--brightness-range must be LOW,HIGH, got abc"])
    }

    /// A split that holds out no rows is an error naming it, never a fake val_loss of 0.
    func testValidationSplitOfNoRowsIsAnError() throws {
        let spec = try tinySpec { s in self.data(&s, "validation_split", 0.001) }
        try assertBadSpec(spec, ["data.validation_split: 0.001 of 300 rows holds out no validation rows"])
    }

    func testOutputWidthMessageNamesTheLossAndTheLayer() throws {
        let spec = try regressionSpec { s in
            self.layers(&s) { $0[1]["units"] = 3 }
        }
        try assertBadSpec(
            spec,
            [
                "training.loss: mean_squared_error on one label column needs a last layer with 1 unit; "
                    + "model.layers[1] has 3"
            ])
    }

    /// batch_size above the sample count trains one batch of all of them, as Keras does, and says so once.
    func testBatchSizeAboveTheSamplesIsClamped() throws {
        try tinySpec { s in
            var training = s["training"] as! [String: Any]
            training["batch_size"] = 1_000_000_000_000
            s["training"] = training
        }
        let o = try nnreg("train", "tiny.json", "--epochs", "1")
        assertSuccess(o)
        XCTAssertEqual(
            o.stderr.components(
                separatedBy: "note: training.batch_size 1000000000000 is more than the 240 training samples; using 240"
            )
            .count, 2, o.stderr)
        XCTAssertEqual(((try jsonFile("run/spec.json"))["training"] as? [String: Any])?["batch_size"] as? Int, 240)
    }

    /// predict never writes over its input (directly or through a symbolic link) and
    /// refuses outputs that cannot be files; the input stays byte-identical.
    func testPredictOutputIsNeverAnInput() throws {
        try FileManager.default.copyItem(atPath: Paths.tiny("test.csv"), toPath: path("x.csv"))
        try FileManager.default.createSymbolicLink(atPath: path("link.csv"), withDestinationPath: path("x.csv"))
        try FileManager.default.createDirectory(atPath: path("folder"), withIntermediateDirectories: false)
        let before = try read("x.csv")
        for (output, expected) in [
            ("x.csv", "x.csv: is an input of this command (x.csv)"),
            ("link.csv", "link.csv: is an input of this command (x.csv)"),
            ("", "--output is empty"),
            ("folder", "folder: is a folder"),
            ("x.csv/p.csv", "is a file, not a folder"),
        ] {
            try assertInputError(["predict", "--model", "nothere", "--data", "x.csv", "--output", output], [expected])
        }
        XCTAssertEqual(try read("x.csv"), before)
    }

    /// Inputs are read with a bound: a device is an error, and an image_size beyond
    /// data.max_image_pixels is refused before anything is allocated.
    func testDevicesAndHugeImagesAreRefused() throws {
        let zero = try tinySpec { s in self.data(&s, "train", "/dev/zero") }
        try assertBadSpec(zero, ["/dev/zero: cannot read: a device, not a CSV file"])
        try FileManager.default.createDirectory(atPath: path("imgs/a"), withIntermediateDirectories: true)
        try FileManager.default.copyItem(
            atPath: Paths.repo.appendingPathComponent("Tests/NNRegTests/Fixtures/images/folder/a_circle/01.png").path,
            toPath: path("imgs/a/01.png"))
        let huge = try writeSpec(
            "huge.json",
            [
                "data": ["train": "imgs", "image_size": [100_000, 100_000]],
                "model": ["layers": [["type": "flatten"], ["type": "dense", "units": 2]]],
                "training": ["loss": "mse"],
            ])
        try assertBadSpec(
            huge, ["data.image_size: 100000 x 100000 pixels is more than data.max_image_pixels (100000000)"])
    }
}
