// The kinds of initializer, regularizer and constraint as `Schema`s, for the generated
// reference and JSON Schema. WeightOptions.swift validates them with schemas of its own
// that it keeps private; the initializers are read from it, the regularizer and the
// constraints are restated here until that file exposes them. SpecSchemaTests checks
// every restated name, default and range against `Rule.regularizer` and `Rule.constraint`.

/// Initializers, regularizers and constraints as the docs and the JSON Schema show them.
enum WeightOptionForms {
    /// Every initializer, in `Initializer.names` order; the options are the arguments
    /// of its {"name": {arguments}} form.
    static let initializers: [Schema] = {
        let schemas = Mirror(reflecting: Initializer.kinds).descendant("schemas") as? [String: Schema]
        return Initializer.names.map { schemas?[$0] ?? Schema($0, []) }
    }()

    /// The regularizer names; each stands for 0.01 of its penalties.
    static let regularizerNames = ["l1", "l2", "l1_l2"]

    /// The {"l1": a, "l2": b} form.
    static let regularizer = Schema(
        "regularizer",
        [
            Option("l1", .number(.nonNegative), default: 0, doc: "factor of the sum of absolute weights"),
            Option("l2", .number(.nonNegative), default: 0, doc: "factor of the sum of squared weights"),
        ],
        doc: "a penalty added to the loss: l1 * sum(|w|) + l2 * sum(w^2)")

    /// Keras's `axis`: one axis or a non-empty list of them.
    static let axis = Rule.custom(
        what: "an axis or a list of axes",
        jsonSchema: [
            "anyOf": [["type": "integer"], ["type": "array", "items": ["type": "integer"], "minItems": 1]]
        ]
    ) { value, _, _ in value }

    private static let axisOption = Option("axis", axis, default: 0, doc: "axis or axes the norm is taken over")

    /// Every constraint, with Keras 3's arguments and defaults.
    static let constraints = [
        Schema(
            "max_norm",
            [Option("max_value", .number(.positive), default: 2, doc: "largest norm allowed"), axisOption],
            doc: "rescales weights whose norm exceeds max_value"),
        Schema("non_neg", [], doc: "sets negative weights to 0"),
        Schema("unit_norm", [axisOption], doc: "rescales weights to norm 1"),
        Schema(
            "min_max_norm",
            [
                Option("min_value", .number(.nonNegative), default: 0, doc: "smallest norm allowed"),
                Option("max_value", .number(.nonNegative), default: 1, doc: "largest norm allowed"),
                Option(
                    "rate", .number(.unit), default: 1,
                    doc: "how far to move towards the range per step (1: all the way)"),
                axisOption,
            ],
            doc: "rescales weights whose norm is outside [min_value, max_value]"),
    ]

    /// Objects accepted as they are written besides {"name": {arguments}}: {"max_norm": v, "axis": a}.
    static let constraintShorthands = [
        Schema(
            "max_norm",
            [Option("max_norm", .number(.positive), doc: "largest norm allowed"), axisOption],
            doc: "`{\"max_norm\": v, \"axis\": a}`, short for `{\"max_norm\": {\"max_value\": v, \"axis\": a}}`")
    ]
}
