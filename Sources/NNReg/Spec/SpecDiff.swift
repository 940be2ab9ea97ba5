/// The values of specs as `--set` paths, and the paths where specs differ: what
/// `nnreg compare` and a sweep's report show of runs.
public enum SpecDiff {
    /// Every leaf of `json` (a scalar, an empty list or object) under its path in `--set`
    /// syntax (`model.layers[1].rate`), in document order.
    public static func leaves(_ json: JSON) -> [(path: String, value: JSON)] {
        var out: [(path: String, value: JSON)] = []
        func walk(_ value: JSON, _ path: String) {
            switch value {
            case .object(let object) where object.count > 0:
                for (key, item) in object { walk(item, specPath(path, key)) }
            case .array(let items) where !items.isEmpty:
                for (i, item) in items.enumerated() { walk(item, "\(path)[\(i)]") }
            default:
                out.append((path, value))
            }
        }
        walk(json, "")
        return out
    }

    /// Where resolved specs do not all agree: each path with every spec's value there (nil
    /// where a spec has no such path), in the order the paths first appear. `ignoring`
    /// paths (and what is under them) are left out, such as `output.dir`, which names where
    /// a run went rather than what it trained.
    public static func differences(_ specs: [JSON], ignoring: Set<String> = ["output.dir"]) -> [(
        path: String, values: [JSON?]
    )] {
        let tables = specs.map { Dictionary(leaves($0).map { ($0.path, $0.value) }, uniquingKeysWith: { a, _ in a }) }
        var order: [String] = [], seen = Set<String>()
        for spec in specs {
            for leaf in leaves(spec) where seen.insert(leaf.path).inserted { order.append(leaf.path) }
        }
        return order.compactMap { path in
            if ignoring.contains(where: { path == $0 || path.hasPrefix($0 + ".") || path.hasPrefix($0 + "[") }) {
                return nil
            }
            let values = tables.map { $0[path] }
            return values.allSatisfy({ $0 == values[0] }) ? nil : (path, values)
        }
    }
}
