import Foundation

/// Reading the spec's data: files -> splits -> targets shaped for the loss -> normalized inputs.

/// Inputs and raw labels of one file, before targets are encoded for a loss.
public struct RawData {
    /// x: (N, sampleShape...), raw values (not yet rescaled), compact; nil when the samples
    /// are streamed (data.cache): then `files` are decoded, or the rows of `csv` read,
    /// batch by batch.
    public var x: SampleStore?
    /// The sample shape of streamed samples: (H, W, C) images, or (features) rows.
    public var streamShape: [Int]? = nil
    /// One label per row: a class id, or a regression value.
    public var labels: [Float]
    /// Class names in id order, when the labels were names (or the spec fixed them).
    public var classNames: [String]?
    /// Where the rows came from, for messages.
    public var source: String
    /// The file line of each row, when the source has lines.
    public var lines: [Int32]?
    /// The image file of each row, when the source is an image folder.
    public var files: [String]?
    /// Image files left out (data.on_bad_file "skip"), with the reason.
    public var skipped: [(path: String, reason: String)] = []
    /// The CSV's feature and label column names (nil for images).
    public var columns: ModelColumns?
    /// The rows of a streamed CSV file.
    public var csv: StreamedCSV? = nil

    public var count: Int { x?.count ?? labels.count }
    public var sampleShape: [Int] { x?.sampleShape ?? streamShape! }

    /// The rows at `indices`.
    public func subset(_ indices: [Int]) -> RawData {
        RawData(
            x: x?.subset(indices), streamShape: streamShape, labels: indices.map { labels[$0] },
            classNames: classNames, source: source, lines: lines.map { l in indices.map { l[$0] } },
            files: files.map { f in indices.map { f[$0] } }, skipped: skipped, columns: columns,
            csv: csv?.subset(indices))
    }

    /// "file:line" of row i, or "file: row i+1" when lines are unknown.
    public func place(_ i: Int) -> String {
        if let lines { return "\(source):\(lines[i])" }
        if let files { return files[i] }
        return "\(source): row \(i + 1)"
    }
}

/// The data of a spec, split and prepared.
public struct PreparedData {
    public var train: RawData
    public var validation: RawData?
    public var test: RawData?
    /// Fitted on `train` only.
    public var normalizer: Normalizer
    public var classNames: [String]?
}

/// A data problem the user can fix: names the file (and row) and what is wrong.
public struct DataError: Error, CustomStringConvertible {
    public let description: String
    public init(_ message: String) { description = message }
}

public enum DataLoader {
    /// Reads one labelled source: a folder of class subfolders of images, or a CSV file
    /// (or "-" for standard input). Images are resized to `imageSize` (default: the spec's,
    /// else the first image's size).
    /// With `columns` (a trained model's: its feature and label column names), a CSV's
    /// columns are matched by name, in any order; a missing or unknown column is an error.
    /// `unlabelled`: a CSV without the label column is read too (for predict), its labels 0.
    /// `cache`: an image folder or a labelled CSV file is read into memory (`.memory`), or
    /// only listed or indexed, its samples read batch by batch (`.stream`: `RawData.x` is
    /// nil), or either by size (`.auto`).
    public static func read(
        _ path: String, spec: DataSpec, classNames: [String]?, imageSize: [Int]? = nil, columns: ModelColumns? = nil,
        unlabelled: Bool = false, cache: DataCache = .memory
    ) throws -> RawData {
        if path != "-" && ImageFolder.isFolder(path) {
            let names = classNames ?? spec.classNames
            let (scanned, scannedNames) = try ImageFolder.scan(path, classNames: names)
            if cache != .memory,
                let shape = try streamedShape(
                    scanned.map(\.path), root: path, spec: spec, imageSize: imageSize ?? spec.imageSize, cache: cache)
            {
                return RawData(
                    x: nil, streamShape: shape, labels: scanned.map { Float($0.label) }, classNames: scannedNames,
                    source: path, lines: nil, files: scanned.map(\.path))
            }
            let r = try ImageFolder.load(
                path, imageSize: imageSize ?? spec.imageSize, colorMode: spec.colorMode,
                classNames: names, onBadFile: spec.onBadFile,
                threads: ProcessInfo.processInfo.activeProcessorCount, maxPixels: spec.maxImagePixels)
            let skipped = Set(r.skipped.map(\.path))
            return RawData(
                x: r.x, labels: r.labels, classNames: r.classNames, source: path, lines: nil,
                files: scanned.map(\.path).filter { !skipped.contains($0) }, skipped: r.skipped)
        }
        if cache != .memory,
            let streamed = try streamedCSV(path, spec: spec, classNames: classNames, columns: columns, cache: cache)
        {
            return streamed
        }
        // Standard input is read once: into memory, so its header can be looked at first.
        let source: CSV.Source =
            path == "-" ? .bytes(try CSV.readAll(0, name: "<stdin>"), name: "<stdin>") : .path(path)
        if let columns, unlabelled, try !CSV.header(source).contains(columns.label) {
            let all = try CSV.read(source, options: CSV.Options(missing: spec.missing))
            let table = LabeledCSV(
                source: all.source, featureNames: all.columnNames, labelName: columns.label, rowCount: all.rowCount,
                features: all.values, labels: [Float](repeating: 0, count: all.rowCount), classNames: nil)
            let x = try columns.reorder(table).withUnsafeBufferPointer {
                SampleStore.compacting($0.baseAddress!, shape: [table.rowCount, columns.features.count])
            }
            return RawData(x: x, labels: table.labels, classNames: classNames, source: table.source, columns: columns)
        }
        let table: LabeledCSV
        var x: SampleStore
        // Compact samples straight from the parse; a model's columns reorder a Float32 table.
        let label = columns.map { CSV.Column.name($0.label) } ?? spec.label ?? .last
        if columns == nil {
            (table, x) = try labelErrors(spec) {
                try CSV.readLabeledSamples(
                    source, label: label, missing: spec.missing, classNames: classNames ?? spec.classNames)
            }
        } else {
            table = try CSV.readLabeled(
                source, label: label, missing: spec.missing, classNames: classNames ?? spec.classNames)
            x = SampleStore(shape: [0], element: .uint8)
        }
        guard table.rowCount > 0 else { throw DataError("\(table.source): no data rows") }
        guard table.featureCount > 0 else {
            throw DataError("\(table.source): no feature columns besides the label column")
        }
        if let columns {
            let features = columns.features != table.featureNames ? try columns.reorder(table) : table.features
            x = features.withUnsafeBufferPointer {
                SampleStore.compacting($0.baseAddress!, shape: [table.rowCount, table.featureCount])
            }
        }
        return RawData(
            x: x, labels: table.labels, classNames: table.classNames ?? spec.classNames, source: table.source,
            lines: table.lines,
            columns: ModelColumns(features: columns?.features ?? table.featureNames, label: table.labelName))
    }

    /// The CSV file `path` indexed to be streamed: always for `.stream`, for `.auto` when
    /// the file takes more than `DataCache.memoryShare` of memory; nil to load it. With a
    /// trained model's `columns`, only a file with its columns in the model's order and the
    /// label column is streamed (others are reordered, or read without labels, in memory).
    static func streamedCSV(
        _ path: String, spec: DataSpec, classNames: [String]?, columns: ModelColumns?, cache: DataCache
    ) throws -> RawData? {
        if let columns {
            guard path != "-", let header = try? CSV.header(.path(path)), header.contains(columns.label),
                header.filter({ $0 != columns.label }) == columns.features
            else { return nil }
        }
        if cache == .auto {
            var info = stat()
            guard path != "-", spec.missing != .interpolate, stat(path, &info) == 0,
                DataCache.autoStreams(bytes: Int(info.st_size), physical: DataCache.physicalMemory)
            else { return nil }
        }
        guard path != "-" else {
            throw SpecError(
                path: "data.cache",
                message: "\"none\" reads the file again every epoch, and standard input can be read only once; "
                    + "save it to a file, or use \"memory\"")
        }
        guard spec.missing != .interpolate else {
            throw SpecError(
                path: "data.cache",
                message: "\"none\" reads a batch's rows from the file, but data.missing \"interpolate\" needs "
                    + "whole columns; use data.cache \"memory\", or data.missing \"drop\"")
        }
        let label = columns.map { CSV.Column.name($0.label) } ?? spec.label ?? .last
        let (table, rows) = try labelErrors(spec) {
            try StreamedCSV.index(
                path, label: label, missing: spec.missing, classNames: classNames ?? spec.classNames,
                threads: ProcessInfo.processInfo.activeProcessorCount)
        }
        guard table.featureCount > 0 else {
            throw DataError("\(table.source): no feature columns besides the label column")
        }
        return RawData(
            x: nil, streamShape: [table.featureCount], labels: table.labels,
            classNames: table.classNames ?? spec.classNames, source: table.source, lines: table.lines,
            columns: ModelColumns(features: table.featureNames, label: table.labelName), csv: rows)
    }

    /// `body`'s errors, a label column the CSV does not have (spec data.label) named as the spec's.
    static func labelErrors<T>(_ spec: DataSpec, _ body: () throws -> T) throws -> T {
        do {
            return try body()
        } catch let error as CSVError where spec.label != nil {
            switch error.reason {
            case .unknownColumn, .columnOutOfRange: throw SpecError(path: "data.label", message: error.description)
            default: throw error
            }
        }
    }

    /// The (H, W, C) of a folder's images when they are to be streamed: always for
    /// `.stream`, for `.auto` when the compact set would take more than
    /// `DataCache.memoryShare` of memory (file count x one image's decoded size; one byte a
    /// value when the first image needs no resizing or gray conversion, else four); nil to
    /// load them. Reads one image at most.
    static func streamedShape(
        _ files: [String], root: String, spec: DataSpec, imageSize: [Int]?, cache: DataCache
    ) throws -> [Int]? {
        let channels = spec.colorMode.channels
        let (h, w, start, _) = try ImageFolder.sampleSize(
            files, root: root, imageSize: imageSize, onBadFile: spec.onBadFile, maxPixels: spec.maxImagePixels)
        guard cache == .auto else { return [h, w, channels] }
        var bytesPerValue = 4
        if let first = try? ImageCodec.read(files[start], maxPixels: spec.maxImagePixels),
            first.height == h && first.width == w && (first.channels == channels || first.channels == 1)
        {
            bytesPerValue = 1
        }
        let bytes = files.count * h * w * channels * bytesPerValue
        return DataCache.autoStreams(bytes: bytes, physical: DataCache.physicalMemory) ? [h, w, channels] : nil
    }

    /// Reads train (and validation, test) files, holds out validation_split / test_split
    /// (seeded; stratified for classification), and fits the normalizer on the train split.
    public static func load(_ spec: Spec, classification: Bool) throws -> PreparedData {
        let d = spec.data
        var train = try read(d.train, spec: d, classNames: nil, cache: d.cache)
        let names = train.classNames
        // Other image folders take the training images' size, and are streamed when it is.
        let size = train.files == nil ? nil : d.imageSize ?? Array(train.sampleShape.prefix(2))
        let cache: DataCache = train.x == nil ? .stream : .memory
        var validation = try d.validation.map {
            try read($0, spec: d, classNames: names, imageSize: size, cache: cache)
        }
        var test = try d.test.map { try read($0, spec: d, classNames: names, imageSize: size, cache: cache) }
        var rng = RNG(seed: spec.seed, stream: 0x5B11)
        if test == nil && d.testSplit > 0 {
            let (keep, held) = splitIndices(
                count: train.count, fraction: d.testSplit,
                classes: classification ? classIDs(train.labels) : nil, rng: &rng)
            try checkSplit(held: held.count, kept: keep.count, fraction: d.testSplit, key: "test_split", part: "test")
            test = train.subset(held)
            train = train.subset(keep)
        }
        if validation == nil && d.validationSplit > 0 {
            let (keep, held) = splitIndices(
                count: train.count, fraction: d.validationSplit,
                classes: classification ? classIDs(train.labels) : nil, rng: &rng)
            try checkSplit(
                held: held.count, kept: keep.count, fraction: d.validationSplit, key: "validation_split",
                part: "validation")
            validation = train.subset(held)
            train = train.subset(keep)
        }
        for other in [validation, test].compactMap({ $0 }) where other.sampleShape != train.sampleShape {
            throw DataError(
                "\(other.source): samples have shape \(other.sampleShape), the training data \(train.sampleShape)")
        }
        var normalizer = Normalizer(rescale: Float(d.rescale), mode: d.normalization)
        // Applied as batches are gathered (`Dataset`): the samples stay raw and compact.
        if let x = train.x {
            normalizer.fit(x)
        } else if normalizer.mode == .featurewise {
            try stream(train, spec: d, y: Tensor(shape: [train.count, 1]), sampleShape: train.sampleShape)
                .fit(&normalizer)
        }
        return PreparedData(train: train, validation: validation, test: test, normalizer: normalizer, classNames: names)
    }

    /// The streamed samples of `raw` (`RawData.x` nil: CSV rows or image files) with targets
    /// `y`, as samples of `sampleShape` (CSV rows may take model.input_shape), normalized by
    /// `normalizer`.
    public static func stream(
        _ raw: RawData, spec: DataSpec, y: Tensor, sampleShape: [Int], normalizer: Normalizer = Normalizer()
    ) -> SampleStream {
        let reader: SampleReader =
            raw.csv
            ?? StreamedImages(
                files: raw.files!, shape: raw.sampleShape, onBadFile: spec.onBadFile, maxPixels: spec.maxImagePixels,
                threads: ProcessInfo.processInfo.activeProcessorCount)
        return SampleStream(reader: reader, y: y, sampleShape: sampleShape, normalizer: normalizer)
    }

    /// A split must hold out rows and leave some to train on: Keras raises for an empty
    /// validation set too, and early stopping on a fake val_loss of 0 would be worse.
    static func checkSplit(held: Int, kept: Int, fraction: Double, key: String, part: String) throws {
        let rows = held + kept
        if held == 0 {
            throw SpecError(
                path: "data." + key,
                message: "\(JSON.format(fraction)) of \(rows) rows holds out no \(part) rows (rounded per class); "
                    + "use a larger fraction, or give data.\(part)")
        }
        if kept == 0 {
            throw SpecError(
                path: "data." + key, message: "\(JSON.format(fraction)) of \(rows) rows leaves no rows to train on")
        }
    }

    /// Targets shaped for `loss` and a model with `outputs` units: class ids (N, 1) for
    /// sparse crossentropy, one-hot (N, K) for categorical, values (N, 1) otherwise.
    /// Labels outside what the model can predict are errors naming the file and row.
    public static func targets(_ raw: RawData, loss: LossConfig, outputs: Int, lastLayer: String) throws -> Tensor {
        let n = raw.count
        func label(_ v: Float) -> String { v == v.rounded() && abs(v) < 1e9 ? String(Int(v)) : "\(v)" }
        func checkClass(_ i: Int, _ v: Float) throws -> Int {
            guard v == v.rounded(), v >= 0, v < Float(outputs) else {
                throw DataError(
                    "\(raw.place(i)): label \(label(v)) is not a class id in 0..<\(outputs) (the last layer has \(outputs) units)"
                )
            }
            return Int(v)
        }
        switch loss.name {
        case "sparse_categorical_crossentropy":
            for (i, v) in raw.labels.enumerated() { _ = try checkClass(i, v) }
            return Tensor(shape: [n, 1], values: raw.labels)
        case "categorical_crossentropy":
            let t = Tensor(shape: [n, outputs])
            for (i, v) in raw.labels.enumerated() { t[i * outputs + (try checkClass(i, v))] = 1 }
            return t
        case "binary_crossentropy":
            guard outputs == 1 else {
                throw SpecError(
                    path: "training.loss",
                    message: "binary_crossentropy on one label column needs a last layer with 1 unit; "
                        + "\(lastLayer) has \(outputs)")
            }
            for (i, v) in raw.labels.enumerated() where !(0...1).contains(v) {
                throw DataError("\(raw.place(i)): label \(label(v)) is not in [0, 1] as binary_crossentropy needs")
            }
            return Tensor(shape: [n, 1], values: raw.labels)
        default:
            guard outputs == 1 else {
                throw SpecError(
                    path: "training.loss",
                    message:
                        "\(loss.name) on one label column needs a last layer with 1 unit; \(lastLayer) has \(outputs)")
            }
            return Tensor(shape: [n, 1], values: raw.labels)
        }
    }

    /// Each label as a class id, or -1 for a value that is none (a fraction, a negative or a
    /// huge number): for grouping before `targets` names such a label as an error.
    static func classIDs(_ labels: [Float]) -> [Int] {
        labels.map { $0 >= 0 && $0 < 1e9 && $0 == $0.rounded() ? Int($0) : -1 }
    }

    /// Keras class_weight as one weight per class id.
    public static func classWeights(_ spec: ClassWeight?, train: RawData, classes: Int) throws -> [Float]? {
        switch spec {
        case nil: return nil
        case .balanced?: return balancedClassWeights(classes: classIDs(train.labels), classCount: classes)
        case .perClass(let table)?:
            var w = [Float](repeating: 1, count: classes)
            for (key, value) in table {
                let id = train.classNames?.firstIndex(of: key) ?? Int(key)
                guard let id, id >= 0, id < classes else {
                    let known = train.classNames ?? (0..<classes).map(String.init)
                    throw SpecError(
                        path: "training.class_weight.\(key)",
                        message: "no such class; classes are \(known.joined(separator: ", "))")
                }
                w[id] = Float(value)
            }
            return w
        }
    }
}
