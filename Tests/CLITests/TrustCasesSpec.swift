import Foundation

/// Messages and exit statuses, JSON syntax, schema values, flags.
extension TrustCase {
    /// A small valid spec as text, to break by hand.
    static let specText = """
        {
          "name": "tiny",
          "seed": 7,
          "data": {"train": "train.csv", "test": "test.csv", "label": "label"},
          "model": {"layers": [
            {"type": "dense", "units": 8, "activation": "relu"},
            {"type": "dense", "units": 3, "activation": "softmax"}
          ]},
          "training": {"loss": "sparse_categorical_crossentropy", "optimizer": "adam", "epochs": 1, "shuffle": true},
          "output": {"dir": "run"}
        }

        """

    /// spec.json as `text`; `validate` (or train) refuses it; the fragments then "line L, column C"
    /// of `marker` (plus `offset` columns) when one is given.
    static func syntax(
        _ name: String, _ text: @escaping () -> Data, _ fragments: [String], marker: String? = nil, offset: Int = 0,
        command: String = "validate", status: Int32 = 2
    ) -> TrustCase {
        TrustCase(.json, name + (command == "validate" ? "" : " (\(command))")) { b in
            try b.tinyData()
            let data = text()
            try b.write("spec.json", data)
            var expected = ["spec.json"] + fragments
            if let marker {
                let position = position(of: marker, in: String(decoding: data, as: UTF8.self))
                let column = Int(position.split(separator: " ").last!)! + offset
                expected.append(position.split(separator: ",")[0] + ", column \(column)")
            }
            return Plan([command, "spec.json"] + (command == "train" ? ["--quiet"] : []), status, expected)
        }
    }

    /// specText with `old` replaced by `new`.
    static func edited(_ old: String, _ new: String) -> () -> Data {
        { Data(specText.replacingOccurrences(of: old, with: new).utf8) }
    }

    static var json: [TrustCase] {
        let deepArrays =
            "{\"name\": " + String(repeating: "[", count: 100_000) + String(repeating: "]", count: 100_000) + "}"
        let deepObjects = String(repeating: "{\"a\": ", count: 100_000) + "1" + String(repeating: "}", count: 100_000)
        return [
            syntax("a trailing comma", edited("\"dir\": \"run\"}", "\"dir\": \"run\",}"), [], marker: ",}", offset: 1),
            syntax(
                "a trailing comma (train)", edited("\"dir\": \"run\"}", "\"dir\": \"run\",}"), [], marker: ",}",
                offset: 1, command: "train"),
            syntax("a missing closing brace", { Data(specText.dropLast(2).utf8) }, ["line"]),
            syntax("an unterminated string", edited("\"name\": \"tiny\",", "\"name\": \"tiny,"), ["line"]),
            syntax("a // comment", edited("\"seed\": 7,", "// the seed\n  \"seed\": 7,"), [], marker: "//"),
            syntax("single quotes", edited("\"name\": \"tiny\"", "'name': 'tiny'"), [], marker: "'name'"),
            syntax("an empty file", { Data() }, []),
            syntax("only whitespace", { Data("  \n\n  ".utf8) }, []),
            syntax("a top-level array", { Data("[1, 2]\n".utf8) }, []),
            syntax("a top-level number", { Data("42\n".utf8) }, []),
            syntax("a duplicate key", edited("\"seed\": 7,", "\"seed\": 7,\n  \"seed\": 8,"), ["seed"]),
            syntax(
                "invalid UTF-8 in a string",
                { Data(specText.utf8.prefix(14)) + Data([0xFF, 0xFE]) + Data(specText.utf8.dropFirst(14)) }, ["line 2"]),
            syntax("100,000 nested arrays", { Data(deepArrays.utf8) }, []),
            syntax("100,000 nested objects", { Data(deepObjects.utf8) }, []),
            syntax("a NUL byte", edited("\"seed\": 7,", "\"seed\": 7\u{0},"), [], marker: "\u{0}"),
            syntax("a leading zero", edited("\"seed\": 7,", "\"seed\": 07,"), ["line 3"]),
            syntax("a plus sign", edited("\"seed\": 7,", "\"seed\": +7,"), [], marker: "+7"),
            syntax("a number starting with a dot", edited("\"epochs\": 1", "\"epochs\": .5"), ["line 9"]),
            syntax("a hex number", edited("\"seed\": 7,", "\"seed\": 0x10,"), ["line 3"]),
            syntax("a raw newline in a string", edited("\"name\": \"tiny\"", "\"name\": \"ti\nny\""), ["line 2"]),
            syntax("a raw tab in a string", edited("\"name\": \"tiny\"", "\"name\": \"ti\tny\""), ["line 2"]),
            syntax("a misspelled true", edited("\"shuffle\": true", "\"shuffle\": ture"), [], marker: "ture"),
            syntax("text after the document", { Data((specText + "{}\n").utf8) }, ["line 12"]),
            syntax("a seed of 1e999", edited("\"seed\": 7,", "\"seed\": 1e999,"), ["seed OR line 3"]),
        ]
    }

    /// `validate` on the tiny (or other) spec with one value changed: refused naming `path`.
    static func value(_ path: String, _ value: Any?, _ base: SpecBase = .tiny, at: String? = nil) -> [TrustCase] {
        let shown: String
        if let raw = value as? RawJSON {
            shown = raw.text
        } else if let data = try? JSONSerialization.data(
            withJSONObject: value ?? NSNull(), options: [.fragmentsAllowed])
        {
            shown = String(decoding: data, as: UTF8.self)
        } else {
            shown = "\(value ?? "null")"
        }
        return specCase(
            .schema, "\(path) = \(shown)", base, [(path, value ?? NSNull())], [at ?? path], commands: ["validate"])
    }

    static var schema: [TrustCase] {
        var cases: [TrustCase] = []
        for v: Any? in [0, -1, 1.5, "32", nil, true, RawJSON("18446744073709551616")] {
            cases += value("model.layers[0].units", v)
        }
        for v: Any in [-0.1, "0.2", 1e308] { cases += value("model.layers[1].rate", v) }
        for v: Any in [0, -1, 2.5, 1e308] { cases += value("training.epochs", v) }
        for v: Any in [0, -32, "32"] { cases += value("training.batch_size", v) }
        for v: Any in [0, -0.01, "fast"] { cases += value("training.optimizer.learning_rate", v) }
        for v: Any in [-0.1, 1, 1.0e10] { cases += value("data.validation_split", v) }
        for v: Any in [-1, 1.5, RawJSON("18446744073709551616")] { cases += value("seed", v) }
        cases += value("model.layers", [Any]())
        cases += value("model.layers", "dense")
        cases += value("model.layers[0]", 42)
        cases += value("early_stopping.patience", -1)
        cases += value("training.metrics", "accuracy")
        cases += value("training.metrics", ["accuracy", "accuracy"])
        cases += value("data.label", 99, at: "data.label OR column index 99")
        cases += value("data", nil)
        cases += value("model.input_shape", [0])
        cases += value("checkpoint.keep", 0)
        cases += value(
            "training.lr_schedule", ["type": "exponential_decay", "decay_steps": 0, "decay_rate": 0.5],
            at: "training.lr_schedule.decay_steps")
        cases += value("model.layers[0].kernel_size", 0, .images)
        cases += value("model.layers[0].strides", 0, .images)
        cases += value("model.layers[0].kernel_size", 100, .images, at: "model.layers[0]")
        cases += value("data.image_size", [0, 8], .images)
        cases += value("data.image_size", -5, .images)
        return cases
    }

    /// A 20 MB run of one character.
    static let huge = String(repeating: "x", count: 20 << 20)

    static var messages: [TrustCase] {
        var cases = [
            augmentFlag(["--brightness-range", "abc"], "--brightness-range").renamed(.messages),
            augmentFlag(["--count", "-1"], "--count").renamed(.messages),
            TrustCase(.messages, "train --epochs x") { b in
                try b.spec(.tiny)
                return Plan(["train", "spec.json", "--epochs", "x"], 2, ["--epochs"])
            },
            TrustCase(.messages, "an unknown subcommand") { _ in Plan(["trian", "spec.json"], 2, ["trian"]) },
            TrustCase(.messages, "an unknown flag") { b in
                try b.spec(.tiny)
                return Plan(["train", "spec.json", "--epoch", "3"], 2, ["--epoch"])
            },
            TrustCase(.messages, "evaluate without flags") { _ in Plan(["evaluate"], 2, ["--model"]) },
            TrustCase(.messages, "a 100 KB --fill-mode value is quoted short") { b in
                try b.copy(TrustFixtures.imageFolder, to: "images")
                var plan = Plan(
                    ["augment", "images", "--output", "aug-out", "--fill-mode", String(huge.prefix(100_000))], 2,
                    ["--fill-mode OR augmentation.fill_mode"])
                plan.maxStderr = 1024
                return plan
            },
        ]
        cases += specCase(
            .messages, "binary_crossentropy with a 3-unit last layer", .tiny,
            [("training.loss", "binary_crossentropy")],
            ["training.loss", "model.layers[2]"])
        for (name, edits, fragment) in [
            ("a 20 MB activation name", [("model.layers[0].activation", huge)], "model.layers[0].activation"),
            ("a 20 MB unknown key", [("model.layers[0].\(huge)", 1)], "model.layers[0]"),
            ("a 20 MB label column name", [("data.label", huge)], "data.label"),
        ] as [(String, [(String, Any?)], String)] {
            cases.append(
                TrustCase(.messages, name + " is quoted short") { b in
                    try b.spec(.tiny, edits)
                    var plan = Plan(["validate", "spec.json"], 2, [fragment])
                    plan.maxStderr = 1024
                    plan.timeout = 20
                    return plan
                })
        }
        cases.append(
            TrustCase(.messages, "a 20 MB CSV cell is quoted short") { b in
                try b.spec(.tiny)
                try b.csv("train.csv") { $0[5] = "1,2,\(huge),4,5,6,0" }
                var plan = Plan(["validate", "spec.json"], 2, ["train.csv:6:3"])
                plan.maxStderr = 1024
                return plan
            })
        cases.append(
            TrustCase(.messages, "a 20 MB one-line JSON syntax error is quoted short") { b in
                try b.tinyData()
                try b.write("spec.json", "{\"name\": \"" + huge + "\" \"seed\": 1}")
                var plan = Plan(["validate", "spec.json"], 2, ["spec.json", "line 1"])
                plan.maxStderr = 1024
                return plan
            })
        cases.append(
            badTestCSV("evaluate", "with a 20 MB unknown column name is quoted short", ["test.csv"], kind: .messages) {
                lines in
                lines[0] += ",\(huge)"
                for i in 1..<lines.count { lines[i] += ",0" }
            }.limited(1024))
        return cases
    }

    /// `nnreg <args>` with the tiny spec and the image folder at hand: refused naming `fragments`.
    static func flag(_ args: [String], _ fragments: [String]) -> TrustCase {
        TrustCase(.flags, args.joined(separator: " ")) { b in
            try b.spec(.tiny)
            try b.copy(TrustFixtures.imageFolder, to: "images")
            return Plan(args, 2, fragments)
        }
    }

    static var flags: [TrustCase] {
        let train = ["train", "spec.json", "--quiet"]
        let augment = ["augment", "images", "--output", "aug-out"]
        return [
            flag(train + ["--epochs=-1"], ["--epochs"]),
            flag(train + ["--epochs", "1e308"], ["--epochs"]),
            flag(train + ["--epochs", "99999999999999999999"], ["--epochs"]),
            flag(train + ["--epochs", ""], ["--epochs"]),
            flag(train + ["--seed=-1"], ["--seed"]),
            flag(train + ["--seed", "abc"], ["--seed"]),
            flag(train + ["--seed", "18446744073709551616"], ["--seed"]),
            flag(train + ["--output"], ["--output"]),
            flag(train + ["--resume", "--overwrite"], ["--resume"]),
            flag(augment + ["--count", "x"], ["--count"]),
            flag(augment + ["--count", "0"], ["--count"]),
            flag(augment + ["--count", "1e308"], ["--count"]),
            flag(augment + ["--count", "99999999999999999999"], ["--count"]),
            flag(augment + ["--seed=-1"], ["--seed"]),
            flag(augment + ["--format", "gif"], ["--format"]),
            flag(augment + ["--fill-mode", "bogus"], ["--fill-mode OR augmentation.fill_mode"]),
            flag(augment + ["--brightness-range", "1"], ["--brightness-range OR augmentation.brightness_range"]),
            flag(augment + ["--brightness-range", "1,2,3"], ["--brightness-range OR augmentation.brightness_range"]),
            flag(augment + ["--brightness-range", "2,1"], ["--brightness-range OR augmentation.brightness_range"]),
            flag(augment + ["--rotation-range=-5"], ["--rotation-range OR augmentation.rotation_range"]),
            flag(augment + ["--zoom-range=-1"], ["--zoom-range OR augmentation.zoom_range"]),
            flag(augment + ["--width-shift-range=-0.5"], ["--width-shift-range OR augmentation.width_shift_range"]),
            flag(["evaluate", "--model", "run"], ["--data"]),
            flag(["predict", "--data", "test.csv"], ["--model"]),
            flag(["validate"], ["spec"]),
            flag(["summary", "spec.json", "--epochs", "3"], ["--epochs"]),
        ]
    }
}

extension TrustCase {
    /// The same case under another kind.
    func renamed(_ kind: TrustKind) -> TrustCase { TrustCase(kind, name, serial: serial, make) }

    /// The same case with stderr limited to `bytes`.
    func limited(_ bytes: Int) -> TrustCase {
        let make = self.make
        return TrustCase(kind, name, serial: serial) { b in
            var plan = try make(b)
            plan.maxStderr = bytes
            return plan
        }
    }
}
