import NNReg

/// A JSON Schema (draft 2020-12) validator for exactly the keywords `SpecJSONSchema`
/// emits; any other keyword is reported as an error, so the generator cannot start
/// relying on one this validator ignores. References are "#/$defs/<name>" only.
struct JSONSchemaValidator {
    let root: JSON

    /// Keywords that only annotate.
    private static let annotations: Set<String> = ["$schema", "$defs", "title", "description", "default"]

    /// Every failure, as "<path>: <what>"; empty when `instance` is valid.
    func errors(_ instance: JSON) -> [String] {
        var errors: [String] = []
        check(instance, against: root, at: "$", into: &errors)
        return errors
    }

    private func check(_ value: JSON, against schema: JSON, at path: String, into errors: inout [String]) {
        if case .bool(let accepts) = schema {
            if !accepts { errors.append("\(path): no value is allowed here") }
            return
        }
        guard let schema = schema.objectValue else { return errors.append("\(path): schema is not an object") }
        for (keyword, argument) in schema where !JSONSchemaValidator.annotations.contains(keyword) {
            if let failure = check(keyword, argument, value, schema, path, &errors) {
                errors.append("\(path): \(failure)")
            }
        }
    }

    /// One keyword: nil when it holds (errors of subschemas are appended to `errors`).
    private func check(
        _ keyword: String, _ argument: JSON, _ value: JSON, _ schema: JSON.Object, _ path: String,
        _ errors: inout [String]
    ) -> String? {
        switch keyword {
        case "type":
            let types = argument.arrayValue?.compactMap(\.stringValue) ?? [argument.stringValue ?? ""]
            return types.contains(where: { JSONSchemaValidator.has(value, type: $0) })
                ? nil : "expected \(argument.compact()), got \(value.compact())"
        case "enum":
            return argument.arrayValue!.contains(value) ? nil : "\(value.compact()) not in \(argument.compact())"
        case "const": return value == argument ? nil : "expected \(argument.compact()), got \(value.compact())"
        case "minimum": return bound(value) { $0 >= argument.doubleValue! }
        case "maximum": return bound(value) { $0 <= argument.doubleValue! }
        case "exclusiveMinimum": return bound(value) { $0 > argument.doubleValue! }
        case "exclusiveMaximum": return bound(value) { $0 < argument.doubleValue! }
        case "minLength":
            guard let s = value.stringValue else { return nil }
            return s.unicodeScalars.count >= argument.intValue! ? nil : "shorter than \(argument.compact())"
        case "minItems":
            guard let items = value.arrayValue else { return nil }
            return items.count >= argument.intValue! ? nil : "fewer than \(argument.compact()) items"
        case "maxItems":
            guard let items = value.arrayValue else { return nil }
            return items.count <= argument.intValue! ? nil : "more than \(argument.compact()) items"
        case "uniqueItems":
            guard argument == true, let items = value.arrayValue else { return nil }
            let repeated = items.indices.contains { i in items[..<i].contains(items[i]) }
            return repeated ? "items repeat" : nil
        case "items":
            for (i, item) in (value.arrayValue ?? []).enumerated() {
                check(item, against: argument, at: "\(path)[\(i)]", into: &errors)
            }
            return nil
        case "properties":
            guard let object = value.objectValue else { return nil }
            for (key, subschema) in argument.objectValue! {
                if let member = object[key] { check(member, against: subschema, at: "\(path).\(key)", into: &errors) }
            }
            return nil
        case "additionalProperties":
            guard let object = value.objectValue else { return nil }
            let known = schema["properties"]?.objectValue?.keys ?? []
            for (key, member) in object where !known.contains(key) {
                check(member, against: argument, at: "\(path).\(key)", into: &errors)
            }
            return nil
        case "required":
            guard let object = value.objectValue else { return nil }
            let missing = argument.arrayValue!.compactMap(\.stringValue).filter { object[$0] == nil }
            return missing.isEmpty ? nil : "missing \(missing.joined(separator: ", "))"
        case "anyOf", "oneOf":
            let passing = argument.arrayValue!.filter { branch in
                var branchErrors: [String] = []
                check(value, against: branch, at: path, into: &branchErrors)
                return branchErrors.isEmpty
            }.count
            if keyword == "anyOf" { return passing > 0 ? nil : "matches none of anyOf" }
            return passing == 1 ? nil : "matches \(passing) of oneOf, not 1"
        case "$ref":
            guard let target = resolve(argument.stringValue!) else { return "unresolved $ref \(argument.compact())" }
            check(value, against: target, at: path, into: &errors)
            return nil
        default:
            return "unsupported keyword \(keyword)"
        }
    }

    /// A bound holds for numbers and is not checked on other types (as JSON Schema says).
    private func bound(_ value: JSON, _ holds: (Double) -> Bool) -> String? {
        guard let x = value.doubleValue else { return nil }
        return holds(x) ? nil : "\(value.compact()) out of range"
    }

    private func resolve(_ reference: String) -> JSON? {
        let prefix = "#/$defs/"
        guard reference.hasPrefix(prefix) else { return nil }
        return root.objectValue?["$defs"]?.objectValue?[String(reference.dropFirst(prefix.count))]
    }

    private static func has(_ value: JSON, type: String) -> Bool {
        switch (type, value) {
        case ("null", .null), ("boolean", .bool), ("number", .number), ("string", .string), ("array", .array),
            ("object", .object):
            return true
        case ("integer", .number): return value.intValue != nil
        default: return false
        }
    }
}
