import Foundation
import XCTest

@testable import NNReg

/// data.sequence: reading a series, windows, chronological splits, scaling, missing values.
/// Oracles are the definitions worked by hand on tiny series (exact), and pandas/numpy
/// on the committed CO2 series (tools/co2_series.py; numbers in the comments).
final class SequenceDataTests: XCTestCase {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().path

    private func source(_ text: String, name: String = "series.csv") -> CSV.Source {
        .bytes(Array(text.utf8), name: name)
    }

    private func series(
        _ text: String, target: CSV.Column? = nil, features: [CSV.Column]? = nil, missing: CSV.MissingPolicy = .error
    ) throws -> SequenceSeries {
        try SequenceSeries.read(source(text), target: target, features: features, missing: missing)
    }

    /// The description of the error that `body` throws.
    private func message<T>(_ body: () throws -> T, file: StaticString = #filePath, line: UInt = #line) -> String {
        do {
            _ = try body()
            XCTFail("no error thrown", file: file, line: line)
            return ""
        } catch {
            return "\(error)"
        }
    }

    /// Rows t = 0..<n: date 2020-01-(t+1), a = t + 1, b = 10 (t + 1).
    private func daily(_ n: Int) -> String {
        "date,a,b\n" + (0..<n).map { t in "2020-01-\(t < 9 ? "0" : "")\(t + 1),\(t + 1),\(10 * (t + 1))\n" }.joined()
    }

    // MARK: reading a series

    func testTimestampColumnIsNotAFeatureAndTargetDefaultsToTheLastColumn() throws {
        let s = try series(daily(3))
        XCTAssertEqual(s.timestampColumn, "date")
        XCTAssertEqual(s.timestamps, ["2020-01-01", "2020-01-02", "2020-01-03"])
        XCTAssertEqual(s.featureNames, ["a", "b"])
        XCTAssertEqual(s.targetName, "b")
        XCTAssertEqual(s.targetFeature, 1)
        XCTAssertEqual(s.features, [1, 10, 2, 20, 3, 30])
        XCTAssertEqual(s.target, [10, 20, 30])
        // The timestamp column may be anywhere; the default target skips it.
        let last = try series("a,b,when\n1,2,x1\n3,4,x2\n")
        XCTAssertEqual(last.timestampColumn, "when")
        XCTAssertEqual(last.targetName, "b")
        XCTAssertEqual(last.featureNames, ["a", "b"])
    }

    func testExplicitTargetAndFeaturesByNameOrIndex() throws {
        let s = try series(daily(3), target: .index(1), features: [.name("b")])
        XCTAssertEqual(s.featureNames, ["b"])
        XCTAssertEqual(s.targetName, "a")
        XCTAssertNil(s.targetFeature)
        XCTAssertEqual(s.features, [10, 20, 30])
        XCTAssertEqual(s.target, [1, 2, 3])
        XCTAssertEqual(
            message { try series(daily(3), target: .name("bb")) },
            #"series.csv: no column "bb"; did you mean "b"?"#)
        XCTAssertEqual(
            message { try series(daily(3), features: []) },
            "series.csv: data.sequence.features is empty; list at least one column, or leave it out")
    }

    func testWithoutATimestampColumnRowsAreNumbered() throws {
        let s = try series("x,y\n1,2\n3,4\n5,6\n")
        XCTAssertNil(s.timestampColumn)
        XCTAssertEqual(s.timestamps, ["1", "2", "3"])
        XCTAssertEqual(s.featureNames, ["x", "y"])
        XCTAssertEqual(s.targetName, "y")
    }

    /// A word in a numeric column is not a timestamp column: the CSV reader names the cell.
    func testTextInANumericColumnIsTheReadersErrorNamingTheCell() {
        let expected = #"series.csv:4:2: "n/d" is not a number (column "a")"#
        let text = "date,a,b\n2020-01-01,1,2\n2020-01-02,3,4\n2020-01-03,n/d,6\n"
        XCTAssertEqual(message { try series(text) }, expected)  // default features
        XCTAssertEqual(message { try series(text, features: [.name("a")]) }, expected)  // named
        XCTAssertEqual(message { try series(text, target: .name("a"), features: [.name("b")]) }, expected)
        // Not used: ignored.
        XCTAssertEqual(try series(text, features: [.name("b")]).target, [2, 4, 6])
        // Naming the timestamp column as a feature.
        XCTAssertEqual(
            message { try series(daily(2), features: [.name("date"), .name("a")]) },
            #"series.csv:2:1: "2020-01-01" is not a number (column "date")"#)
        XCTAssertEqual(
            message { try series("date\n2020-01-01\n") },
            #"series.csv: the only column, "date", holds timestamps; a series needs a numeric column"#)
    }

    // MARK: windows

    /// Oracle: the definition. Rows t = 0..5, window 2, horizon 2: sample i reads rows
    /// i, i+1 and predicts b at rows i+2, i+3; 6 - 2 - 2 + 1 = 3 samples.
    func testWindowsHoldConsecutiveRowsAndTheNextHorizonTargets() throws {
        let w = SequenceWindows.make(try series(daily(6)), window: 2, horizon: 2)
        XCTAssertEqual(w.x.shape, [3, 2, 2])
        XCTAssertEqual(w.y.shape, [3, 2])
        XCTAssertEqual(w.x.array, [1, 10, 2, 20, /**/ 2, 20, 3, 30, /**/ 3, 30, 4, 40])
        XCTAssertEqual(w.y.array, [30, 40, /**/ 40, 50, /**/ 50, 60])
        XCTAssertEqual(w.timestamps, ["2020-01-03", "2020-01-04", "2020-01-05"])
        XCTAssertEqual(w.rowNames, w.timestamps)
        XCTAssertEqual(w.timestampColumn, "date")
        XCTAssertEqual(SequenceWindows.sampleCount(rows: 6, window: 2, horizon: 2), 3)
        XCTAssertEqual(SequenceWindows.sampleCount(rows: 3, window: 2, horizon: 2), 0)
        XCTAssertEqual(SequenceWindows.make(try series(daily(3)), window: 2, horizon: 2).count, 0)
    }

    /// Forecast windows run up to the last row; targets past the end are NaN and their
    /// dates continue the last interval.
    func testForecastWindowsReachPastTheEnd() throws {
        let w = SequenceWindows.make(try series(daily(4)), window: 2, horizon: 2, forecast: true)
        XCTAssertEqual(w.count, 3)
        XCTAssertEqual(w.x.array.suffix(4), [3, 30, 4, 40])
        let y = w.y.array
        XCTAssertEqual(Array(y[0..<2]), [30, 40])
        XCTAssertEqual(y[2], 40)
        XCTAssertTrue(y[3].isNaN && y[4].isNaN && y[5].isNaN)
        XCTAssertEqual(w.timestamps, ["2020-01-03", "2020-01-04", "2020-01-05"])
        let ahead = SequenceWindows.make(try series(daily(4)), window: 3, horizon: 1, forecast: true)
        XCTAssertEqual(ahead.timestamps, ["2020-01-04", "2020-01-05"])
    }

    /// Oracle: calendar arithmetic by hand (2001 is not a leap year, 2000 is), and Python's
    /// (date(1958, 3, 29) - date(1970, 1, 1)).days = -4296.
    func testTimestampsAfterTheEnd() {
        XCTAssertEqual(SequenceTimestamps.after(["2001-12-22", "2001-12-29"], steps: 1), "2002-01-05")
        XCTAssertEqual(SequenceTimestamps.after(["2000-02-27", "2000-02-28"], steps: 2), "2000-03-01")
        XCTAssertEqual(SequenceTimestamps.after(["2001-02-27", "2001-02-28"], steps: 1), "2001-03-01")
        XCTAssertEqual(SequenceTimestamps.after(["1", "2", "3"], steps: 2), "5")
        XCTAssertEqual(SequenceTimestamps.after(["1990", "1995"], steps: 1), "2000")
        XCTAssertEqual(SequenceTimestamps.after(["Mon", "Tue"], steps: 3), "Tue+3")
        XCTAssertEqual(SequenceTimestamps.after(["2001-12-29"], steps: 1), "2001-12-29+1")
        XCTAssertEqual(SequenceTimestamps.isoDay("1970-01-01"), 0)
        XCTAssertEqual(SequenceTimestamps.isoDay("1958-03-29"), -4296)
        XCTAssertEqual(SequenceTimestamps.isoDate(-4296), "1958-03-29")
        XCTAssertNil(SequenceTimestamps.isoDay("1958-3-29"))
    }

    // MARK: chronological split

    /// 20 rows, test_split 0.2: the last 4; validation_split 0.25 of the 16 left: 4 before them.
    func testChronologicalSplitRanges() {
        let p = SequenceWindows.chronologicalSplit(rows: 20, validationSplit: 0.25, testSplit: 0.2)
        XCTAssertEqual(p.train, 0..<12)
        XCTAssertEqual(p.validation, 12..<16)
        XCTAssertEqual(p.test, 16..<20)
        let none = SequenceWindows.chronologicalSplit(rows: 20, validationSplit: 0, testSplit: 0)
        XCTAssertEqual(none.train, 0..<20)
        XCTAssertNil(none.validation)
        XCTAssertNil(none.test)
        // round(0.1 * 2284) = 228 test rows; round(0.1 * 2056) = 206 validation rows.
        let co2 = SequenceWindows.chronologicalSplit(rows: 2284, validationSplit: 0.1, testSplit: 0.1)
        XCTAssertEqual(co2.train, 0..<1850)
        XCTAssertEqual(co2.validation, 1850..<2056)
        XCTAssertEqual(co2.test, 2056..<2284)
    }

    /// No leakage: with every value equal to its row number, each sample shows which rows
    /// it read. Every row a training sample reads (inputs and targets) comes before the
    /// first row any validation sample reads, and every validation row before any test row.
    func testNoWindowStraddlesASplitBoundary() throws {
        let text = "t,v\n" + (0..<20).map { "\($0),\($0)\n" }.joined()
        let options = SequenceOptions(window: 2, horizon: 1, validationSplit: 0.25, testSplit: 0.2)
        let d = try SequenceLoader.load(train: source(text), options: options)
        XCTAssertEqual(d.trainRows, 0..<12)
        XCTAssertEqual(d.validationRows, 12..<16)
        XCTAssertEqual(d.testRows, 16..<20)
        func rowsRead(_ s: SequenceSplit) -> ClosedRange<Float> {
            let all = s.x.array + s.y.array
            return all.min()!...all.max()!
        }
        let validation = try XCTUnwrap(d.validation), test = try XCTUnwrap(d.test)
        XCTAssertEqual(rowsRead(d.train), 0...11)
        XCTAssertEqual(rowsRead(validation), 12...15)
        XCTAssertEqual(rowsRead(test), 16...19)
        // Each part loses window + horizon - 1 = 2 rows to windowing: 10, 2, 2 samples.
        XCTAssertEqual([d.train.count, validation.count, test.count], [10, 2, 2])
        // The last training target (row 11) precedes the first validation input (row 12).
        XCTAssertEqual(d.train.y.array.last, 11)
        XCTAssertEqual(validation.x.array.first, 12)
        XCTAssertEqual(d.train.timestamps.last, "12")
        XCTAssertEqual(validation.timestamps, ["15", "16"])
        XCTAssertEqual(test.timestamps, ["19", "20"])
        XCTAssertEqual(d.inputShape, [2, 2])
    }

    func testAPartTooShortForOneWindowIsAnError() {
        let text = "t,v\n" + (0..<10).map { "\($0),\($0)\n" }.joined()
        XCTAssertEqual(
            message {
                try SequenceLoader.load(
                    train: source(text), options: SequenceOptions(window: 3, horizon: 1, validationSplit: 0.2))
            },
            "series.csv: the validation part (data.validation_split 0.2: rows 9-10 of 10) has 2 rows; "
                + "a window of 3 and a horizon of 1 need at least 4 rows")
        XCTAssertEqual(
            message { try SequenceLoader.load(train: source(text), options: SequenceOptions(window: 10)) },
            "series.csv: the series has 10 rows; a window of 10 and a horizon of 1 need at least 11 rows")
    }

    // MARK: scaling

    /// Rows t = 0..9: a = t, b = 100 - 10 t; test_split 0.2 keeps rows 0..7 for training.
    /// Oracle (by hand, population std as numpy.std): a: mean 3.5, std sqrt(5.25) =
    /// 2.29128784747792; b: mean 65, std 22.9128784747792. Tolerance 1e-5 relative (Float).
    private let linear = "a,b\n" + (0..<10).map { "\($0),\(100 - 10 * $0)\n" }.joined()

    func testFeaturewiseStatisticsComeFromTheTrainingRowsOnly() throws {
        let options = SequenceOptions(window: 1, horizon: 1, testSplit: 0.2, normalization: .featurewise)
        let d = try SequenceLoader.load(train: source(linear), options: options)
        let s = d.scaler
        XCTAssertEqual(s.mean, [3.5, 65])
        XCTAssertEqual(s.std[0], 2.29128784747792, accuracy: 1e-5)
        XCTAssertEqual(s.std[1], 22.9128784747792, accuracy: 1e-4)
        XCTAssertEqual(s.targetMean, 65)
        XCTAssertEqual(s.targetStd, s.std[1])
        // The one test sample: inputs row 8 (a 8, b 20), target b of row 9 (10), in training units.
        let test = try XCTUnwrap(d.test)
        XCTAssertEqual(test.count, 1)
        XCTAssertEqual(test.x[0], (8 - 3.5) / (2.29128784747792 + 1e-6), accuracy: 1e-5)
        XCTAssertEqual(test.x[1], (20 - 65) / (22.9128784747792 + 1e-6), accuracy: 1e-5)
        XCTAssertEqual(test.y[0], (10 - 65) / (22.9128784747792 + 1e-6), accuracy: 1e-5)
        XCTAssertEqual(s.unscaleTarget(test.y[0]), 10, accuracy: 1e-4)
        // The training inputs of a are centred: their mean over the 7 samples (rows 0..6) is (3 - 3.5) / std.
        let trainA = stride(from: 0, to: d.train.x.count, by: 2).map { d.train.x[$0] }
        XCTAssertEqual(trainA.reduce(0, +) / 7, (3 - 3.5) / 2.29128784747792, accuracy: 1e-5)
    }

    /// A target that is not a feature gets its own training statistics; rescale applies
    /// to it first (oracle: b * 0.5 has mean 32.5, std 11.4564392373896).
    func testTargetOutsideTheFeaturesAndRescale() throws {
        let options = SequenceOptions(
            window: 1, horizon: 1, target: .name("b"), features: [.name("a")], testSplit: 0.2, rescale: 0.5,
            normalization: .featurewise)
        let d = try SequenceLoader.load(train: source(linear), options: options)
        XCTAssertEqual(d.scaler.mean, [1.75])
        XCTAssertEqual(d.scaler.std[0], 1.14564392373896, accuracy: 1e-5)
        XCTAssertEqual(d.scaler.targetMean, 32.5)
        XCTAssertEqual(d.scaler.targetStd, 11.4564392373896, accuracy: 1e-4)
        let test = try XCTUnwrap(d.test)
        XCTAssertEqual(test.y[0], (5 - 32.5) / (11.4564392373896 + 1e-6), accuracy: 1e-5)
        XCTAssertEqual(d.scaler.unscaleTarget(test.y[0]), 10, accuracy: 1e-4)
        // "none": the target is only rescaled, and unscaled back exactly.
        let plain = try SequenceLoader.load(
            train: source(linear), options: SequenceOptions(window: 1, horizon: 1, rescale: 0.5))
        XCTAssertEqual(plain.train.y.array.prefix(3), [45, 40, 35])
        XCTAssertEqual(plain.train.x.array.prefix(4), [0, 50, 0.5, 45])
        XCTAssertEqual(plain.scaler.unscaleTarget(45), 90)
        // "samplewise": inputs standardized per sample, the target rescaled only.
        let samplewise = try SequenceLoader.load(
            train: source(linear),
            options: SequenceOptions(window: 1, horizon: 1, rescale: 0.5, normalization: .samplewise))
        XCTAssertEqual(samplewise.train.y.array.prefix(2), [45, 40])
        XCTAssertEqual(samplewise.train.x[0], -1, accuracy: 1e-5)
        XCTAssertEqual(samplewise.train.x[1], 1, accuracy: 1e-5)
    }

    /// The generic Normalizer with the statistics tiled over the window is the same input
    /// transform (so the model file and SavedModel need nothing new for inputs).
    func testTiledNormalizerAppliesTheSameTransformAndMetadataRoundTrips() throws {
        let raw = try series(linear)
        let scaler = SequenceScaler.fit(raw.rows(0..<8), rescale: 1, mode: .featurewise)
        let normalizer = scaler.normalizer(window: 3)
        XCTAssertEqual(normalizer.mean, [3.5, 65, 3.5, 65, 3.5, 65])
        XCTAssertEqual(normalizer.std, scaler.std + scaler.std + scaler.std)
        let a = SequenceWindows.make(raw, window: 3, horizon: 1).x, b = a.clone()
        scaler.apply(a)
        normalizer.apply(b)
        XCTAssertEqual(a.array, b.array)
        XCTAssertEqual(SequenceScaler(metadataJSON: scaler.metadataJSON, normalizer: normalizer), scaler)
        let none = SequenceScaler.fit(raw, rescale: 0.5, mode: .none)
        XCTAssertEqual(SequenceScaler(metadataJSON: none.metadataJSON, normalizer: none.normalizer(window: 3)), none)
        XCTAssertNil(SequenceScaler(metadataJSON: "{}", normalizer: normalizer))
    }

    /// Oracle: `SequenceScaler.apply` on materialized windows (the reference); the split
    /// scales its rows once and standardizes windows as it fills them: exactly equal.
    func testScaledSplitFillsTheSameWindowsAsScalingEachWindow() throws {
        let raw = try series(linear)
        for mode in Normalizer.Mode.allCases {
            let scaler = SequenceScaler.fit(raw.rows(0..<8), rescale: 0.5, mode: mode)
            let reference = SequenceWindows.make(raw, window: 3, horizon: 2).x
            scaler.apply(reference)
            let split = SequenceWindows.make(raw, window: 3, horizon: 2)
            scaler.scale(split)
            XCTAssertEqual(split.x.array, reference.array, "\(mode)")
            XCTAssertEqual(split.rows.shape, [raw.count - 2, 2], "the rows the windows read, once")
        }
    }

    // MARK: missing values

    func testMissingValueErrorNamesFileAndLine() {
        XCTAssertEqual(
            message { try series("date,a\n2020-01-01,1\n2020-01-02,\n2020-01-03,3\n") },
            #"series.csv:3:2: missing value (column "a"); fill it in, or set data.missing to "drop" or "interpolate""#)
    }

    /// "drop" leaves out the row (any column) before windowing; the windows then join its neighbours.
    func testMissingDropRemovesRowsBeforeWindowing() throws {
        let text = "date,a,note\n2020-01-01,1,x\n2020-01-02,,y\n2020-01-03,3,z\n2020-01-04,4,\n2020-01-05,5,w\n"
        let s = try series(text, target: .name("a"), features: [.name("a")], missing: .drop)
        XCTAssertEqual(s.timestamps, ["2020-01-01", "2020-01-03", "2020-01-05"])
        XCTAssertEqual(s.target, [1, 3, 5])
        let w = SequenceWindows.make(s, window: 2, horizon: 1)
        XCTAssertEqual(w.x.array, [1, 3])
        XCTAssertEqual(w.y.array, [5])
        XCTAssertEqual(w.timestamps, ["2020-01-05"])
    }

    /// Oracle: pandas interpolate(limit_direction="both"): 1, _, _, 4 -> 2, 3; a leading gap takes the next value.
    func testMissingInterpolateIsLinearAlongTheRows() throws {
        let text = "date,a,b\n2020-01-01,1,\n2020-01-02,,7\n2020-01-03,NA,8\n2020-01-04,4,9\n"
        let s = try series(text, missing: .interpolate)
        XCTAssertEqual(s.features, [1, 7, 2, 7, 3, 8, 4, 9])
        XCTAssertEqual(s.timestamps.count, 4)
        XCTAssertEqual(
            message { try series("date,a\n2020-01-01,1\n,2\n", missing: .interpolate) },
            #"series.csv:3:1: missing value in column "date" of class names cannot be interpolated; "#
                + #"fill it in, or set data.missing to "drop""#)
    }

    // MARK: other files, prediction

    func testValidationFileUsesTheTrainingColumnsAndScaler() throws {
        let options = SequenceOptions(window: 2, horizon: 1, normalization: .featurewise)
        let d = try SequenceLoader.load(
            train: source(daily(6)), validation: source(daily(4), name: "valid.csv"), options: options)
        let validation = try XCTUnwrap(d.validation)
        XCTAssertEqual(validation.count, 2)
        XCTAssertNil(d.validationRows)
        XCTAssertEqual(validation.source, "valid.csv")
        // Train rows 1..6 of a: mean 3.5; the first validation input is a = 1.
        XCTAssertEqual(d.scaler.mean, [3.5, 35])
        XCTAssertEqual(validation.x[0], (1 - 3.5) / (d.scaler.std[0] + 1e-6), accuracy: 1e-6)
        XCTAssertEqual(
            message {
                try SequenceLoader.load(
                    train: source(daily(6)), test: source("date,a\n2020-01-01,1\n", name: "test.csv"),
                    options: options)
            },
            #"test.csv: features ["a"] and target "a"; the training data has features ["a", "b"] and target "b""#)
    }

    /// predict: forecast windows through the last row, de-normalized, beside their dates.
    func testPredictionsCSVWritesTimestampsAndValuesInTargetUnits() throws {
        let options = SequenceOptions(window: 2, horizon: 1, rescale: 0.5)
        let trained = try SequenceLoader.load(train: source(daily(6)), options: options)
        let new = try SequenceLoader.windows(
            source(daily(4)), options: options, scaler: trained.scaler, forecast: true)
        XCTAssertEqual(new.timestamps, ["2020-01-03", "2020-01-04", "2020-01-05"])
        XCTAssertEqual(Array(new.y.array.prefix(2)), [15, 20])
        XCTAssertTrue(new.y[2].isNaN)
        let predictions = Tensor(shape: [3, 1], values: [15, 20, 25.5])
        XCTAssertEqual(
            SequenceLoader.predictionsCSV(new, predictions: predictions, scaler: trained.scaler),
            "date,b\n2020-01-03,30.0\n2020-01-04,40.0\n2020-01-05,51.0\n")
        XCTAssertEqual(predictions.array, [15, 20, 25.5])
        let two = Tensor(shape: [1, 2], values: [1, 2])
        let one = SequenceWindows.make(try series("a,b\n1,10\n2,20\n3,30\n4,40\n"), window: 2, horizon: 2)
        XCTAssertNil(one.timestampColumn)
        XCTAssertEqual(
            SequenceLoader.predictionsCSV(one, predictions: two, scaler: trained.scaler),
            "row,b_t+1,b_t+2\n3,2.0,4.0\n")
        XCTAssertEqual(
            message {
                try SequenceLoader.windows(source(daily(1)), options: options, scaler: trained.scaler, forecast: true)
            },
            "series.csv: 1 row; a window of 2 needs at least 2 rows")
    }

    // MARK: the committed CO2 series

    private var co2Path: String { Self.root + "/data/co2/co2_weekly.csv" }

    /// 2284 weeks, 59 missing (tools/co2_series.py). The first missing week is on line 8.
    func testCO2MissingValuesFollowThePolicy() throws {
        XCTAssertEqual(
            message { try SequenceSeries.read(.path(co2Path), target: nil, features: nil, missing: .error) },
            co2Path + #":8:2: missing value (column "co2"); fill it in, or set data.missing to "drop" or "interpolate""#
        )
        let dropped = try SequenceSeries.read(.path(co2Path), target: nil, features: nil, missing: .drop)
        XCTAssertEqual(dropped.count, 2225)
        XCTAssertEqual(dropped.timestamps[6], "1958-05-17")
        // Oracle: pandas read_csv(...).co2.interpolate(limit_direction="both")[5:12]; tolerance 1e-4 (Float).
        let s = try SequenceSeries.read(.path(co2Path), target: nil, features: nil, missing: .interpolate)
        XCTAssertEqual(s.count, 2284)
        XCTAssertEqual(s.timestampColumn, "date")
        XCTAssertEqual(s.featureNames, ["co2"])
        XCTAssertEqual(s.targetName, "co2")
        XCTAssertEqual(s.timestamps.first, "1958-03-29")
        XCTAssertEqual(s.timestamps.last, "2001-12-29")
        let pandas: [Float] = [316.9, 317.2, 317.5, 317.9, 317.55, 317.2, 316.85]
        for (k, v) in pandas.enumerated() { XCTAssertEqual(s.target[5 + k], v, accuracy: 1e-4) }
    }

    /// A year of weeks predicts the next: window 52, horizon 1, validation and test 10%.
    /// Rows 0..<1850 | 1850..<2056 | 2056..<2284 give 1798, 154 and 176 windows.
    /// Oracle for the statistics: numpy mean and std of the first 1850 interpolated values,
    /// 333.76416216216217 and 13.160278006077334; tolerance 1e-5 relative (Float data).
    func testCO2SpecLoadsWithInterpolationIntoTheExpectedWindows() throws {
        let spec = try Spec.parse(
            """
            {"data": {"train": "data/co2/co2_weekly.csv", "missing": "interpolate", "normalization": "featurewise",
                      "validation_split": 0.1, "test_split": 0.1, "sequence": {"window": 52}},
             "model": {"layers": [{"type": "lstm", "units": 8}, {"type": "dense", "units": 1}]},
             "training": {"loss": "mse"}}
            """, baseDirectory: Self.root)
        let d = try SequenceLoader.load(spec.data)
        let validation = try XCTUnwrap(d.validation), test = try XCTUnwrap(d.test)
        XCTAssertEqual([d.train.count, validation.count, test.count], [1798, 154, 176])
        XCTAssertEqual(d.train.x.shape, [1798, 52, 1])
        XCTAssertEqual(d.train.y.shape, [1798, 1])
        XCTAssertEqual(d.inputShape, [52, 1])
        XCTAssertEqual(d.train.timestamps.first, "1959-03-28")
        XCTAssertEqual(validation.timestamps.first, "1994-09-10")
        XCTAssertEqual(test.timestamps.first, "1998-08-22")
        XCTAssertEqual(test.timestamps.last, "2001-12-29")
        XCTAssertEqual(d.scaler.mean[0], 333.76416216216217, accuracy: 333.8e-5)
        XCTAssertEqual(d.scaler.std[0], 13.160278006077334, accuracy: 13.2e-5)
        XCTAssertEqual(d.scaler.unscaleTarget(test.y[test.count - 1]), 371.5, accuracy: 1e-3)
        // predict over the whole file: one more window, forecasting the week after the data.
        let forecast = try SequenceLoader.windows(
            .path(co2Path), options: SequenceOptions(spec.data), scaler: d.scaler, forecast: true)
        XCTAssertEqual(forecast.count, 2284 - 52 + 1)
        XCTAssertEqual(forecast.timestamps.last, "2002-01-05")
    }
}
