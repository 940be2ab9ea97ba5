/// A section of the spec ("data", "training", ...) backed by its validated options.
protocol SpecSection: SpecOptions {
    static var schema: Schema { get }
    init(options: [String: JSON])
}

extension SpecSection {
    /// The section as the resolved spec prints it, keys in schema order.
    var json: JSON { .object(object(order: Self.schema.keys)) }
}

/// A nested part that is not a section of its own (a loss, a sequence), read with the
/// same accessors.
struct OptionsView: SpecOptions {
    var path: String
    var options: [String: JSON]

    init(_ value: JSON, at path: String) {
        self.path = path
        self.options = value.objectValue!.dictionary
    }
}

extension CSV.Column {
    /// A validated spec column: a header name, or a 0-based index.
    init(canonical json: JSON) {
        if let name = json.stringValue { self = .name(name) } else { self = .index(json.intValue!) }
    }
}

/// How a monitored quantity improves (Keras callbacks' `mode`).
public enum MonitorMode: String, CaseIterable, Equatable, Sendable {
    case auto, min, max

    /// `auto` made concrete for `monitor`: accuracies, precision, recall and auc improve
    /// upwards, losses and errors downwards (Keras's rule for its own metrics); a series'
    /// forecast skill (metrics.json's "skill", a sweep's "val_skill") upwards.
    public func resolved(for monitor: String) -> MonitorMode {
        guard self == .auto else { return self }
        let metric = monitor.hasPrefix("val_") ? String(monitor.dropFirst(4)) : monitor
        if metric == "skill" { return .max }
        return MetricRegistry.type(metric)?.higherIsBetter == true ? .max : .min
    }

    /// Keras MonitorCallback._is_improvement: `value` beats `reference` by more than
    /// `minDelta` in this (resolved) direction; anything beats no reference.
    public func isImprovement(_ value: Double, over reference: Double?, minDelta: Double = 0) -> Bool {
        precondition(self != .auto, "resolve the monitor mode first")
        guard let reference else { return true }
        return self == .min ? value + abs(minDelta) < reference : value - abs(minDelta) > reference
    }
}

extension Rule {
    /// A choice among an enum's raw values.
    static func cases<E: CaseIterable & RawRepresentable>(_ noun: String, _ type: E.Type) -> Rule
    where E.RawValue == String {
        .choice(noun: noun, type.allCases.map(\.rawValue))
    }
}
