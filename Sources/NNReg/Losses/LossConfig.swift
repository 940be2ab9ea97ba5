/// A loss as a spec describes it (training.loss and friends), every field resolved.
public struct LossConfig: Equatable, Sendable {
    /// Canonical Keras name: mean_squared_error, mean_absolute_error, huber,
    /// binary_crossentropy, categorical_crossentropy, sparse_categorical_crossentropy.
    public var name: String
    public var fromLogits = false
    public var labelSmoothing: Float = 0
    /// Huber's delta (Keras default 1.0).
    public var delta: Float = 1

    public init(name: String, fromLogits: Bool = false, labelSmoothing: Float = 0, delta: Float = 1) {
        self.name = name
        self.fromLogits = fromLogits
        self.labelSmoothing = labelSmoothing
        self.delta = delta
    }

    public var isCrossentropy: Bool { name.hasSuffix("crossentropy") }
}
