/// A validated part of a spec: its path and its options, every default filled in and
/// every value in canonical form. The typed accessors below therefore cannot fail on a
/// spec that came through `Spec.parse`; asking for a key the part does not have, or
/// with the wrong type, is a programming error and stops with the path and key.
public protocol SpecOptions {
    /// Where this part sits in the spec: "model.layers[2]", "training".
    var path: String { get }
    var options: [String: JSON] { get }
}

extension SpecOptions {
    public func int(_ key: String) -> Int { read(key, \.intValue) }

    /// nil when the value is null.
    public func optionalInt(_ key: String) -> Int? { isNull(key) ? nil : int(key) }

    public func double(_ key: String) -> Double { read(key, \.doubleValue) }

    public func optionalDouble(_ key: String) -> Double? { isNull(key) ? nil : double(key) }

    /// A number at the engine's precision.
    public func float(_ key: String) -> Float { Float(double(key)) }

    public func bool(_ key: String) -> Bool { read(key, \.boolValue) }

    public func string(_ key: String) -> String { read(key, \.stringValue) }

    public func optionalString(_ key: String) -> String? { isNull(key) ? nil : string(key) }

    public func strings(_ key: String) -> [String] {
        read(key) { value in
            guard let items = value.arrayValue else { return nil }
            let strings = items.compactMap(\.stringValue)
            return strings.count == items.count ? strings : nil
        }
    }

    /// A list of integers; options written "n or [h, w]" (kernel_size, strides, pool_size, ...)
    /// are stored as [h, w].
    public func ints(_ key: String) -> [Int] {
        read(key) { value in
            guard let items = value.arrayValue else { return nil }
            let ints = items.compactMap(\.intValue)
            return ints.count == items.count ? ints : nil
        }
    }

    public func activation(_ key: String = "activation") -> Activation { choice(key) }

    /// The penalty, or nil when there is none (null, or l1 = l2 = 0).
    public func regularizer(_ key: String) -> Regularizer? { Regularizer(canonical: value(key)) }

    /// The constraint, or nil when there is none.
    public func constraint(_ key: String) -> Constraint? {
        isNull(key) ? nil : Constraint(canonical: value(key))
    }

    public func initializer(_ key: String) -> Initializer { Initializer(canonical: value(key)) }

    /// A layer's own seed; nil: it draws from the run's generator.
    public func seed() -> UInt64? { optionalInt("seed").map { UInt64($0) } }

    /// Keras noise_shape: one entry per input axis (nil: the input's size); nil: the input's shape.
    public func noiseShape() -> [Int?]? {
        isNull("noise_shape") ? nil : value("noise_shape").arrayValue!.map(\.intValue)
    }

    /// Nested layers (residual's "layers"), with paths like "model.layers[3].layers[0]".
    public func layers(_ key: String = "layers") -> [LayerSpec] {
        LayerSpec.list(read(key, \.arrayValue), at: specPath(path, key))
    }

    public func isNull(_ key: String) -> Bool { value(key) == .null }

    /// The raw canonical value.
    public func value(_ key: String) -> JSON {
        guard let value = options[key] else { preconditionFailure("\(specPath(path, key)): no such option") }
        return value
    }

    /// A string option as the enum its rule lists the raw values of.
    func choice<E: RawRepresentable>(_ key: String) -> E where E.RawValue == String {
        read(key) { $0.stringValue.flatMap(E.init(rawValue:)) }
    }

    private func read<T>(_ key: String, _ get: (JSON) -> T?) -> T {
        let value = value(key)
        guard let typed = get(value) else {
            preconditionFailure("\(specPath(path, key)): \(value.compact()) is not a \(T.self)")
        }
        return typed
    }
}

extension SpecOptions {
    /// The options as a JSON object, keys in `order` (a schema's order).
    func object(order: [String]) -> JSON.Object {
        JSON.Object(order.compactMap { key in options[key].map { (key, $0) } })
    }
}
