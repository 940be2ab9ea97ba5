import Foundation

/// Paths: ".", "..", folders holding foreign files, output equal to input, output that is a
/// file, symlinks, empty paths.
extension TrustCase {
    static func path(_ name: String, _ make: @escaping (Bench) throws -> Plan) -> TrustCase {
        TrustCase(.paths, name, make)
    }

    static func augmentPath(
        _ name: String, _ args: [String], _ fragments: [String], cwd: String? = nil,
        setup: @escaping (Bench) throws -> Void = { _ in }
    ) -> TrustCase {
        path(name) { b in
            try b.copy(TrustFixtures.imageFolder, to: "images")
            try setup(b)
            var plan = Plan(["augment"] + args, 2, fragments)
            plan.cwd = cwd
            return plan
        }
    }

    static var paths: [TrustCase] {
        ["validate", "train"].map { command in
            path("data.train \".\", the spec's own folder (\(command))") { b in
                try b.spec(.tiny, [("data.train", ".")])
                return Plan([command, "spec.json"], 2, ["data.train OR \(b.root.path)"])
            }
        }
            + [
                path("data.train \"..\", the folder above the spec's (validate)") { b in
                    try b.spec(.tiny, [("data.train", ".."), ("data.test", nil)], name: "specs/spec.json")
                    return Plan(["validate", "specs/spec.json"], 2, ["data.train OR \(b.root.path)"])
                }
            ]
            + specCase(.paths, "data.train \"\"", .tiny, [("data.train", "")], ["data.train"])
            + specCase(
                .paths, "data.train a symlink loop", .tiny, [("data.train", "loop.csv")], ["loop.csv"],
                setup: { b in
                    try b.link("loop.csv", to: "loop2.csv")
                    try b.link("loop2.csv", to: "loop.csv")
                })
            + specCase(
                .paths, "data.train a symlink to the CSV works", .tiny, [("data.train", "link.csv")], [], status: 0,
                setup: { b in
                    try b.link("link.csv", to: "train.csv")
                })
            + specCase(
                .paths, "data.train a folder of CSV files", .tiny, [("data.train", "tables")], ["tables"],
                commands: ["validate"],
                setup: { b in
                    try b.copy(Paths.tiny("train.csv"), to: "tables/a.csv")
                })
            + specCase(
                .paths, "data.train an empty folder", .tiny, [("data.train", "empty-folder")], ["empty-folder"],
                commands: ["validate"],
                setup: { b in
                    try b.mkdir("empty-folder")
                })
            + specCase(
                .paths, "output.dir a regular file", .tiny, [("output.dir", "notes.txt")], ["notes.txt"],
                commands: ["train"],
                setup: { b in
                    try b.write("notes.txt", "mine\n")
                })
            + specCase(
                .paths, "output.dir under a regular file", .tiny, [("output.dir", "notes.txt/run")], ["notes.txt"],
                commands: ["train"],
                setup: { b in
                    try b.write("notes.txt", "mine\n")
                })
            + specCase(
                .paths, "output.dir is the training CSV", .tiny, [("output.dir", "train.csv")], ["train.csv"],
                commands: ["train"])
            + specCase(
                .paths, "output.dir is the image folder", .images, [("output.dir", "images")], ["images"],
                commands: ["train"])
            + specCase(
                .paths, "output.dir a symlink to a folder of the user's files", .tiny, [("output.dir", "linked")],
                ["linked OR mine"], commands: ["train"],
                setup: { b in
                    try b.write("mine/notes.txt", "mine\n")
                    try b.link("linked", to: "mine")
                })
            + specCase(
                .paths, "name with a slash, output.dir null", .tiny,
                [("name", "../escape"), ("output", [String: Any]())], ["name"])
            + [
                path("train --output \"\"") { b in
                    try b.spec(.tiny)
                    return Plan(["train", "spec.json", "--quiet", "--output", ""], 2, ["--output"])
                },
                path("train --output \"..\", the parent holding the user's files") { b in
                    try b.spec(.tiny)
                    try b.mkdir("work")
                    var plan = Plan(["train", "../spec.json", "--quiet", "--output", ".."], 2, [".."])
                    plan.cwd = "work"
                    return plan
                },
                path("train --output \".\" holding the user's files") { b in
                    try b.spec(.tiny)
                    try b.mkdir("work")
                    try b.write("work/notes.txt", "mine\n")
                    var plan = Plan(["train", "../spec.json", "--quiet", "--output", "."], 2, ["."])
                    plan.cwd = "work"
                    return plan
                },
                path("train --output into the image folder's class folder") { b in
                    try b.spec(.images)
                    return Plan(
                        ["train", "spec.json", "--quiet", "--output", "images/a_circle"], 2, ["images/a_circle"])
                },
                path("validate a spec path that is a folder") { b in
                    try b.mkdir("a-folder.json")
                    return Plan(["validate", "a-folder.json"], 2, ["a-folder.json"])
                },
                path("validate a missing spec") { _ in Plan(["validate", "nope.json"], 2, ["nope.json"]) },
                path("validate spec \"\"") { _ in Plan(["validate", ""], 2, ["spec"]) },
                path("validate /dev/zero as the spec") { _ in Plan(["validate", "/dev/zero"], 2, ["/dev/zero"]) },
                path("validate a spec through a symlink works") { b in
                    try b.spec(.tiny)
                    try b.link("alias.json", to: "spec.json")
                    return Plan(["validate", "alias.json"], 0)
                },
                path("evaluate --model \"\"") { b in
                    try b.tinyData()
                    return Plan(["evaluate", "--model", "", "--data", "test.csv"], 2, ["--model"])
                },
                path("predict --data \"\"") { b in
                    try b.tinyRun("my-model")
                    return Plan(["predict", "--model", "my-model", "--data", ""], 2, ["--data"])
                },
                path("evaluate --model a folder without a model") { b in
                    try b.tinyData()
                    try b.write("not-a-run/notes.txt", "mine\n")
                    return Plan(["evaluate", "--model", "not-a-run", "--data", "test.csv"], 2, ["not-a-run"])
                },
                augmentPath("augment --output \"\"", ["images", "--output", ""], ["--output"]),
                augmentPath("augment --output is the input", ["images", "--output", "images"], ["images"]),
                augmentPath(
                    "augment --output is the input by another path", ["images", "--output", "./images/"], ["images"]),
                augmentPath("augment --output \".\" holding the input", ["images", "--output", "."], ["."]),
                augmentPath(
                    "augment --output \"..\" holding the input", ["../images", "--output", ".."], [".."], cwd: "work"
                ) { b in
                    try b.mkdir("work")
                },
                augmentPath("augment --output a regular file", ["images", "--output", "notes.txt"], ["notes.txt"]) {
                    b in
                    try b.write("notes.txt", "mine\n")
                },
                augmentPath(
                    "augment --output under a regular file", ["images", "--output", "notes.txt/aug"], ["notes.txt"]
                ) { b in
                    try b.write("notes.txt", "mine\n")
                },
                augmentPath(
                    "augment --output a symlink into the input", ["images", "--output", "sneaky"], ["sneaky OR images"]
                ) { b in
                    try b.link("sneaky", to: "images/a_circle")
                },
                augmentPath("augment an input that is a file", ["notes.txt", "--output", "aug-out"], ["notes.txt"]) {
                    b in
                    try b.write("notes.txt", "mine\n")
                },
                augmentPath("augment a missing input", ["nothing-here", "--output", "aug-out"], ["nothing-here"]),
            ]
    }
}
