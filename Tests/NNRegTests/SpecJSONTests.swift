import XCTest

@testable import NNReg

/// The spec reader's JSON: strict parsing with line/column errors, stable printing.
final class JSONSpecTests: XCTestCase {
    private func syntaxError(_ text: String) -> String? {
        do {
            _ = try JSON.parse(text)
            return nil
        } catch {
            return "\(error)"
        }
    }

    func testParsesEveryKindOfValueKeepingKeyOrder() throws {
        let json = try JSON.parse(#" {"b": [1, -2.5e3, 0.1], "a": {"t": true, "f": false, "n": null}, "s": "x"} "#)
        let object = try XCTUnwrap(json.objectValue)
        XCTAssertEqual(object.keys, ["b", "a", "s"])
        XCTAssertEqual(object["b"], [1, -2500, 0.1])
        XCTAssertEqual(object["a"], ["t": true, "f": false, "n": nil])
        XCTAssertEqual(object["s"], "x")
    }

    func testObjectEqualityIgnoresKeyOrder() throws {
        XCTAssertEqual(try JSON.parse(#"{"a": 1, "b": 2}"#), try JSON.parse(#"{"b": 2, "a": 1}"#))
    }

    func testStringEscapesAndUnicode() throws {
        let json = try JSON.parse(#"["a\"b\\c\/d\n\t", "\u00e9\ud83d\ude00", "héllo"]"#)
        XCTAssertEqual(json, ["a\"b\\c/d\n\t", "é😀", "héllo"])
        XCTAssertEqual(json.compact(), #"["a\"b\\c/d\n\t", "é😀", "héllo"]"#)
        XCTAssertEqual(JSON.string("\u{1}").compact(), #""\u0001""#)
    }

    func testNumbersPrintInTheirShortestForm() {
        let numbers: JSON = [50, 0.001, 1e-7, -0.5, 1e20, 0.00392156862745098]
        XCTAssertEqual(numbers.compact(), "[50, 0.001, 1e-07, -0.5, 1e+20, 0.00392156862745098]")
        // Floats print by their own shortest form, not the Double they widen to.
        XCTAssertEqual(JSON(Float(0.001)).compact(), "0.001")
        XCTAssertEqual(JSON(Float(1e-7)).compact(), "1e-07")
    }

    func testPrettyPrintsTwoSpaceIndentWithShortContainersInline() {
        let json: JSON = [
            "name": "x", "list": [1, 2],
            "nested": ["a": [["b": 1]], "long": .string(String(repeating: "y", count: 60))], "empty": [:],
        ]
        XCTAssertEqual(
            json.pretty(),
            """
            {
              "name": "x",
              "list": [1, 2],
              "nested": {
                "a": [{"b": 1}],
                "long": "\(String(repeating: "y", count: 60))"
              },
              "empty": {}
            }
            """)
    }

    func testPrettyOutputParsesBackEqual() throws {
        let text = #"{"a": [{"b": [1, {"c": null}]}, [], {}], "d": {"e": "f\\n", "g": [0.5, -1e-9, true]}}"#
        let json = try JSON.parse(text)
        XCTAssertEqual(try JSON.parse(json.pretty()), json)
    }

    func testSyntaxErrorsGiveLineColumnAndWhatWasExpected() {
        XCTAssertEqual(syntaxError(""), "line 1, column 1: expected a value, got end of input")
        XCTAssertEqual(
            syntaxError("{\"a\": 1,}"),
            "line 1, column 9: expected a string key, got '}' (JSON allows no trailing comma)")
        XCTAssertEqual(
            syntaxError("{\n  \"a\": 1\n  \"b\": 2\n}"),
            "line 3, column 3: expected ',' or '}' after an object member, got '\"'")
        XCTAssertEqual(syntaxError("[1 2]"), "line 1, column 4: expected ',' or ']' after an array element, got '2'")
        XCTAssertEqual(syntaxError("{\"a\": 1, \"a\": 2}"), "line 1, column 10: duplicate key \"a\"")
        XCTAssertEqual(syntaxError("// hi\n{}"), "line 1, column 1: expected a value, got '/' (JSON has no comments)")
        XCTAssertEqual(syntaxError("{\"a\": tru}"), "line 1, column 7: expected a value, got 'tru'")
        XCTAssertEqual(syntaxError("[01]"), "line 1, column 3: expected no leading zeros in a number")
        XCTAssertEqual(syntaxError("[1.]"), "line 1, column 4: expected a digit after the decimal point, got ']'")
        XCTAssertEqual(syntaxError("[1e999]"), "line 1, column 2: expected a number within double range, got 1e999")
        XCTAssertEqual(
            syntaxError("[\"ab\ncd\"]"),
            "line 1, column 5: expected '\"' to close the string, got a line break (escape it)")
        XCTAssertEqual(
            syntaxError("[\"\\x\"]"), #"line 1, column 4: expected an escape (\" \\ \/ \b \f \n \r \t \uXXXX), got 'x'"#
        )
        XCTAssertEqual(syntaxError("{} {}"), "line 1, column 4: expected end of input after the value, got '{'")
        // Columns count characters, not bytes.
        XCTAssertEqual(syntaxError("{\"é\": x}"), "line 1, column 7: expected a value, got 'x'")
        XCTAssertEqual(
            syntaxError(String(repeating: "[", count: 600)),
            "line 1, column 513: expected at most 512 levels of nesting")
    }
}
