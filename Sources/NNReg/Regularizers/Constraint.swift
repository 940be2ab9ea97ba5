/// A projection applied to a weight after every optimizer step (Keras constraints).
///
/// Keras: keras/src/constraints/constraints.py. Norms are taken over `axes` (Keras's
/// `axis`), one norm per index of the remaining axes; epsilon is Keras's 1e-7.
public enum Constraint: Equatable, Sendable {
    case maxNorm(maxValue: Float, axes: [Int])
    case nonNeg
    case unitNorm(axes: [Int])
    case minMaxNorm(minValue: Float, maxValue: Float, rate: Float, axes: [Int])

    static let epsilon: Float = 1e-7

    /// Projects `w` in place.
    public func apply(_ w: Tensor) {
        switch self {
        case .nonNeg:
            let p = w.data
            for i in 0..<w.count where p[i] < 0 { p[i] = 0 }
        case let .maxNorm(maxValue, axes):
            Constraint.rescale(w, axes: axes) { norm in min(max(norm, 0), maxValue) }
        case let .unitNorm(axes):
            Constraint.rescale(w, axes: axes) { _ in 1 }
        case let .minMaxNorm(minValue, maxValue, rate, axes):
            Constraint.rescale(w, axes: axes) { norm in rate * min(max(norm, minValue), maxValue) + (1 - rate) * norm }
        }
    }

    /// w *= desired(norm) / (epsilon + norm), with one norm per slice across `axes`.
    private static func rescale(_ w: Tensor, axes: [Int], desired: (Float) -> Float) {
        let shape = w.shape
        let axes = axes.map { $0 < 0 ? $0 + shape.count : $0 }
        // Index of each element's norm group: its coordinates on the kept axes.
        var strides = [Int](repeating: 0, count: shape.count)  // group stride per axis (0 = reduced)
        var groups = 1
        for axis in (0..<shape.count).reversed() where !axes.contains(axis) {
            strides[axis] = groups
            groups *= shape[axis]
        }
        var sums = [Float](repeating: 0, count: groups)
        forEachGroup(shape: shape, strides: strides) { i, g in sums[g] += w.data[i] * w.data[i] }
        let scale = sums.map { s -> Float in
            let norm = s.squareRoot()
            return desired(norm) / (epsilon + norm)
        }
        forEachGroup(shape: shape, strides: strides) { i, g in w.data[i] *= scale[g] }
    }

    /// Calls body(flat index, group index) for every element, in storage order.
    private static func forEachGroup(shape: [Int], strides: [Int], _ body: (Int, Int) -> Void) {
        let total = shape.reduce(1, *)
        var coord = [Int](repeating: 0, count: shape.count)
        var group = 0
        coord.withUnsafeMutableBufferPointer { coord in
            strides.withUnsafeBufferPointer { strides in
                for i in 0..<total {
                    body(i, group)
                    stepRowMajor(coord, shape, strides, offset: &group)
                }
            }
        }
    }
}

// MARK: - Spec forms

extension Constraint {
    /// From the canonical form.
    init(canonical json: JSON) {
        let (name, args) = NamedVariants.split(json)
        let axis = args["axis"] ?? 0  // non_neg has none
        let axes = axis.intValue.map { [$0] } ?? axis.arrayValue!.map { $0.intValue! }
        switch name {
        case "max_norm": self = .maxNorm(maxValue: args.float("max_value"), axes: axes)
        case "non_neg": self = .nonNeg
        case "unit_norm": self = .unitNorm(axes: axes)
        case "min_max_norm":
            self = .minMaxNorm(
                minValue: args.float("min_value"), maxValue: args.float("max_value"), rate: args.float("rate"),
                axes: axes)
        default: preconditionFailure("not a canonical constraint: \(json.compact())")
        }
    }

    /// Keras's `axis`: one axis or a list of them (the norm is taken over these).
    private static let axisRule = Rule.custom(
        what: "an axis or a list of axes",
        jsonSchema: ["anyOf": [["type": "integer"], ["type": "array", "items": ["type": "integer"], "minItems": 1]]]
    ) { value, path, _ in
        if value.intValue != nil { return value }
        guard let items = value.arrayValue, !items.isEmpty, items.allSatisfy({ $0.intValue != nil }) else {
            throw SpecError.expected("an axis or a non-empty list of axes", got: value, at: path)
        }
        return value
    }

    private static let axis = Option("axis", axisRule, default: 0, doc: "axis or axes the norm is taken over")

    /// Keras 3 defaults (keras/src/constraints/constraints.py).
    static let kinds = NamedVariants(
        noun: "constraint",
        [
            Schema(
                "max_norm", [Option("max_value", .number(.positive), default: 2, doc: "largest norm allowed"), axis],
                doc: "rescales weights whose norm exceeds max_value"),
            Schema("non_neg", [], doc: "sets negative weights to 0"),
            Schema("unit_norm", [axis], doc: "rescales weights to norm 1"),
            Schema(
                "min_max_norm",
                [
                    Option("min_value", .number(.nonNegative), default: 0, doc: "smallest norm allowed"),
                    Option("max_value", .number(.nonNegative), default: 1, doc: "largest norm allowed"),
                    Option(
                        "rate", .number(.unit), default: 1,
                        doc: "how far to move towards the range per step (1: all the way)"),
                    axis,
                ],
                doc: "rescales weights whose norm is outside [min_value, max_value]",
                check: Schema.ordered("min_value", "max_value")),
        ])

    /// The flat form {"max_norm": v, "axis": a}, short for {"max_norm": {"max_value": v, "axis": a}}.
    static let maxNormShorthand = Schema(
        "max_norm", [Option("max_norm", .number(.positive), doc: "largest norm allowed"), axis],
        doc: "`{\"max_norm\": v, \"axis\": a}`, short for `{\"max_norm\": {\"max_value\": v, \"axis\": a}}`")

    /// "non_neg", "unit_norm", {"max_norm": v, "axis": a} (the flat form), or {"name": {args}}
    /// -> "non_neg" or {"name": {every arg}}.
    static func canonical(_ value: JSON, at path: String, _ context: SpecContext) throws -> JSON {
        if case .object(let o) = value, case .number(let maxValue)? = o["max_norm"] {
            for key in o.keys where key != "max_norm" && key != "axis" {
                throw SpecError.unknownKey(
                    key, validKeys: ["max_norm", "axis"], owner: "max_norm", at: specPath(path, key))
            }
            var args = JSON.Object([("max_value", .number(maxValue))])
            args["axis"] = o["axis"]
            return try kinds.validate(["max_norm": .object(args)], at: path, context)
        }
        return try kinds.validate(value, at: path, context)
    }
}
