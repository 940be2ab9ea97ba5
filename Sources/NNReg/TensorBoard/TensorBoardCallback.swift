import Foundation

/// `output.tensorboard` (`train --tensorboard`): TensorBoard event files under
/// `tensorboard/train/` and `tensorboard/validation/` of the run folder (of each ensemble
/// member's folder), the layout and tags of Keras's TensorBoard callback, so
/// `tensorboard --logdir runs` shows a run's train and validation curves on one chart.
///
/// After each epoch (the step is the epoch number, counted from 1 as in history.csv):
/// - train: "epoch_loss", "epoch_<metric>", "epoch_learning_rate", the generalization gap
///   "epoch_gap_<name>" (validation minus train), "epoch_data_loss" and "epoch_penalty"
///   (the training loss split into the data's part and the weight and activity penalties),
///   and a histogram "<weight>/histogram" of every weight, as the weights files name them;
/// - validation: "epoch_loss" and "epoch_<metric>" of the validation data.
final class TensorBoardCallback: TrainingCallback {
    /// The run folder's names of the two event files.
    static let files = (
        train: "tensorboard/train/" + EventFile.name, validation: "tensorboard/validation/" + EventFile.name
    )
    /// Buckets per histogram (TensorBoard's own summaries use 30 of equal width).
    static let buckets = 30

    /// The epochs a resumed run had done (its event files keep those epochs' records).
    private var resumedAfter: Int?
    /// The open event files, by run folder name, each made at its first event.
    private var writers: [String: EventFile] = [:]

    func trainBegin(_ run: TrainingContext) throws {
        resumedAfter = run.history.isEmpty ? nil : run.history.count
    }

    func epochEnd(_ epoch: Int, _ run: TrainingContext) throws -> Bool {
        let record = run.record
        let trained = record.values.filter { !$0.name.hasPrefix("val_") && $0.name != "seconds" }
        let diagnostics = record.diagnostics.filter { !$0.name.hasPrefix("norm.") }
        let histograms = run.network.namedParameters.compactMap { named in
            Self.histogram(named.parameter.value.buffer).map { (named.name + "/histogram", $0) }
        }
        try append(
            Self.event(step: record.epoch, scalars: trained + diagnostics, histograms: histograms),
            to: Self.files.train, run)
        let validated = record.values.filter { $0.name.hasPrefix("val_") }.map {
            (String($0.name.dropFirst(4)), $0.value)
        }
        if !validated.isEmpty {
            try append(
                Self.event(step: record.epoch, scalars: validated, histograms: []), to: Self.files.validation, run)
        }
        return false
    }

    private func append(_ event: Tensorboard_Event, to name: String, _ run: TrainingContext) throws {
        if writers[name] == nil { writers[name] = try EventFile(path: run.claim(name), resumingAfter: resumedAfter) }
        try writers[name]!.append([event])
    }

    /// One summary event: each scalar tagged "epoch_<name>" (Keras's tags), then the histograms.
    static func event(
        step: Int, scalars: [(name: String, value: Double)], histograms: [(String, Tensorboard_HistogramProto)]
    ) -> Tensorboard_Event {
        var event = Tensorboard_Event()
        event.wallTime = Date().timeIntervalSince1970
        event.step = Int64(step)
        var summary = Tensorboard_Summary()
        for (name, value) in scalars {
            var v = Tensorboard_Summary.Value()
            v.tag = "epoch_" + name
            v.simpleValue = Float(value)
            summary.value.append(v)
        }
        for (tag, histogram) in histograms {
            var v = Tensorboard_Summary.Value()
            v.tag = tag
            v.histo = histogram
            summary.value.append(v)
        }
        event.summary = summary
        return event
    }

    /// `values` in `buckets` buckets of equal width from their minimum to their maximum
    /// (one bucket when they are all equal); nil when empty or not all finite.
    static func histogram<C: Collection<Float>>(_ values: C) -> Tensorboard_HistogramProto? {
        guard values.allSatisfy(\.isFinite), let low = values.min(), let high = values.max() else { return nil }
        var h = Tensorboard_HistogramProto()
        h.min = Double(low)
        h.max = Double(high)
        h.num = Double(values.count)
        let count = low == high ? 1 : buckets
        let width = (h.max - h.min) / Double(count)
        h.bucketLimit = (1...count).map { $0 == count ? h.max : h.min + Double($0) * width }
        h.bucket = [Double](repeating: 0, count: count)
        for x in values {
            let d = Double(x)
            h.sum += d
            h.sumSquares += d * d
            h.bucket[count == 1 ? 0 : min(Int((d - h.min) / width), count - 1)] += 1
        }
        return h
    }
}
