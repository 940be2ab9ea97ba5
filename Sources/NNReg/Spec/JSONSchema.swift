/// The JSON Schema (draft 2020-12) of spec files, generated from `Spec.schema` so that it
/// cannot drift from the validator. Editors use it for completion and checking:
///
///     nnreg schema > nnreg.schema.json
///
/// It checks types, ranges, choices, required and unknown keys; the cross-key checks
/// (validation_split with validation, monitors that name a metric, ...) are left to
/// `nnreg validate`.
public enum SpecJSONSchema {
    /// The draft the document follows, its "$schema".
    public static let draft = "https://json-schema.org/draft/2020-12/schema"

    /// The whole document: the root object, with layers and weight options in "$defs".
    public static func document() -> JSON {
        var generator = JSONSchemaGenerator()
        let root = generator.object(Spec.schema)
        var document = JSON.Object([("$schema", .string(draft)), ("title", "nnreg spec file")])
        for (key, value) in root.objectValue! { document[key] = value }
        document["$defs"] = .object(generator.definitions)
        return .object(document)
    }
}

/// Turns rules into JSON Schema, collecting the shared parts (layers, initializers,
/// regularizers, constraints) into "$defs" the first time they are met.
struct JSONSchemaGenerator {
    private(set) var definitions = JSON.Object()

    /// The schema of an object with these options: unknown keys are rejected, keys without
    /// a default are required.
    mutating func object(_ schema: Schema, type: JSON? = nil) -> JSON {
        var properties = JSON.Object()
        if let type { properties["type"] = type }
        for option in schema.options { properties[option.key] = property(option) }
        let required = (type == nil ? [] : ["type"]) + schema.options.filter { $0.defaultValue == nil }.map(\.key)
        return JSONSchemaGenerator.members([
            ("description", schema.doc.isEmpty ? nil : .string(schema.doc)),
            ("type", "object"),
            ("properties", .object(properties)),
            ("required", required.isEmpty ? nil : .array(required.map(JSON.string))),
            ("additionalProperties", false),
        ])
    }

    /// One key: its rule's schema with the doc line and the default as written.
    mutating func property(_ option: Option) -> JSON {
        var out = JSON.Object()
        var rule = schema(option.rule).objectValue!
        if !option.doc.isEmpty {
            // A permissive custom rule describes itself; the doc line comes first.
            let what = rule["description"]?.stringValue
            out["description"] = .string(what.map { "\(option.doc) (\($0))" } ?? option.doc)
            rule["description"] = nil
        }
        for (key, value) in rule { out[key] = value }
        if let value = option.defaultValue { out["default"] = value }
        return .object(out)
    }

    /// The values a rule accepts.
    mutating func schema(_ rule: Rule) -> JSON {
        switch rule {
        case .integer(let min, let max):
            var out = JSON.Object([("type", "integer")])
            if min != Int.min { out["minimum"] = JSON(min) }
            if max != Int.max { out["maximum"] = JSON(max) }
            return .object(out)
        case .number(let interval): return JSONSchemaGenerator.number(interval)
        case .bool: return ["type": "boolean"]
        case .string, .path: return ["type": "string", "minLength": 1]
        case .choice(_, let names): return ["type": "string", "enum": .array(names.map(JSON.string))]
        case .size:
            let positive: JSON = ["type": "integer", "minimum": 1]
            return ["anyOf": [positive, ["type": "array", "items": positive, "minItems": 2, "maxItems": 2]]]
        case .pair(let interval):
            return ["type": "array", "items": JSONSchemaGenerator.number(interval), "minItems": 2, "maxItems": 2]
        case .column: return ["anyOf": [["type": "string", "minLength": 1], ["type": "integer", "minimum": 0]]]
        case .list(let rule, _, let unique):
            var list = JSON.Object([("type", "array"), ("items", schema(rule))])
            if unique { list["uniqueItems"] = true }
            return .object(list)
        case .nullable(let rule):
            let inner = schema(rule)
            let null: JSON = ["type": "null"]
            if let branches = inner.objectValue?["anyOf"]?.arrayValue, inner.objectValue!.count == 1 {
                return ["anyOf": .array(branches + [null])]
            }
            return ["anyOf": [inner, null]]
        case .object(let schema): return object(schema)
        case .variants(let variants): return self.variants(variants)
        case .layers:
            defineLayers()
            return ["type": "array", "minItems": 1, "items": JSONSchemaGenerator.ref("layer")]
        case .initializer:
            define("initializer") { $0.named(Initializer.kinds.kinds, doc: "a weight's initial values") }
            return JSONSchemaGenerator.ref("initializer")
        case .regularizer:
            define("regularizer") { $0.regularizer() }
            return JSONSchemaGenerator.ref("regularizer")
        case .constraint:
            define("constraint") { $0.constraint() }
            return JSONSchemaGenerator.ref("constraint")
        case .custom(let what, let fragment, _): return fragment ?? ["description": .string(what)]
        }
    }

    // MARK: - Variants

    /// {"type": name, options...}: one branch per name (its aliases beside it), and the bare
    /// names of the kinds that need no option when the variants allow them.
    mutating func variants(_ variants: Variants) -> JSON {
        var branches = variants.allowsName ? [bareNames(variants)] : []
        branches += variants.names.map { branch(variants, $0) }
        return ["anyOf": .array(branches.compactMap { $0 })]
    }

    private func bareNames(_ variants: Variants) -> JSON? {
        let names = variants.names.filter { name in
            variants.schema(for: name)!.options.allSatisfy { $0.defaultValue != nil }
        }
        let all = names.flatMap { [$0] + JSONSchemaGenerator.aliases(of: $0, in: variants) }
        return all.isEmpty ? nil : ["type": "string", "enum": .array(all.map(JSON.string))]
    }

    private mutating func branch(_ variants: Variants, _ name: String) -> JSON {
        let aliases = JSONSchemaGenerator.aliases(of: name, in: variants)
        let type: JSON =
            aliases.isEmpty ? ["const": .string(name)] : ["enum": .array(([name] + aliases).map(JSON.string))]
        return object(variants.schema(for: name)!, type: type)
    }

    private static func aliases(of name: String, in variants: Variants) -> [String] {
        variants.aliases.filter { $0.value == name }.map(\.key).sorted()
    }

    /// "layer": any layer type, each type in "layer-<type>" (residual's layers refer back).
    private mutating func defineLayers() {
        guard definitions["layer"] == nil else { return }
        let layers = LayerSpec.variants
        definitions["layer"] = [
            "anyOf": .array(layers.names.map { JSONSchemaGenerator.ref("layer-" + $0) })
        ]
        for name in layers.names { definitions["layer-" + name] = branch(layers, name) }
    }

    // MARK: - Weight options

    /// "name" (kinds without a required argument), {"name": {arguments}}, or a shorthand object.
    private mutating func named(_ kinds: [Schema], shorthands: [Schema] = [], doc: String) -> JSON {
        let bare = kinds.filter { $0.options.allSatisfy { $0.defaultValue != nil } }.map { JSON.string($0.name) }
        var branches: [JSON] = [["type": "string", "enum": .array(bare)]]
        for kind in kinds {
            branches.append(
                [
                    "type": "object", "properties": .object(JSON.Object([(kind.name, object(kind))])),
                    "required": [.string(kind.name)], "additionalProperties": false,
                ])
        }
        branches += shorthands.map { object($0) }
        return ["description": .string(doc), "anyOf": .array(branches)]
    }

    private mutating func regularizer() -> JSON {
        let names: JSON = ["type": "string", "enum": .array(Regularizer.shorthands.map(\.name).map(JSON.string))]
        return [
            "description": "a penalty on the weight added to the loss",
            "anyOf": [names, object(Regularizer.schema)],
        ]
    }

    private mutating func constraint() -> JSON {
        named(
            Constraint.kinds.kinds, shorthands: [Constraint.maxNormShorthand],
            doc: "applied to the weight after each optimizer step")
    }

    // MARK: - Helpers

    /// Reserves `name` before building its schema, so a definition may refer to itself.
    private mutating func define(_ name: String, _ build: (inout JSONSchemaGenerator) -> JSON) {
        guard definitions[name] == nil else { return }
        definitions[name] = [:]
        definitions[name] = build(&self)
    }

    static func ref(_ name: String) -> JSON { ["$ref": .string("#/$defs/" + name)] }

    /// {"type": "number"} with the interval's bounds.
    static func number(_ interval: Interval) -> JSON {
        var number = JSON.Object([("type", "number")])
        if let lower = interval.lower { number[interval.lowerClosed ? "minimum" : "exclusiveMinimum"] = .number(lower) }
        if let upper = interval.upper { number[interval.upperClosed ? "maximum" : "exclusiveMaximum"] = .number(upper) }
        return .object(number)
    }

    /// An object of the members that are not nil, in order.
    static func members(_ members: [(String, JSON?)]) -> JSON {
        .object(JSON.Object(members.compactMap { key, value in value.map { (key, $0) } }))
    }
}
