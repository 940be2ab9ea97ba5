/// The CSV columns a model was trained on, by name: its features in order, and its label.
/// Saved with the model, so evaluate and predict match a file's columns by header name
/// (a file with its columns in another order gives the same results).
public struct ModelColumns: Equatable, Sendable {
    public var features: [String]
    public var label: String

    public init(features: [String], label: String) {
        self.features = features
        self.label = label
    }

    /// As model metadata: {"features": [...], "label": "..."}.
    public var json: JSON { ["features": .array(features.map(JSON.string)), "label": .string(label)] }

    public init?(json: JSON) {
        guard let object = json.objectValue, let label = object["label"]?.stringValue,
            let names = object["features"]?.arrayValue?.compactMap(\.stringValue)
        else { return nil }
        self.init(features: names, label: label)
    }

    /// `table`'s features in this order; a feature it lacks, or a column the model was not
    /// trained on, is an error naming it.
    func reorder(_ table: LabeledCSV) throws -> [Float] {
        let index = Dictionary(table.featureNames.enumerated().map { ($1, $0) }, uniquingKeysWith: { a, _ in a })
        for name in features where index[name] == nil {
            throw DataError(
                "\(table.source): no column \(SpecError.short(name)); the model was trained on \(features.count) columns "
                    + "(\(features.prefix(8).joined(separator: ", "))\(features.count > 8 ? ", ..." : ""))")
        }
        let known = Set(features)
        if let extra = table.featureNames.first(where: { !known.contains($0) }) {
            throw DataError("\(table.source): column \(SpecError.short(extra)) was not in the model's training data")
        }
        let width = features.count, rows = table.rowCount
        let from = features.map { index[$0]! }
        var out = [Float](repeating: 0, count: rows * width)
        for r in 0..<rows {
            for (k, j) in from.enumerated() { out[r * width + k] = table.features[r * width + j] }
        }
        return out
    }
}
