import Foundation

/// A stack of layers trained as one: forward, backward, penalties, constraints.
///
/// When the last layer ends in softmax (or sigmoid) and the loss is a crossentropy on
/// probabilities, the builder moves that activation into `outputActivation` and the
/// loss takes logits: the numerically stable form Keras's TensorFlow backend uses
/// (it reads the softmax's logits). `forward` then returns logits, `predict` probabilities.
public final class Sequential {
    public let layers: [Layer]
    public let inputShape: [Int]
    public let outputShape: [Int]
    /// Output shape of each layer (no batch dimension).
    public let layerShapes: [[Int]]
    public let maxBatch: Int
    /// Applied to the last layer's output by `predict` (linear unless fused with the loss).
    public var outputActivation: Activation = .linear
    /// Sum of the activity penalties of the last training forward pass.
    public private(set) var activityPenalty: Float = 0
    /// Under data parallelism (`attach`): the step's global batch. Activity penalties are
    /// then divided by its rows, so the ranks' penalties add up to one process's.
    public internal(set) var globalBatch: GlobalBatch?

    private var outputs: [Tensor?]
    private let probabilities: Tensor
    private let width: Int

    /// Builds every layer for `inputShape` (no batch dimension) and batches up to `maxBatch`.
    /// Errors carry the index of the failing layer.
    public init(layers: [Layer], inputShape: [Int], maxBatch: Int, rng: inout RNG) throws {
        precondition(!layers.isEmpty, "a model needs at least one layer")
        self.layers = layers
        self.inputShape = inputShape
        self.maxBatch = maxBatch
        var shape = inputShape
        var shapes: [[Int]] = []
        for (i, layer) in layers.enumerated() {
            do {
                shape = try layer.build(inputShape: shape, maxBatch: maxBatch, rng: &rng)
            } catch let e as ShapeError {
                throw LayerBuildError(index: i, message: e.description)
            }
            shapes.append(shape)
        }
        layerShapes = shapes
        layers[0].needsInputGradient = false
        outputShape = shape
        width = shape.last ?? 1
        outputs = Array(repeating: nil, count: layers.count)
        probabilities = Tensor(shape: [maxBatch] + shape)
        namedParameters = layers.enumerated().flatMap { i, layer in
            layer.namedParameters.map { ("layers.\(i).\(layer.kind).\($0.name)", $0.parameter) }
        }
        trainableParameters = namedParameters.map(\.parameter).filter(\.trainable)
    }

    /// Parameters with their checkpoint names, "layers.{i}.{kind}.{name}" (a residual
    /// block's: "layers.{i}.residual.layers.{j}.{kind}.{name}"). Layers create their
    /// parameters in `build`, so the list is made once (the step reads it, allocating nothing).
    public let namedParameters: [(name: String, parameter: Parameter)]

    public let trainableParameters: [Parameter]

    /// x: (N, inputShape...) -> (N, outputShape...), logits when the activation is fused.
    public func forward(_ x: Tensor, training: Bool, rng: inout RNG) -> Tensor {
        var h = x
        activityPenalty = 0
        for (i, layer) in layers.enumerated() {
            h = layer.forward(h, training: training, rng: &rng)
            outputs[i] = h
            if training, let reg = layer.activityRegularizer {
                activityPenalty += reg.penalty(h) / Float(globalBatch?.rows ?? h.shape[0])
            }
            if training { activityPenalty += layer.innerActivityPenalty }
        }
        return h
    }

    /// dOutput: (N, outputShape...) from the loss; fills every parameter's grad,
    /// including the weight penalties' gradients.
    public func backward(_ dOutput: Tensor) {
        backwardData(dOutput)
        addWeightPenaltyGradients()
    }

    /// `backward` without the weight penalties: the gradients of the data and activity
    /// terms, which data-parallel training adds up over the ranks before the penalties.
    public func backwardData(_ dOutput: Tensor) {
        var g: Tensor? = dOutput
        for (i, layer) in layers.enumerated().reversed() {
            guard let dy = g else { break }
            if let reg = layer.activityRegularizer, let out = outputs[i] {
                let rows = Float(globalBatch?.rows ?? out.shape[0])
                Regularizer(l1: reg.l1 / rows, l2: reg.l2 / rows).addGradient(out, into: dy)
            }
            g = layer.backward(dy)
        }
    }

    /// Adds the weight penalties' (kernel and bias regularizers') gradients to the grads.
    public func addWeightPenaltyGradients() {
        for p in trainableParameters {
            p.regularizer?.addGradient(p.value, into: p.grad)
        }
    }

    /// The weight penalties (kernel/bias regularizers) at the current weights.
    public func weightPenalty() -> Float {
        var s: Float = 0
        for p in trainableParameters { if let r = p.regularizer { s += r.penalty(p.value) } }
        return s
    }

    /// Projects constrained weights; called after every optimizer step.
    public func applyConstraints() {
        for (_, p) in namedParameters { p.constraint?.apply(p.value) }
    }

    /// Inference: x -> outputs with `outputActivation` applied (probabilities for classifiers).
    public func predict(_ x: Tensor) -> Tensor {
        var unused = RNG(seed: 0)
        let out = forward(x, training: false, rng: &unused)
        return activate(out)
    }

    /// Applies `outputActivation` to a forward output (for training metrics).
    public func activate(_ out: Tensor) -> Tensor {
        if outputActivation == .linear { return out }
        probabilities.setBatch(out.shape[0])
        outputActivation.forward(out.data, probabilities.data, rows: out.count / width, width: width)
        return probabilities
    }
}

extension Sequential {
    /// A layer table like Keras's model.summary(): name, output shape, parameter count.
    public func summary(name: String) -> String {
        var rows: [(String, String, String)] = [("Layer (type)", "Output Shape", "Param #")]
        var total = 0, trainable = 0
        for (i, layer) in layers.enumerated() {
            let count = layer.parameters.reduce(0) { $0 + $1.value.count }
            total += count
            trainable += layer.parameters.filter(\.trainable).reduce(0) { $0 + $1.value.count }
            let shape = "(None, " + layerShapes[i].map(String.init).joined(separator: ", ") + ")"
            rows.append(("\(i) \(layer.kind)", shape, count.formatted()))
        }
        let w0 = rows.map(\.0.count).max()!, w1 = rows.map(\.1.count).max()!, w2 = rows.map(\.2.count).max()!
        func pad(_ s: String, _ w: Int, right: Bool = false) -> String {
            let fill = String(repeating: " ", count: w - s.count)
            return right ? fill + s : s + fill
        }
        let rule = String(repeating: "-", count: w0 + w1 + w2 + 6)
        var out = ["Model: \"\(name)\"", rule]
        for (k, r) in rows.enumerated() {
            out.append(pad(r.0, w0) + "   " + pad(r.1, w1) + "   " + pad(r.2, w2, right: true))
            if k == 0 { out.append(rule) }
        }
        out.append(rule)
        out.append("Input shape: (None, " + inputShape.map(String.init).joined(separator: ", ") + ")")
        out.append("Total params: \(total.formatted()) (\(bytes(total * 4)))")
        out.append("Trainable params: \(trainable.formatted()) (\(bytes(trainable * 4)))")
        out.append("Non-trainable params: \((total - trainable).formatted()) (\(bytes((total - trainable) * 4)))")
        return out.joined(separator: "\n")
    }

    private func bytes(_ n: Int) -> String {
        if n < 1024 { return "\(n) B" }
        if n < 1 << 20 { return String(format: "%.2f KB", Double(n) / 1024) }
        return String(format: "%.2f MB", Double(n) / 1_048_576)
    }
}

extension Int {
    /// 1234567 -> "1,234,567".
    func formatted() -> String {
        let digits = String(abs(self))
        var out = ""
        for (i, c) in digits.reversed().enumerated() {
            if i > 0 && i % 3 == 0 { out.append(",") }
            out.append(c)
        }
        return (self < 0 ? "-" : "") + String(out.reversed())
    }
}

/// A layer rejected its input shape while the model was being built.
public struct LayerBuildError: Error, CustomStringConvertible {
    public let index: Int
    public let message: String
    public var description: String { "layers[\(index)]: \(message)" }
}
