import ArgumentParser
import Foundation
import NNReg

struct Evaluate: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Loss, metrics and confusion matrix of a trained model on labelled data.")

    @OptionGroup var input: ModelAndData

    @OptionGroup var out: OutputOptions

    func run() throws {
        try runReporting {
            let saved = try SavedModel(location: input.model)
            let dataset = try saved.load(input.data)
            let values = saved.evaluate(dataset)
            try dataset.checkRead()
            var doc: [(String, JSON)] = values.map { ($0.0, $0.1.isFinite ? .number($0.1) : .null) }
            doc.append(("samples", JSON(dataset.count)))
            var matrix: [[Int]]?
            if saved.isClassifier {
                let m = saved.confusionMatrix(dataset, predictions: saved.predict(dataset))
                try dataset.checkRead()
                matrix = m
                doc.append(("confusion_matrix", .array(m.map { .array($0.map { JSON($0) }) })))
                if let names = saved.classNames { doc.append(("classes", .array(names.map(JSON.string)))) }
            }
            let warning = saved.sequenceScaler.flatMap {
                ForecastEvaluation.skillWarning(input.data, section: JSON.object(.init(doc)), transform: $0.transform)
            }
            defer { if let warning { printErr("warning: " + warning) } }
            if out.json {
                printOut(JSON.object(.init(doc)).pretty())
                return
            }
            for (name, value) in values { printOut("\(name): \(String(format: "%.4f", value))") }
            if let matrix {
                printOut(
                    "confusion matrix (rows: true class, columns: predicted):\n"
                        + table(matrix, names: saved.classNames))
            }
        }
    }

    func table(_ m: [[Int]], names: [String]?) -> String {
        let labels = names ?? (0..<m.count).map(String.init)
        let width = max(labels.map(\.count).max() ?? 1, m.flatMap { $0 }.map { String($0).count }.max() ?? 1)
        func pad(_ s: String) -> String { String(repeating: " ", count: max(width - s.count, 0)) + s }
        var rows = [pad("") + " " + labels.map(pad).joined(separator: " ")]
        for (i, row) in m.enumerated() {
            rows.append(pad(labels[i]) + " " + row.map { pad(String($0)) }.joined(separator: " "))
        }
        return rows.joined(separator: "\n")
    }
}
