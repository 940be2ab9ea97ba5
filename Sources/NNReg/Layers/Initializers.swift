import Foundation

/// Weight initializers, Keras 3 definitions (keras/src/initializers/).
///
/// Fans follow Keras: a dense kernel (in, out) has fan_in = in, fan_out = out; a conv
/// kernel (kh, kw, cin, cout) multiplies both by kh*kw. Values come from the run's
/// seeded generator, so they are reproducible but not Keras's own random numbers.
public enum Initializer: Equatable, Sendable {
    case glorotUniform, glorotNormal, heNormal, heUniform, lecunNormal, lecunUniform
    case orthogonal(gain: Float)
    case zeros, ones
    /// Keras RandomNormal: defaults mean 0, stddev 0.05.
    case randomNormal(mean: Float, stddev: Float)
    /// Keras RandomUniform: defaults minval -0.05, maxval 0.05.
    case randomUniform(minval: Float, maxval: Float)

    /// Keras's correction so a normal truncated at 2 stddevs has the intended variance.
    static let truncatedStddevCorrection: Float = 0.87962566103423978

    public func fill(_ w: Tensor, rng: inout RNG) {
        let shape = w.shape
        let receptive = shape.count > 2 ? shape.dropLast(2).reduce(1, *) : 1
        let fanIn = Float(shape.count >= 2 ? shape[shape.count - 2] * receptive : shape.first ?? 1)
        let fanOut = Float(shape.count >= 2 ? shape[shape.count - 1] * receptive : shape.first ?? 1)
        let p = w.data, n = w.count
        func uniform(_ limit: Float) { for i in 0..<n { p[i] = rng.uniform(-limit, limit) } }
        func truncated(_ scale: Float) {
            let std = scale.squareRoot() / Initializer.truncatedStddevCorrection
            for i in 0..<n { p[i] = rng.truncatedNormal(stddev: std) }
        }
        switch self {
        case .glorotUniform: uniform((6 / (fanIn + fanOut)).squareRoot())
        case .glorotNormal: truncated(2 / (fanIn + fanOut))
        case .heNormal: truncated(2 / fanIn)
        case .heUniform: uniform((6 / fanIn).squareRoot())
        case .lecunNormal: truncated(1 / fanIn)
        case .lecunUniform: uniform((3 / fanIn).squareRoot())
        case .zeros: w.fill(0)
        case .ones: w.fill(1)
        case let .randomNormal(mean, stddev): for i in 0..<n { p[i] = mean + stddev * rng.normal() }
        case let .randomUniform(minval, maxval): for i in 0..<n { p[i] = rng.uniform(minval, maxval) }
        case .orthogonal(let gain): Initializer.orthogonal(w, gain: gain, rng: &rng)
        }
    }

    /// Keras Orthogonal: the Q of a QR decomposition of a normal matrix (rows = product of
    /// all but the last dimension, cols = last), sign-corrected by diag(R), times gain.
    static func orthogonal(_ w: Tensor, gain: Float, rng: inout RNG) {
        let cols = w.shape.last ?? 1
        let rows = w.count / max(cols, 1)
        // QR of the tall orientation via modified Gram-Schmidt in Double.
        let tall = rows >= cols
        let m = tall ? rows : cols, k = tall ? cols : rows
        var a = (0..<(m * k)).map { _ in Double(rng.normal()) }  // column j: a[j*m ..< (j+1)*m]
        for j in 0..<k {
            for i in 0..<j {
                var dot = 0.0
                for r in 0..<m { dot += a[i * m + r] * a[j * m + r] }
                for r in 0..<m { a[j * m + r] -= dot * a[i * m + r] }
            }
            var norm = 0.0
            for r in 0..<m { norm += a[j * m + r] * a[j * m + r] }
            norm = norm.squareRoot()
            for r in 0..<m { a[j * m + r] /= norm }  // diag(R) > 0: no sign flip needed
        }
        for r in 0..<rows {
            for c in 0..<cols {
                let v = tall ? a[c * m + r] : a[r * m + c]
                w.data[r * cols + c] = gain * Float(v)
            }
        }
    }
}

// MARK: - Spec forms

extension Initializer {
    private static let plain: [(String, Initializer, doc: String)] = [
        ("glorot_uniform", .glorotUniform, "uniform in ±sqrt(6 / (fan_in + fan_out))"),
        ("glorot_normal", .glorotNormal, "truncated normal with variance 2 / (fan_in + fan_out)"),
        ("he_normal", .heNormal, "truncated normal with variance 2 / fan_in"),
        ("he_uniform", .heUniform, "uniform in ±sqrt(6 / fan_in)"),
        ("lecun_normal", .lecunNormal, "truncated normal with variance 1 / fan_in"),
        ("lecun_uniform", .lecunUniform, "uniform in ±sqrt(3 / fan_in)"),
        ("orthogonal", .orthogonal(gain: 1), "an orthogonal matrix (QR of a normal one)"),
        ("zeros", .zeros, "all 0"), ("ones", .ones, "all 1"),
    ]

    /// Every initializer name a spec may use.
    public static let names = kinds.names

    /// "name", or {"name": {arguments}}; canonical: the bare name when there are no arguments.
    static let kinds = NamedVariants(
        noun: "initializer", plain.map { Schema($0.0, [], doc: $0.doc) } + [randomNormalSchema, randomUniformSchema])

    private static let randomNormalSchema = Schema(
        "random_normal",
        [
            Option("mean", .number(.any), default: 0, doc: "mean of the normal distribution"),
            Option("stddev", .number(.nonNegative), default: 0.05, doc: "its standard deviation"),
        ],
        doc: "draws from a normal distribution")

    private static let randomUniformSchema = Schema(
        "random_uniform",
        [
            Option("minval", .number(.any), default: -0.05, doc: "lower bound"),
            Option("maxval", .number(.any), default: 0.05, doc: "upper bound"),
        ],
        doc: "draws uniformly from [minval, maxval]",
        check: Schema.ordered("minval", "maxval"))

    /// From the canonical form (a validated spec holds nothing else).
    init(canonical json: JSON) {
        let (name, args) = NamedVariants.split(json)
        switch name {
        case "random_normal":
            self = .randomNormal(mean: args.float("mean"), stddev: args.float("stddev"))
        case "random_uniform":
            self = .randomUniform(minval: args.float("minval"), maxval: args.float("maxval"))
        default:
            guard let plain = Initializer.plain.first(where: { $0.0 == name }) else {
                preconditionFailure("not a canonical initializer: \(json.compact())")
            }
            self = plain.1
        }
    }
}
