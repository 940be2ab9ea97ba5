/// Values written "name" or {"name": {arguments}} (initializers, constraints).
struct NamedVariants: Sendable {
    let noun: String
    /// One schema per kind, in the order the docs list them.
    let kinds: [Schema]
    private let schemas: [String: Schema]

    /// One schema per kind, named by the kind.
    init(noun: String, _ kinds: [Schema]) {
        self.noun = noun
        self.kinds = kinds
        self.schemas = Dictionary(uniqueKeysWithValues: kinds.map { ($0.name, $0) })
    }

    var names: [String] { kinds.map(\.name) }

    /// Canonical: the bare name when the kind takes no arguments, else {"name": {every argument}}.
    func validate(_ value: JSON, at path: String, _ context: SpecContext) throws -> JSON {
        let name: String
        let args: JSON
        let argsPath: String
        switch value {
        case .string(let s):
            (name, args, argsPath) = (s, [:], path)
        case .object(let o) where o.count == 1:
            (name, args, argsPath) = (o.keys[0], o[o.keys[0]]!, specPath(path, o.keys[0]))
        default:
            throw SpecError.expected("a \(noun) name or {\"name\": {arguments}}", got: value, at: path)
        }
        guard let schema = schemas[name] else {
            throw SpecError.unknown(noun, name, validNames: names, at: argsPath)
        }
        let filled = try schema.validate(args, at: argsPath, context)
        return filled.count == 0 ? .string(name) : [name: .object(filled)]
    }

    /// A canonical value's name and arguments.
    static func split(_ json: JSON) -> (String, JSON.Object) {
        if case .string(let name) = json { return (name, JSON.Object()) }
        let object = json.objectValue!
        return (object.keys[0], object[object.keys[0]]!.objectValue!)
    }
}

extension JSON.Object {
    /// A validated number as Float (the engine's precision).
    func float(_ key: String) -> Float { Float(self[key]!.doubleValue!) }
}

/// A schema check that `low` <= `high` (two number options).
extension Schema {
    static func ordered(_ low: String, _ high: String) -> @Sendable (inout JSON.Object, String) throws -> Void {
        return { args, path in
            if args[low]!.doubleValue! > args[high]!.doubleValue! {
                throw SpecError(path: specPath(path, high), message: "must be >= \(low)")
            }
        }
    }
}
