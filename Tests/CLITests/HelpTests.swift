import Foundation
import XCTest

/// Help, version and usage errors (exit status 2).
final class HelpTests: CLITestCase {
    func testRootHelpListsTheSubcommands() throws {
        let o = try nnreg("--help")
        assertSuccess(o)
        XCTAssertEqual(o.stderr, "")
        XCTAssertEqual(
            o.stdout,
            """
            OVERVIEW: Train regularized neural networks from JSON spec files.

            Exit status: 0 success, 1 failure while running, 2 bad usage, spec or data.
            Spec files: `nnreg schema` prints their JSON Schema; docs/spec-reference.md
            lists every key.

            USAGE: nnreg <subcommand>

            OPTIONS:
              --version               Show the version.
              -h, --help              Show help information.

            SUBCOMMANDS:
              train                   Train the model a spec describes and write its run
                                      folder.
              evaluate                Loss, metrics and confusion matrix of a trained model
                                      on labelled data.
              diagnose                Diagnose a trained run (high bias or variance) and
                                      suggest changes as --set lines.
              predict                 Predictions of a trained model as CSV: the class and
                                      each class's probability, or the values.
              summary                 The layer table of a spec's model: output shapes and
                                      parameter counts (like Keras model.summary()).
              validate                Check a spec and its data without training.
              compare                 Runs side by side: their results and the spec keys
                                      that differ between them.
              augment                 Write augmented copies of every image, keeping class
                                      subfolders.
              sweep                   Train many variants of a spec and rank them on
                                      validation data.
              schema                  Print the JSON Schema (draft 2020-12) of spec files,
                                      for editors.
              export                  Write a trained model's inference graph as an ONNX
                                      file.

              See 'nnreg help <subcommand>' for detailed help.

            """)
    }

    func testVersion() throws {
        let o = try nnreg("--version")
        assertSuccess(o)
        XCTAssertNotNil(o.stdout.range(of: #"^\d+\.\d+\.\d+\n$"#, options: .regularExpression), o.stdout)
    }

    func testSubcommandHelpShowsUsageAndOptions() throws {
        let usage = [
            "train":
                "nnreg train <spec> [--output <output>] [--epochs <epochs>] [--seed <seed>] [--resume] [--overwrite] [--tensorboard] [--json] [--quiet] [--set <path=value> ...] [--max-memory <max-memory>]",
            "evaluate": "nnreg evaluate --model <model> --data <data> [--json]",
            "diagnose": "nnreg diagnose <run> [--baseline-error <baseline-error>] [--json]",
            "predict": "nnreg predict --model <model> --data <data> [--output <output>]",
            "summary": "nnreg summary <spec> [--set <path=value> ...] [--max-memory <max-memory>]",
            "validate": "nnreg validate <spec> [--json] [--set <path=value> ...] [--max-memory <max-memory>]",
            "compare": "nnreg compare <run-or-sweep> ... [--json] [--format <format>] [--plot <file.svg>]",
            "export": "nnreg export <run-or-model> --format <format> [--output <output>] [--opset <opset>]",
        ]
        let options = [
            "train": [
                "--output <output>", "--epochs <epochs>", "--seed <seed>", "--resume", "--overwrite", "--tensorboard",
                "--json",
                "--quiet", "--max-memory <max-memory>",
            ],
            "evaluate": ["--model <model>", "--data <data>", "--json"],
            "diagnose": ["<run>", "--baseline-error <baseline-error>", "--json"],
            "predict": ["--model <model>", "--data <data>", "--output <output>"],
            "summary": ["<spec>", "--max-memory <max-memory>"],
            "validate": ["<spec>", "--json", "--max-memory <max-memory>"],
            "compare": ["<run-or-sweep>", "--json", "--format <format>", "--plot <file.svg>"],
            "export": ["<run-or-model>", "--format <format>", "--output <output>", "--opset <opset>"],
        ]
        for (command, line) in usage {
            for form in [[command, "--help"], ["help", command]] {
                let o = try Child(form, in: dir).finish(timeout: 30)
                assertSuccess(o)
                XCTAssertTrue(o.stdout.hasPrefix("OVERVIEW: "), o.stdout)
                XCTAssertTrue(o.lines.contains("USAGE: " + line), "\(form):\n\(o.stdout)")
                for option in options[command]! {
                    XCTAssertTrue(
                        o.lines.contains { $0 == "  " + option || $0.hasPrefix("  " + option + " ") },
                        "\(form) lacks \(option)")
                }
                XCTAssertTrue(o.lines.allSatisfy { $0.count <= 80 || $0.hasPrefix("USAGE: ") }, o.stdout)
            }
        }
    }

    func testTrainHelpExplainsTheRunFolderAndResume() throws {
        let o = try nnreg("train", "--help")
        XCTAssertTrue(
            o.stdout.hasPrefix(
                """
                OVERVIEW: Train the model a spec describes and write its run folder.

                The run folder (output.dir, or --output) receives spec.json, history.csv/json,
                model.safetensors, last.safetensors, metrics.json and loss.svg, each written
                atomically after every epoch. Ctrl-C stops after the current batch and keeps
                the finished epochs: continue with --resume (exit status 130).

                """), o.stdout)
    }

    /// ArgumentParser exits 64 (EX_USAGE) on its own; the contract says 2.
    func testUsageErrorsExit2() throws {
        let cases: [([String], String)] = [
            (["bogus"], "Error: Unexpected argument 'bogus'"),
            (["train", "--bogus", "x.json"], "Error: Unknown option '--bogus'"),
            (["train"], "Error: Missing expected argument '<spec>'"),
            (["train", "x.json", "--epochs", "abc"], "Error: The value 'abc' is invalid for '--epochs <epochs>'"),
            (["evaluate", "--model", "run"], "Error: Missing expected argument '--data <data>'"),
            (["predict", "--data", "x.csv"], "Error: Missing expected argument '--model <model>'"),
            (["compare"], "Error: Missing expected argument '<run-or-sweep> ...'"),
            (
                ["compare", "run", "--format", "html"],
                "Error: The value 'html' is invalid for '--format <format>'. Please provide one of 'text' and 'md'."
            ),
        ]
        for (arguments, message) in cases {
            let o = try Child(arguments, in: dir).finish(timeout: 30)
            XCTAssertEqual(o.status, 2, "\(arguments)")
            XCTAssertEqual(o.stdout, "", "\(arguments)")
            XCTAssertTrue(o.stderr.hasPrefix(message + "\n"), "\(arguments): \(o.stderr)")
            XCTAssertTrue(o.stderr.contains("Usage: nnreg"), "\(arguments): \(o.stderr)")
        }
    }
}
