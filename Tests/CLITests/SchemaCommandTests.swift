import Foundation
import XCTest

/// `nnreg schema`: the JSON Schema of spec files, and the Markdown reference.
final class SchemaCommandTests: CLITestCase {
    func testSchemaPrintsADraft202012JSONSchema() throws {
        let o = try nnreg("schema")
        assertSuccess(o)
        XCTAssertEqual(o.stderr, "")
        let document = try XCTUnwrap(
            JSONSerialization.jsonObject(with: Data(o.stdout.utf8)) as? [String: Any], "not a JSON object:\n\(o.stdout)"
        )
        XCTAssertEqual(document["$schema"] as? String, "https://json-schema.org/draft/2020-12/schema")
        XCTAssertEqual(document["type"] as? String, "object")
        let properties = try XCTUnwrap(document["properties"] as? [String: Any])
        for section in ["data", "model", "training"] { XCTAssertNotNil(properties[section], section) }
        XCTAssertEqual(document["required"] as? [String], ["data", "model", "training"])
        XCTAssertNotNil((document["$defs"] as? [String: Any])?["layer"])
    }

    func testMarkdownPrintsTheCommittedReference() throws {
        let o = try nnreg("schema", "--markdown")
        assertSuccess(o)
        let committed = try String(
            contentsOf: Paths.repo.appendingPathComponent("docs/spec-reference.md"), encoding: .utf8)
        XCTAssertEqual(o.stdout, committed, "docs/spec-reference.md is out of date; run `make docs`")
    }
}
