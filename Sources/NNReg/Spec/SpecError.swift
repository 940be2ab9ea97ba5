import Foundation

/// A bad spec (or a file that cannot be one): where, and what is wrong with the value found.
///
/// `path` names the key (`model.layers[2].rate`), or the file for read and syntax errors;
/// the description reads "model.layers[2].rate: must be in [0, 1), got 1.5".
public struct SpecError: Error, Equatable, CustomStringConvertible, LocalizedError {
    public var path: String
    public var message: String

    public init(path: String, message: String) {
        self.path = path
        self.message = message
    }

    public var description: String { path.isEmpty ? message : "\(path): \(message)" }
    public var errorDescription: String? { description }
}

extension SpecError {
    /// "expected <what>, got <value>".
    static func expected(_ what: String, got value: JSON, at path: String) -> SpecError {
        SpecError(path: path, message: "expected \(what), got \(shown(value))")
    }

    /// "unknown <noun> "x"; did you mean "y"?", or the list of valid names when none is close.
    static func unknown(_ noun: String, _ name: String, validNames: [String], at path: String) -> SpecError {
        SpecError(
            path: path, message: "unknown \(noun) \(short(name)); \(suggestion(for: name, among: validNames))")
    }

    /// "unknown key; did you mean "units"?" at the key's path.
    static func unknownKey(_ key: String, validKeys: [String], owner: String, at path: String) -> SpecError {
        let hint = validKeys.isEmpty ? "\(owner) takes no options" : suggestion(for: key, among: validKeys)
        guard key.count > 40 else { return SpecError(path: path, message: "unknown key; \(hint)") }
        let parent = String(path.dropLast(key.count + 1))  // a key too long to be a path part
        return SpecError(path: parent, message: "unknown key \(short(key)); \(hint)")
    }

    /// A name from the user's text as a message quotes it: cut to 40 characters.
    static func short(_ name: String) -> String {
        name.count <= 40 ? JSON.quote(name) : JSON.quote(String(name.prefix(40))) + "... (\(name.count) characters)"
    }

    /// A value as the message shows it: its JSON, cut short when long.
    static func shown(_ value: JSON) -> String {
        let text = value.compact()
        return text.count <= 60 ? text : String(text.prefix(57)) + "..."
    }

    static func suggestion(for name: String, among names: [String]) -> String {
        if let match = closest(to: name, among: names) { return "did you mean \(JSON.quote(match))?" }
        return "expected one of " + names.map(JSON.quote).joined(separator: ", ")
    }

    /// The plausible typo at the smallest edit distance (case-insensitive). Plausible: at
    /// most a third of the longer word's letters apart (and at least 2), or one word a
    /// prefix of the other ("std" for "stddev", "non_negative" for "non_neg").
    static func closest(to name: String, among names: [String]) -> String? {
        guard name.count <= 64 else { return nil }  // no name is that long: no typo to find
        let word = name.lowercased()
        var best: (name: String, distance: Int)?
        for candidate in names {
            let other = candidate.lowercased()
            let d = editDistance(Array(word), Array(other))
            let (short, long) = word.count <= other.count ? (word, other) : (other, word)
            let plausible = d <= max(2, long.count / 3) || (short.count >= 3 && long.hasPrefix(short))
            if plausible && d < (best?.distance ?? Int.max) { best = (candidate, d) }
        }
        return best?.name
    }

    /// Levenshtein distance: insertions, deletions and substitutions each cost 1.
    static func editDistance(_ a: [Character], _ b: [Character]) -> Int {
        if a.isEmpty { return b.count }
        var previous = Array(0...b.count)
        var current = previous
        for i in 1...a.count {
            current[0] = i
            for j in stride(from: 1, through: b.count, by: 1) {
                let substitution = previous[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1)
                current[j] = min(substitution, previous[j] + 1, current[j - 1] + 1)
            }
            swap(&previous, &current)
        }
        return previous[b.count]
    }
}
