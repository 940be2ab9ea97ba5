import Foundation
import XCTest

@testable import NNReg

final class CSVTests: XCTestCase {
    private func table(_ text: String, _ options: CSV.Options = CSV.Options()) throws -> CSVTable {
        try CSV.read(.bytes(Array(text.utf8), name: "train.csv"), options: options)
    }

    private func labeled(
        _ text: String, label: CSV.Column = .last, missing: CSV.MissingPolicy = .error, classNames: [String]? = nil
    ) throws -> LabeledCSV {
        try CSV.readLabeled(
            .bytes(Array(text.utf8), name: "train.csv"), label: label, missing: missing, classNames: classNames)
    }

    /// The exact message of the CSVError that `body` throws.
    private func message<T>(_ body: () throws -> T, file: StaticString = #filePath, line: UInt = #line) -> String {
        do {
            _ = try body()
            XCTFail("no error thrown", file: file, line: line)
            return ""
        } catch let error as CSVError {
            return error.description
        } catch {
            XCTFail("not a CSVError: \(error)", file: file, line: line)
            return ""
        }
    }

    // MARK: parsing

    func testHeaderNamesAndRowMajorValues() throws {
        let t = try table("a,b,c\n1,2,3\n4.5,-6,7e2\n")
        XCTAssertEqual(t.columnNames, ["a", "b", "c"])
        XCTAssertEqual(t.rowCount, 2)
        XCTAssertEqual(t.values, [1, 2, 3, 4.5, -6, 700])
        XCTAssertEqual(t[1, 2], 700)
        XCTAssertEqual(t.column(1), [2, -6])
        XCTAssertEqual(t.classNames, [:])
    }

    func testLabelByDefaultIsTheLastColumn() throws {
        let d = try labeled("x,y,target\n1,2,3\n4,5,6\n")
        XCTAssertEqual(d.featureNames, ["x", "y"])
        XCTAssertEqual(d.labelName, "target")
        XCTAssertEqual(d.features, [1, 2, 4, 5])
        XCTAssertEqual(d.labels, [3, 6])
        XCTAssertNil(d.classNames)
    }

    func testLabelByNameAndByIndexSplitsTheMiddleColumn() throws {
        let text = "x,label,z\n1,0,3\n4,1,6\n"
        for column in [CSV.Column.name("label"), .index(1)] {
            let d = try labeled(text, label: column)
            XCTAssertEqual(d.featureNames, ["x", "z"])
            XCTAssertEqual(d.labelName, "label")
            XCTAssertEqual(d.features, [1, 3, 4, 6])
            XCTAssertEqual(d.labels, [0, 1])
        }
        let first = try labeled(text, label: .index(0))
        XCTAssertEqual(first.features, [0, 3, 1, 6])
        XCTAssertEqual(first.labels, [1, 4])
    }

    func testLabelOnlyFileHasNoFeatures() throws {
        let d = try labeled("y\n1\n2\n")
        XCTAssertEqual(d.featureCount, 0)
        XCTAssertEqual(d.features, [])
        XCTAssertEqual(d.labels, [1, 2])
    }

    func testTableLabeledByMatchesReadLabeled() throws {
        let text = "a,b,c\n1,2,3\n4,5,6\n7,8,9\n"
        let viaTable = try table(text).labeled(by: .name("b"))
        let direct = try labeled(text, label: .name("b"))
        XCTAssertEqual(viaTable.features, direct.features)
        XCTAssertEqual(viaTable.labels, direct.labels)
        XCTAssertEqual(viaTable.featureNames, direct.featureNames)
    }

    func testCRLFBOMQuotesSpacesAndNoTrailingNewline() throws {
        let text = "\u{FEFF}\"a\", b ,c\r\n\"1\", 2 ,\" 3.5 \"\r\n4,5,6"
        let t = try table(text)
        XCTAssertEqual(t.columnNames, ["a", "b", "c"])
        XCTAssertEqual(t.values, [1, 2, 3.5, 4, 5, 6])
    }

    func testBlankLinesAreSkippedAndLinesStillCount() throws {
        let t = try table("a,b\n\n1,2\r\n\r\n3,4\n\n")
        XCTAssertEqual(t.values, [1, 2, 3, 4])
        XCTAssertEqual(
            message { try table("a,b\n\n1,2\n\nx,4\n") }, #"train.csv:5:1: "x" is not a number (column "a")"#)
    }

    func testQuotedFieldSpanningLinesKeepsLineNumbers() throws {
        let t = try table("a,\"multi\nline\"\n1,2\n")
        XCTAssertEqual(t.columnNames, ["a", "multi\nline"])
        XCTAssertEqual(
            message { try table("a,\"multi\nline\"\n1,2\n3,bad\n") },
            #"train.csv:4:2: "bad" is not a number (column "multi\u{a}line")"#)  // one line: the newline escaped
    }

    func testStringLabelsMapToSortedClassIds() throws {
        let d = try labeled("w,animal\n1,dog\n2,cat\n3,\"bird\"\n4,cat\n")
        XCTAssertEqual(d.classNames, ["bird", "cat", "dog"])
        XCTAssertEqual(d.labels, [2, 1, 0, 1])
        XCTAssertEqual(d.features, [1, 2, 3, 4])
        // A numeric-looking name in a text column is a name like any other.
        let mixed = try labeled("w,c\n1,b\n2,10\n3,a\n")
        XCTAssertEqual(mixed.classNames, ["10", "a", "b"])
        XCTAssertEqual(mixed.labels, [2, 0, 1])
    }

    func testQuotedClassNamesWithEscapedQuotesAndCommas() throws {
        let d = try labeled("x,name\n1,\"say \"\"hi\"\"\"\n2,\"a, b\"\n")
        XCTAssertEqual(d.classNames, ["a, b", "say \"hi\""])
        XCTAssertEqual(d.labels, [1, 0])
    }

    func testGivenClassNamesFixTheIdsAndRejectOthers() throws {
        let d = try labeled("x,c\n1,dog\n2,cat\n", classNames: ["dog", "cat", "bird"])
        XCTAssertEqual(d.classNames, ["dog", "cat", "bird"])
        XCTAssertEqual(d.labels, [0, 1])
        XCTAssertEqual(
            message { try labeled("x,c\n1,dog\n2,dgo\n", classNames: ["dog", "cat"]) },
            #"train.csv:3:2: "dgo" is not in class_names (column "c"); did you mean "dog"?"#)
    }

    func testNumericLabelsStayNumbers() throws {
        let d = try labeled("x,y\n1,0.5\n2,-1e-3\n")
        XCTAssertNil(d.classNames)
        XCTAssertEqual(d.labels, [0.5, -1e-3])
    }

    func testReadsAFileAndAPipe() throws {
        let text = "a,b\n1,2\n3,4\n"
        let path = NSTemporaryDirectory() + "nnreg-csv-\(getpid()).csv"
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(atPath: path) }
        XCTAssertEqual(try CSV.read(path).values, [1, 2, 3, 4])
        XCTAssertEqual(try CSV.readLabeled(path).labels, [2, 4])
        // Without a final newline the file cannot be used in place; the reader copies it.
        try "a,b\n1,2".write(toFile: path, atomically: true, encoding: .utf8)
        XCTAssertEqual(try CSV.read(path).values, [1, 2])

        // Standard input is a descriptor like this pipe's read end.
        var fds: [Int32] = [0, 0]
        XCTAssertEqual(pipe(&fds), 0)
        let bytes = Array(text.utf8)
        XCTAssertEqual(bytes.withUnsafeBytes { write(fds[1], $0.baseAddress, $0.count) }, bytes.count)
        close(fds[1])
        defer { close(fds[0]) }
        let t = try CSV.read(.fileDescriptor(fds[0], name: "<stdin>"))
        XCTAssertEqual(t.values, [1, 2, 3, 4])
        XCTAssertEqual(CSV.Source.path("-").name, "<stdin>")
    }

    func testTinyFixturesLoad() throws {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent()
        let train = try CSV.readLabeled(root.appendingPathComponent("data/tiny/train.csv").path)
        XCTAssertEqual(train.rowCount, 300)
        XCTAssertEqual(train.featureCount, 6)
        XCTAssertEqual(Set(train.labels), [0, 1, 2])
        let test = try CSV.readLabeled(root.appendingPathComponent("data/tiny/test.csv").path, label: .name("label"))
        XCTAssertEqual(test.rowCount, 100)
        let regression = try CSV.readLabeled(
            root.appendingPathComponent("data/tiny/regression.csv").path, label: .name("y"))
        XCTAssertEqual(regression.rowCount, 300)
        XCTAssertEqual(regression.featureNames, ["x1", "x2", "x3", "x4"])
        let timing = try CSV.timeLoad(root.appendingPathComponent("data/tiny/train.csv").path, repeats: 1)
        XCTAssertEqual(timing.rows, 300)
        XCTAssertEqual(timing.columns, 7)
        XCTAssert(timing.seconds > 0 && timing.cpuSeconds >= 0)
    }

    // MARK: errors, each message exactly

    func testRaggedRowNamesTheLineAndCounts() {
        XCTAssertEqual(message { try table("a,b,c\n1,2,3\n4,5\n") }, "train.csv:3: expected 3 fields, got 2")
        XCTAssertEqual(message { try table("a,b\n1,2,3\n") }, "train.csv:2: expected 2 fields, got 3")
    }

    func testNonNumericCellNamesLineFieldAndColumn() {
        XCTAssertEqual(
            message { try table("a,b,c\n1,2,3\n4,abc,6\n") }, #"train.csv:3:2: "abc" is not a number (column "b")"#)
        XCTAssertEqual(message { try table("a,b\n1,2x\n") }, #"train.csv:2:2: "2x" is not a number (column "b")"#)
        XCTAssertEqual(
            message { try table("a,b\n1,\"a \"\"q\"\"\"\n") }, #"train.csv:2:2: "a "q"" is not a number (column "b")"#)
        // Only the label column of readLabeled may hold text.
        XCTAssertEqual(message { try labeled("a,b\ncat,1\n") }, #"train.csv:2:1: "cat" is not a number (column "a")"#)
        XCTAssertEqual(message { try table("a\n1e39\n") }, #"train.csv:2:1: "1e39" is not a finite Float (column "a")"#)
        XCTAssertEqual(message { try table("a\n-inf\n") }, #"train.csv:2:1: "-inf" is not a finite Float (column "a")"#)
    }

    func testMissingValueIsAnErrorByDefault() {
        XCTAssertEqual(
            message { try table("a,b\n1,2\n3,\n") },
            #"train.csv:3:2: missing value (column "b"); fill it in, or set data.missing to "drop" or "interpolate""#)
        XCTAssertEqual(
            message { try table("a,b\n1,NA\n") },
            #"train.csv:2:2: missing value (column "b"); fill it in, or set data.missing to "drop" or "interpolate""#)
    }

    func testEmptyFileAndHeaderOnly() {
        let empty = "train.csv: empty file; expected a header row of column names, then one row per sample"
        XCTAssertEqual(message { try table("") }, empty)
        XCTAssertEqual(message { try table("\u{FEFF}\n\r\n") }, empty)
        XCTAssertEqual(message { try table("a,b\n") }, "train.csv: no data rows after the header")
        XCTAssertEqual(message { try table("a,b\n\n\n") }, "train.csv: no data rows after the header")
    }

    func testUnknownLabelColumnSuggestsAName() {
        XCTAssertEqual(
            message { try labeled("pixel1,label\n1,2\n", label: .name("lable")) },
            #"train.csv: no column "lable"; did you mean "label"?"#)
        XCTAssertEqual(
            message { try labeled("pixel1,Label\n1,2\n", label: .name("label")) },
            #"train.csv: no column "label"; did you mean "Label"?"#)
        XCTAssertEqual(
            message { try labeled("a,b,c\n1,2,3\n", label: .name("target")) },
            #"train.csv: no column "target"; the columns are "a", "b", "c""#)
        let wide =
            (1...10).map { "c\($0)" }.joined(separator: ",") + "\n"
            + Array(repeating: "1", count: 10).joined(separator: ",")
        XCTAssertEqual(
            message { try labeled(wide, label: .name("target")) },
            #"train.csv: no column "target"; the columns are "c1", "c2", "c3", "c4", "c5", "c6", "c7", "c8", ... (10 in all)"#
        )
        XCTAssertEqual(
            message { try labeled("a,b,c\n1,2,3\n", label: .index(3)) },
            "train.csv: column index 3 is out of range; the file has 3 columns (indices 0-2)")
    }

    func testQuoteErrors() {
        XCTAssertEqual(message { try table("a,b\n1,\"2\n3,4\n") }, "train.csv:2:2: quoted field has no closing quote")
        XCTAssertEqual(
            message { try table("a,b\n1,\"2\"x\n") }, "train.csv:2:2: unexpected text after the closing quote")
    }

    func testUnreadableFile() {
        XCTAssertEqual(
            message { try CSV.read("/nonexistent/train.csv") },
            "/nonexistent/train.csv: cannot read: No such file or directory")
        XCTAssertEqual(message { try CSV.read("/") }, "/: cannot read: a folder, not a CSV file")
    }

    // MARK: missing values

    func testDropLeavesOutRowsWithAnyMissingCell() throws {
        let t = try table("a,b\n1,2\n,3\n4,NaN\n5,6\n\"\",7\n", CSV.Options(missing: .drop))
        XCTAssertEqual(t.values, [1, 2, 5, 6])
        let d = try labeled("x,c\n1,dog\n2,\n3,cat\n", missing: .drop)
        XCTAssertEqual(d.features, [1, 3])
        XCTAssertEqual(d.classNames, ["cat", "dog"])
        XCTAssertEqual(d.labels, [1, 0])
        XCTAssertEqual(
            message { try table("a,b\n1,\n,3\n", CSV.Options(missing: .drop)) },
            #"train.csv: every row has a missing value; data.missing "drop" left no rows"#)
    }

    /// Oracle: pandas `DataFrame.interpolate(limit_direction="both")`, worked by hand.
    func testInterpolateIsLinearInsideAndNearestAtTheEnds() throws {
        let t = try table("a,b\n,1\n2,\n,\nnull,4\n8,10\n,NA\n", CSV.Options(missing: .interpolate))
        XCTAssertEqual(t.column(0), [2, 2, 4, 6, 8, 8])
        XCTAssertEqual(t.column(1), [1, 2, 3, 4, 10, 10])
        let d = try labeled("x,y\n1,0\n2,\n3,1\n", missing: .interpolate)
        XCTAssertEqual(d.labels, [0, 0.5, 1])
        XCTAssertEqual(
            message { try table("a,b\n1,\n2,\n", CSV.Options(missing: .interpolate)) },
            #"train.csv: column "b" has no values to interpolate from"#)
        XCTAssertEqual(
            message { try labeled("x,c\n1,dog\n2,\n", missing: .interpolate) },
            #"train.csv:3:2: missing value in column "c" of class names cannot be interpolated; fill it in, or set data.missing to "drop""#
        )
    }

    func testMissingPolicyNamesMatchTheSpec() {
        XCTAssertEqual(CSV.MissingPolicy.allCases.map(\.rawValue), ["error", "drop", "interpolate"])
        XCTAssertEqual(CSV.MissingPolicy(rawValue: "interpolate"), .interpolate)
    }

    // MARK: float parsing

    /// Oracle: Swift's `Float(String)`; exact equality of bit patterns.
    private func assertParsesLikeSwift(_ text: String, file: StaticString = #filePath, line: UInt = #line) {
        let expected = Float(text)
        // A "," after the text, as in a CSV row.
        let bytes = Array((text + ",").utf8)
        bytes.withUnsafeBufferPointer { b in
            let start = b.baseAddress!
            let end = start + b.count - 1
            let got = DecimalFloat.parse(start, end)
            XCTAssertEqual(
                got?.bitPattern, expected?.bitPattern,
                "\(text): got \(String(describing: got)), Float(String) gives \(String(describing: expected))",
                file: file, line: line)
            if case (.value(let fast), let stop) = DecimalFloat.scan(start, end), stop == end {
                XCTAssertEqual(fast.bitPattern, expected?.bitPattern, "fast path on \(text)", file: file, line: line)
            }
            var stop = start
            if let integer = DecimalFloat.scanInteger(start, &stop), stop == end {
                XCTAssertEqual(
                    integer.bitPattern, expected?.bitPattern, "integer path on \(text)", file: file, line: line)
            }
        }
    }

    func testFloatParsingMatchesSwiftOnEdgeCases() {
        for text in [
            "0", "-0", "+0", "0.0", "-0.0", "00012", "1", "-1", "+1", ".5", "1.", "-.5e1", "1.e5", "1e5", "1E+05",
            "1e-5",
            "255", "0.00392156862745098", "3.4028235e38", "3.4028236e38", "1e39", "1e-45", "1e-46", "1.17549435e-38",
            "16777216", "16777217", "16777219", "-16777217", "8388608.5", "8388609.5", "33554435e0", "0.1", "0.2",
            "0.3",
            "123456789012345678", "1234567890123456789", "12345678901234567890", "0.000000000000000000000000000001",
            "9007199254740993", "1e22", "1e23", "4.7e-22", "1e-22", "1e-23", "7.038531e-26",
            "1.00000017881393432617187499",
            "1.000000178813934326171875", "1.00000017881393432617187501", ".", "-", "+", "e5", "1e", "1e+", "1e-",
            "--1", "1.2.3",
            "inf", "-inf", "nan", "0x1p3", "1_0", " 1", "1 ", "",
        ] {
            assertParsesLikeSwift(text)
        }
    }

    func testFloatParsingMatchesSwiftOnRandomDecimals() {
        var rng = RNG(seed: 20_240_601)
        let digits = Array("0123456789")
        for _ in 0..<200_000 {
            var s = rng.int(below: 4) == 0 ? "-" : ""
            let intDigits = rng.int(below: 12)
            let fracDigits = rng.int(below: 12)
            s += String((0..<intDigits).map { _ in digits[rng.int(below: 10)] })
            if fracDigits > 0 || intDigits == 0 {
                s += "." + String((0..<max(fracDigits, 1)).map { _ in digits[rng.int(below: 10)] })
            }
            if rng.int(below: 3) == 0 { s += (rng.int(below: 2) == 0 ? "e" : "E-") + String(rng.int(below: 40)) }
            assertParsesLikeSwift(s)
        }
    }

    func testFloatParsingMatchesSwiftOnPrintedFloatsAndDoubles() {
        var rng = RNG(seed: 7)
        for _ in 0..<100_000 {
            let f = Float(bitPattern: UInt32(truncatingIfNeeded: rng.next()) & 0x7FFF_FFFF)
            if !f.isFinite { continue }
            assertParsesLikeSwift("\(f)")
            let scaled = Double(rng.uniform() - 0.5) * [1, 1e3, 1e-3, 255, 1e6][rng.int(below: 5)]
            assertParsesLikeSwift("\(scaled)")
            assertParsesLikeSwift(String(format: "%.6f", scaled))
            assertParsesLikeSwift(String(format: "%.9g", scaled))
            assertParsesLikeSwift(String(rng.int(below: 1 << 30) - (1 << 29)))
        }
    }

    /// Decimals that round (as Doubles) onto the exact midpoint between two Floats: the one
    /// case where Double-then-Float rounding differs, which the fast path must hand over.
    func testFloatParsingMatchesSwiftNearFloatMidpoints() {
        var rng = RNG(seed: 11)
        var doubleRoundingTraps = 0
        for _ in 0..<50_000 {
            let f = Float(Foundation.exp(rng.uniformDouble() * 30 - 20))  // 2e-9 ... 2e4
            let midpoint = (Double(f) + Double(f.nextUp)) / 2
            let text = String(format: "%.15e", midpoint)
            if Double(text)! == midpoint && Float(text)! != Float(Double(text)!) { doubleRoundingTraps += 1 }
            assertParsesLikeSwift(text)
        }
        XCTAssert(doubleRoundingTraps > 100, "only \(doubleRoundingTraps) inputs exercise the midpoint check")
    }

    func testWholeFileValuesMatchFloatString() throws {
        var rng = RNG(seed: 3)
        var cells: [String] = []
        var text = "a,b,c,d\n"
        for _ in 0..<2_000 {
            let row = [
                String(rng.int(below: 256)), String(format: "%.4f", Double(rng.normal())),
                String(format: "%.8e", Double(rng.normal()) * 1e5), "\(Double(rng.uniform()))",
            ]
            cells += row
            text += row.joined(separator: ",") + "\n"
        }
        let t = try table(text)
        XCTAssertEqual(t.values.map(\.bitPattern), cells.map { Float($0)!.bitPattern })
    }
}
