/// Pooling over sequences (Keras MaxPooling1D, AveragePooling1D, GlobalAveragePooling1D,
/// GlobalMaxPooling1D): the 2-D pooling layers on a unit height.
///
/// x: (N, steps, C) is the same bytes as (N, 1, steps, C); each 1-D layer runs its 2-D
/// counterpart with (1, P) windows and (1, S) strides and presents its buffers under the
/// 1-D shapes (`viewAs1D`). Padding, ties and NaN handling are therefore the 2-D layers'
/// (Pooling.swift): padded positions never take part, so "same" average pooling divides by
/// the count of real inputs in the window, as Keras does.

/// A 2-D pooling layer that a 1-D one runs on (N, 1, steps, C).
public protocol UnitHeightPooling: Layer {
    /// The 1-D layer's "type": "max_pooling1d", ...
    static var kind1D: String { get }
    /// Takes x: (N, W, C) for (N, 1, W, C) and presents its buffers under the 1-D shapes,
    /// the same bytes. Call after `build` on (1, W, C).
    func viewAs1D()
}

/// A windowed 2-D pooling layer (max, average).
public protocol WindowedPooling: UnitHeightPooling {
    init(poolSize: (h: Int, w: Int), strides: (h: Int, w: Int)?, padding: Padding)
}

/// A global 2-D pooling layer (max, average).
public protocol GlobalPooling: UnitHeightPooling {
    init()
}

/// A 1-D pooling layer: `Pool` on a unit height.
///
/// Windowed (MaxPooling1D, AveragePooling1D): x: (N, steps, C) -> y: (N, newSteps, C).
/// Global (GlobalMaxPooling1D, GlobalAveragePooling1D): x: (N, steps, C) -> y: (N, C).
public final class Pooling1D<Pool: UnitHeightPooling>: Layer {
    public var kind: String { Pool.kind1D }
    /// The window's length, stride and padding; nil for the global poolings.
    let window: (size: Int, stride: Int, padding: Padding)?
    public var parameters: [Parameter] { [] }
    public var needsInputGradient: Bool {
        get { pool.needsInputGradient }
        set { pool.needsInputGradient = newValue }
    }
    private let pool: Pool

    init(_ pool: Pool, window: (size: Int, stride: Int, padding: Padding)?) {
        self.pool = pool
        self.window = window
    }

    public func build(inputShape: [Int], maxBatch: Int, rng: inout RNG) throws -> [Int] {
        let (steps, features) = try sequenceShape(inputShape, kind)
        var outShape = [features]
        if let w = window {
            let g = try window1D(
                steps: steps, size: w.size, stride: w.stride, padding: w.padding, layer: "\(kind) pool")
            outShape = [g.outW, features]
        }
        _ = try pool.build(inputShape: [1, steps, features], maxBatch: maxBatch, rng: &rng)
        pool.viewAs1D()
        return outShape
    }

    /// x: (N, steps, C) -> y: (N, newSteps, C), or (N, C) for the global poolings.
    public func forward(_ x: Tensor, training: Bool, rng: inout RNG) -> Tensor {
        pool.forward(x, training: training, rng: &rng)
    }

    /// dy: (N, newSteps, C), or (N, C) -> dx: (N, steps, C).
    public func backward(_ dy: Tensor) -> Tensor? { pool.backward(dy) }
}

extension Pooling1D where Pool: WindowedPooling {
    public var poolSize: Int { window!.size }
    public var strides: Int { window!.stride }
    public var padding: Padding { window!.padding }

    /// `strides` nil means the pool size (Keras strides=None).
    public convenience init(poolSize: Int = 2, strides: Int? = nil, padding: Padding = .valid) {
        precondition(poolSize > 0 && (strides ?? 1) > 0, "\(Pool.kind1D) pool_size and strides must be positive")
        precondition(padding != .causal, "\(Pool.kind1D) padding must be valid or same")
        let stride = strides ?? poolSize
        self.init(
            Pool(poolSize: (1, poolSize), strides: (1, stride), padding: padding),
            window: (poolSize, stride, padding))
    }
}

extension Pooling1D where Pool: GlobalPooling {
    public convenience init() { self.init(Pool(), window: nil) }
}

/// Max pooling over steps (Keras MaxPooling1D): y = max over the window's real inputs; dx
/// gets each dy at its window's first maximum.
public typealias MaxPooling1D = Pooling1D<MaxPooling2D>

/// Average pooling over steps (Keras AveragePooling1D): y = mean of the window's real inputs
/// (padding is not counted); dx spreads dy / count over the same inputs.
public typealias AveragePooling1D = Pooling1D<AveragePooling2D>

/// Global average pooling over steps (Keras GlobalAveragePooling1D, no mask, keepdims
/// false): the mean over steps; dx = dy / steps everywhere.
public typealias GlobalAveragePooling1D = Pooling1D<GlobalAveragePooling2D>

/// Global max pooling over steps (Keras GlobalMaxPooling1D, keepdims false): the max over
/// steps; dy is split evenly between tied maxima (TF's reduce_max gradient).
public typealias GlobalMaxPooling1D = Pooling1D<GlobalMaxPooling2D>

extension MaxPooling2D: WindowedPooling { public static let kind1D = "max_pooling1d" }
extension AveragePooling2D: WindowedPooling { public static let kind1D = "average_pooling1d" }
extension GlobalAveragePooling2D: GlobalPooling { public static let kind1D = "global_average_pooling1d" }
extension GlobalMaxPooling2D: GlobalPooling { public static let kind1D = "global_max_pooling1d" }

// MARK: - Spec

extension Pooling1D where Pool: WindowedPooling {
    /// max_pooling1d, average_pooling1d: Keras's pool_size 2, strides null (= pool_size,
    /// filled in), padding "valid" or "same".
    static func windowedRegistration(doc: String) -> LayerType {
        LayerType(
            Schema(
                Pool.kind1D,
                [
                    Option("pool_size", .length, default: 2, doc: "window length, in steps"),
                    Option("strides", .nullable(.length), default: nil, doc: "step between windows; null: pool_size"),
                    Option(
                        "padding", LayerOptions.padding, default: "valid",
                        doc:
                            "\"valid\" (whole windows only) or \"same\" (ceil(steps / strides) outputs; padding not counted)"
                    ),
                ],
                doc: doc,
                check: { options, _ in
                    if options["strides"] == .null { options["strides"] = options["pool_size"] }
                }),
            make: { s in Self(poolSize: s.int("pool_size"), strides: s.int("strides"), padding: s.choice("padding")) },
            size: { s, input in
                guard input.count == 2 else { return .same(input) }  // build says what is wrong
                let w = try Window2D(
                    input: (1, input[0]), window: (1, s.int("pool_size")), strides: (1, s.int("strides")),
                    padding: s.choice("padding"), layer: "\(Pool.kind1D) pool", axes: ("height", "length"))
                return .make([w.outW, input[1]], parameters: 0)
            })
    }
}

extension Pooling1D where Pool: GlobalPooling {
    static func globalRegistration(doc: String) -> LayerType {
        LayerType(
            Schema(Pool.kind1D, [], doc: doc), make: { _ in Self() },
            size: { _, input in .make(input.last.map { [$0] } ?? [], parameters: 0) })
    }
}

extension MaxPooling1D {
    static var registration: LayerType { windowedRegistration(doc: "the largest value of each window of steps") }
}

extension AveragePooling1D {
    static var registration: LayerType {
        windowedRegistration(doc: "the mean of each window of steps (padding excluded)")
    }
}

extension GlobalAveragePooling1D {
    static var registration: LayerType { globalRegistration(doc: "the mean over steps, per feature") }
}

extension GlobalMaxPooling1D {
    static var registration: LayerType { globalRegistration(doc: "the largest value over steps, per feature") }
}
