import Foundation

/// A tensor of the graph: its name, its per-sample shape in Keras's order (channels last),
/// and whether it is held channels first ((batch, C, H, W) or (batch, C, steps)) for
/// ONNX's Conv and pooling. Layers that read Keras's order ask for `keras(_:)`, so the
/// transposes sit only where the layout changes and Flatten sees Keras's (H, W, C) order.
struct ONNXValue {
    var name: String
    var shape: [Int]
    var channelsFirst = false
}

/// Emits one member's layers into `graph`, left to right.
struct ONNXLayerBuilder {
    var graph: ONNXGraph

    /// `x` in Keras's order (channels last).
    mutating func keras(_ x: ONNXValue) -> ONNXValue {
        guard x.channelsFirst else { return x }
        let perm = x.shape.count == 3 ? [0, 2, 3, 1] : [0, 2, 1]
        return ONNXValue(name: graph.transpose(x.name, perm), shape: x.shape)
    }

    /// `x` channels first; x: (H, W, C) or (steps, C).
    mutating func channelsFirst(_ x: ONNXValue) -> ONNXValue {
        guard !x.channelsFirst else { return x }
        precondition(x.shape.count == 2 || x.shape.count == 3, "channels first of \(x.shape)")
        let perm = x.shape.count == 3 ? [0, 3, 1, 2] : [0, 2, 1]
        return ONNXValue(name: graph.transpose(x.name, perm), shape: x.shape, channelsFirst: true)
    }

    /// One layer on x; `path` names it in errors ("model.layers[2]").
    mutating func emit(_ layer: Layer, _ x: ONNXValue, path: String, spec: LayerSpec) throws -> ONNXValue {
        switch layer {
        case is NoiseLayer:
            return x  // dropout family and noise: the identity at inference
        case let l as Dense:
            let z = affine(keras(x), kernel: l.kernel.value, bias: l.bias?.value, units: l.units)
            return activation(l.activation, z)
        case let l as ActivationLayer:
            return activation(l.activation, x)
        case is Flatten:
            let h = keras(x)
            return ONNXValue(
                name: graph.node("Flatten", [h.name], [ONNXAttribute.int("axis", 1)]), shape: [h.shape.reduce(1, *)])
        case let l as Maxout:
            return maxout(l, keras(x))
        case let l as Residual:
            var h = x
            for (sub, subLayer) in zip(spec.layers(), l.layers) {
                h = try emit(subLayer, h, path: sub.path, spec: sub)
            }
            let skip = h.channelsFirst ? channelsFirst(x) : keras(x)
            return ONNXValue(
                name: graph.node("Add", [skip.name, h.name]), shape: h.shape, channelsFirst: h.channelsFirst)
        case let l as BatchNormalization:
            return batchNormalization(l, x)
        case let l as LayerNormalization:
            return layerNormalization(l, keras(x))
        default:
            if let h = try convolutionOrPooling(layer, x) { return h }
            if let h = try recurrent(layer, x, path: path) { return h }
            throw ONNXExportError.unsupported(path, layer.kind)
        }
    }

    /// y = f(x) elementwise, or softmax over the last (Keras) axis; nnreg's definitions
    /// (Activation.swift): leaky_relu's slope 0.2, exact gelu, selu's Keras constants.
    mutating func activation(_ a: Activation, _ x: ONNXValue) -> ONNXValue {
        var y = x
        switch a {
        case .linear:
            return x
        case .relu, .sigmoid, .tanh, .softplus:
            let op = [Activation.relu: "Relu", .sigmoid: "Sigmoid", .tanh: "Tanh", .softplus: "Softplus"][a]!
            y.name = graph.node(op, [x.name])
        case .leaky_relu:
            y.name = graph.node("LeakyRelu", [x.name], [ONNXAttribute.float("alpha", Activation.leakySlope)])
        case .elu:
            y.name = graph.node("Elu", [x.name], [ONNXAttribute.float("alpha", 1)])
        case .selu:
            let alpha = ONNXAttribute.float("alpha", Activation.seluAlpha)
            y.name = graph.node("Selu", [x.name], [alpha, ONNXAttribute.float("gamma", Activation.seluScale)])
        case .gelu:  // 0.5 x (1 + erf(x / sqrt 2)), the exact form (ONNX's Gelu op is opset 20)
            let erf = graph.node("Erf", [graph.node("Mul", [x.name, graph.scalar(0.70710678118654752)])])
            let half = graph.node("Mul", [x.name, graph.scalar(0.5)])
            y.name = graph.node("Mul", [half, graph.node("Add", [erf, graph.scalar(1)])])
        case .swish:
            y.name = graph.node("Mul", [x.name, graph.node("Sigmoid", [x.name])])
        case .softmax:
            y = keras(x)
            y.name = graph.node("Softmax", [y.name], [ONNXAttribute.int("axis", -1)])
        }
        return y
    }

    /// x @ kernel + bias over the last axis. x: (batch, ..., in) in Keras's order;
    /// kernel: (in, units) -> (batch, ..., units). Gemm for (batch, in), MatMul + Add otherwise.
    mutating func affine(_ x: ONNXValue, kernel: Tensor, bias: Tensor?, units: Int) -> ONNXValue {
        let w = graph.constant("kernel", kernel.array, shape: kernel.shape)
        let b = bias.map { graph.constant("bias", $0.array, shape: [units]) }
        let shape = Array(x.shape.dropLast()) + [units]
        if x.shape.count == 1 {
            return ONNXValue(name: graph.node("Gemm", [x.name, w] + (b.map { [$0] } ?? [])), shape: shape)
        }
        var z = graph.node("MatMul", [x.name, w])
        if let b { z = graph.node("Add", [z, b]) }
        return ONNXValue(name: z, shape: shape)
    }

    /// Maxout: z = x @ kernel + bias: (batch, ..., units * pieces), a unit's pieces
    /// adjacent; y = max over each unit's pieces: (batch, ..., units).
    mutating func maxout(_ l: Maxout, _ x: ONNXValue) -> ONNXValue {
        let z = affine(x, kernel: l.kernel.value, bias: l.bias?.value, units: l.units * l.pieces)
        let grouped = graph.reshape(z.name, [0] + x.shape.dropLast() + [l.units, l.pieces])
        let y = graph.reduce("ReduceMax", grouped, axes: [-1], keepDims: false)
        return ONNXValue(name: y, shape: Array(x.shape.dropLast()) + [l.units])
    }
}
