/// The weights of the affine layers (dense, maxout, conv2d): a kernel and an optional bias,
/// with the initializers the spec gave them.

/// A kernel and an optional bias, created at build: kernel first, then bias, each filled by
/// its initializer from the run's generator (Keras's weight order and draw order).
public final class KernelAndBias {
    let useBias: Bool
    let kernelInitializer, biasInitializer: Initializer
    private(set) var kernel: Parameter!
    private(set) var bias: Parameter?

    init(useBias: Bool, kernelInitializer: Initializer, biasInitializer: Initializer) {
        self.useBias = useBias
        self.kernelInitializer = kernelInitializer
        self.biasInitializer = biasInitializer
    }

    /// Creates kernel: `kernelShape` and, with `useBias`, bias: (width).
    func build(kernel kernelShape: [Int], bias width: Int, rng: inout RNG) {
        kernel = Parameter(name: "kernel", shape: kernelShape, initializer: kernelInitializer, rng: &rng)
        bias = useBias ? Parameter(name: "bias", shape: [width], initializer: biasInitializer, rng: &rng) : nil
    }
}

/// A layer whose parameters are a kernel and an optional bias.
public protocol AffineLayer: Layer {
    var weights: KernelAndBias { get }
}

extension AffineLayer {
    public var useBias: Bool { weights.useBias }
    public var kernelInitializer: Initializer { weights.kernelInitializer }
    public var biasInitializer: Initializer { weights.biasInitializer }
    /// After `build`.
    public var kernel: Parameter! { weights.kernel }
    /// After `build`, with `useBias`.
    public var bias: Parameter? { weights.bias }
    /// [kernel, bias], bias where present.
    public var parameters: [Parameter] { [kernel] + (bias.map { [$0] } ?? []) }
}

/// The width of the last (feature) axis of a dense or maxout layer's input, or a
/// ShapeError naming the layer.
func featureWidth(_ inputShape: [Int], _ kind: String) throws -> Int {
    guard let last = inputShape.last, last > 0 else {
        throw ShapeError("\(kind) needs an input with a feature axis, got shape \(inputShape)")
    }
    return last
}
