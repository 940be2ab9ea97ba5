/// 1-D convolution (Keras Conv1D), channels last: the 2-D convolution on a unit height.
///
/// x: (N, steps, C) is the same bytes as (N, 1, steps, C), and a Keras conv1d kernel
/// (K, C, F) the same bytes as a conv2d kernel (1, K, C, F); so Conv1D runs `Conv2D` with
/// (1, K) kernels, strides and dilation, and presents its buffers and kernel under the 1-D
/// shapes (`Conv2D.viewAs1D`). Its fast path, naive reference and tests are Conv2D's; the
/// 1-D tests check the wrapping against loops, finite differences and Keras.

/// (steps, features) of a 1-D layer's input, or a ShapeError naming the layer.
func sequenceShape(_ inputShape: [Int], _ kind: String) throws -> (steps: Int, features: Int) {
    guard inputShape.count == 2, inputShape.allSatisfy({ $0 > 0 }) else {
        throw ShapeError("\(kind) needs non-empty (steps, features) inputs, got shape \(inputShape)")
    }
    return (inputShape[0], inputShape[1])
}

/// The window of a 1-D layer on `steps` inputs (height 1): output steps and padding, with
/// errors naming the layer's window and its "length".
func window1D(
    steps: Int, size: Int, stride: Int, dilation: Int = 1, padding: Padding, layer: String
) throws -> Window2D {
    try Window2D(
        input: (1, steps), window: (1, size), strides: (1, stride), dilation: (1, dilation), padding: padding,
        layer: layer, axes: ("height", "length"))
}

/// 1-D convolution over sequences, with a fused bias and activation (Keras Conv1D).
///
/// x: (N, steps, C) -> y: (N, newSteps, F); kernel: (K, C, F) as Keras stores it, bias: (F).
/// newSteps follows TF (see `Window2D`): "valid" (steps - E) / S + 1, "same" ceil(steps / S),
/// "causal" (steps - 1) / S + 1 with E - 1 zeros before the sequence, so output t reads no
/// input after t (E = (K - 1) * D + 1).
public final class Conv1D: Layer {
    public let kind = "conv1d"
    public var activityRegularizer: Regularizer?

    /// The 2-D convolution doing the work, on (N, 1, steps, C) with (1, K) kernels.
    let conv: Conv2D

    public var activation: Activation {
        get { conv.activation }
        set { conv.activation = newValue }
    }
    public var useBias: Bool { conv.useBias }
    public var filters: Int { conv.filters }
    public var kernelSize: Int { conv.kernelSize.w }
    public var strides: Int { conv.strides.w }
    public var padding: Padding { conv.padding }
    public var dilationRate: Int { conv.dilationRate.w }
    public var needsInputGradient: Bool {
        get { conv.needsInputGradient }
        set { conv.needsInputGradient = newValue }
    }
    /// (K, C, F), after `build`.
    public var kernel: Parameter { conv.kernel }
    /// (F), after `build` with `useBias`.
    public var bias: Parameter? { conv.bias }
    public var parameters: [Parameter] { conv.parameters }

    public init(
        filters: Int, kernelSize: Int, strides: Int = 1, padding: Padding = .valid, dilationRate: Int = 1,
        activation: Activation = .linear, useBias: Bool = true, kernelInitializer: Initializer = .glorotUniform,
        biasInitializer: Initializer = .zeros
    ) {
        // Conv2D checks every size is positive.
        conv = Conv2D(
            filters: filters, kernelSize: (1, kernelSize), strides: (1, strides), padding: padding,
            dilationRate: (1, dilationRate), activation: activation, useBias: useBias,
            kernelInitializer: kernelInitializer, biasInitializer: biasInitializer)
    }

    /// Checks the shapes with 1-D messages, then builds the 2-D convolution on (1, steps, C)
    /// (the kernel's fans are Keras's: K * C in, K * F out) and takes its 1-D view.
    public func build(inputShape: [Int], maxBatch: Int, rng: inout RNG) throws -> [Int] {
        let (steps, features) = try sequenceShape(inputShape, kind)
        if strides > 1 && dilationRate > 1 {
            throw ShapeError(
                "conv1d strides \(strides) with dilation_rate \(dilationRate): "
                    + "strides > 1 is not supported together with dilation_rate > 1 (as in Keras)")
        }
        let g = try window1D(
            steps: steps, size: kernelSize, stride: strides, dilation: dilationRate, padding: padding,
            layer: "conv1d kernel")
        _ = try conv.build(inputShape: [1, steps, features], maxBatch: maxBatch, rng: &rng)
        conv.viewAs1D()
        return [g.outW, filters]
    }

    /// x: (N, steps, C) -> y: (N, newSteps, F) = activation(conv(x) + bias).
    public func forward(_ x: Tensor, training: Bool, rng: inout RNG) -> Tensor {
        conv.forward(x, training: training, rng: &rng)
    }

    /// dy: (N, newSteps, F) -> dx: (N, steps, C); sets dkernel: (K, C, F) and dbias: (F).
    public func backward(_ dy: Tensor) -> Tensor? {
        conv.backward(dy)
    }
}

// MARK: - Spec

extension Rule {
    /// n or [n], positive; canonical n (Keras's 1-D kernel_size, strides, dilation_rate, pool_size).
    static let length = Rule.custom(
        what: "a positive integer or [n]",
        jsonSchema: [
            "anyOf": [
                ["type": "integer", "minimum": 1],
                ["type": "array", "items": ["type": "integer", "minimum": 1], "minItems": 1, "maxItems": 1],
            ]
        ]
    ) { value, path, _ in
        if let n = value.intValue, n >= 1 { return value }
        if let items = value.arrayValue, items.count == 1, let n = items[0].intValue, n >= 1 { return items[0] }
        throw SpecError.expected("a positive integer or [n]", got: value, at: path)
    }
}

extension Conv1D: ActivationOwner {
    /// Keras Conv1D's arguments and defaults (no groups).
    static let registration = LayerType(
        LayerOptions.convolution(
            "conv1d", size: .length, one: 1, paddings: ["valid", "same", "causal"],
            doc: "1-D convolution over (steps, features) inputs"),
        make: { s in
            let c = Conv1D(
                filters: s.int("filters"), kernelSize: s.int("kernel_size"), strides: s.int("strides"),
                padding: s.choice("padding"), dilationRate: s.int("dilation_rate"), activation: s.activation(),
                useBias: s.bool("use_bias"), kernelInitializer: s.initializer("kernel_initializer"),
                biasInitializer: s.initializer("bias_initializer"))
            c.activityRegularizer = s.regularizer("activity_regularizer")
            return c
        },
        size: { s, input in
            guard input.count == 2 else { return .same(input) }  // build says what is wrong
            let k = s.int("kernel_size"), f = s.int("filters")
            let w = try Window2D(
                input: (1, input[0]), window: (1, k), strides: (1, s.int("strides")),
                dilation: (1, s.int("dilation_rate")), padding: s.choice("padding"), layer: "conv1d kernel",
                axes: ("height", "length"))
            var size = LayerSize.make(
                [w.outW, f], parameters: Double(k) * Double(input[1]) * Double(f) + Double(f), key: "filters")
            size.activations += Double(w.outW) * Double(k) * Double(input[1])
            return size
        })
}
