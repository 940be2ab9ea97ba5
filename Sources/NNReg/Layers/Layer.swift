/// A trainable (or stored) tensor of a layer, with its gradient and the penalties and
/// constraints that apply to it.
public final class Parameter {
    /// Name inside its layer: "kernel", "bias", "gamma", "moving_mean", ...
    public let name: String
    public let value: Tensor
    /// dLoss/dvalue, accumulated by the layer's backward pass (overwritten each step).
    public let grad: Tensor
    /// Optimizers update only trainable parameters; the rest (moving statistics) are state.
    public let trainable: Bool
    public var regularizer: Regularizer?
    public var constraint: Constraint?

    public init(name: String, shape: [Int], trainable: Bool = true) {
        self.name = name
        self.value = Tensor(shape: shape)
        self.grad = Tensor(shape: trainable ? shape : [0])
        self.trainable = trainable
    }

    /// A parameter of `shape` filled by `initializer` (at build, from the run's generator).
    public convenience init(
        name: String, shape: [Int], initializer: Initializer, rng: inout RNG, trainable: Bool = true
    ) {
        self.init(name: name, shape: shape, trainable: trainable)
        initializer.fill(value, rng: &rng)
    }
}

/// One layer: forward and backward over a batch, with its parameters.
///
/// Every layer owns its output and input-gradient buffers, sized at `build` for the
/// largest batch, so `forward` and `backward` allocate nothing. The tensor a layer
/// returns stays valid until its next call.
public protocol Layer: AnyObject {
    /// The spec's "type" ("dense", "dropout", ...), used in weight names and summaries.
    var kind: String { get }
    /// Trainable parameters and stored state (e.g. batch norm moving averages).
    var parameters: [Parameter] { get }
    /// `parameters` under names unique within the layer; a container (residual) prefixes
    /// its sub-layers' names, "layers.{j}.{kind}.{name}". Default: each parameter's name.
    var namedParameters: [(name: String, parameter: Parameter)] { get }
    /// Creates parameters and buffers. `inputShape` excludes the batch dimension;
    /// returns the output shape, likewise. Throws `ShapeError` for impossible shapes (the model builder adds the spec path).
    func build(inputShape: [Int], maxBatch: Int, rng: inout RNG) throws -> [Int]
    /// x: (N, inputShape...) -> y: (N, outputShape...).
    func forward(_ x: Tensor, training: Bool, rng: inout RNG) -> Tensor
    /// dy: (N, outputShape...) -> dx: (N, inputShape...); accumulates parameter grads.
    /// Uses what the last `forward` stored. Returns nil when `needsInputGradient` is false.
    func backward(_ dy: Tensor) -> Tensor?
    /// False for the first layer: its dx would be discarded, so it is not computed.
    var needsInputGradient: Bool { get set }
    /// A penalty on the layer's output, divided by the batch size (Keras 3 Layer.__call__).
    var activityRegularizer: Regularizer? { get }
    /// Called before each 0-based training epoch (layers with their own seed re-derive it).
    func beginEpoch(_ epoch: Int)
    /// A container's sub-layers' activity penalties from its last training forward pass
    /// (already divided by the batch size); the model adds it to its own. Default: 0.
    var innerActivityPenalty: Float { get }
}

extension Layer {
    public var activityRegularizer: Regularizer? { nil }
    public func beginEpoch(_ epoch: Int) {}
    public var namedParameters: [(name: String, parameter: Parameter)] { parameters.map { ($0.name, $0) } }
    public var innerActivityPenalty: Float { 0 }
    public var trainableParameters: [Parameter] { parameters.filter(\.trainable) }
}

/// A layer cannot take the shape it is given; the model builder adds the spec path.
public struct ShapeError: Error, CustomStringConvertible {
    public let description: String
    public init(_ message: String) { description = message }
}
