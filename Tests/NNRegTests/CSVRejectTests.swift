import Foundation
import XCTest

@testable import NNReg

/// CSV text nnreg refuses rather than read wrongly: repeated column names (columns are
/// matched by name), NUL bytes, and the size of what a message quotes.
final class CSVRejectTests: XCTestCase {
    private func message(_ text: [UInt8]) -> String {
        do {
            _ = try CSV.read(.bytes(text, name: "train.csv"), options: CSV.Options(textColumns: [.last]))
            XCTFail("no error thrown")
        } catch {
            return "\(error)"
        }
        return ""
    }

    /// A class label too large for an Int (1e30) is an error naming its row, not a trap.
    func testAHugeClassLabelIsAnErrorNamingItsRow() throws {
        let raw = RawData(
            x: nil, streamShape: [1], labels: [1, 1e30], classNames: nil, source: "t.csv", lines: [2, 3])
        let loss = try XCTUnwrap(
            Spec.parse(
                #"{"data": {"train": "t.csv"}, "model": {"layers": [{"type": "dense", "units": 2}]}, "training": {"loss": "sparse_categorical_crossentropy"}}"#,
                baseDirectory: "/"
            ).training.loss)
        XCTAssertThrowsError(try DataLoader.targets(raw, loss: loss, outputs: 2, lastLayer: "")) {
            XCTAssert("\($0)".hasPrefix("t.csv:3: label"), "\($0)")
        }
        // Through a stratified split and balanced class weights, which group labels first.
        let dir = NSTemporaryDirectory() + "nnreg-huge-label-\(getpid())"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try "a,label\n1,0\n2,1\n3,1e30\n4,0\n5,1\n6,0\n".write(
            toFile: dir + "/d.csv", atomically: true, encoding: .utf8)
        let spec = try Spec.parse(
            #"{"data": {"train": "d.csv", "validation_split": 0.3}, "model": {"layers": [{"type": "dense", "units": 2}]}, "#
                + #""training": {"loss": "sparse_categorical_crossentropy", "class_weight": "balanced"}}"#,
            baseDirectory: dir)
        XCTAssertThrowsError(try Experiment(spec: spec)) {
            XCTAssert("\($0)".contains("d.csv:4: label 1e+30 is not a class id"), "\($0)")
        }
    }

    func testDuplicateColumnNameIsAnErrorAtItsField() {
        XCTAssertEqual(
            message(Array("a,b,a\n1,2,3\n".utf8)),
            #"train.csv:1:3: column name "a" appears twice in the header; columns are matched by name"#)
    }

    func testNULByteIsAnErrorAtItsLineAndField() {
        XCTAssertEqual(
            message(Array("a,b,c\n1,2,3\n4,".utf8) + [0] + Array(",5\n".utf8)),
            "train.csv:3:2: a NUL byte (0x00): this is not CSV text")
    }

    /// A 200,000-character cell is named by its first 40 characters and its length.
    func testLongCellsAreQuotedShort() {
        let cell = String(repeating: "x", count: 200_000)
        let text = message(Array("a,b,label\n1,\(cell),1\n".utf8))
        XCTAssertEqual(
            text,
            #"train.csv:2:2: "\#(String(repeating: "x", count: 40))"... (200000 characters) is not a number (column "b")"#
        )
        XCTAssertLessThan(text.utf8.count, 200)
    }
}
