/// The keys a spec object accepts, each with its rule and default, in the order the
/// resolved spec prints them. Validating an object checks for unknown keys first (so a
/// misspelt required key reads "unknown key; did you mean ..."), then every option, then
/// the cross-key `check`. The result holds every key, defaults filled in canonical form.
struct Schema: Sendable {
    /// What the keys belong to: a layer type, an optimizer, a section ("data").
    let name: String
    let options: [Option]
    /// One line for the reference docs and the JSON Schema's "description".
    let doc: String
    /// Cross-key validation and derived defaults, on the filled object.
    let check: (@Sendable (inout JSON.Object, _ path: String) throws -> Void)?

    init(
        _ name: String, _ options: [Option], doc: String = "",
        check: (@Sendable (inout JSON.Object, String) throws -> Void)? = nil
    ) {
        self.name = name
        self.options = options
        self.doc = doc
        self.check = check
    }

    var keys: [String] { options.map(\.key) }

    func validate(_ value: JSON, at path: String, _ context: SpecContext) throws -> JSON.Object {
        guard case .object(let object) = value else { throw SpecError.expected("an object", got: value, at: path) }
        return try validate(object: object, at: path, context)
    }

    func validate(object: JSON.Object, at path: String, _ context: SpecContext) throws -> JSON.Object {
        let keys = self.keys
        for key in object.keys where !keys.contains(key) {
            throw SpecError.unknownKey(key, validKeys: keys, owner: name, at: specPath(path, key))
        }
        var out = JSON.Object()
        for option in options {
            let keyPath = specPath(path, option.key)
            guard let value = object[option.key] ?? option.defaultValue else {
                throw SpecError(path: keyPath, message: "missing required key")
            }
            out[option.key] = try option.rule.check(value, at: keyPath, context)
        }
        try check?(&out, path)
        return out
    }
}

/// One key of a schema: its rule, and its default (nil when the key is required).
struct Option: Sendable {
    let key: String
    let rule: Rule
    let defaultValue: JSON?
    /// One line for the reference docs and the JSON Schema's "description".
    let doc: String

    /// A required key.
    init(_ key: String, _ rule: Rule, doc: String = "") {
        self.key = key
        self.rule = rule
        self.defaultValue = nil
        self.doc = doc
    }

    /// A key with a default; the default passes through the rule like a written value.
    init(_ key: String, _ rule: Rule, default value: JSON, doc: String = "") {
        self.key = key
        self.rule = rule
        self.defaultValue = value
        self.doc = doc
    }
}

/// What validation needs from outside the spec text.
struct SpecContext: Sendable {
    /// Absolute folder that relative paths start from.
    var baseDirectory: String
    /// The name used when the spec gives none.
    var defaultName: String
}

/// "training" + "epochs" -> "training.epochs"; the root's children have no dot.
func specPath(_ path: String, _ key: String) -> String { path.isEmpty ? key : path + "." + key }

/// A set of numbers: "in [0, 1)", "> 0", ">= 0", or anything finite.
struct Interval: Sendable, CustomStringConvertible {
    var lower: Double?
    var lowerClosed = true
    var upper: Double?
    var upperClosed = true

    static let any = Interval()
    static let positive = Interval(lower: 0, lowerClosed: false)
    static let nonNegative = Interval(lower: 0)
    /// [0, 1): rates, fractions held out.
    static let fraction = Interval(lower: 0, upper: 1, upperClosed: false)
    /// [0, 1].
    static let unit = Interval(lower: 0, upper: 1)
    /// (0, 1): multiplicative decay factors.
    static let openUnit = Interval(lower: 0, lowerClosed: false, upper: 1, upperClosed: false)

    /// Also false for NaN and the infinities, whatever the bounds.
    func contains(_ x: Double) -> Bool {
        guard x.isFinite else { return false }
        if let lower, lowerClosed ? x < lower : x <= lower { return false }
        if let upper, upperClosed ? x > upper : x >= upper { return false }
        return true
    }

    var description: String {
        switch (lower, upper) {
        case (let lower?, let upper?):
            return "in \(lowerClosed ? "[" : "(")\(JSON.format(lower)), \(JSON.format(upper))\(upperClosed ? "]" : ")")"
        case (let lower?, nil): return "\(lowerClosed ? ">=" : ">") \(JSON.format(lower))"
        case (nil, let upper?): return "\(upperClosed ? "<=" : "<") \(JSON.format(upper))"
        case (nil, nil): return "finite"
        }
    }
}

/// The type and range of one value, and its canonical form.
indirect enum Rule: Sendable {
    /// An integer >= min (Int.min: any integer).
    /// An integer in min...max.
    case integer(min: Int, max: Int)
    case number(Interval)
    case bool
    /// A non-empty string.
    case string
    /// One of `names`; unknown ones get a did-you-mean naming the `noun`.
    case choice(noun: String, [String])
    /// n or [height, width], positive; canonical [h, w].
    case size
    /// [low, high] with both in the interval and low <= high.
    case pair(Interval)
    /// A file or folder path, made absolute against the spec's folder; "-" is stdin.
    case path
    /// A CSV column: name, or 0-based index.
    case column
    /// A list of values of one rule, optionally without repeats.
    case list(Rule, what: String, unique: Bool)
    case nullable(Rule)
    case object(Schema)
    /// {"type": name, options...}, one schema per name.
    case variants(Variants)
    /// A list of layers (model.layers, residual.layers).
    case layers
    case initializer
    case regularizer
    case constraint
    /// Anything else: what it expects, its JSON Schema for `nnreg schema` (nil: any value
    /// described by `what`), and a function returning the canonical value.
    case custom(what: String, jsonSchema: JSON? = nil, @Sendable (JSON, _ path: String, SpecContext) throws -> JSON)

    static let positiveInt = Rule.integer(min: 1, max: .max)
    static let count = Rule.integer(min: 0, max: .max)
    static let anyInt = Rule.integer(min: Int.min, max: .max)
    static let activation = Rule.cases("activation", Activation.self)
    static let mode = Rule.cases("mode", MonitorMode.self)

    /// What a value of this rule is, for "expected <what>, got ...".
    var what: String {
        switch self {
        case .integer(let min, let max) where max != Int.max: return "an integer in [\(min), \(max)]"
        case .integer(1, _): return "a positive integer"
        case .integer(0, _): return "a non-negative integer"
        case .integer(Int.min, _): return "an integer"
        case .integer(let min, _): return "an integer >= \(min)"
        case .number: return "a number"
        case .bool: return "true or false"
        case .string: return "a non-empty string"
        case .choice(_, let names): return "one of " + names.map(JSON.quote).joined(separator: ", ")
        case .size: return "a positive integer or [height, width]"
        case .pair: return "[low, high]"
        case .path: return "a path"
        case .column: return "a column name or 0-based index"
        case .list(_, let what, _): return what
        case .nullable(let rule): return rule.what + " or null"
        case .object: return "an object"
        case .variants(let variants): return "a \(variants.noun) name or {\"type\": ...}"
        case .layers: return "a non-empty list of layers"
        case .initializer: return "an initializer name or {\"random_normal\": {...}} or {\"random_uniform\": {...}}"
        case .regularizer: return "\"l1\", \"l2\", \"l1_l2\" or {\"l1\": a, \"l2\": b}"
        case .constraint:
            return "\"non_neg\", \"unit_norm\", {\"max_norm\": v}, {\"unit_norm\": {...}} or {\"min_max_norm\": {...}}"
        case .custom(let what, _, _): return what
        }
    }

    /// The canonical value, or a SpecError naming `path`.
    func check(_ value: JSON, at path: String, _ context: SpecContext) throws -> JSON {
        switch self {
        case .integer(let min, let max):
            guard let n = value.intValue, n >= min, n <= max else {
                throw SpecError.expected(what, got: value, at: path)
            }
            return value
        case .number(let interval):
            guard case .number(let x) = value else { throw SpecError.expected(what, got: value, at: path) }
            guard interval.contains(x) else {
                throw SpecError(path: path, message: "must be \(interval), got \(x.isFinite ? JSON.format(x) : "\(x)")")
            }
            guard abs(x) <= Double(Float.greatestFiniteMagnitude) else {
                throw SpecError(path: path, message: "must be within float range (±3.4e38), got \(JSON.format(x))")
            }
            return value
        case .bool:
            guard case .bool = value else { throw SpecError.expected(what, got: value, at: path) }
            return value
        case .string:
            guard let s = value.stringValue, !s.isEmpty else { throw SpecError.expected(what, got: value, at: path) }
            return value
        case .choice(let noun, let names):
            guard let s = value.stringValue else { throw SpecError.expected(what, got: value, at: path) }
            guard names.contains(s) else { throw SpecError.unknown(noun, s, validNames: names, at: path) }
            return value
        case .size:
            if let n = value.intValue, n >= 1 { return [value, value] }
            guard let items = value.arrayValue, items.count == 2, items.allSatisfy({ ($0.intValue ?? 0) >= 1 }) else {
                throw SpecError.expected(what, got: value, at: path)
            }
            return value
        case .pair(let interval):
            guard let items = value.arrayValue, items.count == 2, let low = items[0].doubleValue,
                let high = items[1].doubleValue
            else { throw SpecError.expected(what, got: value, at: path) }
            for (i, x) in [low, high].enumerated() where !interval.contains(x) {
                throw SpecError(path: "\(path)[\(i)]", message: "must be \(interval), got \(JSON.format(x))")
            }
            guard low <= high else {
                throw SpecError(path: path, message: "expected low <= high, got \(value.compact())")
            }
            return value
        case .path:
            guard let s = value.stringValue, !s.isEmpty else { throw SpecError.expected(what, got: value, at: path) }
            return .string(Spec.resolvePath(s, from: context.baseDirectory))
        case .column:
            if let s = value.stringValue, !s.isEmpty { return value }
            guard let n = value.intValue, n >= 0 else { throw SpecError.expected(what, got: value, at: path) }
            return value
        case .list(let rule, let what, let unique):
            guard let items = value.arrayValue else { throw SpecError.expected(what, got: value, at: path) }
            var out: [JSON] = []
            for (i, item) in items.enumerated() {
                let checked = try rule.check(item, at: "\(path)[\(i)]", context)
                if unique && out.contains(checked) {
                    throw SpecError(path: "\(path)[\(i)]", message: "\(item.compact()) appears twice")
                }
                out.append(checked)
            }
            return .array(out)
        case .nullable(let rule):
            if value == .null { return value }
            do {
                return try rule.check(value, at: path, context)
            } catch let error as SpecError where error == SpecError.expected(rule.what, got: value, at: path) {
                throw SpecError.expected(what, got: value, at: path)  // "... or null, got x"
            }
        case .object(let schema):
            return .object(try schema.validate(value, at: path, context))
        case .variants(let variants):
            return .object(try variants.validate(value, at: path, context))
        case .layers:
            guard let items = value.arrayValue, !items.isEmpty else {
                throw SpecError.expected(what, got: value, at: path)
            }
            return .array(
                try items.enumerated().map { i, item in
                    .object(try LayerSpec.variants.validate(item, at: "\(path)[\(i)]", context))
                })
        case .initializer:
            return try Initializer.kinds.validate(value, at: path, context)
        case .regularizer:
            return try Regularizer.canonical(value, at: path, context)
        case .constraint:
            return try Constraint.canonical(value, at: path, context)
        case .custom(_, _, let canonical):
            return try canonical(value, path, context)
        }
    }
}

/// Objects of several kinds told apart by "type": layers, optimizers, losses, schedules.
struct Variants: Sendable {
    /// "layer type", "optimizer", ...
    let noun: String
    let names: [String]
    private let schemas: [String: Schema]
    /// Other accepted names ("mse") and the canonical name each stands for.
    let aliases: [String: String]
    /// Whether a bare name ("adam") may stand for {"type": "adam"}.
    let allowsName: Bool

    /// One schema per kind, named by the kind.
    init(noun: String, _ schemas: [Schema], aliases: [String: String] = [:], allowsName: Bool = true) {
        self.noun = noun
        self.names = schemas.map(\.name)
        self.schemas = Dictionary(uniqueKeysWithValues: schemas.map { ($0.name, $0) })
        self.aliases = aliases
        self.allowsName = allowsName
    }

    func schema(for name: String) -> Schema? { schemas[name] }

    /// The canonical object: "type" (canonical name) first, then the type's options.
    func validate(_ value: JSON, at path: String, _ context: SpecContext) throws -> JSON.Object {
        var object: JSON.Object
        let typePath: String
        switch value {
        case .string(let name) where allowsName:
            object = JSON.Object([("type", .string(name))])
            typePath = path
        case .object(let o):
            object = o
            typePath = specPath(path, "type")
        default:
            throw SpecError.expected(
                allowsName ? Rule.variants(self).what : "an object with \"type\"", got: value, at: path)
        }
        guard let type = object["type"] else { throw SpecError(path: typePath, message: "missing required key") }
        guard case .string(let name) = type else { throw SpecError.expected("a \(noun) name", got: type, at: typePath) }
        let canonical = aliases[name] ?? name
        guard let schema = schemas[canonical] else {
            throw SpecError.unknown(noun, name, validNames: names + aliases.keys.sorted(), at: typePath)
        }
        object["type"] = nil
        let options = try schema.validate(object: object, at: path, context)
        return JSON.Object([("type", .string(canonical))] + options.map { ($0.key, $0.value) })
    }
}
