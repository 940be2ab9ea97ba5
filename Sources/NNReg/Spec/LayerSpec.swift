/// One validated layer of `model.layers`: its type, where it sits in the spec, and every
/// option of that type with defaults filled in (Keras 3 defaults). Read options with the `SpecOptions` accessors:
///
///     let units = layer.int("units")                         // dense
///     let kernel = layer.ints("kernel_size")                 // conv2d: [h, w]
///     let penalty = layer.regularizer("kernel_regularizer")  // Regularizer?
public struct LayerSpec: SpecOptions, Equatable, Sendable {
    /// The spec's "type": "dense", "conv2d", ...
    public var type: String
    /// "model.layers[2]", "model.layers[3].layers[0]"; errors about this layer name it.
    public var path: String
    /// Every option of the type except "type", in canonical form.
    public var options: [String: JSON]

    public init(type: String, path: String, options: [String: JSON]) {
        self.type = type
        self.path = path
        self.options = options
    }

    /// Every layer type, in the registry's order.
    public static var types: [String] { variants.names }

    /// The option names a type takes, in the order the resolved spec prints them.
    public static func optionNames(of type: String) -> [String]? { variants.schema(for: type)?.keys }

    /// The layer as the resolved spec prints it: "type" first, then options in table order.
    public var json: JSON {
        let order = LayerSpec.optionNames(of: type) ?? []
        return .object(JSON.Object([("type", .string(type))] + object(order: order).map { ($0.key, $0.value) }))
    }

    /// Layers from their canonical JSON (as validation leaves it), at `path`[i].
    static func list(_ items: [JSON], at path: String) -> [LayerSpec] {
        items.enumerated().map { i, item in
            var options = item.objectValue!.dictionary
            let type = options.removeValue(forKey: "type")!.stringValue!
            return LayerSpec(type: type, path: "\(path)[\(i)]", options: options)
        }
    }

    /// The schemas by "type" (the layer registry's).
    static var variants: Variants { LayerRegistry.variants }
}
