import Foundation
import XCTest

@testable import NNReg

/// The generated JSON Schema and spec reference: the reference is committed up to date,
/// the schema accepts every example spec and agrees with `Spec.parse` on good and bad
/// specs. Oracle: `Spec.parse` (the validator the schema is generated from).
final class SpecSchemaTests: XCTestCase {
    static let repo = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()

    let validator = JSONSchemaValidator(root: SpecJSONSchema.document())

    func testCommittedReferenceIsCurrent() throws {
        let url = SpecSchemaTests.repo.appendingPathComponent("docs/spec-reference.md")
        let committed = try String(contentsOf: url, encoding: .utf8)
        XCTAssertTrue(
            committed == SpecReference.markdown(),
            "docs/spec-reference.md is out of date with the spec schemas; run `make docs` and commit it")
    }

    func testDocumentIsDraft202012WithADefinitionPerLayerType() throws {
        let document = try XCTUnwrap(SpecJSONSchema.document().objectValue)
        XCTAssertEqual(document["$schema"], "https://json-schema.org/draft/2020-12/schema")
        XCTAssertEqual(document["type"], "object")
        XCTAssertEqual(document["additionalProperties"], false)
        let defs = try XCTUnwrap(document["$defs"]?.objectValue)
        let layerRefs = defs["layer"]?.objectValue?["anyOf"]?.arrayValue ?? []
        XCTAssertEqual(layerRefs, LayerSpec.types.map { ["$ref": .string("#/$defs/layer-" + $0)] })
        for type in LayerSpec.types { XCTAssertNotNil(defs["layer-" + type], type) }
        // The text round-trips through the project's parser.
        XCTAssertEqual(try JSON.parse(SpecJSONSchema.document().pretty()), SpecJSONSchema.document())
    }

    func testEveryExampleSpecValidates() throws {
        let folder = SpecSchemaTests.repo.appendingPathComponent("specs")
        let files = try XCTUnwrap(FileManager.default.enumerator(atPath: folder.path)).compactMap { $0 as? String }
            .filter { $0.hasSuffix(".json") }.sorted()
        XCTAssertGreaterThanOrEqual(files.count, 10, "specs/ should hold the example specs and sweeps")
        for file in files {
            let text = try String(contentsOf: folder.appendingPathComponent(file), encoding: .utf8)
            let json = try JSON.parse(text)
            if json.objectValue?["parameters"] != nil {  // a sweep file (docs/sweeps.md), not a spec
                XCTAssertNoThrow(try SweepSpec.load(path: folder.appendingPathComponent(file).path), file)
                continue
            }
            XCTAssertEqual(validator.errors(json), [], file)
        }
    }

    /// Values `Spec.parse` accepts, in each of their written forms.
    func testAcceptsWhatTheSpecValidatorAccepts() throws {
        let good = [
            spec(),
            spec(layer: #"{"type": "dense", "units": 4, "kernel_initializer": {"random_normal": {"stddev": 0.1}}}"#),
            spec(layer: #"{"type": "dense", "units": 4, "kernel_regularizer": "l1_l2", "bias_regularizer": null}"#),
            spec(layer: #"{"type": "dense", "units": 4, "kernel_constraint": {"max_norm": 3, "axis": 0}}"#),
            spec(layer: #"{"type": "dense", "units": 4, "kernel_constraint": {"unit_norm": {"axis": [0, 1]}}}"#),
            spec(layer: #"{"type": "dense", "units": 4, "bias_constraint": "non_neg"}"#),
            spec(
                layer: #"{"type": "residual", "layers": [{"type": "dense", "units": 4}], "survival_probability": 0.8}"#),
            spec(layer: #"{"type": "conv2d", "filters": 2, "kernel_size": [3, 1], "strides": 2}"#),
            spec(training: #""loss": "mse", "optimizer": "adam""#),
            spec(training: #""loss": {"type": "mae"}, "lr_schedule": {"type": "step_decay"}"#),
            spec(extra: #""checkpoint": {"save_freq": 2, "keep": 3}"#),
            spec(extra: #""augmentation": {"zoom_range": [0.9, 1.1], "contrast_range": 0.2}"#),
            spec(extra: #""data": {"train": "a.csv", "label": 0, "image_size": 28}"#),
        ]
        for text in good {
            XCTAssertNoThrow(try Spec.parse(text, baseDirectory: "/"), text)
            XCTAssertEqual(validator.errors(try JSON.parse(text)), [], text)
        }
    }

    /// Mistakes `Spec.parse` rejects: the schema rejects them too (so it is no "accept all").
    func testRejectsWhatTheSpecValidatorRejects() throws {
        let bad = [
            spec(extra: #""epochs": 3"#),  // an unknown key at the top
            spec(layer: #"{"type": "dropout", "rate": 1.5}"#),
            spec(layer: #"{"type": "dense2", "units": 4}"#),
            spec(layer: #"{"type": "dense"}"#),  // units is required
            spec(layer: #"{"type": "dense", "units": 4, "kernel_regularizer": "l3"}"#),
            spec(layer: #"{"type": "dense", "units": 4, "kernel_constraint": {"max_norm": -1}}"#),
            spec(layer: #"{"type": "dense", "units": 4, "kernel_initializer": {"random_normal": {"std": 1}}}"#),
            spec(layer: #"{"type": "residual", "layers": [{"type": "dense", "units": 4, "unit": 2}]}"#),
            spec(layer: #"{"type": "conv2d", "filters": 2, "kernel_size": [3, 0]}"#),
            spec(training: #""loss": "mse", "epochs": "ten""#),
            spec(training: #""loss": "mse", "metrics": ["mae", "mae"]"#),
            spec(training: #""loss": "mse", "lr_schedule": "exponential_decay""#),  // needs decay_steps
            spec(training: #""loss": {"type": "huber", "delta": 0}"#),
            spec(extra: #""checkpoint": {"save_freq": 0}"#),
            spec(extra: #""augmentation": {"zoom_range": 1.5}"#),
        ]
        for text in bad {
            XCTAssertThrowsError(try Spec.parse(text, baseDirectory: "/"), text)
            XCTAssertNotEqual(validator.errors(try JSON.parse(text)), [], text)
        }
    }

    // MARK: - Helpers

    /// A small valid spec with one layer (before a dense output), training keys and extra top-level keys.
    private func spec(
        layer: String = #"{"type": "dense", "units": 4}"#, training: String = #""loss": "mse""#, extra: String = ""
    ) -> String {
        let data = extra.hasPrefix(#""data""#) ? "" : #""data": {"train": "a.csv"}, "#
        return """
            {\(data)"model": {"layers": [\(layer), {"type": "dense", "units": 1}]},
             "training": {\(training)}\(extra.isEmpty ? "" : ", " + extra)}
            """
    }

    /// The names a rule lists when it meets one far from all of them.
    private func validNames(_ rule: Rule) -> [String] {
        let context = SpecContext(baseDirectory: "/", defaultName: "model")
        do {
            _ = try rule.check("qqqqqqqqqqqq", at: "x", context)
        } catch let error as SpecError {
            guard let range = error.message.range(of: "expected one of ") else { return [] }
            return error.message[range.upperBound...].components(separatedBy: ", ").map {
                $0.trimmingCharacters(in: ["\""])
            }
        } catch {}
        return []
    }

    private func defaults(_ schema: Schema) -> JSON.Object {
        JSON.Object(schema.options.compactMap { option in option.defaultValue.map { (option.key, $0) } })
    }

    /// Each number option's bounds: the bound itself accepted when closed, just past it rejected.
    private func checkRanges(_ rule: Rule, _ schema: Schema, wrap: (JSON) -> JSON) {
        let context = SpecContext(baseDirectory: "/", defaultName: "model")
        for option in schema.options {
            guard case .number(let interval) = option.rule else { continue }
            let bounds = [(interval.lower, interval.lowerClosed, -1e-3), (interval.upper, interval.upperClosed, 1e-3)]
            for case (let bound?, let closed, let step) in bounds {
                let at = wrap([option.key: .number(bound)])
                let past = wrap([option.key: .number(bound + step)])
                XCTAssertEqual((try? rule.check(at, at: "x", context)) != nil, closed, "\(schema.name).\(option.key)")
                XCTAssertNil(try? rule.check(past, at: "x", context), "\(schema.name).\(option.key)")
            }
        }
    }
}
