import Foundation

/// A validated sweep file: the base spec, the values to vary, and how to choose.
///
///     {"spec": "fashion-mlp.json",
///      "parameters": {"model.layers[1].rate": [0.2, 0.3, 0.5],
///                     "training.optimizer.learning_rate": {"log_uniform": [1e-4, 1e-2]}},
///      "method": "random", "trials": 20, "seeds": [1, 2, 3],
///      "objective": {"monitor": "val_accuracy", "mode": "auto"},
///      "halving": {"min_epochs": 2, "eta": 3},
///      "output": {"dir": "sweeps/fashion-mlp"}}
///
/// Paths are relative to the sweep file's folder. Every parameter PATH is a `--set` path
/// into the base spec, except a parameter of variants, `{"technique": {"variants": {"dropout":
/// {"PATH": value, ...}, ...}}}`, whose name is free and whose values are named sets of
/// `--set`s (an ablation: one variant per technique). Every configuration the sweep makes
/// is validated like a spec before anything trains.
public struct SweepSpec: Equatable, Sendable {
    /// How one parameter varies: listed values, named variants (each a set of values
    /// applied together), or a range random draws come from.
    public enum Values: Equatable, Sendable {
        case list([JSON])
        case variants([Variant])
        case uniform(Double, Double)
        case logUniform(Double, Double)
        case intUniform(Int, Int)
    }

    /// A named set of spec values ("dropout": two dropout layers in model.layers).
    public struct Variant: Equatable, Sendable {
        public let name: String
        public let sets: [(path: String, value: JSON)]

        public static func == (a: Variant, b: Variant) -> Bool {
            a.name == b.name && a.sets.map(\.path) == b.sets.map(\.path) && a.sets.map(\.value) == b.sets.map(\.value)
        }
    }

    public enum Method: String, CaseIterable, Sendable { case grid, random }

    /// The base spec file (absolute).
    public var spec: String
    public var parameters: [(path: String, values: Values)]
    public var method: Method
    /// Random draws (method "random").
    public var trials: Int?
    /// nil: the base spec's seed.
    public var seeds: [UInt64]?
    public var monitor: String
    public var mode: MonitorMode
    /// Successive halving: every configuration trains `minEpochs`, the best 1/eta go on to
    /// eta times as many epochs, and so on up to the spec's epochs.
    public var halving: (minEpochs: Int, eta: Int)?
    /// The sweep folder (absolute).
    public var outputDir: String
    /// The file as validated, defaults filled in: the sweep folder's sweep.json.
    public var resolvedJSON: JSON

    public static func == (a: SweepSpec, b: SweepSpec) -> Bool { a.resolvedJSON == b.resolvedJSON }

    /// Reads and validates a sweep file; errors name the file or the key ("parameters.x: ...").
    public static func load(path file: String) throws -> SweepSpec {
        let (bytes, context) = try SpecContext.read(file, noun: "sweep")
        let json: JSON
        do {
            json = try JSON.parse(bytes: bytes)
        } catch let error as JSONSyntaxError {
            throw SpecError(path: file, message: error.description)
        }
        var object = try schema.validate(json, at: "", context)
        if object["output"]?.objectValue?["dir"] == .null {
            let dir = Spec.resolvePath("sweeps/" + context.defaultName, from: context.baseDirectory)
            object["output"] = ["dir": .string(dir)]
        }
        return SweepSpec(object)
    }

    private init(_ o: JSON.Object) {
        resolvedJSON = .object(o)
        spec = o["spec"]!.stringValue!
        parameters = o["parameters"]!.objectValue!.map { ($0.key, Values($0.value)) }
        method = Method(rawValue: o["method"]!.stringValue!)!
        trials = o["trials"]!.intValue
        seeds = o["seeds"]!.arrayValue?.map { UInt64($0.intValue!) }
        let objective = o["objective"]!.objectValue!
        monitor = objective["monitor"]!.stringValue!
        mode = MonitorMode(rawValue: objective["mode"]!.stringValue!)!
        halving = o["halving"]!.objectValue.map { ($0["min_epochs"]!.intValue!, $0["eta"]!.intValue!) }
        outputDir = o["output"]!.objectValue!["dir"]!.stringValue!
    }

    static let schema = Schema(
        "the sweep",
        [
            Option("spec", .path, doc: "the base spec file, relative to the sweep file"),
            Option(
                "parameters", parametersRule,
                doc:
                    "what varies: {\"PATH\": [values]} or a range {\"uniform\"|\"log_uniform\"|\"int_uniform\": [a, b]}"
            ),
            Option("method", .cases("method", Method.self), default: "grid", doc: "grid (every combination) or random"),
            Option("trials", .nullable(.positiveInt), default: nil, doc: "random: how many configurations to draw"),
            Option(
                "seeds", .nullable(.list(.count, what: "a non-empty list of distinct seeds", unique: true)),
                default: nil, doc: "every configuration trains once per seed; null: the spec's seed"),
            Option("objective", .object(objectiveSchema), default: [:], doc: "what selects the best configuration"),
            Option("halving", .nullable(.object(halvingSchema)), default: nil, doc: "successive halving; null: none"),
            Option("output", .object(outputSchema), default: [:], doc: "where the sweep folder goes"),
        ],
        check: { sweep, _ in
            let random = sweep["method"] == "random"
            if random && sweep["trials"] == .null {
                throw SpecError(path: "trials", message: "method \"random\" needs the number of trials to draw")
            }
            if !random && sweep["trials"] != .null {
                throw SpecError(path: "trials", message: "is for method \"random\"; grid trains every combination")
            }
            if sweep["seeds"]?.arrayValue?.isEmpty == true {
                throw SpecError(path: "seeds", message: "expected at least one seed, or null for the spec's seed")
            }
            for (path, value) in sweep["parameters"]!.objectValue!
            where !random && value.arrayValue == nil && value.objectValue?["variants"] == nil {
                throw SpecError(
                    path: "parameters." + path,
                    message: "a range needs method \"random\"; a grid takes a list of values")
            }
        })

    static let objectiveSchema = Schema(
        "objective",
        [
            Option(
                "monitor", .string, default: "val_loss",
                doc:
                    "a validation quantity: val_loss or val_<metric> (for a series also val_skill, val_naive_loss); "
                    + "selection never looks at test data"),
            Option("mode", .mode, default: "auto", doc: "min, max, or auto (from the monitor's name)"),
        ],
        check: { objective, path in
            guard objective["monitor"]!.stringValue!.hasPrefix("val_") else {
                throw SpecError(
                    path: specPath(path, "monitor"),
                    message:
                        "must be a validation quantity (val_loss or val_<metric>): selection uses validation data only")
            }
        })

    static let halvingSchema = Schema(
        "halving",
        [
            Option("min_epochs", .positiveInt, default: 1, doc: "epochs every configuration trains first"),
            Option(
                "eta", .integer(min: 2, max: 100), default: 3,
                doc: "keep the best 1/eta of the configurations at each rung, and train them eta times longer"),
        ])

    static let outputSchema = Schema(
        "output", [Option("dir", .nullable(.path), default: nil, doc: "the sweep folder; null: sweeps/<sweep name>")])

    /// {"PATH": [values] or {"uniform" | "log_uniform" | "int_uniform": [a, b]}}, non-empty.
    static let parametersRule = Rule.custom(what: "an object of PATH: [values] or {\"uniform\": [a, b]}") {
        value, path, _ in
        guard let object = value.objectValue, object.count > 0 else {
            throw SpecError.expected("an object with at least one PATH", got: value, at: path)
        }
        for (key, item) in object {
            let at = specPath(path, key)
            if let variants = item.objectValue?["variants"], item.objectValue?.count == 1 {
                guard let named = variants.objectValue, named.count > 0 else {
                    throw SpecError.expected("an object of named variants", got: variants, at: at + ".variants")
                }
                for (name, sets) in named {
                    guard let sets = sets.objectValue else {
                        throw SpecError.expected("an object of PATH: value", got: sets, at: at + ".variants." + name)
                    }
                    for (setPath, value) in sets { _ = try SpecOverride(path: setPath, value: value) }
                }
                continue
            }
            _ = try SpecOverride(path: key, value: .null)  // the PATH parses as a --set path
            if let list = item.arrayValue {
                guard !list.isEmpty else { throw SpecError(path: at, message: "expected at least one value") }
                continue
            }
            guard let range = item.objectValue, range.count == 1,
                let (kind, bounds) = range.first(where: { _ in true }),
                ["uniform", "log_uniform", "int_uniform"].contains(kind)
            else {
                throw SpecError.expected(
                    "a list of values, {\"variants\": {...}} or {\"uniform\" | \"log_uniform\" | \"int_uniform\": [a, b]}",
                    got: item, at: at)
            }
            guard let pair = bounds.arrayValue, pair.count == 2, let a = pair[0].doubleValue,
                let b = pair[1].doubleValue,
                a.isFinite, b.isFinite, a < b
            else { throw SpecError.expected("[low, high] with low < high", got: bounds, at: at + "." + kind) }
            if kind == "log_uniform" && a <= 0 {
                throw SpecError(path: at + "." + kind, message: "needs low > 0, got \(JSON.format(a))")
            }
            if kind == "int_uniform" && (pair[0].intValue == nil || pair[1].intValue == nil) {
                throw SpecError.expected("two integers", got: bounds, at: at + "." + kind)
            }
        }
        return value
    }
}

extension SweepSpec.Values {
    /// A validated parameter value (see `parametersRule`).
    init(_ json: JSON) {
        if let list = json.arrayValue {
            self = .list(list)
            return
        }
        let (kind, bounds) = json.objectValue!.first(where: { _ in true })!
        if kind == "variants" {
            self = .variants(
                bounds.objectValue!.map {
                    SweepSpec.Variant(name: $0.key, sets: $0.value.objectValue!.map { ($0.key, $0.value) })
                })
            return
        }
        let pair = bounds.arrayValue!
        switch kind {
        case "uniform": self = .uniform(pair[0].doubleValue!, pair[1].doubleValue!)
        case "log_uniform": self = .logUniform(pair[0].doubleValue!, pair[1].doubleValue!)
        default: self = .intUniform(pair[0].intValue!, pair[1].intValue!)
        }
    }

    /// Every value of a list or of variants, as a configuration takes it; nil for a range.
    func choices(_ path: String) -> [Choice]? {
        switch self {
        case .list(let values): return values.map { Choice(shown: $0, sets: [(path, $0)]) }
        case .variants(let variants): return variants.map { Choice(shown: .string($0.name), sets: $0.sets) }
        default: return nil
        }
    }

    /// One random value: a listed one, a variant, or a draw from the range. Continuous draws
    /// keep 3 significant digits, so tables and `--set` lines stay readable.
    func draw(_ path: String, _ rng: inout RNG) -> Choice {
        func rounded(_ x: Double) -> JSON {
            guard x != 0 else { return 0 }
            let digits = 2 - Int(floor(log10(abs(x))))
            let scale = pow(10, Double(digits))
            return .number((x * scale).rounded() / scale)
        }
        let value: JSON
        switch self {
        case .list, .variants:
            let all = choices(path)!
            return all[rng.int(below: all.count)]
        case .uniform(let a, let b): value = rounded(a + (b - a) * rng.uniformDouble())
        case .logUniform(let a, let b): value = rounded(exp(log(a) + (log(b) - log(a)) * rng.uniformDouble()))
        case .intUniform(let a, let b): value = JSON(a + rng.int(below: b - a + 1))
        }
        return Choice(shown: value, sets: [(path, value)])
    }
}

/// One value of a parameter: what tables show (the value, or the variant's name), and the
/// spec values it sets.
struct Choice {
    let shown: JSON
    let sets: [(path: String, value: JSON)]
}

/// One configuration of a sweep: the parameter values it sets.
public struct SweepConfig: Equatable, Sendable {
    /// "c00", "c01", ...: its row in summary.csv, the first part of its trials' ids.
    public let id: String
    /// Each parameter's value as tables show it (a variant by its name).
    public let values: [(path: String, value: JSON)]
    /// The spec values, as `--set`s on the base spec.
    public let overrides: [SpecOverride]

    init(id: String, parameters: [String], choices: [Choice]) {
        self.id = id
        values = zip(parameters, choices).map { ($0, $1.shown) }
        overrides = choices.flatMap { $0.sets.map { try! SpecOverride(path: $0.path, value: $0.value) } }
    }

    public static func == (a: SweepConfig, b: SweepConfig) -> Bool {
        a.id == b.id && a.values.map(\.path) == b.values.map(\.path) && a.values.map(\.value) == b.values.map(\.value)
            && a.overrides == b.overrides
    }
}

extension SweepSpec {
    /// The configurations: every combination of the lists in file order (the first
    /// parameter varies slowest) for a grid; `trials` draws from `seed`'s generator for
    /// random.
    public func configurations(seed: UInt64) -> [SweepConfig] {
        var rows: [[Choice]] = [[]]
        switch method {
        case .grid:
            for (path, values) in parameters {
                guard let all = values.choices(path) else { preconditionFailure("a grid takes lists (validated)") }
                rows = rows.flatMap { row in all.map { row + [$0] } }
            }
        case .random:
            var rng = RNG(seed: seed, stream: 0x7377_6565_70)  // "sweep"
            rows = (0..<(trials ?? 0)).map { _ in parameters.map { $0.values.draw($0.path, &rng) } }
        }
        let width = max(2, String(rows.count - 1).count)
        return rows.enumerated().map { i, row in
            let number = String(i), id = "c" + String(repeating: "0", count: width - number.count) + number
            return SweepConfig(id: id, parameters: parameters.map(\.path), choices: row)
        }
    }
}
