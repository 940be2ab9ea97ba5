/// Layers that only reshape or apply a fixed function: activation, flatten.

/// x: (N, ...) -> y = f(x): (N, ...); softmax over the last axis.
public final class ActivationLayer: Layer {
    public let kind = "activation"
    public var activation: Activation
    public var needsInputGradient = true
    public var parameters: [Parameter] { [] }
    private var width = 1
    private var z: Tensor!
    private var y: Tensor!
    private var dx: Tensor!

    public init(_ activation: Activation) { self.activation = activation }

    public func build(inputShape: [Int], maxBatch: Int, rng: inout RNG) throws -> [Int] {
        width = inputShape.last ?? 1
        y = Tensor(shape: [maxBatch] + inputShape)
        dx = Tensor(shape: [maxBatch] + inputShape)
        if activation.needsPreActivation { z = Tensor(shape: [maxBatch] + inputShape) }
        return inputShape
    }

    public func forward(_ x: Tensor, training: Bool, rng: inout RNG) -> Tensor {
        if activation == .linear { return x }
        y.setBatch(x.shape[0])
        if let z { z.copy(from: x) }
        activation.forward(x.data, y.data, rows: x.count / width, width: width)
        return y
    }

    public func backward(_ dy: Tensor) -> Tensor? {
        guard needsInputGradient else { return nil }
        if activation == .linear { return dy }
        dx.setBatch(dy.shape[0])
        activation.backward(
            dy: dy.data, y: y.data, z: z.map { UnsafePointer($0.data) }, dz: dx.data,
            rows: dy.count / width, width: width)
        return dx
    }
}

/// x: (N, d1, d2, ...) -> y: (N, d1*d2*...). Shares storage semantics by copying into
/// its own buffer of the flat shape (a view would alias the previous layer's buffer).
public final class Flatten: Layer {
    public let kind = "flatten"
    public var needsInputGradient = true
    public var parameters: [Parameter] { [] }
    private var inputShape: [Int] = []
    private var y: Tensor!
    private var dx: Tensor!

    public init() {}

    public func build(inputShape: [Int], maxBatch: Int, rng: inout RNG) throws -> [Int] {
        self.inputShape = inputShape
        let size = inputShape.reduce(1, *)
        y = Tensor(shape: [maxBatch, size])
        dx = Tensor(shape: [maxBatch] + inputShape)
        return [size]
    }

    public func forward(_ x: Tensor, training: Bool, rng: inout RNG) -> Tensor {
        y.setBatch(x.shape[0])
        y.data.update(from: x.data, count: x.count)
        return y
    }

    public func backward(_ dy: Tensor) -> Tensor? {
        guard needsInputGradient else { return nil }
        dx.setBatch(dy.shape[0])
        dx.data.update(from: dy.data, count: dy.count)
        return dx
    }
}

extension ActivationLayer: ActivationOwner {
    static let registration = LayerType(
        Schema("activation", [LayerOptions.activation(doc: "the function")], doc: "applies an activation function"),
        make: { s in ActivationLayer(s.activation()) })
}

extension Flatten {
    static let registration = LayerType(
        Schema("flatten", [], doc: "reshapes each sample to one axis"), make: { _ in Flatten() },
        size: { _, input in .make([input.reduce(1, *)], parameters: 0) })
}
