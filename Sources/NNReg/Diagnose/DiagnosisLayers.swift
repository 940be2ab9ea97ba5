import Foundation

/// The run's top-level layers (model.layers) as the suggestions see them, and the `--set`
/// lines that change them.
///
/// `--set` can replace a value or create an object key but not insert into a list, so a
/// new layer is suggested by replacing the whole `model.layers` list, each layer written
/// with only its non-default options.
struct LayerRoles {
    let layers: [LayerSpec]
    /// The output layer: the last with units or filters; nil when none has.
    let output: Int?

    static let dropoutTypes: Set<String> = ["dropout", "spatial_dropout2d", "gaussian_dropout", "alpha_dropout"]
    static let recurrentTypes: Set<String> = ["lstm", "gru", "simple_rnn"]

    init(_ spec: Spec) {
        let layers = spec.model.layers
        self.layers = layers
        output = layers.indices.last { i in ["units", "filters"].contains { layers[i].options[$0] != nil } }
    }

    /// "units" or "filters" and its value.
    func width(_ i: Int) -> (key: String, value: Int)? {
        for key in ["units", "filters"] where layers[i].options[key] != nil { return (key, layers[i].int(key)) }
        return nil
    }

    /// The layers with a width before the output layer.
    var hidden: [Int] { layers.indices.filter { $0 < (output ?? 0) && width($0) != nil } }

    /// Layers with a kernel_regularizer: the hidden ones, or all when only the output has one.
    var penalized: [Int] {
        let all = layers.indices.filter { layers[$0].options["kernel_regularizer"] != nil }
        let inner = all.filter { $0 != output }
        return inner.isEmpty ? all : inner
    }

    /// Every rate at which a layer drops inputs in training: dropout layers' "rate",
    /// recurrent layers' "dropout" and "recurrent_dropout", dense's "drop_connect".
    var dropRates: [(index: Int, key: String, rate: Double)] {
        layers.indices.flatMap { i -> [(index: Int, key: String, rate: Double)] in
            let keys =
                LayerRoles.dropoutTypes.contains(layers[i].type)
                ? ["rate"] : ["dropout", "recurrent_dropout", "drop_connect"].filter { layers[i].options[$0] != nil }
            return keys.map { (i, $0, layers[i].double($0)) }
        }
    }

    /// The dropout a layer applies to its own input: dropout layers' "rate", recurrent
    /// layers' "dropout".
    var inputDropRates: [(index: Int, key: String, rate: Double)] {
        dropRates.filter { $0.key == "rate" || $0.key == "dropout" }
    }

    /// gaussian_noise layers and their stddev.
    var noises: [(index: Int, stddev: Double)] {
        layers.indices.filter { layers[$0].type == "gaussian_noise" }.map { ($0, layers[$0].double("stddev")) }
    }

    /// "model.layers[i].key=value".
    func set(_ i: Int, _ key: String, _ value: JSON) -> String { "\(layers[i].path).\(key)=\(value.compact())" }

    /// "model.layers=[...]": the layers with `new` inserted before each of `positions`
    /// (indices of the current list; `layers.count` appends).
    func inserting(_ new: JSON, before positions: [Int]) -> String {
        var list: [JSON] = []
        for (i, layer) in layers.enumerated() {
            if positions.contains(i) { list.append(new) }
            list.append(layer.shortJSON)
        }
        if positions.contains(layers.count) { list.append(new) }
        return "model.layers=" + JSON.array(list).compact()
    }

    /// "layers[1]" for messages.
    func name(_ i: Int) -> String { "layers[\(i)] (\(layers[i].type))" }
}

extension LayerSpec {
    /// The layer as a spec would write it: "type", then the options whose value is not the
    /// type's default (nested layers written the same way).
    var shortJSON: JSON {
        let context = SpecContext(baseDirectory: "/", defaultName: "")
        var members: [(String, JSON)] = [("type", .string(type))]
        for option in LayerSpec.variants.schema(for: type)?.options ?? [] {
            guard let value = options[option.key] else { continue }
            if let given = option.defaultValue,
                (try? option.rule.check(given, at: specPath(path, option.key), context)) == value
            {
                continue
            }
            members.append((option.key, option.key == "layers" ? .array(layers().map(\.shortJSON)) : value))
        }
        return .object(.init(members))
    }
}

/// `x` to 3 significant digits, as suggestions write new values (0.001, not 0.0010000000000000002).
func rounded(_ x: Double) -> Double { Double(String(format: "%.3g", x)) ?? x }
