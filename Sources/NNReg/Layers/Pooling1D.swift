/// Pooling over sequences (Keras MaxPooling1D, AveragePooling1D, GlobalAveragePooling1D,
/// GlobalMaxPooling1D): the 2-D pooling layers on a unit height.
///
/// x: (N, steps, C) is the same bytes as (N, 1, steps, C); each 1-D layer runs its 2-D
/// counterpart with (1, P) windows and (1, S) strides and presents its buffers under the
/// 1-D shapes (`viewAs1D`). Padding, ties and NaN handling are therefore the 2-D layers'
/// (Pooling.swift): padded positions never take part, so "same" average pooling divides by
/// the count of real inputs in the window, as Keras does.

/// Max pooling over steps (Keras MaxPooling1D).
///
/// x: (N, steps, C) -> y: (N, newSteps, C), y = max over the window's real inputs; dx gets
/// each dy at its window's first maximum.
public final class MaxPooling1D: Layer {
    public let kind = "max_pooling1d"
    public let poolSize: Int
    public let strides: Int
    public let padding: Padding
    public var parameters: [Parameter] { [] }
    public var needsInputGradient: Bool {
        get { pool.needsInputGradient }
        set { pool.needsInputGradient = newValue }
    }
    private let pool: MaxPooling2D

    /// `strides` nil means the pool size (Keras strides=None).
    public init(poolSize: Int = 2, strides: Int? = nil, padding: Padding = .valid) {
        precondition(poolSize > 0 && (strides ?? 1) > 0, "max_pooling1d pool_size and strides must be positive")
        precondition(padding != .causal, "max_pooling1d padding must be valid or same")
        self.poolSize = poolSize
        self.strides = strides ?? poolSize
        self.padding = padding
        pool = MaxPooling2D(poolSize: (1, poolSize), strides: (1, self.strides), padding: padding)
    }

    public func build(inputShape: [Int], maxBatch: Int, rng: inout RNG) throws -> [Int] {
        let (steps, features) = try sequenceShape(inputShape, kind)
        let g = try window1D(steps: steps, size: poolSize, stride: strides, padding: padding, layer: "\(kind) pool")
        _ = try pool.build(inputShape: [1, steps, features], maxBatch: maxBatch, rng: &rng)
        pool.viewAs1D()
        return [g.outW, features]
    }

    /// x: (N, steps, C) -> y: (N, newSteps, C).
    public func forward(_ x: Tensor, training: Bool, rng: inout RNG) -> Tensor {
        pool.forward(x, training: training, rng: &rng)
    }

    /// dy: (N, newSteps, C) -> dx: (N, steps, C).
    public func backward(_ dy: Tensor) -> Tensor? { pool.backward(dy) }
}

/// Average pooling over steps (Keras AveragePooling1D).
///
/// x: (N, steps, C) -> y: (N, newSteps, C), y = mean of the window's real inputs (padding
/// is not counted); dx spreads dy / count over the same inputs.
public final class AveragePooling1D: Layer {
    public let kind = "average_pooling1d"
    public let poolSize: Int
    public let strides: Int
    public let padding: Padding
    public var parameters: [Parameter] { [] }
    public var needsInputGradient: Bool {
        get { pool.needsInputGradient }
        set { pool.needsInputGradient = newValue }
    }
    private let pool: AveragePooling2D

    /// `strides` nil means the pool size (Keras strides=None).
    public init(poolSize: Int = 2, strides: Int? = nil, padding: Padding = .valid) {
        precondition(poolSize > 0 && (strides ?? 1) > 0, "average_pooling1d pool_size and strides must be positive")
        precondition(padding != .causal, "average_pooling1d padding must be valid or same")
        self.poolSize = poolSize
        self.strides = strides ?? poolSize
        self.padding = padding
        pool = AveragePooling2D(poolSize: (1, poolSize), strides: (1, self.strides), padding: padding)
    }

    public func build(inputShape: [Int], maxBatch: Int, rng: inout RNG) throws -> [Int] {
        let (steps, features) = try sequenceShape(inputShape, kind)
        let g = try window1D(steps: steps, size: poolSize, stride: strides, padding: padding, layer: "\(kind) pool")
        _ = try pool.build(inputShape: [1, steps, features], maxBatch: maxBatch, rng: &rng)
        pool.viewAs1D()
        return [g.outW, features]
    }

    /// x: (N, steps, C) -> y: (N, newSteps, C).
    public func forward(_ x: Tensor, training: Bool, rng: inout RNG) -> Tensor {
        pool.forward(x, training: training, rng: &rng)
    }

    /// dy: (N, newSteps, C) -> dx: (N, steps, C).
    public func backward(_ dy: Tensor) -> Tensor? { pool.backward(dy) }
}

/// Global average pooling over steps (Keras GlobalAveragePooling1D, no mask, keepdims false).
///
/// x: (N, steps, C) -> y: (N, C), the mean over steps; dx = dy / steps everywhere.
public final class GlobalAveragePooling1D: Layer {
    public let kind = "global_average_pooling1d"
    public var parameters: [Parameter] { [] }
    public var needsInputGradient: Bool {
        get { pool.needsInputGradient }
        set { pool.needsInputGradient = newValue }
    }
    private let pool = GlobalAveragePooling2D()

    public init() {}

    public func build(inputShape: [Int], maxBatch: Int, rng: inout RNG) throws -> [Int] {
        let (steps, features) = try sequenceShape(inputShape, kind)
        _ = try pool.build(inputShape: [1, steps, features], maxBatch: maxBatch, rng: &rng)
        pool.viewAs1D()
        return [features]
    }

    /// x: (N, steps, C) -> y: (N, C).
    public func forward(_ x: Tensor, training: Bool, rng: inout RNG) -> Tensor {
        pool.forward(x, training: training, rng: &rng)
    }

    /// dy: (N, C) -> dx: (N, steps, C).
    public func backward(_ dy: Tensor) -> Tensor? { pool.backward(dy) }
}

/// Global max pooling over steps (Keras GlobalMaxPooling1D, keepdims false).
///
/// x: (N, steps, C) -> y: (N, C), the max over steps; dy is split evenly between tied
/// maxima (TF's reduce_max gradient).
public final class GlobalMaxPooling1D: Layer {
    public let kind = "global_max_pooling1d"
    public var parameters: [Parameter] { [] }
    public var needsInputGradient: Bool {
        get { pool.needsInputGradient }
        set { pool.needsInputGradient = newValue }
    }
    private let pool = GlobalMaxPooling2D()

    public init() {}

    public func build(inputShape: [Int], maxBatch: Int, rng: inout RNG) throws -> [Int] {
        let (steps, features) = try sequenceShape(inputShape, kind)
        _ = try pool.build(inputShape: [1, steps, features], maxBatch: maxBatch, rng: &rng)
        pool.viewAs1D()
        return [features]
    }

    /// x: (N, steps, C) -> y: (N, C).
    public func forward(_ x: Tensor, training: Bool, rng: inout RNG) -> Tensor {
        pool.forward(x, training: training, rng: &rng)
    }

    /// dy: (N, C) -> dx: (N, steps, C).
    public func backward(_ dy: Tensor) -> Tensor? { pool.backward(dy) }
}

// MARK: - Spec

/// max_pooling1d, average_pooling1d: Keras's pool_size 2, strides null (= pool_size, filled
/// in), padding "valid" or "same".
private func windowedSchema(_ type: String, doc: String) -> Schema {
    Schema(
        type,
        [
            Option("pool_size", .length, default: 2, doc: "window length, in steps"),
            Option("strides", .nullable(.length), default: nil, doc: "step between windows; null: pool_size"),
            Option(
                "padding", LayerOptions.padding, default: "valid",
                doc: "\"valid\" (whole windows only) or \"same\" (ceil(steps / strides) outputs; padding not counted)"),
        ],
        doc: doc,
        check: { options, _ in
            if options["strides"] == .null { options["strides"] = options["pool_size"] }
        })
}

extension MaxPooling1D {
    static let registration = LayerType(
        windowedSchema("max_pooling1d", doc: "the largest value of each window of steps"),
        make: { s in MaxPooling1D(poolSize: s.int("pool_size"), strides: s.int("strides"), padding: s.choice("padding"))
        })
}

extension AveragePooling1D {
    static let registration = LayerType(
        windowedSchema("average_pooling1d", doc: "the mean of each window of steps (padding excluded)"),
        make: { s in
            AveragePooling1D(poolSize: s.int("pool_size"), strides: s.int("strides"), padding: s.choice("padding"))
        })
}

extension GlobalAveragePooling1D {
    static let registration = LayerType(
        Schema("global_average_pooling1d", [], doc: "the mean over steps, per feature"),
        make: { _ in GlobalAveragePooling1D() })
}

extension GlobalMaxPooling1D {
    static let registration = LayerType(
        Schema("global_max_pooling1d", [], doc: "the largest value over steps, per feature"),
        make: { _ in GlobalMaxPooling1D() })
}
