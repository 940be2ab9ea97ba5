/// A metric as specs name it: its doc line, which way it improves, and its constructor.
struct MetricType: Sendable {
    let name: String
    /// Whether larger is better: how a monitor's "auto" mode resolves (Keras's rule).
    let higherIsBetter: Bool
    let doc: String
    /// A fresh metric reporting under the given name.
    let make: @Sendable (String) -> Metric
}

/// Every metric a spec may list in training.metrics. Adding one: its own file, and one line here.
enum MetricRegistry {
    static let all: [MetricType] =
        MeanMetric.registrations + [Precision.registration, Recall.registration, AUC.registration]

    static var names: [String] { all.map(\.name) }

    private static let byName = Dictionary(uniqueKeysWithValues: all.map { ($0.name, $0) })

    static func type(_ name: String) -> MetricType? { byName[name] }
}

/// The metric a validated spec names, with Keras defaults (threshold 0.5, k = 5, 200 AUC thresholds).
public func makeMetric(_ name: String) -> Metric {
    guard let type = MetricRegistry.type(name) else { preconditionFailure("unregistered metric \"\(name)\"") }
    return type.make(name)
}
