import Foundation

/// Allocations sized by the user, and non-finite or huge numbers.
extension TrustCase {
    static let hugePNG = TrustFixtures.pngHeader(width: 30000, height: 30000)

    /// `nnreg augment images` with `flags`: refused naming `fragment`, nothing written.
    static func augmentFlag(_ flags: [String], _ fragment: String) -> TrustCase {
        TrustCase(.numbers, "augment \(flags.joined(separator: " "))") { b in
            try b.copy(TrustFixtures.imageFolder, to: "images")
            // The flag, or the augmentation key it sets.
            let key = "augmentation." + fragment.dropFirst(2).replacingOccurrences(of: "-", with: "_")
            return Plan(["augment", "images", "--output", "aug-out"] + flags, 2, ["\(fragment) OR \(key)"])
        }
    }

    /// "line L, column C" of the first `token` in `text`.
    static func position(of token: String, in text: String) -> String {
        guard let range = text.range(of: token) else { return "line ?, column ?" }
        let before = text[..<range.lowerBound]
        let line = before.filter { $0 == "\n" }.count + 1
        let column =
            before.count
            - (before.lastIndex(of: "\n").map { before.distance(from: before.startIndex, to: $0) + 1 } ?? 0) + 1
        return "line \(line), column \(column)"
    }

    /// A non-JSON literal in the augmentation section: a syntax error with line and column.
    static func literal(_ token: String, _ key: String) -> TrustCase {
        TrustCase(.numbers, "augmentation.\(key) \(token) in JSON (validate)") { b in
            try b.spec(.images, [("augmentation.\(key)", RawJSON(token))])
            let text = try b.text("spec.json")
            var at = position(of: token, in: text)
            if token.hasPrefix("-") {  // at the sign, or at the word after it
                let column = Int(at.split(separator: " ").last!)!
                at += " OR " + at.split(separator: ",")[0] + ", column \(column + 1)"
            }
            return Plan(["validate", "spec.json"], 2, ["spec.json", at])
        }
    }

    static var allocations: [TrustCase] {
        let bigDense: [[String: Any]] = [
            ["type": "dense", "units": 100_000, "activation": "relu"],
            ["type": "dense", "units": 100_000, "activation": "relu"],
            ["type": "dense", "units": 3, "activation": "softmax"],
        ]
        return specCase(
            .allocations, "dense units 10^12", .tiny, [("model.layers[0].units", 1_000_000_000_000)],
            ["model.layers[0].units"])
            + specCase(
                .allocations, "dense units 2^31", .tiny, [("model.layers[0].units", 1 << 31)], ["model.layers[0].units"]
            )
            + specCase(
                .allocations, "dense units 2^53", .tiny, [("model.layers[0].units", 1 << 53)], ["model.layers[0].units"]
            )
            + specCase(
                .allocations, "two dense layers of 100,000 units", .tiny, [("model.layers", bigDense)],
                ["model.layers[1]"])
            + specCase(
                .allocations, "conv2d filters 10^9", .images, [("model.layers[0].filters", 1_000_000_000)],
                ["model.layers[0].filters"])
            + specCase(
                .allocations, "image_size [100000, 100000]", .images, [("data.image_size", [100_000, 100_000])],
                ["data.image_size"])
            + specCase(
                .allocations, "lstm units 10^9", .series, [("model.layers[0].units", 1_000_000_000)],
                ["model.layers[0].units"])
            + specCase(
                .allocations, "sequence window 10^12", .series, [("data.sequence.window", 1_000_000_000_000)],
                ["data.sequence.window OR co2.csv"])
            + specCase(
                .allocations, "ensemble members 10^9", .tiny, [("training.ensemble.members", 1_000_000_000)],
                ["training.ensemble.members"])
            + specCase(.allocations, "data.train /dev/zero", .tiny, [("data.train", "/dev/zero")], ["/dev/zero"])
            + specCase(
                .allocations, "data.test /dev/zero", .tiny, [("data.test", "/dev/zero")], ["/dev/zero"],
                commands: ["validate"])
            + specCase(
                .allocations, "a 30000x30000 PNG header partway, image_size [8, 8]", .images, [], ["015.png"],
                setup: { try $0.write("images/a_circle/015.png", hugePNG) })
            + specCase(
                .allocations, "a 30000x30000 PNG header as the first image", .images, [("data.image_size", nil)],
                ["00.png"], setup: { try $0.write("images/a_circle/00.png", hugePNG) })
            + specCase(
                .allocations, "a 60000x60000 JPEG header", .images, [], ["big.jpg"], commands: ["validate"],
                setup: {
                    try $0.write("images/b_square/big.jpg", try TrustFixtures.jpegHeader(width: 60000, height: 60000))
                })
            + [
                TrustCase(.allocations, "batch_size 10^12 is clamped with a note (train)") { b in
                    try b.spec(.tiny, [("training.batch_size", 1_000_000_000_000)])
                    var plan = Plan(["train", "spec.json", "--quiet"], 0, ["batch_size"], creates: ["run"])
                    plan.check = madeModel("run")
                    return plan
                },
                TrustCase(.allocations, "batch_size 10^12 is clamped (validate)") { b in
                    try b.spec(.tiny, [("training.batch_size", 1_000_000_000_000)])
                    return Plan(["validate", "spec.json"], 0)
                },
                TrustCase(.allocations, "summary with a 30000x30000 PNG header as the first image") { b in
                    try b.spec(.images, [("data.image_size", nil)])
                    try b.write("images/a_circle/00.png", hugePNG)
                    return Plan(["summary", "spec.json"], 2, ["00.png"])
                },
                TrustCase(.allocations, "augment with a 30000x30000 PNG header") { b in
                    try b.copy(TrustFixtures.imageFolder, to: "in")
                    try b.write("in/a_circle/00.png", hugePNG)
                    return Plan(["augment", "in", "--output", "aug-out"], 2, ["00.png"])
                },
                TrustCase(.allocations, "predict --data /dev/zero") { b in
                    try b.tinyRun("my-model")
                    return Plan(["predict", "--model", "my-model", "--data", "/dev/zero"], 2, ["/dev/zero"])
                },
                TrustCase(.allocations, "evaluate --data /dev/zero") { b in
                    try b.tinyRun("my-model")
                    return Plan(["evaluate", "--model", "my-model", "--data", "/dev/zero"], 2, ["/dev/zero"])
                },
            ]
    }

    static var numbers: [TrustCase] {
        var cases: [TrustCase] = []
        for flag in ["--rotation-range", "--shear-range", "--zoom-range", "--width-shift-range"] {
            for value in ["nan", "inf", "1e308"] { cases.append(augmentFlag(["\(flag)=\(value)"], flag)) }
        }
        cases += [
            augmentFlag(["--channel-shift-range=inf"], "--channel-shift-range"),
            augmentFlag(["--height-shift-range=nan"], "--height-shift-range"),
            augmentFlag(["--rotation-range=-inf"], "--rotation-range"),
            augmentFlag(["--cval=nan"], "--cval"),
            augmentFlag(["--brightness-range=nan,1"], "--brightness-range"),
            augmentFlag(["--brightness-range=0,inf"], "--brightness-range"),
        ]
        for key in [
            "rotation_range", "shear_range", "zoom_range", "width_shift_range", "height_shift_range",
            "channel_shift_range", "gaussian_blur", "gaussian_noise", "cval",
        ] {
            cases += specCase(
                .numbers, "augmentation.\(key) 1e308", .images, [("augmentation.\(key)", 1e308)],
                ["augmentation.\(key)"], commands: ["validate"])
        }
        cases += specCase(
            .numbers, "augmentation.brightness_range [0, 1e308]", .images,
            [("augmentation.brightness_range", [0, 1e308])], ["augmentation.brightness_range"], commands: ["validate"])
        cases += specCase(
            .numbers, "augmentation.zoom_range [1e308, 1e308]", .images, [("augmentation.zoom_range", [1e308, 1e308])],
            ["augmentation.zoom_range"], commands: ["validate"])
        cases += specCase(
            .numbers, "augmentation.rotation_range 1e999", .images,
            [("augmentation.rotation_range", RawJSON("1e999"))], ["augmentation.rotation_range OR line"],
            commands: ["validate", "train"])
        cases += [
            literal("NaN", "rotation_range"), literal("Infinity", "shear_range"), literal("-Infinity", "zoom_range"),
            literal("nan", "channel_shift_range"),
        ]
        cases += specCase(
            .numbers, "data.rescale 1e308", .tiny, [("data.rescale", 1e308)], ["data.rescale"],
            commands: ["validate"])
        return cases
    }
}
