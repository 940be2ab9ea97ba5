import Foundation

/// conv2d, conv1d, the windowed and global poolings (2-D and 1-D), and the normalizations:
/// the layers that run channels first in ONNX (Conv, MaxPool, AveragePool,
/// BatchNormalization) or reduce over chosen axes.
extension ONNXLayerBuilder {
    /// The graph of a convolution or pooling layer, or nil when `layer` is neither.
    mutating func convolutionOrPooling(_ layer: Layer, _ x: ONNXValue) throws -> ONNXValue? {
        switch layer {
        case let l as Conv2D:
            return activation(l.activation, convolution(l, channelsFirst(x), oneD: false))
        case let l as Conv1D:
            return activation(l.activation, convolution(l.conv, channelsFirst(x), oneD: true))
        case let l as MaxPooling2D:
            return try pool("MaxPool", channelsFirst(x), size: l.poolSize, strides: l.strides, padding: l.padding)
        case let l as AveragePooling2D:
            return try pool("AveragePool", channelsFirst(x), size: l.poolSize, strides: l.strides, padding: l.padding)
        case let l as Pooling1D<MaxPooling2D>:
            return try pool(
                "MaxPool", channelsFirst(x), size: (1, l.poolSize), strides: (1, l.strides), padding: l.padding)
        case let l as Pooling1D<AveragePooling2D>:
            return try pool(
                "AveragePool", channelsFirst(x), size: (1, l.poolSize), strides: (1, l.strides), padding: l.padding)
        case is GlobalAveragePooling2D, is Pooling1D<GlobalAveragePooling2D>:
            return globalPool("ReduceMean", x)
        case is GlobalMaxPooling2D, is Pooling1D<GlobalMaxPooling2D>:
            return globalPool("ReduceMax", x)
        default:
            return nil
        }
    }

    /// Explicit ONNX pads of a TF window: [top, left, bottom, right] (1-D: [left, right]).
    /// Before: the window's; after: whatever makes ONNX's floor((in + pads - extent) / s) + 1
    /// give TF's output size (none for "valid" and "causal").
    static func pads(_ w: Window2D, oneD: Bool) -> [Int] {
        func after(_ n: Int, _ k: Int, _ s: Int, _ d: Int, _ out: Int, _ before: Int) -> Int {
            max((out - 1) * s + (k - 1) * d + 1 - n - before, 0)
        }
        let bottom = after(w.inH, w.kh, w.sh, w.dh, w.outH, w.padTop)
        let right = after(w.inW, w.kw, w.sw, w.dw, w.outW, w.padLeft)
        return oneD ? [w.padLeft, right] : [w.padTop, w.padLeft, bottom, right]
    }

    /// Conv: x channels first (batch, C, H, W) or (batch, C, steps) -> (batch, F, OH, OW)
    /// or (batch, F, steps'). The kernel (KH, KW, C, F) (1-D: (K, C, F)) becomes (F, C, KH, KW)
    /// (1-D: (F, C, K)).
    mutating func convolution(_ l: Conv2D, _ x: ONNXValue, oneD: Bool) -> ONNXValue {
        let w = l.window!, c = x.shape.last!, f = l.filters
        let k = l.kernel.value.array
        var oihw = [Float](repeating: 0, count: k.count)
        for i in 0..<w.kh {
            for j in 0..<w.kw {
                for ch in 0..<c {
                    for o in 0..<f { oihw[((o * c + ch) * w.kh + i) * w.kw + j] = k[((i * w.kw + j) * c + ch) * f + o] }
                }
            }
        }
        let kernelShape = oneD ? [w.kw] : [w.kh, w.kw]
        let weights = graph.constant("kernel", oihw, shape: [f, c] + kernelShape)
        let bias = l.bias.map { graph.constant("bias", $0.value.array, shape: [f]) }
        let y = graph.node(
            "Conv", [x.name, weights] + (bias.map { [$0] } ?? []),
            [
                ONNXAttribute.ints("kernel_shape", kernelShape),
                ONNXAttribute.ints("strides", oneD ? [w.sw] : [w.sh, w.sw]),
                ONNXAttribute.ints("dilations", oneD ? [w.dw] : [w.dh, w.dw]),
                ONNXAttribute.ints("pads", Self.pads(w, oneD: oneD)),
            ])
        return ONNXValue(name: y, shape: (oneD ? [w.outW] : [w.outH, w.outW]) + [f], channelsFirst: true)
    }

    /// MaxPool or AveragePool (padding excluded from the mean, as TF) on x channels first:
    /// (batch, C, H, W) or (batch, C, steps); `size` and `strides` (1, n) in 1-D.
    mutating func pool(
        _ op: String, _ x: ONNXValue, size: (h: Int, w: Int), strides: (h: Int, w: Int), padding: Padding
    ) throws -> ONNXValue {
        let oneD = x.shape.count == 2
        let w = try Window2D(
            input: oneD ? (1, x.shape[0]) : (x.shape[0], x.shape[1]), window: size, strides: strides,
            padding: padding, layer: op)
        var attributes = [
            ONNXAttribute.ints("kernel_shape", oneD ? [w.kw] : [w.kh, w.kw]),
            ONNXAttribute.ints("strides", oneD ? [w.sw] : [w.sh, w.sw]),
            ONNXAttribute.ints("pads", Self.pads(w, oneD: oneD)),
        ]
        if op == "AveragePool" { attributes.append(ONNXAttribute.int("count_include_pad", 0)) }
        let y = graph.node(op, [x.name], attributes)
        return ONNXValue(
            name: y, shape: (oneD ? [w.outW] : [w.outH, w.outW]) + [x.shape.last!], channelsFirst: true)
    }

    /// The mean or max over every axis but the channels: (batch, H, W, C) or (batch, steps, C) -> (batch, C).
    mutating func globalPool(_ op: String, _ x: ONNXValue) -> ONNXValue {
        let spatial = x.shape.count - 1
        let axes = x.channelsFirst ? Array(2..<(2 + spatial)) : Array(1...spatial)
        return ONNXValue(name: graph.reduce(op, x.name, axes: axes, keepDims: false), shape: [x.shape.last!])
    }

    /// Inference batch normalization, y = gamma (x - moving_mean) / sqrt(moving_variance + epsilon) + beta
    /// per index of its axis, with the layer's epsilon (Keras's default 1e-3). On the channel
    /// axis: ONNX BatchNormalization (channels first); another axis: a Mul and an Add of
    /// per-index constants broadcast over the axes after it.
    mutating func batchNormalization(_ l: BatchNormalization, _ x: ONNXValue) -> ONNXValue {
        let rank = x.shape.count + 1
        let axis = l.options.axis < 0 ? l.options.axis + rank : l.options.axis
        let c = x.shape[axis - 1]
        let gamma = l.gamma?.value.array ?? [Float](repeating: 1, count: c)
        let beta = l.beta?.value.array ?? [Float](repeating: 0, count: c)
        let mean = l.movingMean.value.array, variance = l.movingVariance.value.array
        if axis == rank - 1 && rank <= 4 {
            let h = x.shape.count == 1 ? x : channelsFirst(x)
            let inputs = [h.name] + [gamma, beta, mean, variance].map { graph.constant("bn", $0, shape: [c]) }
            let y = graph.node("BatchNormalization", inputs, [ONNXAttribute.float("epsilon", l.options.epsilon)])
            return ONNXValue(name: y, shape: h.shape, channelsFirst: h.channelsFirst)
        }
        let h = keras(x)
        let broadcast = [c] + [Int](repeating: 1, count: rank - 1 - axis)
        var scale = [Float](repeating: 0, count: c), shift = scale
        for i in 0..<c {
            let s = Double(gamma[i]) / (Double(variance[i]) + Double(l.options.epsilon)).squareRoot()
            scale[i] = Float(s)
            shift[i] = Float(Double(beta[i]) - Double(mean[i]) * s)
        }
        let y = graph.node(
            "Add",
            [
                graph.node("Mul", [h.name, graph.constant("bn_scale", scale, shape: broadcast)]),
                graph.constant("bn_shift", shift, shape: broadcast),
            ])
        return ONNXValue(name: y, shape: h.shape)
    }

    /// Layer normalization over one axis with the layer's epsilon, x in Keras's order: the
    /// last axis by ONNX LayerNormalization (opset 17); another as its formula,
    /// (x - mean) / sqrt(var + epsilon) * gamma + beta, mean and the biased var over that
    /// axis, gamma and beta broadcast over the axes after it.
    mutating func layerNormalization(_ l: LayerNormalization, _ x: ONNXValue) -> ONNXValue {
        let rank = x.shape.count + 1
        let axis = l.options.axis < 0 ? l.options.axis + rank : l.options.axis
        let c = x.shape[axis - 1]
        let gamma = l.gamma?.value.array ?? [Float](repeating: 1, count: c)
        let beta = l.beta?.value.array ?? [Float](repeating: 0, count: c)
        guard axis == rank - 1 else {
            let mean = graph.reduce("ReduceMean", x.name, axes: [axis], keepDims: true)
            let centered = graph.node("Sub", [x.name, mean])
            let variance = graph.reduce(
                "ReduceMean", graph.node("Mul", [centered, centered]), axes: [axis], keepDims: true)
            let std = graph.node("Sqrt", [graph.node("Add", [variance, graph.scalar(l.options.epsilon)])])
            let broadcast = [c] + [Int](repeating: 1, count: rank - 1 - axis)
            let scaled = graph.node(
                "Mul", [graph.node("Div", [centered, std]), graph.constant("ln_gamma", gamma, shape: broadcast)])
            return ONNXValue(
                name: graph.node("Add", [scaled, graph.constant("ln_beta", beta, shape: broadcast)]), shape: x.shape)
        }
        let y = graph.node(
            "LayerNormalization",
            [x.name, graph.constant("ln_gamma", gamma, shape: [c]), graph.constant("ln_beta", beta, shape: [c])],
            [ONNXAttribute.int("axis", -1), ONNXAttribute.float("epsilon", l.options.epsilon)])
        return ONNXValue(name: y, shape: x.shape)
    }
}
