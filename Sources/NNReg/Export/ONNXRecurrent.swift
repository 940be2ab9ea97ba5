import Foundation

/// lstm, gru and simple_rnn as ONNX's LSTM, GRU and RNN: one forward direction, zero
/// initial state, sequence-first (layout 0) between two transposes.
extension ONNXLayerBuilder {
    /// ONNX's names of the activations its recurrent ops take that nnreg also has.
    static let recurrentActivations: [Activation: String] = [.sigmoid: "Sigmoid", .tanh: "Tanh", .relu: "Relu"]

    /// The graph of a recurrent layer on x: (batch, steps, features), or nil when `layer` is
    /// not one: (batch, units), or (batch, steps, units) with return_sequences.
    mutating func recurrent(_ layer: Layer, _ x: ONNXValue, path: String) throws -> ONNXValue? {
        // Gate blocks: ONNX's block k is Keras's block order[k]. LSTM: ONNX i, o, f, c from
        // Keras i, f, c, o; GRU: z, r, h in both. Activations in ONNX's order (f, g[, h]).
        let op: String, order: [Int], activations: [(key: String, value: Activation)]
        var attributes: [Onnx_AttributeProto] = []
        switch layer {
        case let l as LSTM:
            (op, order) = ("LSTM", [0, 3, 1, 2])
            activations = [
                ("recurrent_activation", l.recurrentActivation), ("activation", l.activation),
                ("activation", l.activation),
            ]
        case let l as GRU:
            (op, order) = ("GRU", [0, 1, 2])
            activations = [("recurrent_activation", l.recurrentActivation), ("activation", l.activation)]
            // reset_after (Keras 3) applies r after the recurrent product, as linear_before_reset=1;
            // reset_after=false (Keras 2) before it, as ONNX's default 0. Its bias has no recurrent row.
            attributes.append(ONNXAttribute.int("linear_before_reset", l.resetAfter ? 1 : 0))
        case let l as SimpleRNN:
            (op, order) = ("RNN", [0])
            activations = [("activation", l.activation)]
        default:
            return nil
        }
        let l = layer as! RecurrentLayer
        var names: [String] = []
        for (key, a) in activations {
            guard let name = Self.recurrentActivations[a] else {
                throw ONNXExportError.unsupported(path, layer.kind, "\(key) \(a.rawValue)")
            }
            names.append(name)
        }
        attributes += [ONNXAttribute.int("hidden_size", l.units), ONNXAttribute.strings("activations", names)]

        let h = keras(x)
        let u = l.units, gu = order.count * u
        // W: (1, G*units, features) and R: (1, G*units, units), Keras's kernels transposed
        // with their gate blocks reordered; B: (1, 2*G*units), input then recurrent biases.
        func gates(_ t: [Float], rows: Int) -> [Float] {
            var out = [Float](repeating: 0, count: t.count)
            for (k, block) in order.enumerated() {
                for j in 0..<u {
                    for r in 0..<rows { out[(k * u + j) * rows + r] = t[r * gu + block * u + j] }
                }
            }
            return out
        }
        let w = graph.constant("W", gates(l.kernel.value.array, rows: h.shape[1]), shape: [1, gu, h.shape[1]])
        let r = graph.constant("R", gates(l.recurrentKernel.value.array, rows: u), shape: [1, gu, u])
        var bias = [Float](repeating: 0, count: 2 * gu)
        if let b = l.bias?.value.array {
            // (G*units), or GRU's (2, G*units): the input row, then the recurrent one.
            for (k, block) in order.enumerated() {
                for j in 0..<u {
                    bias[k * u + j] = b[block * u + j]
                    if b.count == 2 * gu { bias[gu + k * u + j] = b[gu + block * u + j] }
                }
            }
        }
        let b = graph.constant("B", bias, shape: [1, 2 * gu])
        let sequence = graph.transpose(h.name, [1, 0, 2])  // (steps, batch, features)
        if l.returnSequences {
            // Y: (steps, 1, batch, units) -> (batch, steps, units)
            let y = graph.node(op, [sequence, w, r, b], attributes, outputs: [graph.fresh("y"), ""])[0]
            let squeezed = graph.node("Squeeze", [y, graph.int64s("axes", [1])])
            return ONNXValue(name: graph.transpose(squeezed, [1, 0, 2]), shape: [h.shape[0], u])
        }
        // Y_h: (1, batch, units) -> (batch, units)
        let last = graph.node(op, [sequence, w, r, b], attributes, outputs: ["", graph.fresh("y_h")])[1]
        return ONNXValue(name: graph.node("Squeeze", [last, graph.int64s("axes", [0])]), shape: [u])
    }
}
