/// One `--set PATH=VALUE`: a value written into the spec's JSON before it is validated, so
/// the result is checked like the file (and an error about it names the `--set`).
///
/// PATH is dotted with list indices (`training.epochs`, `model.layers[1].rate`); VALUE is
/// JSON, and a bare word that is not JSON is a string (`--set training.optimizer=adam`).
public struct SpecOverride: Equatable, Sendable {
    public enum Step: Equatable, Sendable {
        case key(String)
        case index(Int)

        /// `path` with this step written after it, as validation errors name spec paths.
        func appended(to path: String) -> String {
            switch self {
            case .key(let key): return specPath(path, key)
            case .index(let i): return "\(path)[\(i)]"
            }
        }
    }

    /// As given, for messages.
    public let text: String
    public let steps: [Step]
    public let value: JSON

    /// Parses "PATH=VALUE"; errors name the `--set`.
    public init(_ text: String) throws {
        guard let equals = text.firstIndex(of: "=") else { throw Self.error(text, "expected PATH=VALUE") }
        let rawValue = String(text[text.index(after: equals)...])
        self.text = text
        steps = try Self.steps(String(text[..<equals]), text: text)
        value = (try? JSON.parse(rawValue)) ?? .string(rawValue)
    }

    /// `value` written at `path`, as a sweep's parameters give them; errors name the
    /// `--set` this is the same as.
    public init(path: String, value: JSON) throws {
        text = path + "=" + value.compact()
        steps = try Self.steps(path, text: text)
        self.value = value
    }

    /// "model.layers[1].rate" as steps: a key before each "[" and between dots, indices >= 0.
    private static func steps(_ path: String, text: String) throws -> [Step] {
        func bad(_ why: String) -> SpecError { Self.error(text, why) }
        var steps: [Step] = []
        for part in path.split(separator: ".", omittingEmptySubsequences: false) {
            var rest = Substring(part)
            let bracket = rest.firstIndex(of: "[") ?? rest.endIndex
            let key = rest[..<bracket]
            guard !key.isEmpty else { throw bad("expected a key before each \"[\" and between dots in \(path)") }
            steps.append(.key(String(key)))
            rest = rest[bracket...]
            while !rest.isEmpty {
                guard rest.first == "[", let close = rest.firstIndex(of: "]"),
                    let index = Int(rest[rest.index(after: rest.startIndex)..<close]), index >= 0
                else { throw bad("expected [index] with a non-negative integer in \(path)") }
                steps.append(.index(index))
                rest = rest[rest.index(after: close)...]
            }
        }
        return steps
    }

    /// `json` with the value written at the path. Objects along the path are created as
    /// needed; a list index must exist. Errors name the `--set` and the path where it failed.
    public func apply(to json: JSON) throws -> JSON {
        try apply(steps[...], to: json, at: "")
    }

    private func apply(_ steps: ArraySlice<Step>, to json: JSON, at path: String) throws -> JSON {
        guard let step = steps.first else { return value }
        switch step {
        case .key(let key):
            var object: JSON.Object
            switch json {
            case .object(let o): object = o
            case .null: object = JSON.Object()
            default:
                throw Self.error(text, "\(path.isEmpty ? "the spec" : path) is \(json.kind), not an object")
            }
            object[key] = try apply(steps.dropFirst(), to: object[key] ?? .null, at: step.appended(to: path))
            return .object(object)
        case .index(let index):
            guard case .array(var items) = json else {
                throw Self.error(text, "\(path) is \(json.kind), not a list")
            }
            guard index < items.count else {
                throw Self.error(text, "\(path) has \(items.count) items; no [\(index)]")
            }
            items[index] = try apply(steps.dropFirst(), to: items[index], at: step.appended(to: path))
            return .array(items)
        }
    }

    /// The spec path this override writes, as validation errors name it.
    public var path: String { steps.reduce("") { $1.appended(to: $0) } }

    /// An error about the `--set` given as `text`.
    private static func error(_ text: String, _ message: String) -> SpecError {
        SpecError(path: "--set " + text, message: message)
    }
}
