/// A weight penalty a*sum|w| + b*sum(w^2), added to the loss (Keras L1L2).
///
/// Keras: keras/src/regularizers/regularizers.py, L1L2.__call__. Gradient: a*sign(w) + 2b*w.
public struct Regularizer: Equatable, Sendable {
    public var l1: Float
    public var l2: Float

    public init(l1: Float = 0, l2: Float = 0) {
        self.l1 = l1
        self.l2 = l2
    }

    /// The penalty for `w`'s elements in use.
    /// Sums run in 8 Float lanes, then the lanes in Double.
    public func penalty(_ w: Tensor) -> Float {
        let p = w.data, n = w.count
        var a1 = F8(), a2 = F8()
        var i = 0
        while i + 8 <= n {
            let v = load8(p + i)
            a1 += v.replacing(with: -v, where: v .< 0)
            a2 += v * v
            i += 8
        }
        var s1 = 0.0, s2 = 0.0
        for k in 0..<8 {
            s1 += Double(a1[k])
            s2 += Double(a2[k])
        }
        while i < n {
            s1 += Double(abs(p[i]))
            s2 += Double(p[i] * p[i])
            i += 1
        }
        return Float(Double(l1) * s1 + Double(l2) * s2)
    }

    /// grad += dPenalty/dw.
    public func addGradient(_ w: Tensor, into grad: Tensor) {
        let p = w.data, g = grad.data
        let a = l1, b2 = 2 * l2
        if a == 0 {
            let b = F8(repeating: b2)
            var i = 0
            while i + 8 <= w.count {
                store8(load8(g + i) + b * load8(p + i), g + i)
                i += 8
            }
            while i < w.count {
                g[i] += b2 * p[i]
                i += 1
            }
        } else {
            for i in 0..<w.count {
                let s: Float = p[i] > 0 ? 1 : (p[i] < 0 ? -1 : 0)
                g[i] += a * s + b2 * p[i]
            }
        }
    }
}

// MARK: - Spec forms

extension Regularizer {
    /// From the canonical form; nil when both factors are 0 (no penalty to compute).
    init?(canonical json: JSON) {
        guard case .object(let o) = json else { return nil }
        let l1 = o.float("l1")
        let l2 = o.float("l2")
        if l1 == 0 && l2 == 0 { return nil }
        self.init(l1: l1, l2: l2)
    }

    /// Keras's shorthand names, each meaning 0.01 (so "l1_l2" is 0.01 and 0.01).
    static let shorthands: [(name: String, canonical: JSON)] = [
        ("l1", ["l1": 0.01, "l2": 0]), ("l2", ["l1": 0, "l2": 0.01]), ("l1_l2", ["l1": 0.01, "l2": 0.01]),
    ]

    static let schema = Schema(
        "regularizer",
        [
            Option("l1", .number(.nonNegative), default: 0, doc: "factor of the sum of absolute weights"),
            Option("l2", .number(.nonNegative), default: 0, doc: "factor of the sum of squared weights"),
        ],
        doc: "a penalty added to the loss: l1 * sum(|w|) + l2 * sum(w^2)")

    /// "l1", "l2", "l1_l2", or {"l1": a, "l2": b} (either may be left out: 0) -> {"l1": a, "l2": b}.
    static func canonical(_ value: JSON, at path: String, _ context: SpecContext) throws -> JSON {
        if case .string(let name) = value {
            guard let shorthand = shorthands.first(where: { $0.name == name }) else {
                throw SpecError.unknown("regularizer", name, validNames: shorthands.map(\.name), at: path)
            }
            return shorthand.canonical
        }
        guard case .object = value else { throw SpecError.expected(Rule.regularizer.what, got: value, at: path) }
        return .object(try schema.validate(value, at: path, context))
    }
}
